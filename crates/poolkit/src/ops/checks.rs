//! The shape and buffer checks every entry point makes before trusting a plan.

use crate::element::Element;
use crate::error::{bail, Result};
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
