//! ONNX `TensorProto`: the `input_N.pb` / `output_N.pb` files of the conformance cases and
//! graph initializers, read into typed vectors (raw little-endian bytes or the typed
//! repeated fields, whichever the writer chose).

use super::wire::{decode_error, fields, fixed_words, DecodeResult};
use poolkit::f16;

// TensorProto.DataType values (onnx.proto).
const FLOAT: i64 = 1;
const UINT8: i64 = 2;
const INT8: i64 = 3;
const INT64: i64 = 7;
const FLOAT16: i64 = 10;
const DOUBLE: i64 = 11;

/// The elements of a tensor, in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    F32(Vec<f32>),
    F64(Vec<f64>),
    F16(Vec<f16>),
    U8(Vec<u8>),
    I8(Vec<i8>),
    I64(Vec<i64>),
}

impl TensorData {
    pub fn len(&self) -> usize {
        match self {
            TensorData::F32(v) => v.len(),
            TensorData::F64(v) => v.len(),
            TensorData::F16(v) => v.len(),
            TensorData::U8(v) => v.len(),
            TensorData::I8(v) => v.len(),
            TensorData::I64(v) => v.len(),
        }
    }

    /// The ONNX name of the element type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            TensorData::F32(_) => "float32",
            TensorData::F64(_) => "float64",
            TensorData::F16(_) => "float16",
            TensorData::U8(_) => "uint8",
            TensorData::I8(_) => "int8",
            TensorData::I64(_) => "int64",
        }
    }
}

/// A decoded `TensorProto`.
#[derive(Debug, Clone, PartialEq)]
pub struct OnnxTensor {
    pub name: String,
    pub dims: Vec<usize>,
    pub data: TensorData,
}

/// The typed repeated fields, gathered before the data type says which one matters.
#[derive(Default)]
struct TypedFields {
    floats: Vec<f32>,
    int32s: Vec<u64>,
    int64s: Vec<u64>,
    doubles: Vec<f64>,
}

/// Decodes a serialized `TensorProto`.
pub fn decode_tensor(bytes: &[u8]) -> DecodeResult<OnnxTensor> {
    let mut dims = Vec::new();
    let mut data_type = None;
    let mut name = String::new();
    let mut raw: Option<&[u8]> = None;
    let mut typed = TypedFields::default();
    for field in fields(bytes)? {
        match field.number {
            1 => field.push_varints(&mut dims)?,
            2 => data_type = Some(field.int64()?),
            4 => field.push_floats(&mut typed.floats)?,
            5 => field.push_varints(&mut typed.int32s)?,
            7 => field.push_varints(&mut typed.int64s)?,
            8 => name = field.string()?,
            9 => raw = Some(field.bytes()?),
            10 => field.push_doubles(&mut typed.doubles)?,
            3 => return decode_error("tensor is segmented: segments are not supported"),
            14 if field.varint()? != 0 => {
                return decode_error(format!(
                    "tensor {name:?} keeps its data in an external file: only inline data is read"
                ))
            }
            _ => {}
        }
    }
    let dims = dims
        .into_iter()
        .map(|d| {
            usize::try_from(d as i64)
                .or_else(|_| decode_error(format!("dimension {} is negative", d as i64)))
        })
        .collect::<DecodeResult<Vec<usize>>>()?;
    let data_type =
        data_type.ok_or_else(|| super::wire::DecodeError("tensor has no data_type".into()))?;
    let data = match raw {
        Some(raw) => from_raw(data_type, raw)?,
        None => from_typed(data_type, typed)?,
    };
    let want: usize = dims.iter().product();
    if data.len() != want {
        return decode_error(format!(
            "tensor {name:?} of dims {dims:?} needs {want} elements but holds {}",
            data.len()
        ));
    }
    Ok(OnnxTensor { name, dims, data })
}

fn from_raw(data_type: i64, raw: &[u8]) -> DecodeResult<TensorData> {
    // Field 9 is raw_data; the fixed-width split is little-endian by the ONNX spec.
    Ok(match data_type {
        FLOAT => TensorData::F32(fixed_words::<4>(raw, 9)?.map(f32::from_le_bytes).collect()),
        DOUBLE => TensorData::F64(fixed_words::<8>(raw, 9)?.map(f64::from_le_bytes).collect()),
        FLOAT16 => TensorData::F16(
            fixed_words::<2>(raw, 9)?
                .map(|w| f16::from_bits(u16::from_le_bytes(w)))
                .collect(),
        ),
        UINT8 => TensorData::U8(raw.to_vec()),
        INT8 => TensorData::I8(raw.iter().map(|&b| b as i8).collect()),
        INT64 => TensorData::I64(fixed_words::<8>(raw, 9)?.map(i64::from_le_bytes).collect()),
        other => return unsupported(other),
    })
}

fn from_typed(data_type: i64, typed: TypedFields) -> DecodeResult<TensorData> {
    // int32_data carries every type narrower than 32 bits: u8, i8, and float16 as its bits.
    Ok(match data_type {
        FLOAT => TensorData::F32(typed.floats),
        DOUBLE => TensorData::F64(typed.doubles),
        FLOAT16 => TensorData::F16(
            typed
                .int32s
                .iter()
                .map(|&v| f16::from_bits(v as u16))
                .collect(),
        ),
        UINT8 => TensorData::U8(typed.int32s.iter().map(|&v| v as u8).collect()),
        INT8 => TensorData::I8(typed.int32s.iter().map(|&v| v as i64 as i8).collect()),
        INT64 => TensorData::I64(typed.int64s.iter().map(|&v| v as i64).collect()),
        other => return unsupported(other),
    })
}

fn unsupported<T>(data_type: i64) -> DecodeResult<T> {
    decode_error(format!(
        "tensor data_type {data_type}: only float32 (1), uint8 (2), int8 (3), int64 (7), \
         float16 (10) and float64 (11) are read"
    ))
}

#[cfg(test)]
mod tests {
    use super::super::wire::encode::*;
    use super::*;

    fn header(dims: &[i64], data_type: i64, out: &mut Vec<u8>) {
        packed_varints(1, dims, out);
        varint_field(2, data_type as u64, out);
        bytes_field(8, b"x", out);
    }

    #[test]
    fn raw_float32_is_little_endian() {
        let mut bytes = Vec::new();
        header(&[2, 1], FLOAT, &mut bytes);
        let raw: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        bytes_field(9, &raw, &mut bytes);
        let t = decode_tensor(&bytes).unwrap();
        assert_eq!(t.name, "x");
        assert_eq!(t.dims, vec![2, 1]);
        assert_eq!(t.data, TensorData::F32(vec![1.5, -2.0]));
    }

    #[test]
    fn typed_fields_by_data_type() {
        // float_data, packed.
        let mut bytes = Vec::new();
        header(&[2], FLOAT, &mut bytes);
        let run: Vec<u8> = [0.25f32, 4.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        bytes_field(4, &run, &mut bytes);
        assert_eq!(
            decode_tensor(&bytes).unwrap().data,
            TensorData::F32(vec![0.25, 4.0])
        );

        // int64_data, unpacked, with a negative value; dims unpacked too.
        let mut bytes = Vec::new();
        varint_field(1, 3, &mut bytes);
        varint_field(2, INT64 as u64, &mut bytes);
        for v in [-1i64, 0, 1 << 40] {
            varint_field(7, v as u64, &mut bytes);
        }
        let t = decode_tensor(&bytes).unwrap();
        assert_eq!(t.data, TensorData::I64(vec![-1, 0, 1 << 40]));

        // uint8 / int8 / float16 in int32_data.
        let mut bytes = Vec::new();
        header(&[2], UINT8, &mut bytes);
        packed_varints(5, &[0, 255], &mut bytes);
        assert_eq!(
            decode_tensor(&bytes).unwrap().data,
            TensorData::U8(vec![0, 255])
        );
        let mut bytes = Vec::new();
        header(&[2], INT8, &mut bytes);
        packed_varints(5, &[-128, 127], &mut bytes);
        assert_eq!(
            decode_tensor(&bytes).unwrap().data,
            TensorData::I8(vec![-128, 127])
        );
        let mut bytes = Vec::new();
        header(&[1], FLOAT16, &mut bytes);
        packed_varints(5, &[f16::from_f32(-0.5).to_bits() as i64], &mut bytes);
        assert_eq!(
            decode_tensor(&bytes).unwrap().data,
            TensorData::F16(vec![f16::from_f32(-0.5)])
        );

        // double_data, unpacked.
        let mut bytes = Vec::new();
        header(&[1], DOUBLE, &mut bytes);
        fixed64_field(10, 0.1f64.to_bits(), &mut bytes);
        assert_eq!(
            decode_tensor(&bytes).unwrap().data,
            TensorData::F64(vec![0.1])
        );
    }

    #[test]
    fn raw_half_int8_and_int64() {
        let mut bytes = Vec::new();
        header(&[2], FLOAT16, &mut bytes);
        let raw: Vec<u8> = [1.0f32, 65504.0]
            .iter()
            .flat_map(|&v| f16::from_f32(v).to_bits().to_le_bytes())
            .collect();
        bytes_field(9, &raw, &mut bytes);
        assert_eq!(
            decode_tensor(&bytes).unwrap().data,
            TensorData::F16(vec![f16::from_f32(1.0), f16::MAX])
        );
        let mut bytes = Vec::new();
        header(&[2], INT8, &mut bytes);
        bytes_field(9, &[0xff, 0x05], &mut bytes);
        assert_eq!(
            decode_tensor(&bytes).unwrap().data,
            TensorData::I8(vec![-1, 5])
        );
        let mut bytes = Vec::new();
        header(&[1], INT64, &mut bytes);
        bytes_field(9, &(-7i64).to_le_bytes(), &mut bytes);
        assert_eq!(
            decode_tensor(&bytes).unwrap().data,
            TensorData::I64(vec![-7])
        );
    }

    #[test]
    fn element_count_must_match_dims() {
        let mut bytes = Vec::new();
        header(&[3], FLOAT, &mut bytes);
        bytes_field(9, &1.0f32.to_le_bytes(), &mut bytes);
        let err = decode_tensor(&bytes).unwrap_err();
        assert!(err.0.contains("needs 3 elements but holds 1"), "{err}");
    }

    #[test]
    fn unknown_types_and_missing_type_are_refused() {
        let mut bytes = Vec::new();
        header(&[1], 8, &mut bytes); // STRING
        assert!(decode_tensor(&bytes).unwrap_err().0.contains("data_type 8"));
        let mut bytes = Vec::new();
        packed_varints(1, &[1], &mut bytes);
        assert!(decode_tensor(&bytes)
            .unwrap_err()
            .0
            .contains("no data_type"));
    }
}
