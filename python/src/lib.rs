//! The native half of the `poolkit` Python package: plans and their runs on numpy arrays.
//! Everything a user calls lives in `poolkit/*.py`, which checks types and shapes and
//! allocates outputs; this module only hands arrays to the library.

mod arrays;
mod plan;
mod roi;
mod unpool;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<plan::Plan>()?;
    m.add_class::<unpool::Unpool>()?;
    m.add_class::<roi::Roi>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
