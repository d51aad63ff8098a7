//! Helpers for the integration tests: run the built binary, and make and read the small
//! `.npy` files and images the tests feed it. The `.npy` codec here is written apart from
//! the binary's, so a bug in one is not mirrored in the other.

#![allow(dead_code)]

use assert_cmd::Command;
use std::ffi::OsStr;
use std::path::Path;

/// The 6×6 grid of the seed's explorer (the library's `teach::SEED_GRID`), as f32.
pub fn seed_grid() -> [f32; 36] {
    poolkit::teach::SEED_GRID.map(|v| v as f32)
}

/// The `poolkit` binary, with colour forced off so outputs compare as text.
pub fn poolkit() -> Command {
    let mut cmd = Command::cargo_bin("poolkit").expect("the poolkit binary is built");
    cmd.env("NO_COLOR", "1");
    cmd
}

/// `poolkit apply INPUT -o OUTPUT FLAGS`, ready to run (or to take more arguments).
pub fn apply(input: impl AsRef<OsStr>, output: impl AsRef<OsStr>, flags: &[&str]) -> Command {
    let mut cmd = poolkit();
    cmd.arg("apply")
        .arg(input)
        .arg("-o")
        .arg(output)
        .args(flags);
    cmd
}

/// Runs `poolkit apply INPUT -o OUTPUT FLAGS` and expects it to succeed.
pub fn apply_ok(input: impl AsRef<OsStr>, output: impl AsRef<OsStr>, flags: &[&str]) {
    apply(input, output, flags).assert().success();
}

/// `poolkit apply INPUT FLAGS --grad-output DY --grad-input DX`: the backward pass.
pub fn apply_backward(
    input: impl AsRef<OsStr>,
    flags: &[&str],
    grad_output: impl AsRef<OsStr>,
    grad_input: impl AsRef<OsStr>,
) -> Command {
    let mut cmd = poolkit();
    cmd.arg("apply")
        .arg(input)
        .args(flags)
        .arg("--grad-output")
        .arg(grad_output)
        .arg("--grad-input")
        .arg(grad_input);
    cmd
}

/// A value type the test codec knows.
pub trait NpyValue: Copy {
    const DESCR: &'static str;
    fn bytes(self) -> Vec<u8>;
    fn parse(bytes: &[u8]) -> Self;
}

macro_rules! value {
    ($t:ty, $d:expr) => {
        impl NpyValue for $t {
            const DESCR: &'static str = $d;
            fn bytes(self) -> Vec<u8> {
                self.to_le_bytes().to_vec()
            }
            fn parse(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().unwrap())
            }
        }
    };
}
value!(f32, "<f4");
value!(f64, "<f8");
value!(u8, "|u1");
value!(u16, "<u2");
value!(i64, "<i8");

/// Writes a version 1.0 `.npy` file.
pub fn write_npy<T: NpyValue>(path: &Path, shape: &[usize], values: &[T]) {
    assert_eq!(shape.iter().product::<usize>(), values.len());
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape_text}, }}",
        T::DESCR
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in values {
        bytes.extend(v.bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

/// Reads a `.npy` file the binary wrote: `(descr, shape, values)`.
pub fn read_npy<T: NpyValue>(path: &Path) -> (Vec<usize>, Vec<T>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00", "{}", path.display());
    let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + len]).unwrap();
    assert!(
        header.contains(&format!("'descr': '{}'", T::DESCR)),
        "{header}"
    );
    let inside = &header[header.find("'shape': (").unwrap() + 10..];
    let shape: Vec<usize> = inside[..inside.find(')').unwrap()]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let size = std::mem::size_of::<T>();
    let values = bytes[10 + len..].chunks_exact(size).map(T::parse).collect();
    (shape, values)
}

/// Stdout of a successful run, as text.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().clone();
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `cmd`, expects exit code `code` (0: success), and returns stderr.
pub fn stderr_of(cmd: &mut Command, code: i32) -> String {
    let out = cmd.assert().code(code).get_output().clone();
    String::from_utf8(out.stderr).unwrap()
}
