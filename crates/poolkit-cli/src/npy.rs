//! numpy's `.npy` format, read strictly and written plainly, without a heavy dependency.
//!
//! Read: versions 1.0, 2.0 and 3.0; dtypes `f4 f8 f2 u1 i1 u2 i8` in either byte order,
//! and bfloat16: the `bfloat16` descr of ml_dtypes' registered dtype, or the 2-byte void
//! `V2` that numpy writes for an ml_dtypes bfloat16 array; C or Fortran order (Fortran data is reordered to row-major on load). Every size is
//! checked against the file before anything is allocated, so a truncated or lying file is
//! an error that names what is missing, never a crash or a huge allocation.
//! Write: version 1.0 (2.0 when the header needs it), little-endian, C order; bfloat16 with
//! the descr `bfloat16`, which numpy loads as bfloat16 wherever ml_dtypes is imported.

use crate::any_tensor::{AnyTensor, Scalar};
use anyhow::{bail, Context, Result};
use poolkit::{bf16, f16, Tensor};
use std::io::Write;

const MAGIC: &[u8] = b"\x93NUMPY";

/// The element types this module reads and writes, with their byte encodings.
pub trait NpyScalar: Scalar {
    /// The little-endian `descr` written to headers.
    const DESCR: &'static str;
    const SIZE: usize;
    fn read_le(bytes: &[u8]) -> Self;
    fn write_le(self, out: &mut Vec<u8>);
}

macro_rules! npy_scalar {
    ($t:ty, $descr:expr, $from_bits:expr, $to_bits:expr) => {
        impl NpyScalar for $t {
            const DESCR: &'static str = $descr;
            const SIZE: usize = std::mem::size_of::<$t>();
            fn read_le(bytes: &[u8]) -> Self {
                ($from_bits)(bytes.try_into().expect("caller passes SIZE bytes"))
            }
            fn write_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&($to_bits)(self));
            }
        }
    };
}

npy_scalar!(f32, "<f4", f32::from_le_bytes, f32::to_le_bytes);
npy_scalar!(f64, "<f8", f64::from_le_bytes, f64::to_le_bytes);
npy_scalar!(f16, "<f2", f16::from_le_bytes, f16::to_le_bytes);
npy_scalar!(bf16, "bfloat16", bf16::from_le_bytes, bf16::to_le_bytes);
npy_scalar!(u8, "|u1", u8::from_le_bytes, u8::to_le_bytes);
npy_scalar!(i8, "|i1", i8::from_le_bytes, i8::to_le_bytes);
npy_scalar!(u16, "<u2", u16::from_le_bytes, u16::to_le_bytes);
npy_scalar!(i64, "<i8", i64::from_le_bytes, i64::to_le_bytes);

/// What a header says.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Header {
    kind: char,
    size: usize,
    big_endian: bool,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Reads a whole `.npy` file.
pub fn read_file(path: &std::path::Path) -> Result<AnyTensor> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    decode(&bytes).with_context(|| format!("reading {}", path.display()))
}

/// Decodes the bytes of a `.npy` file.
pub fn decode(bytes: &[u8]) -> Result<AnyTensor> {
    if bytes.len() < MAGIC.len() + 2 || &bytes[..MAGIC.len()] != MAGIC {
        bail!("not a .npy file: it must start with the bytes \\x93NUMPY");
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (len_bytes, utf8) = match (major, minor) {
        (1, 0) => (2, false),
        (2, 0) => (4, false),
        (3, 0) => (4, true),
        _ => bail!("npy format version {major}.{minor}: only versions 1.0, 2.0 and 3.0 exist"),
    };
    let start = 8 + len_bytes;
    if bytes.len() < start {
        bail!("truncated: the file ends inside its preamble");
    }
    let header_len = if len_bytes == 2 {
        u16::from_le_bytes([bytes[8], bytes[9]]) as usize
    } else {
        u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize
    };
    let data_start = start
        .checked_add(header_len)
        .filter(|&end| end <= bytes.len())
        .with_context(|| {
            format!(
                "truncated: the header claims {header_len} bytes but the file has {}",
                bytes.len().saturating_sub(start)
            )
        })?;
    let text = &bytes[start..data_start];
    let text = if utf8 {
        std::str::from_utf8(text).context("header is not valid UTF-8")?
    } else {
        if !text.is_ascii() {
            bail!("header of a version {major}.0 file must be ASCII");
        }
        std::str::from_utf8(text).expect("ASCII is UTF-8")
    };
    let header = parse_header(text)?;
    let data = &bytes[data_start..];
    let count = header
        .shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .context("shape has more elements than fit in memory")?;
    let want = count
        .checked_mul(header.size)
        .context("data size overflows")?;
    if data.len() != want {
        bail!(
            "shape {:?} of {}-byte elements needs {want} data bytes but the file holds {}{}",
            header.shape,
            header.size,
            data.len(),
            if data.len() < want {
                " (truncated)"
            } else {
                ""
            }
        );
    }
    Ok(match (header.kind, header.size) {
        ('f', 4) => AnyTensor::F32(elements::<f32>(&header, data)?),
        ('f', 8) => AnyTensor::F64(elements::<f64>(&header, data)?),
        ('f', 2) => AnyTensor::F16(elements::<f16>(&header, data)?),
        ('b', 2) => AnyTensor::BF16(elements::<bf16>(&header, data)?),
        ('u', 1) => AnyTensor::U8(elements::<u8>(&header, data)?),
        ('i', 1) => AnyTensor::I8(elements::<i8>(&header, data)?),
        ('u', 2) => AnyTensor::U16(elements::<u16>(&header, data)?),
        ('i', 8) => AnyTensor::I64(elements::<i64>(&header, data)?),
        _ => unreachable!("parse_header admits only the types above"),
    })
}

fn elements<T: NpyScalar>(header: &Header, data: &[u8]) -> Result<Tensor<T>> {
    let mut word = [0u8; 8];
    let values: Vec<T> = data
        .chunks_exact(T::SIZE)
        .map(|chunk| {
            let word = &mut word[..T::SIZE];
            word.copy_from_slice(chunk);
            if header.big_endian {
                word.reverse();
            }
            T::read_le(word)
        })
        .collect();
    let values = if header.fortran_order {
        fortran_to_c(&values, &header.shape)
    } else {
        values
    };
    Ok(Tensor::from_vec(values, &header.shape)?)
}

/// Reorders column-major `values` of `shape` into row-major order.
fn fortran_to_c<T: Copy>(values: &[T], shape: &[usize]) -> Vec<T> {
    let mut out = Vec::with_capacity(values.len());
    if values.is_empty() {
        return out;
    }
    let mut index = vec![0usize; shape.len()];
    for _ in 0..values.len() {
        let src = index
            .iter()
            .zip(shape)
            .rev()
            .fold(0, |acc, (&i, &d)| acc * d + i);
        out.push(values[src]);
        for axis in (0..shape.len()).rev() {
            index[axis] += 1;
            if index[axis] < shape[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
    out
}

/// Parses the header's Python dict literal: exactly `descr`, `fortran_order` and `shape`.
fn parse_header(text: &str) -> Result<Header> {
    if !text.ends_with('\n') {
        bail!("header must end with a newline");
    }
    let mut p = Cursor {
        rest: text.trim_end(),
    };
    p.expect('{')?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    loop {
        p.skip_space();
        if p.eat('}') {
            break;
        }
        let key = p.string()?;
        p.expect(':')?;
        match key.as_str() {
            "descr" if descr.is_none() => descr = Some(p.string()?),
            "fortran_order" if fortran.is_none() => fortran = Some(p.boolean()?),
            "shape" if shape.is_none() => shape = Some(p.tuple()?),
            "descr" | "fortran_order" | "shape" => bail!("header names {key:?} twice"),
            other => {
                bail!("header key {other:?}: a .npy header has only descr, fortran_order and shape")
            }
        }
        p.skip_space();
        if !p.eat(',') {
            p.expect('}')?;
            break;
        }
    }
    p.skip_space();
    if !p.rest.is_empty() {
        bail!("header has {:?} after its closing brace", p.rest);
    }
    let descr = descr.context("header lacks 'descr'")?;
    let (kind, size, big_endian) = parse_descr(&descr)?;
    Ok(Header {
        kind,
        size,
        big_endian,
        fortran_order: fortran.context("header lacks 'fortran_order'")?,
        shape: shape.context("header lacks 'shape'")?,
    })
}

fn parse_descr(descr: &str) -> Result<(char, usize, bool)> {
    let unsupported = || {
        anyhow::anyhow!(
            "dtype {descr:?}: poolkit reads float32 (<f4), float64 (<f8), float16 (<f2), \
             bfloat16 (bfloat16, or <V2 as numpy saves ml_dtypes.bfloat16), uint8 (|u1), \
             int8 (|i1), uint16 (<u2) and int64 (<i8)"
        )
    };
    // bfloat16 has no numpy type code: 'b' stands for it here.
    if matches!(descr, "bfloat16" | "<V2" | "|V2") {
        return Ok(('b', 2, false));
    }
    let mut chars = descr.chars();
    let order = chars.next().ok_or_else(unsupported)?;
    let kind = chars.next().ok_or_else(unsupported)?;
    let size: usize = chars.as_str().parse().map_err(|_| unsupported())?;
    if !matches!(
        (kind, size),
        ('f', 4) | ('f', 8) | ('f', 2) | ('u', 1) | ('i', 1) | ('u', 2) | ('i', 8)
    ) {
        return Err(unsupported());
    }
    let big_endian = match order {
        '<' | '|' => false,
        '>' => true,
        '=' => cfg!(target_endian = "big"),
        _ => return Err(unsupported()),
    };
    Ok((kind, size, big_endian && size > 1))
}

/// A tiny recursive-descent reader over the header text.
struct Cursor<'a> {
    rest: &'a str,
}

impl Cursor<'_> {
    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start();
    }
    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        match self.rest.strip_prefix(c) {
            Some(r) => {
                self.rest = r;
                true
            }
            None => false,
        }
    }
    fn expect(&mut self, c: char) -> Result<()> {
        if !self.eat(c) {
            bail!("malformed header: expected {c:?} at {:?}", self.rest);
        }
        Ok(())
    }
    fn string(&mut self) -> Result<String> {
        self.skip_space();
        let quote = match self.rest.chars().next() {
            Some(q @ ('\'' | '"')) => q,
            _ => bail!(
                "malformed header: expected a quoted string at {:?}",
                self.rest
            ),
        };
        let body = &self.rest[1..];
        let end = body
            .find(quote)
            .context("malformed header: unterminated string")?;
        self.rest = &body[end + 1..];
        Ok(body[..end].to_string())
    }
    fn boolean(&mut self) -> Result<bool> {
        self.skip_space();
        for (word, value) in [("True", true), ("False", false)] {
            if let Some(r) = self.rest.strip_prefix(word) {
                self.rest = r;
                return Ok(value);
            }
        }
        bail!(
            "malformed header: fortran_order must be True or False, found {:?}",
            self.rest
        )
    }
    fn tuple(&mut self) -> Result<Vec<usize>> {
        self.expect('(')?;
        let mut dims = Vec::new();
        loop {
            if self.eat(')') {
                break;
            }
            self.skip_space();
            let digits = self
                .rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(self.rest.len());
            if digits == 0 {
                bail!(
                    "malformed header: shape entries must be whole numbers, found {:?}",
                    self.rest
                );
            }
            let value = self.rest[..digits]
                .parse()
                .context("shape entry too large")?;
            dims.push(value);
            self.rest = &self.rest[digits..];
            if !self.eat(',') {
                self.expect(')')?;
                break;
            }
        }
        Ok(dims)
    }
}

/// The bytes of a `.npy` file holding `tensor`.
pub fn encode(tensor: &AnyTensor) -> Vec<u8> {
    match tensor {
        AnyTensor::F32(t) => encode_typed(t),
        AnyTensor::F64(t) => encode_typed(t),
        AnyTensor::F16(t) => encode_typed(t),
        AnyTensor::BF16(t) => encode_typed(t),
        AnyTensor::U8(t) => encode_typed(t),
        AnyTensor::I8(t) => encode_typed(t),
        AnyTensor::U16(t) => encode_typed(t),
        AnyTensor::I64(t) => encode_typed(t),
    }
}

fn encode_typed<T: NpyScalar>(tensor: &Tensor<T>) -> Vec<u8> {
    let dims: Vec<String> = tensor.shape().iter().map(|d| d.to_string()).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}",
        T::DESCR
    );
    let version: u8 = if header.len() + 12 > u16::MAX as usize {
        2
    } else {
        1
    };
    let preamble = if version == 1 { 10 } else { 12 };
    // numpy aligns the data to 64 bytes: pad with spaces, end with a newline.
    let total = (preamble + header.len() + 1).div_ceil(64) * 64;
    header.push_str(&" ".repeat(total - preamble - header.len() - 1));
    header.push('\n');
    let mut out = Vec::with_capacity(total + tensor.data().len() * T::SIZE);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(header.as_bytes());
    for &v in tensor.data() {
        v.write_le(&mut out);
    }
    out
}

/// Writes `tensor` as `.npy` to `writer`.
pub fn write(tensor: &AnyTensor, writer: &mut impl Write) -> Result<()> {
    writer.write_all(&encode(tensor))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(header: &str, data: &[u8]) -> Vec<u8> {
        let mut h = header.to_string();
        let total = (10 + h.len() + 1).div_ceil(64) * 64;
        h.push_str(&" ".repeat(total - 10 - h.len() - 1));
        h.push('\n');
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(h.len() as u16).to_le_bytes());
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn round_trip_every_dtype() {
        let cases = vec![
            AnyTensor::F32(Tensor::from_vec(vec![1.5, -2.0], &[2]).unwrap()),
            AnyTensor::F64(Tensor::from_vec(vec![1.0; 6], &[1, 2, 3]).unwrap()),
            AnyTensor::F16(Tensor::from_vec(vec![f16::from_f32(0.5)], &[1, 1]).unwrap()),
            AnyTensor::BF16(Tensor::from_vec(vec![bf16::from_f32(-1.5e30)], &[1]).unwrap()),
            AnyTensor::U8(Tensor::from_vec(vec![0, 255], &[2, 1]).unwrap()),
            AnyTensor::I8(Tensor::from_vec(vec![-128, 127], &[2]).unwrap()),
            AnyTensor::U16(Tensor::from_vec(vec![65535], &[1]).unwrap()),
            AnyTensor::I64(Tensor::from_vec(vec![-1, 1 << 40], &[2]).unwrap()),
        ];
        for t in cases {
            let bytes = encode(&t);
            assert_eq!(bytes.iter().position(|&b| b == b'\n').unwrap() % 64, 63);
            assert_eq!(decode(&bytes).unwrap(), t);
        }
    }

    /// ml_dtypes' bfloat16 is saved by numpy as a 2-byte void; its registered dtype's name
    /// is what poolkit writes.
    #[test]
    fn bfloat16_reads_both_spellings_and_writes_its_name() {
        let want = AnyTensor::BF16(
            Tensor::from_vec(vec![bf16::from_f32(1.5), bf16::from_f32(2.0)], &[2]).unwrap(),
        );
        let data = [0xc0, 0x3f, 0x00, 0x40];
        for descr in ["<V2", "|V2", "bfloat16"] {
            let header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}");
            assert_eq!(decode(&file(&header, &data)).unwrap(), want, "{descr}");
        }
        let text = String::from_utf8_lossy(&encode(&want)[10..74]).into_owned();
        assert!(text.starts_with("{'descr': 'bfloat16',"), "{text}");
        assert!(decode(&file(
            "{'descr': '<V4', 'fortran_order': False, 'shape': (1,), }",
            &[0; 4]
        ))
        .unwrap_err()
        .to_string()
        .contains("bfloat16"));
    }

    #[test]
    fn header_text_matches_numpy() {
        let t = AnyTensor::F32(Tensor::from_vec(vec![0.0; 3], &[3]).unwrap());
        let bytes = encode(&t);
        let text = std::str::from_utf8(&bytes[10..74]).unwrap();
        assert!(text.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"));
    }

    #[test]
    fn fortran_order_is_reordered() {
        // [[1, 2, 3], [4, 5, 6]] stored column-major: 1 4 2 5 3 6.
        let data: Vec<u8> = [1u8, 4, 2, 5, 3, 6].to_vec();
        let bytes = file(
            "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }",
            &data,
        );
        let AnyTensor::U8(t) = decode(&bytes).unwrap() else {
            panic!("dtype")
        };
        assert_eq!(t.data(), &[1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn big_endian_is_swapped() {
        let bytes = file(
            "{'descr': '>u2', 'fortran_order': False, 'shape': (1,), }",
            &[1, 2],
        );
        assert_eq!(
            decode(&bytes).unwrap(),
            AnyTensor::U16(Tensor::from_vec(vec![258], &[1]).unwrap())
        );
    }

    #[test]
    fn refusals_name_the_problem() {
        let err = |b: &[u8]| format!("{:#}", decode(b).unwrap_err());
        let ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
        assert!(
            err(&file(ok, &[0; 7])).contains("needs 8 data bytes but the file holds 7 (truncated)")
        );
        assert!(err(&file(ok, &[0; 9])).contains("holds 9"));
        assert!(err(b"PK\x03\x04").contains("not a .npy file"));
        assert!(err(&file(
            "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }",
            &[0; 8]
        ))
        .contains("dtype \"<c8\""));
        assert!(err(&file("{'descr': '<f4', 'shape': (1,), }", &[0; 4]))
            .contains("lacks 'fortran_order'"));
        assert!(err(&file(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
            &[0; 4]
        ))
        .contains("key \"x\""));
        assert!(err(&file(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }",
            &[0; 4]
        ))
        .contains("whole numbers"));
        let mut short = file(ok, &[0; 8]);
        short.truncate(30);
        assert!(err(&short).contains("truncated"));
        // A tiny file that claims an enormous shape is refused before any allocation.
        assert!(err(&file(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 1024), }",
            &[]
        ))
        .contains("needs 35184372088832 data bytes"));
        assert!(err(&file(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
            &[]
        ))
        .contains("more elements than fit"));
    }
}
