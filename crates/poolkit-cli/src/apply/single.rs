//! One input file: a `.npy` tensor through any operator, or an image (or tensor) pooled as a
//! whole file, level by level. Shared by single-file runs and by each file of a folder run.

use super::{is_plain_pooling, level_targets, names_folder, tensor_ops};
use crate::any_tensor::AnyTensor;
use crate::cli::{ApplyArgs, LayoutArg};
use crate::imageio;
use crate::outputs::{check_target, Staged};
use crate::Outcome;
use anyhow::{bail, Context, Result};
use poolkit::Layout;
use std::path::{Path, PathBuf};

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileOutcome {
    Written,
    Skipped,
}

pub fn run(args: &ApplyArgs) -> Result<Outcome> {
    let input = args.input.as_path();
    let image = is_image_input(input)?;
    if image && !is_plain_pooling(args) {
        bail!(
            "{} is an image: images take plain pooling (max, avg, global-*, adaptive-*); \
             --op {}, --indices, --rois and gradients work on .npy tensors",
            input.display(),
            args.op.op.name()
        );
    }
    if is_plain_pooling(args) {
        let output = args.output.as_deref().expect("checked: pooling writes -o");
        let targets = if names_folder(output) {
            std::fs::create_dir_all(output)
                .with_context(|| format!("creating the output folder {}", output.display()))?;
            level_targets(input, output, args)
        } else {
            vec![output.to_path_buf()]
        };
        pool_file(args, input, &targets)?;
        return Ok(Outcome::Success);
    }
    run_tensor_op(args)?;
    Ok(Outcome::Success)
}

/// True for an image, false for a `.npy` tensor; decided by extension, else by content.
pub fn is_image_input(path: &Path) -> Result<bool> {
    match imageio::extension(path).as_deref() {
        Some("npy") => Ok(false),
        _ if imageio::is_image_path(path) => Ok(true),
        _ => {
            use std::io::Read;
            let mut magic = [0u8; 6];
            let mut file =
                std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
            let n = file.read(&mut magic).unwrap_or(0);
            Ok(&magic[..n] != b"\x93NUMPY")
        }
    }
}

/// Pools one whole file into `targets`: one target receives the last level, K targets
/// receive the K levels. Existing targets are kept with `--skip-existing`.
pub fn pool_file(args: &ApplyArgs, input: &Path, targets: &[PathBuf]) -> Result<FileOutcome> {
    let mut pending = Vec::new();
    for target in targets {
        if args.skip_existing && target.exists() {
            continue;
        }
        check_target(target, args.force, &[input])?;
        pending.push(target.clone());
    }
    if pending.is_empty() {
        return Ok(FileOutcome::Skipped);
    }
    let image = is_image_input(input)?;
    // Check every output format before the work, so a bad extension costs nothing.
    for target in &pending {
        if imageio::extension(target).as_deref() != Some("npy") {
            imageio::format_for_output(target)?;
            if !image {
                bail!(
                    "output {} is an image but input {} is a .npy tensor: write .npy",
                    target.display(),
                    input.display()
                );
            }
        }
    }
    let (x, layout) = if image {
        (imageio::read(input, args.max_pixels)?, Layout::ChannelsLast)
    } else {
        (crate::npy::read_file(input)?, layout_of(args))
    };
    let alpha = if image { args.alpha } else { None };
    let levels = super::pool_levels(&x, layout, &args.op, args.repeat, alpha)
        .with_context(|| format!("{}", input.display()))?;
    let mut staged = Staged::new();
    for target in &pending {
        let level = if targets.len() == 1 {
            levels.last().expect("repeat >= 1")
        } else {
            let k = targets
                .iter()
                .position(|t| t == target)
                .expect("target from the list");
            &levels[k]
        };
        write_tensor_or_image(&mut staged, target, level)?;
    }
    staged.commit(args.force)?;
    Ok(FileOutcome::Written)
}

fn write_tensor_or_image(staged: &mut Staged, target: &Path, tensor: &AnyTensor) -> Result<()> {
    if imageio::extension(target).as_deref() == Some("npy") {
        staged.write(target, |w| crate::npy::write(tensor, w))
    } else {
        let format = imageio::format_for_output(target)?;
        staged.write(target, |w| imageio::write(tensor, format, w))
    }
}

fn layout_of(args: &ApplyArgs) -> Layout {
    match args.layout {
        LayoutArg::Nchw => Layout::ChannelsFirst,
        LayoutArg::Nhwc => Layout::ChannelsLast,
    }
}

/// Any operator on one `.npy` tensor, with indices, RoIs and gradients as asked.
fn run_tensor_op(args: &ApplyArgs) -> Result<()> {
    let input = args.input.as_path();
    let output = match args.output.as_deref() {
        Some(out) if names_folder(out) => {
            std::fs::create_dir_all(out)
                .with_context(|| format!("creating the output folder {}", out.display()))?;
            Some(level_targets(input, out, args).remove(0))
        }
        other => other.map(Path::to_path_buf),
    };
    let indices_out = args
        .indices
        .as_deref()
        .filter(|_| !tensor_ops::indices_are_read(args));
    let outputs: Vec<(&str, &Path)> = [
        ("output", output.as_deref()),
        ("indices", indices_out),
        ("grad-input", args.grad_input.as_deref()),
    ]
    .into_iter()
    .filter_map(|(what, p)| p.map(|p| (what, p)))
    .collect();
    let mut inputs: Vec<&Path> = vec![input];
    if tensor_ops::indices_are_read(args) {
        inputs.extend(args.indices.as_deref());
    }
    inputs.extend(args.rois.as_deref());
    inputs.extend(args.grad_output.as_deref());
    for (what, target) in &outputs {
        if imageio::is_image_path(target) {
            bail!(
                "{what} {} names an image: --op {} writes .npy tensors",
                target.display(),
                args.op.op.name()
            );
        }
        check_target(target, args.force, &inputs)?;
    }
    let x = crate::npy::read_file(input)?;
    let side = tensor_ops::read_side_inputs(args)?;
    let results = tensor_ops::run(args, &x, layout_of(args), &side)?;
    let mut staged = Staged::new();
    let produced = [
        (output.as_deref(), &results.output),
        (indices_out, &results.indices),
        (args.grad_input.as_deref(), &results.grad_input),
    ];
    for (target, tensor) in produced {
        if let (Some(target), Some(tensor)) = (target, tensor) {
            staged.write(target, |w| crate::npy::write(tensor, w))?;
        }
    }
    staged.commit(args.force)
}
