//! One pooling plan for Python: the operator and its geometry checked once against an input
//! shape, then run forward, with indices, backward and backward from indices on numpy
//! arrays, with the GIL released while the library computes.

use crate::arrays::{err, pooled, routed_gradient, with_indices};
use numpy::PyUntypedArray;
use poolkit::{
    ExecOptions, IndexConvention, Layout, Padding, PoolPlan, PoolSpec, StorageOrder, WindowSpec,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Runs `$body` with `$t` bound to the Rust type of the numpy array `$array`'s dtype; a
/// dtype the library does not pool is a TypeError naming `$what`.
macro_rules! with_dtype {
    ($array:expr, $what:expr, |$t:ident| $body:expr) => {{
        let name = $crate::arrays::dtype_name($array)?;
        match poolkit::DType::from_numpy_name(name) {
            Some(dtype) => poolkit::with_dtype!(dtype, |$t| $body),
            None => Err($crate::arrays::unsupported(name, $what)),
        }
    }};
}
pub(crate) use with_dtype;

/// The layout named by `layout`.
pub fn layout_of(layout: &str) -> PyResult<Layout> {
    match layout {
        "nchw" | "ncl" | "ncdhw" | "channels_first" => Ok(Layout::ChannelsFirst),
        "nhwc" | "nlc" | "ndhwc" | "channels_last" => Ok(Layout::ChannelsLast),
        other => Err(PyValueError::new_err(format!(
            "layout {other:?}: give \"nchw\" (channels first) or \"nhwc\" (channels last)"
        ))),
    }
}

/// The index convention: PyTorch's per-plane offsets or ONNX's flat ones.
pub fn convention_of(format: &str, storage_order: i64) -> PyResult<IndexConvention> {
    match (format, storage_order) {
        ("torch", 0) => Ok(IndexConvention::Torch),
        ("torch", _) => Err(PyValueError::new_err(
            "storage_order applies to index_format=\"onnx\": torch indices are always h*W + w",
        )),
        ("onnx", 0) => Ok(IndexConvention::Onnx(StorageOrder::RowMajor)),
        ("onnx", 1) => Ok(IndexConvention::Onnx(StorageOrder::ColumnMajor)),
        ("onnx", o) => Err(PyValueError::new_err(format!(
            "storage_order {o}: ONNX storage orders are 0 (row major) and 1 (column major)"
        ))),
        (other, _) => Err(PyValueError::new_err(format!(
            "index_format {other:?}: give \"torch\" or \"onnx\""
        ))),
    }
}

/// The padding: explicit begin-then-end pads, or an ONNX auto_pad mode.
pub fn padding_of(pads: Option<Vec<usize>>, auto_pad: Option<&str>) -> PyResult<Padding> {
    match (pads, auto_pad) {
        (Some(_), Some(_)) => Err(PyValueError::new_err(
            "give padding (or pads) or auto_pad, not both",
        )),
        (None, Some(mode)) => Padding::parse_auto_pad(&mode.to_uppercase())
            .map_err(err)
            .map(|p| p.unwrap_or_else(Padding::zero)),
        (Some(pads), None) => Padding::onnx(&pads).map_err(err),
        (None, None) => Ok(Padding::zero()),
    }
}

/// Execution options: threads as asked, else the library's default.
pub fn exec(threads: Option<usize>) -> ExecOptions {
    match threads {
        Some(n) => ExecOptions::new().threads(n),
        None => ExecOptions::new(),
    }
}

/// A pooling plan, built once for an input shape and layout.
#[pyclass(module = "poolkit._native", frozen)]
pub struct Plan {
    plan: PoolPlan,
}

#[pymethods]
impl Plan {
    #[new]
    #[pyo3(signature = (op, input_shape, layout, kernel=None, stride=None, dilation=None, pads=None,
        auto_pad=None, ceil_mode=false, count_include_pad=true, divisor_override=None, p=None,
        output_size=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        op: &str,
        input_shape: Vec<usize>,
        layout: &str,
        kernel: Option<Vec<usize>>,
        stride: Option<Vec<usize>>,
        dilation: Option<Vec<usize>>,
        pads: Option<Vec<usize>>,
        auto_pad: Option<&str>,
        ceil_mode: bool,
        count_include_pad: bool,
        divisor_override: Option<usize>,
        p: Option<f64>,
        output_size: Option<Vec<usize>>,
    ) -> PyResult<Self> {
        let window = || -> PyResult<WindowSpec> {
            let kernel = kernel
                .clone()
                .ok_or_else(|| PyValueError::new_err(format!("{op} pooling needs kernel_size")))?;
            let mut w = WindowSpec::new(&kernel)
                .padding(padding_of(pads.clone(), auto_pad)?)
                .ceil_mode(ceil_mode);
            if let Some(s) = &stride {
                w = w.strides(s);
            }
            if let Some(d) = &dilation {
                w = w.dilations(d);
            }
            Ok(w)
        };
        let output = || {
            output_size
                .clone()
                .ok_or_else(|| PyValueError::new_err(format!("{op} pooling needs output_size")))
        };
        let spec = match op {
            "max" => PoolSpec::max(window()?),
            "avg" => PoolSpec::avg(window()?)
                .count_include_pad(count_include_pad)
                .divisor_override(divisor_override),
            "lp" => PoolSpec::lp(window()?, p.unwrap_or(2.0)),
            "global_max" => PoolSpec::global_max(),
            "global_avg" => PoolSpec::global_avg(),
            "global_lp" => PoolSpec::global_lp(p.unwrap_or(2.0)),
            "adaptive_max" => PoolSpec::adaptive_max(&output()?),
            "adaptive_avg" => PoolSpec::adaptive_avg(&output()?),
            other => {
                return Err(PyValueError::new_err(format!(
                    "operator {other:?} is not a pooling poolkit plans"
                )))
            }
        };
        let plan = PoolPlan::new(&spec, &input_shape, layout_of(layout)?).map_err(err)?;
        Ok(Plan { plan })
    }

    /// The output's shape.
    #[getter]
    fn output_shape(&self) -> Vec<usize> {
        self.plan.output_shape().to_vec()
    }

    /// Pools `x` into `out` (C-contiguous, the output's shape and x's dtype).
    #[pyo3(signature = (x, out, threads=None))]
    fn forward(
        &self,
        py: Python<'_>,
        x: &Bound<'_, PyUntypedArray>,
        out: &Bound<'_, PyUntypedArray>,
        threads: Option<usize>,
    ) -> PyResult<()> {
        with_dtype!(x, "input", |T| {
            // SAFETY: `out` was made for this call.
            let ([xv], o) = unsafe { pooled::<T, 1>([(x, "input")], (out, "out"))? };
            let opts = exec(threads);
            py.detach(|| poolkit::pool_into_with(&self.plan, &xv, o, &opts))
                .map_err(err)
        })
    }

    /// Max pooling of `x` into `out`, with argmax indices into `indices` (int64).
    #[pyo3(signature = (x, out, indices, index_format="torch", storage_order=0, threads=None))]
    #[allow(clippy::too_many_arguments)]
    fn forward_with_indices(
        &self,
        py: Python<'_>,
        x: &Bound<'_, PyUntypedArray>,
        out: &Bound<'_, PyUntypedArray>,
        indices: &Bound<'_, PyUntypedArray>,
        index_format: &str,
        storage_order: i64,
        threads: Option<usize>,
    ) -> PyResult<()> {
        let convention = convention_of(index_format, storage_order)?;
        with_dtype!(x, "input", |T| {
            // SAFETY: `out` and `indices` were made for this call.
            let (xv, o, i) = unsafe { with_indices::<T>(x, out, indices)? };
            let opts = exec(threads);
            py.detach(|| {
                poolkit::max_pool_with_indices_into_with(&self.plan, &xv, convention, o, i, &opts)
            })
            .map_err(err)
        })
    }

    /// The gradient with respect to `x` for upstream gradient `grad_output`, into `grad_input`.
    #[pyo3(signature = (x, grad_output, grad_input, threads=None))]
    fn backward(
        &self,
        py: Python<'_>,
        x: &Bound<'_, PyUntypedArray>,
        grad_output: &Bound<'_, PyUntypedArray>,
        grad_input: &Bound<'_, PyUntypedArray>,
        threads: Option<usize>,
    ) -> PyResult<()> {
        with_dtype!(x, "input", |T| {
            let inputs = [(x, "input"), (grad_output, "grad_output")];
            // SAFETY: `grad_input` was made for this call.
            let ([xv, dyv], dx) = unsafe { pooled::<T, 2>(inputs, (grad_input, "grad_input"))? };
            let opts = exec(threads);
            py.detach(|| poolkit::pool_backward_into_with(&self.plan, &xv, &dyv, dx, &opts))
                .map_err(err)
        })
    }

    /// Max pooling's gradient routed through saved `indices`, into `grad_input`.
    #[pyo3(signature = (grad_output, indices, grad_input, index_format="torch", storage_order=0,
        threads=None))]
    #[allow(clippy::too_many_arguments)]
    fn backward_from_indices(
        &self,
        py: Python<'_>,
        grad_output: &Bound<'_, PyUntypedArray>,
        indices: &Bound<'_, PyUntypedArray>,
        grad_input: &Bound<'_, PyUntypedArray>,
        index_format: &str,
        storage_order: i64,
        threads: Option<usize>,
    ) -> PyResult<()> {
        let convention = convention_of(index_format, storage_order)?;
        with_dtype!(grad_output, "grad_output", |T| {
            // SAFETY: `grad_input` was made for this call.
            let (dyv, iv, dx) = unsafe { routed_gradient::<T>(grad_output, indices, grad_input)? };
            let opts = exec(threads);
            py.detach(|| {
                poolkit::max_pool_backward_from_indices_into_with(
                    &self.plan, &dyv, &iv, convention, dx, &opts,
                )
            })
            .map_err(err)
        })
    }
}
