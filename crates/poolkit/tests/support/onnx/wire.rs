//! The protobuf wire format, just enough of it to read ONNX models and tensors without a
//! protobuf dependency: varints, fixed 32/64-bit words and length-delimited fields.

use std::fmt;

/// Why bytes could not be read as protobuf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

pub type DecodeResult<T> = Result<T, DecodeError>;

pub(crate) fn decode_error<T>(message: impl Into<String>) -> DecodeResult<T> {
    Err(DecodeError(message.into()))
}

/// The payload of one field, by wire type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValue<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1, little-endian.
    Fixed64(u64),
    /// Wire type 2: a string, bytes, an embedded message or a packed repeated field.
    Bytes(&'a [u8]),
    /// Wire type 5, little-endian.
    Fixed32(u32),
}

/// One decoded field: its number and its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    pub number: u32,
    pub value: FieldValue<'a>,
}

impl<'a> Field<'a> {
    /// The payload as a varint, or an error naming the field.
    pub fn varint(&self) -> DecodeResult<u64> {
        match self.value {
            FieldValue::Varint(v) => Ok(v),
            other => decode_error(format!(
                "field {} is {other:?}, expected a varint",
                self.number
            )),
        }
    }

    /// The payload as length-delimited bytes, or an error naming the field.
    pub fn bytes(&self) -> DecodeResult<&'a [u8]> {
        match self.value {
            FieldValue::Bytes(b) => Ok(b),
            other => decode_error(format!(
                "field {} is {other:?}, expected length-delimited bytes",
                self.number
            )),
        }
    }

    /// The payload as UTF-8 text.
    pub fn string(&self) -> DecodeResult<String> {
        String::from_utf8(self.bytes()?.to_vec())
            .or_else(|_| decode_error(format!("field {} is not valid UTF-8", self.number)))
    }

    /// A varint field read as a two's-complement `int64` (protobuf `int64`/`int32`, not `sint`).
    pub fn int64(&self) -> DecodeResult<i64> {
        Ok(self.varint()? as i64)
    }

    /// A protobuf `float`: fixed32 bits.
    pub fn float(&self) -> DecodeResult<f32> {
        match self.value {
            FieldValue::Fixed32(bits) => Ok(f32::from_bits(bits)),
            other => decode_error(format!(
                "field {} is {other:?}, expected a 32-bit float",
                self.number
            )),
        }
    }

    /// A protobuf `double`: fixed64 bits.
    pub fn double(&self) -> DecodeResult<f64> {
        match self.value {
            FieldValue::Fixed64(bits) => Ok(f64::from_bits(bits)),
            other => decode_error(format!(
                "field {} is {other:?}, expected a 64-bit double",
                self.number
            )),
        }
    }

    /// Appends a repeated varint field, packed (one length-delimited run) or not.
    pub fn push_varints(&self, out: &mut Vec<u64>) -> DecodeResult<()> {
        match self.value {
            FieldValue::Varint(v) => out.push(v),
            FieldValue::Bytes(run) => {
                let mut cursor = Cursor::new(run);
                while !cursor.at_end() {
                    out.push(cursor.varint()?);
                }
            }
            other => {
                return decode_error(format!(
                    "field {} is {other:?}, expected varints (packed or not)",
                    self.number
                ))
            }
        }
        Ok(())
    }

    /// Appends a repeated `float` field, packed or not.
    pub fn push_floats(&self, out: &mut Vec<f32>) -> DecodeResult<()> {
        match self.value {
            FieldValue::Fixed32(bits) => out.push(f32::from_bits(bits)),
            FieldValue::Bytes(run) => {
                for word in fixed_words::<4>(run, self.number)? {
                    out.push(f32::from_le_bytes(word));
                }
            }
            other => {
                return decode_error(format!(
                    "field {} is {other:?}, expected floats (packed or not)",
                    self.number
                ))
            }
        }
        Ok(())
    }

    /// Appends a repeated `double` field, packed or not.
    pub fn push_doubles(&self, out: &mut Vec<f64>) -> DecodeResult<()> {
        match self.value {
            FieldValue::Fixed64(bits) => out.push(f64::from_bits(bits)),
            FieldValue::Bytes(run) => {
                for word in fixed_words::<8>(run, self.number)? {
                    out.push(f64::from_le_bytes(word));
                }
            }
            other => {
                return decode_error(format!(
                    "field {} is {other:?}, expected doubles (packed or not)",
                    self.number
                ))
            }
        }
        Ok(())
    }
}

/// Splits a packed run of fixed-width words, refusing a ragged tail.
pub(crate) fn fixed_words<const W: usize>(
    run: &[u8],
    number: u32,
) -> DecodeResult<impl Iterator<Item = [u8; W]> + '_> {
    if !run.len().is_multiple_of(W) {
        return decode_error(format!(
            "field {number}: packed run of {} bytes is not a multiple of {W}",
            run.len()
        ));
    }
    Ok(run
        .chunks_exact(W)
        .map(|c| c.try_into().expect("chunks_exact gives W bytes")))
}

/// A position in a protobuf message's bytes.
pub struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, pos: 0 }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn take(&mut self, n: usize) -> DecodeResult<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let out = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(out)
            }
            None => decode_error(format!(
                "truncated message: {n} bytes wanted at offset {} of {}",
                self.pos,
                self.bytes.len()
            )),
        }
    }

    /// A base-128 varint of at most 10 bytes.
    pub fn varint(&mut self) -> DecodeResult<u64> {
        let mut value = 0u64;
        for i in 0..10 {
            let byte = self.take(1)?[0];
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        decode_error(format!(
            "varint ending before offset {} is longer than 10 bytes",
            self.pos
        ))
    }

    /// The next field, or `None` at the end of the message.
    pub fn next_field(&mut self) -> DecodeResult<Option<Field<'a>>> {
        if self.at_end() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = u32::try_from(key >> 3)
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| DecodeError(format!("field number {} is not valid", key >> 3)))?;
        let value = match key & 7 {
            0 => FieldValue::Varint(self.varint()?),
            1 => FieldValue::Fixed64(u64::from_le_bytes(
                self.take(8)?.try_into().expect("8 bytes"),
            )),
            2 => {
                let len = usize::try_from(self.varint()?)
                    .or_else(|_| decode_error("length does not fit usize"))?;
                FieldValue::Bytes(self.take(len)?)
            }
            5 => FieldValue::Fixed32(u32::from_le_bytes(
                self.take(4)?.try_into().expect("4 bytes"),
            )),
            other => {
                return decode_error(format!(
                    "field {number} has wire type {other}: only 0, 1, 2 and 5 are read \
                     (groups are obsolete)"
                ))
            }
        };
        Ok(Some(Field { number, value }))
    }
}

/// Every field of `message`, in order.
pub fn fields(message: &[u8]) -> DecodeResult<Vec<Field<'_>>> {
    let mut cursor = Cursor::new(message);
    let mut out = Vec::new();
    while let Some(field) = cursor.next_field()? {
        out.push(field);
    }
    Ok(out)
}

/// Builds protobuf bytes by hand, for the unit tests of this reader.
#[cfg(test)]
pub mod encode {
    pub fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    pub fn varint_field(number: u32, v: u64, out: &mut Vec<u8>) {
        varint(u64::from(number) << 3, out);
        varint(v, out);
    }

    pub fn bytes_field(number: u32, payload: &[u8], out: &mut Vec<u8>) {
        varint((u64::from(number) << 3) | 2, out);
        varint(payload.len() as u64, out);
        out.extend_from_slice(payload);
    }

    pub fn fixed32_field(number: u32, bits: u32, out: &mut Vec<u8>) {
        varint((u64::from(number) << 3) | 5, out);
        out.extend_from_slice(&bits.to_le_bytes());
    }

    pub fn fixed64_field(number: u32, bits: u64, out: &mut Vec<u8>) {
        varint((u64::from(number) << 3) | 1, out);
        out.extend_from_slice(&bits.to_le_bytes());
    }

    pub fn packed_varints(number: u32, values: &[i64], out: &mut Vec<u8>) {
        let mut run = Vec::new();
        for &v in values {
            varint(v as u64, &mut run);
        }
        bytes_field(number, &run, out);
    }
}

#[cfg(test)]
mod tests {
    use super::encode::*;
    use super::*;

    #[test]
    fn varints_of_every_length_round_trip() {
        for v in [0u64, 1, 127, 128, 300, 1 << 35, u64::MAX] {
            let mut bytes = Vec::new();
            varint(v, &mut bytes);
            assert_eq!(Cursor::new(&bytes).varint().unwrap(), v, "{v}");
        }
        // The protobuf documentation's example: 300 is ac 02.
        assert_eq!(Cursor::new(&[0xac, 0x02]).varint().unwrap(), 300);
    }

    #[test]
    fn negative_int64_is_ten_byte_twos_complement() {
        let mut bytes = Vec::new();
        varint_field(3, -2i64 as u64, &mut bytes);
        assert_eq!(bytes.len(), 11);
        let f = fields(&bytes).unwrap();
        assert_eq!((f[0].number, f[0].int64().unwrap()), (3, -2));
    }

    #[test]
    fn reads_every_wire_type_in_order() {
        let mut bytes = Vec::new();
        varint_field(1, 7, &mut bytes);
        fixed64_field(2, 2.5f64.to_bits(), &mut bytes);
        bytes_field(3, b"pool", &mut bytes);
        fixed32_field(4, 0.5f32.to_bits(), &mut bytes);
        let f = fields(&bytes).unwrap();
        assert_eq!(f.len(), 4);
        assert_eq!(f[0].varint().unwrap(), 7);
        assert_eq!(f[1].double().unwrap(), 2.5);
        assert_eq!(f[2].string().unwrap(), "pool");
        assert_eq!(f[3].float().unwrap(), 0.5);
        assert!(f[2].varint().is_err());
    }

    #[test]
    fn packed_and_unpacked_repeats_read_alike() {
        let mut packed = Vec::new();
        packed_varints(8, &[3, -1, 300], &mut packed);
        let mut loose = Vec::new();
        for v in [3i64, -1, 300] {
            varint_field(8, v as u64, &mut loose);
        }
        for bytes in [packed, loose] {
            let mut out = Vec::new();
            for f in fields(&bytes).unwrap() {
                f.push_varints(&mut out).unwrap();
            }
            let out: Vec<i64> = out.into_iter().map(|v| v as i64).collect();
            assert_eq!(out, vec![3, -1, 300]);
        }
    }

    #[test]
    fn packed_floats_refuse_a_ragged_run() {
        let mut bytes = Vec::new();
        bytes_field(7, &[0, 0, 128, 63, 1], &mut bytes);
        let f = fields(&bytes).unwrap();
        let err = f[0].push_floats(&mut Vec::new()).unwrap_err();
        assert!(err.0.contains("not a multiple of 4"), "{err}");
    }

    #[test]
    fn truncation_and_groups_are_errors() {
        let mut bytes = Vec::new();
        bytes_field(1, b"abcdef", &mut bytes);
        bytes.truncate(5);
        assert!(fields(&bytes).unwrap_err().0.contains("truncated"));
        // Field 1, wire type 3 (start group).
        assert!(fields(&[0x0b]).unwrap_err().0.contains("wire type 3"));
        // An unterminated varint.
        assert!(fields(&[0x08, 0xff]).is_err());
        assert!(Cursor::new(&[0xff; 11]).varint().is_err());
    }
}
