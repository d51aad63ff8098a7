//! Max RoI pooling for Python (ONNX MaxRoiPool, Fast R-CNN): a plan for a feature map and
//! a set of boxes, run forward and backward on numpy arrays.

use crate::arrays::{err, pooled};
use crate::plan::{layout_of, with_dtype};
use numpy::PyUntypedArray;
use poolkit::{RoiPlan, RoiPoolSpec};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A max RoI pooling plan.
#[pyclass(module = "poolkit._native", frozen)]
pub struct Roi {
    plan: RoiPlan,
}

#[pymethods]
impl Roi {
    #[new]
    #[pyo3(signature = (input_shape, rois_shape, layout, pooled_shape, spatial_scale=1.0))]
    fn new(
        input_shape: Vec<usize>,
        rois_shape: Vec<usize>,
        layout: &str,
        pooled_shape: Vec<usize>,
        spatial_scale: f64,
    ) -> PyResult<Self> {
        let pooled_shape: [usize; 2] = pooled_shape.try_into().map_err(|v: Vec<usize>| {
            PyValueError::new_err(format!(
                "pooled_shape {v:?}: give two sizes, (height, width)"
            ))
        })?;
        let spec = RoiPoolSpec {
            pooled_shape,
            spatial_scale,
        };
        let plan =
            RoiPlan::new(spec, &input_shape, &rois_shape, layout_of(layout)?).map_err(err)?;
        Ok(Roi { plan })
    }

    /// The output's shape, [num_rois, C, pooled_h, pooled_w] (or channels last).
    #[getter]
    fn output_shape(&self) -> Vec<usize> {
        self.plan.output_shape().to_vec()
    }

    /// Pools each box of `rois` (x's dtype) from `x` into `out`.
    fn forward(
        &self,
        py: Python<'_>,
        x: &Bound<'_, PyUntypedArray>,
        rois: &Bound<'_, PyUntypedArray>,
        out: &Bound<'_, PyUntypedArray>,
    ) -> PyResult<()> {
        with_dtype!(x, "input", |T| {
            let inputs = [(x, "input"), (rois, "rois")];
            // SAFETY: `out` was made for this call.
            let ([xv, rv], o) = unsafe { pooled::<T, 2>(inputs, (out, "out"))? };
            py.detach(|| poolkit::max_roi_pool_into(&self.plan, &xv, &rv, o, None))
                .map_err(err)
        })
    }

    /// The gradient with respect to `x`: each bin's gradient goes to its maximum.
    fn backward(
        &self,
        py: Python<'_>,
        x: &Bound<'_, PyUntypedArray>,
        rois: &Bound<'_, PyUntypedArray>,
        grad_output: &Bound<'_, PyUntypedArray>,
        grad_input: &Bound<'_, PyUntypedArray>,
    ) -> PyResult<()> {
        with_dtype!(x, "input", |T| {
            let inputs = [(x, "input"), (rois, "rois"), (grad_output, "grad_output")];
            // SAFETY: `grad_input` was made for this call.
            let ([xv, rv, dyv], dx) =
                unsafe { pooled::<T, 3>(inputs, (grad_input, "grad_input"))? };
            if dx.len() != xv.shape().iter().product::<usize>() {
                return Err(PyValueError::new_err(format!(
                    "grad_input holds {} elements but the input has {:?}",
                    dx.len(),
                    xv.shape()
                )));
            }
            py.detach(|| {
                let got = poolkit::max_roi_pool_backward(&self.plan, &xv, &rv, &dyv)?;
                dx.copy_from_slice(got.data());
                Ok(())
            })
            .map_err(err)
        })
    }
}
