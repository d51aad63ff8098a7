//! Never lose data, fail clearly: no overwrite without `--force`, the output is never the
//! input, bad requests exit 2 with one line and no output file, a closed pipe is not an error.

mod common;

use common::{apply, apply_ok, read_npy, seed_grid, stderr_of, write_npy};
use std::io::Read;
use std::path::Path;

fn seed_input(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("x.npy");
    write_npy(&path, &[1, 1, 6, 6], &seed_grid());
    path
}

#[test]
fn existing_output_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let input = seed_input(dir.path());
    let output = dir.path().join("y.npy");
    std::fs::write(&output, b"precious").unwrap();
    let err = stderr_of(
        &mut apply(&input, &output, &["--op", "max", "--kernel", "2"]),
        2,
    );
    assert_eq!(
        err,
        format!(
            "poolkit: output {} already exists: pass --force to overwrite it\n",
            output.display()
        )
    );
    assert_eq!(std::fs::read(&output).unwrap(), b"precious");
    apply_ok(
        &input,
        &output,
        &["--op", "max", "--kernel", "2", "--force"],
    );
    assert_eq!(
        read_npy::<f32>(&output).1,
        vec![9., 8., 7., 6., 7., 9., 8., 9., 6.]
    );
}

#[test]
fn output_may_never_be_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = seed_input(dir.path());
    let before = std::fs::read(&input).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let roundabout = dir.path().join("sub/../x.npy");
    for output in [input.clone(), roundabout] {
        let err = stderr_of(
            &mut apply(
                &input,
                &output,
                &["--op", "avg", "--kernel", "2", "--force"],
            ),
            2,
        );
        assert!(err.contains("is the input"), "{err}");
    }
    // The same holds for side outputs: indices may not overwrite the input either.
    let err = stderr_of(
        apply(
            &input,
            dir.path().join("y.npy"),
            &["--op", "max", "--kernel", "2", "--force"],
        )
        .arg("--indices")
        .arg(&input),
        2,
    );
    assert!(err.contains("is the input"), "{err}");
    assert_eq!(std::fs::read(&input).unwrap(), before);
    assert!(!dir.path().join("y.npy").exists());
}

#[test]
fn bad_requests_exit_2_with_one_line_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = seed_input(dir.path());
    let truncated = dir.path().join("truncated.npy");
    let bytes = std::fs::read(&input).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() - 3]).unwrap();
    let text = dir.path().join("text.npy");
    std::fs::write(&text, b"1,2,3\n").unwrap();
    let output = dir.path().join("out.npy");
    let cases: Vec<(Vec<&str>, &Path, &str)> = vec![
        (
            vec!["--op", "max", "--kernel", "0"],
            &input,
            "kernel 0 on axis 0: kernel sizes must be positive",
        ),
        (
            vec!["--op", "max", "--kernel", "2,a"],
            &input,
            "\"a\" is not a whole number",
        ),
        (
            vec!["--op", "median", "--kernel", "2"],
            &input,
            "invalid value 'median' for '--op",
        ),
        (
            vec!["--op", "max", "--kernal", "2"],
            &input,
            "a similar argument exists: '--kernel'",
        ),
        (
            vec!["--op", "max", "--kernel", "9"],
            &input,
            "no window fits",
        ),
        (
            vec!["--op", "max", "--kernel", "2", "--p", "3"],
            &input,
            "--p does not apply to --op max",
        ),
        (vec!["--op", "avg"], &input, "--op avg needs --kernel"),
        (
            vec!["--op", "lp", "--kernel", "2", "--p", "-1"],
            &input,
            "not a finite number > 0",
        ),
        (
            vec!["--op", "unpool", "--kernel", "2"],
            &input,
            "needs --indices",
        ),
        (
            vec!["--op", "max", "--kernel", "2"],
            &truncated,
            "needs 144 data bytes but the file holds 141 (truncated)",
        ),
        (
            vec!["--op", "max", "--kernel", "2"],
            &text,
            "not a .npy file",
        ),
        (
            vec![
                "--op",
                "max",
                "--kernel",
                "2",
                "--padding",
                "1",
                "--pads",
                "1,1,1,1",
            ],
            &input,
            "cannot be used with",
        ),
    ];
    for (flags, source, expected) in cases {
        let err = stderr_of(&mut apply(source, &output, &flags), 2);
        assert_eq!(err.lines().count(), 1, "{flags:?}: {err}");
        assert!(err.starts_with("poolkit: "), "{flags:?}: {err}");
        assert!(err.contains(expected), "{flags:?}: {err}");
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec!["text.npy", "truncated.npy", "x.npy"],
            "{flags:?}"
        );
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    // A grid big enough that its rendering overflows any pipe buffer.
    let side = 160;
    let values: Vec<f32> = (0..side * side).map(|v| (v % 97) as f32).collect();
    let grid = dir.path().join("big.npy");
    write_npy(&grid, &[side, side], &values);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("poolkit"))
        .arg("compare")
        .arg(&grid)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, then hang up, as `poolkit compare big.npy | head -1` does.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    let n = stdout.read(&mut first).unwrap();
    assert!(n > 0);
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "");
}
