//! Max-unpooling for Python: a plan built once for a pooled shape, run forward and backward
//! on numpy arrays through saved argmax indices.

use crate::arrays::{err, routed, routed_gradient};
use crate::plan::{convention_of, layout_of, padding_of, with_dtype};
use numpy::PyUntypedArray;
use poolkit::{UnpoolPlan, UnpoolSpec};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// An unpooling plan.
#[pyclass(module = "poolkit._native", frozen)]
pub struct Unpool {
    plan: UnpoolPlan,
}

#[pymethods]
impl Unpool {
    #[new]
    #[pyo3(signature = (input_shape, layout, kernel, stride=None, pads=None, output_size=None))]
    fn new(
        input_shape: Vec<usize>,
        layout: &str,
        kernel: Vec<usize>,
        stride: Option<Vec<usize>>,
        pads: Option<Vec<usize>>,
        output_size: Option<Vec<usize>>,
    ) -> PyResult<Self> {
        let mut spec = UnpoolSpec::new(&kernel).padding(padding_of(pads, None)?);
        if let Some(s) = &stride {
            spec = spec.strides(s);
        }
        if let Some(o) = &output_size {
            spec = spec.output_size(o);
        }
        let plan = UnpoolPlan::new(&spec, &input_shape, layout_of(layout)?).map_err(err)?;
        Ok(Unpool { plan })
    }

    /// The unpooled shape.
    #[getter]
    fn output_shape(&self) -> Vec<usize> {
        self.plan.output_shape().to_vec()
    }

    /// Scatters `x` through `indices` into `out` (zeros elsewhere).
    #[pyo3(signature = (x, indices, out, index_format="torch", storage_order=0))]
    fn forward(
        &self,
        py: Python<'_>,
        x: &Bound<'_, PyUntypedArray>,
        indices: &Bound<'_, PyUntypedArray>,
        out: &Bound<'_, PyUntypedArray>,
        index_format: &str,
        storage_order: i64,
    ) -> PyResult<()> {
        let convention = convention_of(index_format, storage_order)?;
        with_dtype!(x, "input", |T| {
            // SAFETY: `out` was made for this call.
            let (xv, iv, o) = unsafe { routed::<T>((x, "input"), indices, (out, "out"))? };
            py.detach(|| poolkit::max_unpool_into(&self.plan, &xv, &iv, convention, o))
                .map_err(err)
        })
    }

    /// The gradient with respect to the pooled input: `grad_output` gathered at `indices`.
    #[pyo3(signature = (grad_output, indices, grad_input, index_format="torch", storage_order=0))]
    fn backward(
        &self,
        py: Python<'_>,
        grad_output: &Bound<'_, PyUntypedArray>,
        indices: &Bound<'_, PyUntypedArray>,
        grad_input: &Bound<'_, PyUntypedArray>,
        index_format: &str,
        storage_order: i64,
    ) -> PyResult<()> {
        let convention = convention_of(index_format, storage_order)?;
        with_dtype!(grad_output, "grad_output", |T| {
            // SAFETY: `grad_input` was made for this call.
            let (dyv, iv, dx) = unsafe { routed_gradient::<T>(grad_output, indices, grad_input)? };
            let want: usize = self.plan.input_shape().iter().product();
            if dx.len() != want {
                return Err(PyValueError::new_err(format!(
                    "grad_input holds {} elements but the pooled input has {want}",
                    dx.len()
                )));
            }
            py.detach(|| {
                let got = poolkit::max_unpool_backward(&self.plan, &dyv, &iv, convention)?;
                dx.copy_from_slice(got.data());
                Ok(())
            })
            .map_err(err)
        })
    }
}
