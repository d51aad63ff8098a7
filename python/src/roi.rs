//! Max RoI pooling for Python (ONNX MaxRoiPool, Fast R-CNN): a plan for a feature map and
//! a set of boxes, run forward and backward on numpy arrays.

use crate::arrays::{apart, dtype_name, err, expect, raw};
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
        let name = dtype_name(x)?;
        expect(rois, name, "rois")?;
        expect(out, name, "out")?;
        with_dtype!(name, "input", |T| {
            let size = size_of::<T>();
            let (xr, rr, or) = (
                raw(x, "input", size)?,
                raw(rois, "rois", size)?,
                raw(out, "out", size)?,
            );
            apart(&or, "out", &[&xr, &rr])?;
            // SAFETY: the three hold T (checked above); out is apart from the others.
            let (xv, rv, o) =
                unsafe { (xr.view::<T>()?, rr.view::<T>()?, or.slice_mut::<T>("out")?) };
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
        let name = dtype_name(x)?;
        for (array, what) in [
            (rois, "rois"),
            (grad_output, "grad_output"),
            (grad_input, "grad_input"),
        ] {
            expect(array, name, what)?;
        }
        with_dtype!(name, "input", |T| {
            let size = size_of::<T>();
            let (xr, rr) = (raw(x, "input", size)?, raw(rois, "rois", size)?);
            let (dyr, dxr) = (
                raw(grad_output, "grad_output", size)?,
                raw(grad_input, "grad_input", size)?,
            );
            apart(&dxr, "grad_input", &[&xr, &rr, &dyr])?;
            // SAFETY: all four hold T (checked above); grad_input is apart from the others.
            let (xv, rv, dyv, dx) = unsafe {
                (
                    xr.view::<T>()?,
                    rr.view::<T>()?,
                    dyr.view::<T>()?,
                    dxr.slice_mut::<T>("grad_input")?,
                )
            };
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
