//! `poolkit apply`: one operator over a `.npy` tensor, an image, or a folder of them.
//!
//! Every flag is checked against the operator and the input before anything is read or
//! written, so a bad request exits 2 having touched nothing.

mod folder;
mod levels;
mod single;
mod tensor_ops;

use crate::cli::{ApplyArgs, Op};
use crate::op_spec::{check_flags, op_names};
use crate::Outcome;
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

pub use levels::pool_levels;
pub use single::is_image_input;

const POOL_OPS: &[Op] = &[
    Op::Max,
    Op::Avg,
    Op::Lp,
    Op::GlobalMax,
    Op::GlobalAvg,
    Op::GlobalLp,
    Op::AdaptiveMax,
    Op::AdaptiveAvg,
];

pub fn run(args: &ApplyArgs) -> Result<Outcome> {
    check_flags(&args.op)?;
    check_apply_flags(args)?;
    crate::outputs::remove_temporaries_on_interrupt();
    if args.input.is_dir() {
        return folder::run(args);
    }
    if !args.input.exists() {
        bail!("input {} does not exist", args.input.display());
    }
    single::run(args)
}

/// True when the request is plain pooling of whole files (what images and folders take).
fn is_plain_pooling(args: &ApplyArgs) -> bool {
    POOL_OPS.contains(&args.op.op)
        && args.indices.is_none()
        && args.grad_output.is_none()
        && args.rois.is_none()
}

fn check_apply_flags(args: &ApplyArgs) -> Result<()> {
    let op = args.op.op;
    let roi_flags = [
        ("--rois", args.rois.is_some()),
        ("--pooled-shape", args.pooled_shape.is_some()),
        ("--spatial-scale", args.spatial_scale.is_some()),
    ];
    for (flag, given) in roi_flags {
        if given && op != Op::RoiMax {
            bail!(
                "{flag} does not apply to --op {}: it is for roi-max",
                op.name()
            );
        }
    }
    if op == Op::RoiMax && (args.rois.is_none() || args.pooled_shape.is_none()) {
        bail!("--op roi-max needs --rois ROIS.npy and --pooled-shape H,W");
    }
    if args.indices.is_some() && !(op.is_max() || op == Op::Unpool) {
        bail!(
            "--indices does not apply to --op {}: it is for max, global-max, adaptive-max \
             (written) and unpool (read)",
            op.name()
        );
    }
    if args.storage_order.is_some() && args.index_format != crate::cli::IndexFormat::Onnx {
        bail!("--storage-order applies to --index-format onnx: torch indices are always h*W + w");
    }
    if op == Op::Unpool && args.indices.is_none() {
        bail!("--op unpool needs --indices IDX.npy (the argmax indices of the max pooling it inverts)");
    }
    if args.output.is_none() && args.grad_input.is_none() {
        bail!("apply needs -o OUTPUT (or --grad-output DY.npy --grad-input DX.npy for a gradient)");
    }
    if args.indices.is_some() && !tensor_ops::indices_are_read(args) && args.output.is_none() {
        bail!("--indices is written beside the output: give -o OUTPUT as well");
    }
    if args.repeat > 1 && !is_plain_pooling(args) {
        bail!(
            "--repeat applies to plain pooling ({}) without --indices, --rois or gradients",
            op_names(POOL_OPS)
        );
    }
    if let Some(ext) = &args.format {
        let ext = ext.trim_start_matches('.').to_ascii_lowercase();
        if ext != "npy" && !crate::imageio::IMAGE_EXTENSIONS.contains(&ext.as_str()) {
            bail!(
                "--format {ext:?}: give npy or an image extension ({})",
                crate::imageio::IMAGE_EXTENSIONS.join(", ")
            );
        }
    }
    Ok(())
}

/// True when `path` names a folder: it ends with a separator or is an existing folder.
fn names_folder(path: &Path) -> bool {
    let text = path.as_os_str().to_string_lossy();
    text.ends_with('/') || text.ends_with(std::path::MAIN_SEPARATOR) || path.is_dir()
}

/// The files written for `input` into `folder`: `name.ext`, or `name-1.ext` … `name-K.ext`
/// when every level of `--repeat K` is written.
fn level_targets(input: &Path, folder: &Path, args: &ApplyArgs) -> Vec<PathBuf> {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_string());
    let ext = args
        .format
        .as_deref()
        .map(|e| e.trim_start_matches('.').to_ascii_lowercase())
        .or_else(|| crate::imageio::extension(input))
        .unwrap_or_else(|| "npy".to_string());
    if args.repeat == 1 {
        vec![folder.join(format!("{stem}.{ext}"))]
    } else {
        (1..=args.repeat)
            .map(|k| folder.join(format!("{stem}-{k}.{ext}")))
            .collect()
    }
}
