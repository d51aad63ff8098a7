//! A tensor whose element type is known only at run time (read from a `.npy` header or an
//! image), and the bridge from it to the library's generic, statically typed calls.

use anyhow::{bail, Result};
use poolkit::{bf16, f16, Tensor};

/// An owned, contiguous, row-major tensor of one of the dtypes the command line reads.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyTensor {
    F32(Tensor<f32>),
    F64(Tensor<f64>),
    F16(Tensor<f16>),
    BF16(Tensor<bf16>),
    U8(Tensor<u8>),
    I8(Tensor<i8>),
    U16(Tensor<u16>),
    I64(Tensor<i64>),
}

/// An element type the command line can hold in an [`AnyTensor`].
pub trait Scalar: Copy + Send + Sync + 'static {
    /// numpy's name for the type, as used in messages.
    const NAME: &'static str;
    fn wrap(tensor: Tensor<Self>) -> AnyTensor;
    fn unwrap(any: &AnyTensor) -> Option<&Tensor<Self>>;
    /// Exact conversion from `f64`, or `None` when the value is not representable.
    fn from_f64_exact(value: f64) -> Option<Self>;
}

macro_rules! scalar {
    ($t:ty, $variant:ident, $name:expr, $from:expr) => {
        impl Scalar for $t {
            const NAME: &'static str = $name;
            fn wrap(tensor: Tensor<Self>) -> AnyTensor {
                AnyTensor::$variant(tensor)
            }
            fn unwrap(any: &AnyTensor) -> Option<&Tensor<Self>> {
                match any {
                    AnyTensor::$variant(t) => Some(t),
                    _ => None,
                }
            }
            fn from_f64_exact(value: f64) -> Option<Self> {
                let converted: $t = ($from)(value);
                let back: f64 = converted.into();
                (back == value).then_some(converted)
            }
        }
    };
}

scalar!(f32, F32, "float32", |v: f64| v as f32);
scalar!(f64, F64, "float64", |v: f64| v);
scalar!(f16, F16, "float16", f16::from_f64);
scalar!(bf16, BF16, "bfloat16", bf16::from_f64);
scalar!(u8, U8, "uint8", |v: f64| v as u8);
scalar!(i8, I8, "int8", |v: f64| v as i8);
scalar!(u16, U16, "uint16", |v: f64| v as u16);

impl Scalar for i64 {
    const NAME: &'static str = "int64";
    fn wrap(tensor: Tensor<Self>) -> AnyTensor {
        AnyTensor::I64(tensor)
    }
    fn unwrap(any: &AnyTensor) -> Option<&Tensor<Self>> {
        match any {
            AnyTensor::I64(t) => Some(t),
            _ => None,
        }
    }
    fn from_f64_exact(value: f64) -> Option<Self> {
        let converted = value as i64;
        (converted as f64 == value && value.abs() < 9.0e15).then_some(converted)
    }
}

/// Runs `$body` with `$t` bound to the typed tensor, for every type the library pools;
/// an int64 tensor (indices, RoIs) is refused with a message naming `$what`.
#[macro_export]
#[doc(hidden)]
macro_rules! with_pooled_type {
    ($any:expr, $what:expr, |$t:ident| $body:expr) => {
        match $any {
            $crate::any_tensor::AnyTensor::F32($t) => $body,
            $crate::any_tensor::AnyTensor::F64($t) => $body,
            $crate::any_tensor::AnyTensor::F16($t) => $body,
            $crate::any_tensor::AnyTensor::BF16($t) => $body,
            $crate::any_tensor::AnyTensor::U8($t) => $body,
            $crate::any_tensor::AnyTensor::I8($t) => $body,
            $crate::any_tensor::AnyTensor::U16($t) => $body,
            $crate::any_tensor::AnyTensor::I64(_) => Err(anyhow::anyhow!(
                "{} holds int64: pooling takes float32, float64, float16, bfloat16, uint8, int8 or uint16 \
                 (int64 is for indices and RoIs)",
                $what
            )),
        }
    };
}
pub use crate::with_pooled_type;

impl AnyTensor {
    /// The shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            AnyTensor::F32(t) => t.shape(),
            AnyTensor::F64(t) => t.shape(),
            AnyTensor::F16(t) => t.shape(),
            AnyTensor::BF16(t) => t.shape(),
            AnyTensor::U8(t) => t.shape(),
            AnyTensor::I8(t) => t.shape(),
            AnyTensor::U16(t) => t.shape(),
            AnyTensor::I64(t) => t.shape(),
        }
    }

    /// numpy's name for the element type.
    pub fn dtype_name(&self) -> &'static str {
        match self {
            AnyTensor::F32(_) => f32::NAME,
            AnyTensor::F64(_) => f64::NAME,
            AnyTensor::F16(_) => f16::NAME,
            AnyTensor::BF16(_) => bf16::NAME,
            AnyTensor::U8(_) => u8::NAME,
            AnyTensor::I8(_) => i8::NAME,
            AnyTensor::U16(_) => u16::NAME,
            AnyTensor::I64(_) => i64::NAME,
        }
    }

    /// Every element as `f64` (exact for every dtype but int64 beyond 2^53).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        match self {
            AnyTensor::F32(t) => t.data().iter().map(|&v| v.into()).collect(),
            AnyTensor::F64(t) => t.data().to_vec(),
            AnyTensor::F16(t) => t.data().iter().map(|v| v.to_f64()).collect(),
            AnyTensor::BF16(t) => t.data().iter().map(|v| v.to_f64()).collect(),
            AnyTensor::U8(t) => t.data().iter().map(|&v| v.into()).collect(),
            AnyTensor::I8(t) => t.data().iter().map(|&v| v.into()).collect(),
            AnyTensor::U16(t) => t.data().iter().map(|&v| v.into()).collect(),
            AnyTensor::I64(t) => t.data().iter().map(|&v| v as f64).collect(),
        }
    }

    /// The same values in type `T`, refusing any value `T` cannot hold exactly.
    pub fn convert_exact<T: Scalar>(&self, what: &str) -> Result<Tensor<T>> {
        if let Some(same) = T::unwrap(self) {
            return Ok(same.clone());
        }
        let values = self.to_f64_vec();
        let mut out = Vec::with_capacity(values.len());
        for (i, &v) in values.iter().enumerate() {
            match T::from_f64_exact(v) {
                Some(x) => out.push(x),
                None => bail!(
                    "{what} element {i} = {v} is not exactly representable as {}: give it in the \
                     input's dtype",
                    T::NAME
                ),
            }
        }
        Ok(Tensor::from_vec(out, self.shape())?)
    }

    /// The tensor as `T`, which must be its own element type.
    pub fn expect_type<T: Scalar>(&self, what: &str, wanted_because: &str) -> Result<&Tensor<T>> {
        match T::unwrap(self) {
            Some(t) => Ok(t),
            None => bail!(
                "{what} holds {} but {wanted_because} is {}: they must have the same dtype",
                self.dtype_name(),
                T::NAME
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_conversion_refuses_lossy_values() {
        let rois = AnyTensor::F64(Tensor::from_vec(vec![0.0, 1.5], &[2]).unwrap());
        assert!(rois.convert_exact::<u8>("rois").is_err());
        let whole = AnyTensor::I64(Tensor::from_vec(vec![0, 3], &[2]).unwrap());
        assert_eq!(whole.convert_exact::<u8>("rois").unwrap().data(), &[0, 3]);
        let big = AnyTensor::I64(Tensor::from_vec(vec![300], &[1]).unwrap());
        assert!(big.convert_exact::<u8>("rois").is_err());
    }
}
