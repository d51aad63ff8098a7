//! One `.npy` tensor through any operator, forward and backward, with its side inputs and
//! outputs: argmax indices (written by max pooling, read by unpooling and max backward),
//! RoIs, and the upstream and input gradients.

use crate::any_tensor::{with_pooled_type, AnyTensor, Scalar};
use crate::cli::{ApplyArgs, IndexFormat, Op};
use crate::op_spec::{pool_spec, unpool_spec};
use anyhow::{bail, Context, Result};
use poolkit::{
    IndexConvention, Layout, PoolPlan, RoiPlan, RoiPoolSpec, StorageOrder, Tensor, UnpoolPlan,
};
use std::path::Path;

/// What one run of an operator on a tensor produced.
#[derive(Default)]
pub struct Results {
    pub output: Option<AnyTensor>,
    pub indices: Option<AnyTensor>,
    pub grad_input: Option<AnyTensor>,
}

/// The side inputs, read from their files.
pub struct SideInputs {
    pub indices: Option<Tensor<i64>>,
    pub rois: Option<AnyTensor>,
    pub grad_output: Option<AnyTensor>,
}

/// True when `--indices` names a file to read rather than one to write.
pub fn indices_are_read(args: &ApplyArgs) -> bool {
    args.op.op == Op::Unpool || (args.grad_output.is_some() && args.op.op.is_max())
}

/// Reads `--indices` (when read), `--rois` and `--grad-output`.
pub fn read_side_inputs(args: &ApplyArgs) -> Result<SideInputs> {
    let indices = match (&args.indices, indices_are_read(args)) {
        (Some(path), true) => Some(read_indices(path)?),
        _ => None,
    };
    let read = |p: &Option<std::path::PathBuf>| p.as_deref().map(crate::npy::read_file).transpose();
    Ok(SideInputs {
        indices,
        rois: read(&args.rois)?,
        grad_output: read(&args.grad_output)?,
    })
}

fn read_indices(path: &Path) -> Result<Tensor<i64>> {
    match crate::npy::read_file(path)? {
        AnyTensor::I64(t) => Ok(t),
        other => bail!(
            "indices {} hold {}: indices must be int64 (<i8), as max pooling writes them",
            path.display(),
            other.dtype_name()
        ),
    }
}

/// The index convention the flags name.
pub fn convention(args: &ApplyArgs) -> IndexConvention {
    match args.index_format {
        IndexFormat::Torch => IndexConvention::Torch,
        IndexFormat::Onnx if args.storage_order == Some(1) => {
            IndexConvention::Onnx(StorageOrder::ColumnMajor)
        }
        IndexFormat::Onnx => IndexConvention::Onnx(StorageOrder::RowMajor),
    }
}

/// Runs the operator (and its backward pass when `--grad-output` is given) on `x`.
pub fn run(args: &ApplyArgs, x: &AnyTensor, layout: Layout, side: &SideInputs) -> Result<Results> {
    with_pooled_type!(x, format!("input {}", args.input.display()), |t| run_typed(
        args, t, layout, side
    ))
}

fn run_typed<T: poolkit::Element + Scalar>(
    args: &ApplyArgs,
    x: &Tensor<T>,
    layout: Layout,
    side: &SideInputs,
) -> Result<Results> {
    let rank = x.shape().len().saturating_sub(2);
    let want_output = args.output.is_some();
    let dy = match &side.grad_output {
        Some(g) => Some(g.expect_type::<T>(
            &format!("grad-output {}", path_of(&args.grad_output)),
            "the input",
        )?),
        None => None,
    };
    let dy_view = dy.map(Tensor::view);
    let conv = convention(args);
    let mut results = Results::default();
    match args.op.op {
        Op::Unpool => {
            let indices = side
                .indices
                .as_ref()
                .context("--op unpool needs --indices IDX.npy")?;
            let plan = UnpoolPlan::new(&unpool_spec(&args.op, rank)?, x.shape(), layout)?;
            if want_output {
                let y = poolkit::max_unpool(&plan, &x.view(), &indices.view(), conv)?;
                results.output = Some(T::wrap(y));
            }
            if let Some(dy) = &dy_view {
                let dx = poolkit::max_unpool_backward::<T>(&plan, dy, &indices.view(), conv)?;
                results.grad_input = Some(T::wrap(dx));
            }
        }
        Op::RoiMax => {
            let rois = side
                .rois
                .as_ref()
                .context("--op roi-max needs --rois ROIS.npy")?;
            let rois: Tensor<T> = rois.convert_exact(&format!("rois {}", path_of(&args.rois)))?;
            let pooled = args
                .pooled_shape
                .as_ref()
                .context("--op roi-max needs --pooled-shape H,W")?;
            let pooled_shape = match pooled.0.as_slice() {
                [s] => [*s, *s],
                [h, w] => [*h, *w],
                other => bail!(
                    "--pooled-shape {other:?} has {} values: give height,width",
                    other.len()
                ),
            };
            let spec = RoiPoolSpec {
                pooled_shape,
                spatial_scale: args.spatial_scale.unwrap_or(1.0),
            };
            let plan = RoiPlan::new(spec, x.shape(), rois.shape(), layout)?;
            if want_output {
                results.output = Some(T::wrap(poolkit::max_roi_pool(
                    &plan,
                    &x.view(),
                    &rois.view(),
                )?));
            }
            if let Some(dy) = &dy_view {
                let dx = poolkit::max_roi_pool_backward(&plan, &x.view(), &rois.view(), dy)?;
                results.grad_input = Some(T::wrap(dx));
            }
        }
        _ => {
            let plan = PoolPlan::new(&pool_spec(&args.op, rank)?, x.shape(), layout)?;
            let write_indices = args.indices.is_some() && !indices_are_read(args);
            if want_output && write_indices {
                let (y, idx) = poolkit::max_pool_with_indices(&plan, &x.view(), conv)?;
                results.output = Some(T::wrap(y));
                results.indices = Some(AnyTensor::I64(idx));
            } else if want_output {
                results.output = Some(T::wrap(poolkit::pool(&plan, &x.view())?));
            }
            if let Some(dy) = &dy_view {
                let dx = match &side.indices {
                    Some(idx) => {
                        poolkit::max_pool_backward_from_indices::<T>(&plan, dy, &idx.view(), conv)?
                    }
                    None => poolkit::pool_backward(&plan, &x.view(), dy)?,
                };
                results.grad_input = Some(T::wrap(dx));
            }
        }
    }
    Ok(results)
}

fn path_of(path: &Option<std::path::PathBuf>) -> String {
    path.as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}
