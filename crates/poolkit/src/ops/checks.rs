//! The shape and buffer checks every entry point makes before trusting a plan.

use crate::element::Element;
use crate::error::{bail, checked_product, Result};
use crate::geometry::Reduction;

/// A tensor's shape must be the one its plan was made for.
pub(crate) fn same_shape(what: &str, got: &[usize], planned: &[usize]) -> Result<()> {
    if got != planned {
        bail!(
            ShapeMismatch,
            "{what} has shape {got:?} but the plan was made for {planned:?}"
        );
    }
    Ok(())
}

/// A caller's output buffer must hold exactly the output.
pub(crate) fn buffer_len(what: &str, got: usize, shape: &[usize]) -> Result<()> {
    let want: usize = shape.iter().product();
    if got != want {
        bail!(
            InvalidBuffer,
            "{what} buffer holds {got} elements but shape {shape:?} needs {want}"
        );
    }
    Ok(())
}

/// Lp pooling needs a float type: it has no exact integer result.
pub(crate) fn reduction_supports<T: Element>(reduction: Reduction) -> Result<()> {
    if let Reduction::Lp { p } = reduction {
        if !T::DTYPE.is_float() {
            bail!(
                UnsupportedType,
                "Lp pooling (p = {p}) of {} elements: Lp pooling needs a float type (f32, f64, f16, bf16)",
                T::DTYPE.name()
            );
        }
    }
    Ok(())
}

/// Results from this size on are tried with a fallible allocation before they are made.
const PROBE_MIN_BYTES: usize = 1 << 30;

/// Refuses an allocating call whose result, `shape` elements of `T`, cannot be allocated:
/// more than `isize::MAX` bytes (no allocation may be larger), or a large result the
/// allocator refuses now. The refusal is an [`ErrorKind::Overflow`](crate::ErrorKind)
/// error instead of an abort. Small results are not probed: they cost one allocation either way.
pub(crate) fn result_fits<T>(what: &str, shape: &[usize]) -> Result<()> {
    let len = checked_product(shape, what)?;
    let size = std::mem::size_of::<T>();
    let Some(bytes) = len
        .checked_mul(size)
        .filter(|&bytes| bytes <= isize::MAX as usize)
    else {
        bail!(
            Overflow,
            "{what} of shape {shape:?} needs {len} elements of {size} bytes: more than the \
             {} bytes one allocation may hold",
            isize::MAX
        );
    };
    if bytes >= PROBE_MIN_BYTES && Vec::<u8>::new().try_reserve_exact(bytes).is_err() {
        bail!(
            Overflow,
            "{what} of shape {shape:?} needs {bytes} bytes, more than this machine can \
             allocate: pool a smaller batch, or into a caller's buffer with an `_into` call"
        );
    }
    Ok(())
}
