//! The element types poolkit pools, and the exact arithmetic rules each one follows.
//!
//! Every value of every supported type is exactly representable as `f64`, so the
//! reference implementation compares and accumulates in `f64`: max pooling is exact for
//! every type, sums are exact for integers, and float averages are rounded once, at the end.
//!
//! Integer averages round the exact rational mean half to even (`2.5 → 2`, `3.5 → 4`,
//! `-2.5 → -2`). Lp pooling of integers is refused: its result is rarely an integer and
//! no rounding rule would make it useful.

use half::{bf16, f16};
use std::fmt::Debug;

/// Runs `$body` with the type `$t` standing for the Rust element type of the [`DType`]
/// `$dtype`: the one place a runtime element type becomes a static one.
///
/// ```
/// use poolkit::{with_dtype, DType, Element};
/// let size = with_dtype!(DType::BF16, |T| std::mem::size_of::<T>());
/// assert_eq!(size, 2);
/// assert_eq!(with_dtype!(DType::U8, |T| T::DTYPE), DType::U8);
/// ```
#[macro_export]
macro_rules! with_dtype {
    ($dtype:expr, |$t:ident| $body:expr) => {
        match $dtype {
            $crate::DType::F32 => {
                type $t = f32;
                $body
            }
            $crate::DType::F64 => {
                type $t = f64;
                $body
            }
            $crate::DType::F16 => {
                type $t = $crate::f16;
                $body
            }
            $crate::DType::BF16 => {
                type $t = $crate::bf16;
                $body
            }
            $crate::DType::U8 => {
                type $t = u8;
                $body
            }
            $crate::DType::I8 => {
                type $t = i8;
                $body
            }
            $crate::DType::U16 => {
                type $t = u16;
                $body
            }
        }
    };
}

/// The runtime name of an element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    F32,
    F64,
    F16,
    BF16,
    U8,
    I8,
    U16,
}

impl DType {
    /// Size of one element in bytes.
    pub fn size_bytes(self) -> usize {
        match self {
            DType::F64 => 8,
            DType::F32 => 4,
            DType::F16 | DType::BF16 | DType::U16 => 2,
            DType::U8 | DType::I8 => 1,
        }
    }

    /// True for the floating-point types.
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64 | DType::F16 | DType::BF16)
    }

    /// The lower-case name used in messages and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::F16 => "f16",
            DType::BF16 => "bf16",
            DType::U8 => "u8",
            DType::I8 => "i8",
            DType::U16 => "u16",
        }
    }

    /// Every element type, in declaration order.
    pub const ALL: [DType; 7] = [
        DType::F32,
        DType::F64,
        DType::F16,
        DType::BF16,
        DType::U8,
        DType::I8,
        DType::U16,
    ];

    /// numpy's name: `"float32"`, `"float64"`, `"float16"`, `"bfloat16"`, `"uint8"`,
    /// `"int8"`, `"uint16"`.
    pub fn numpy_name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::U8 => "uint8",
            DType::I8 => "int8",
            DType::U16 => "uint16",
        }
    }

    /// The type numpy calls `name`.
    pub fn from_numpy_name(name: &str) -> Option<DType> {
        DType::ALL.into_iter().find(|d| d.numpy_name() == name)
    }

    /// The type named `name`, by its short name (`"f32"`) or numpy's (`"float32"`).
    pub fn from_name(name: &str) -> Option<DType> {
        DType::ALL
            .into_iter()
            .find(|d| d.name() == name || d.numpy_name() == name)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A type poolkit can pool. Sealed: the set is fixed by the library.
pub trait Element: Copy + PartialOrd + Debug + Send + Sync + 'static + sealed::Sealed {
    /// The runtime name of this type.
    const DTYPE: DType;
    /// The additive identity.
    const ZERO: Self;
    /// The value max pooling starts from: `-inf` for floats, the minimum for integers.
    const LOWEST: Self;
    /// Exact widening to `f64`.
    fn to_f64(self) -> f64;
    /// Conversion from `f64`: round to nearest even for floats, saturating round half to
    /// even for integers.
    fn from_f64(value: f64) -> Self;
    /// True only for a floating-point NaN.
    fn is_nan(self) -> bool;
    /// `sum / divisor` rounded once into this type (half to even for integers).
    fn from_mean(sum: f64, divisor: f64) -> Self;
}

macro_rules! float_element {
    ($t:ty, $dtype:ident, $zero:expr, $lowest:expr, $to:expr, $from:expr) => {
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$dtype;
            const ZERO: Self = $zero;
            const LOWEST: Self = $lowest;
            #[inline]
            fn to_f64(self) -> f64 {
                ($to)(self)
            }
            #[inline]
            fn from_f64(value: f64) -> Self {
                ($from)(value)
            }
            #[inline]
            fn is_nan(self) -> bool {
                self.to_f64().is_nan()
            }
            #[inline]
            fn from_mean(sum: f64, divisor: f64) -> Self {
                Self::from_f64(sum / divisor)
            }
        }
    };
}

float_element!(
    f32,
    F32,
    0.0,
    f32::NEG_INFINITY,
    |v: f32| v as f64,
    |v: f64| v as f32
);
float_element!(f64, F64, 0.0, f64::NEG_INFINITY, |v: f64| v, |v: f64| v);
float_element!(
    f16,
    F16,
    f16::ZERO,
    f16::NEG_INFINITY,
    f16::to_f64,
    f16::from_f64
);
float_element!(
    bf16,
    BF16,
    bf16::ZERO,
    bf16::NEG_INFINITY,
    bf16::to_f64,
    bf16::from_f64
);

/// Rounds `sum / divisor` half to even, exactly, for integer sums held in `f64`.
pub(crate) fn round_half_even_quotient(sum: f64, divisor: f64) -> f64 {
    // Integer element sums are exact in f64 (below 2^53), and so is the divisor. i64
    // division holds them (a 128-bit one costs several times more); i128 is kept for
    // anything larger.
    const I64_SAFE: f64 = (1u64 << 62) as f64;
    if sum.abs() < I64_SAFE && divisor.abs() < I64_SAFE {
        let (s, d) = (sum as i64, divisor as i64);
        let (q, r) = (s.div_euclid(d), s.rem_euclid(d));
        let up = r > d - r || (r == d - r && q.rem_euclid(2) != 0);
        return (q + i64::from(up)) as f64;
    }
    let (s, d) = (sum as i128, divisor as i128);
    let q = s.div_euclid(d);
    let r = s.rem_euclid(d);
    // Compare r with d - r rather than 2r with d: no overflow for any divisor.
    let up = r > d - r || (r == d - r && q.rem_euclid(2) != 0);
    (q + i128::from(up)) as f64
}

macro_rules! int_element {
    ($t:ty, $dtype:ident) => {
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$dtype;
            const ZERO: Self = 0;
            const LOWEST: Self = <$t>::MIN;
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_f64(value: f64) -> Self {
                // `as` saturates; round half to even first.
                value.round_ties_even() as $t
            }
            #[inline]
            fn is_nan(self) -> bool {
                false
            }
            #[inline]
            fn from_mean(sum: f64, divisor: f64) -> Self {
                round_half_even_quotient(sum, divisor) as $t
            }
        }
    };
}

int_element!(u8, U8);
int_element!(i8, I8);
int_element!(u16, U16);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dtype_names_its_own_type() {
        for dtype in DType::ALL {
            crate::with_dtype!(dtype, |T| {
                assert_eq!(T::DTYPE, dtype);
                assert_eq!(std::mem::size_of::<T>(), dtype.size_bytes());
            });
            assert_eq!(DType::from_name(dtype.name()), Some(dtype));
            assert_eq!(DType::from_name(dtype.numpy_name()), Some(dtype));
        }
        assert_eq!(DType::from_name("int64"), None);
    }

    #[test]
    fn integer_mean_rounds_half_to_even() {
        assert_eq!(u8::from_mean(5.0, 2.0), 2);
        assert_eq!(u8::from_mean(7.0, 2.0), 4);
        assert_eq!(u8::from_mean(10.0, 4.0), 2);
        assert_eq!(u8::from_mean(11.0, 4.0), 3);
        assert_eq!(i8::from_mean(-5.0, 2.0), -2);
        assert_eq!(i8::from_mean(-7.0, 2.0), -4);
        assert_eq!(i8::from_mean(-11.0, 4.0), -3);
        assert_eq!(u16::from_mean(65535.0 * 4.0, 4.0), 65535);
    }

    #[test]
    fn quotients_past_i64_take_the_wide_path() {
        let big = 2f64.powi(63);
        assert_eq!(round_half_even_quotient(big, 2.0), 2f64.powi(62));
        assert_eq!(round_half_even_quotient(-big, 4.0), -(2f64.powi(61)));
        // Just below the i64 path's limit, halves still round to even.
        let edge = 2f64.powi(62) - 2.0;
        assert_eq!(round_half_even_quotient(edge + 1.0, 2.0), edge / 2.0);
        assert_eq!(round_half_even_quotient(-5.0, 2.0), -2.0);
        assert_eq!(round_half_even_quotient(-7.0, 2.0), -4.0);
    }

    #[test]
    fn half_types_round_once() {
        assert_eq!(f16::from_mean(1.0, 3.0), f16::from_f64(1.0 / 3.0));
        assert_eq!(bf16::from_mean(2.0, 3.0), bf16::from_f64(2.0 / 3.0));
    }
}
