//! The library's one error type: every refusal names the value and the rule it broke.

use std::fmt;

/// What kind of rule a request broke. New kinds may be added, so match with a wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A spec parameter (kernel, stride, dilation, padding, p, output size, ...) is out of range.
    InvalidParameter,
    /// A tensor shape, rank or a length of a per-axis list does not fit the operation.
    ShapeMismatch,
    /// The geometry leaves no output, or a window that sees only padding.
    EmptyOutput,
    /// A size computation would overflow `usize`/`i64`, or exceeds a documented limit.
    Overflow,
    /// The element type does not support this operation (e.g. Lp pooling of integers).
    UnsupportedType,
    /// An index (argmax index, RoI batch index) points outside the tensor it addresses.
    IndexOutOfRange,
    /// A caller's buffer or strided view does not cover the memory it claims.
    InvalidBuffer,
}

/// Which geometry rule an [`ErrorKind::EmptyOutput`] refusal broke, for fronts that
/// explain it in their own words (see [`Error::geometry`]). New rules may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GeometryRule {
    /// The padded axis is shorter than the window's span: no window fits.
    NoWindowFits,
    /// The first or last window covers only padding (`before`: the begin padding).
    WindowInPadding {
        /// True when the window lies in the begin padding, false for the end padding.
        before: bool,
    },
    /// Dilation spreads a window's taps so far apart that none lands inside the input.
    NoTapInside,
}

/// An error from poolkit, with a message that names the offending value and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    geometry: Option<(usize, GeometryRule)>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            geometry: None,
        }
    }

    /// The same error, marked as breaking `rule` on spatial axis `axis`.
    pub(crate) fn on_axis(mut self, axis: usize, rule: GeometryRule) -> Self {
        self.geometry = Some((axis, rule));
        self
    }

    /// For a geometry that leaves no output: the spatial axis (0 first) and the rule.
    pub fn geometry(&self) -> Option<(usize, GeometryRule)> {
        self.geometry
    }

    /// The rule that was broken.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable message, without a trailing period.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;

macro_rules! bail {
    ($kind:ident, $($arg:tt)*) => {
        return Err($crate::error::Error::new($crate::error::ErrorKind::$kind, format!($($arg)*)))
    };
}
pub(crate) use bail;

/// Checked product of sizes; overflow is an error naming what was being sized.
pub(crate) fn checked_product(dims: &[usize], what: &str) -> Result<usize> {
    dims.iter().try_fold(1usize, |acc, &d| {
        acc.checked_mul(d).ok_or_else(|| {
            Error::new(
                ErrorKind::Overflow,
                format!("{what} {dims:?} has more elements than fit in usize"),
            )
        })
    })
}
