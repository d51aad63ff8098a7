//! From operator flags to the library's specs: which flags each operator takes, which it
//! needs, and how a single value stands for every spatial axis (`--kernel 2` = `2,2` in 2-D).

use crate::cli::{AutoPad, Op, OpFlags, Sizes};
use anyhow::{bail, Result};
use poolkit::{Padding, PoolSpec, UnpoolSpec, WindowSpec};

const WINDOW_OPS: &[Op] = &[Op::Max, Op::Avg, Op::Lp];
const KERNEL_OPS: &[Op] = &[Op::Max, Op::Avg, Op::Lp, Op::Unpool];

/// Refuses flags the operator does not use, and asks for the ones it needs.
pub fn check_flags(flags: &OpFlags) -> Result<()> {
    let op = flags.op;
    let rules: [(&str, bool, &[Op]); 11] = [
        ("--kernel", flags.kernel.is_some(), KERNEL_OPS),
        ("--stride", flags.stride.is_some(), KERNEL_OPS),
        ("--dilation", flags.dilation.is_some(), WINDOW_OPS),
        ("--pads", flags.pads.is_some(), KERNEL_OPS),
        ("--padding", flags.padding.is_some(), KERNEL_OPS),
        ("--auto-pad", flags.auto_pad.is_some(), WINDOW_OPS),
        ("--ceil-mode", flags.ceil_mode, WINDOW_OPS),
        ("--count-include-pad", flags.count_include_pad, &[Op::Avg]),
        (
            "--divisor-override",
            flags.divisor_override.is_some(),
            &[Op::Avg],
        ),
        ("--p", flags.p.is_some(), &[Op::Lp, Op::GlobalLp]),
        (
            "--output-size",
            flags.output_size.is_some(),
            &[Op::AdaptiveMax, Op::AdaptiveAvg],
        ),
    ];
    for (flag, given, ops) in rules {
        if given && !ops.contains(&op) {
            bail!(
                "{flag} does not apply to --op {}: it is for {}",
                op.name(),
                op_names(ops)
            );
        }
    }
    if flags.output_shape.is_some() && op != Op::Unpool {
        bail!(
            "--output-shape does not apply to --op {}: it is for unpool",
            op.name()
        );
    }
    if KERNEL_OPS.contains(&op) && flags.kernel.is_none() {
        bail!(
            "--op {} needs --kernel (for example --kernel 2,2)",
            op.name()
        );
    }
    if matches!(op, Op::AdaptiveMax | Op::AdaptiveAvg) && flags.output_size.is_none() {
        bail!(
            "--op {} needs --output-size (for example --output-size 3,3)",
            op.name()
        );
    }
    Ok(())
}

/// Lists operator names for a message: "max, avg, lp".
pub fn op_names(ops: &[Op]) -> String {
    ops.iter().map(|o| o.name()).collect::<Vec<_>>().join(", ")
}

/// One value stands for every axis; otherwise the list is passed on as given (the library
/// names a length that does not fit the input).
fn per_axis(sizes: &Sizes, count: usize) -> Vec<usize> {
    match sizes.0.as_slice() {
        [one] => vec![*one; count],
        many => many.to_vec(),
    }
}

fn padding(flags: &OpFlags, rank: usize) -> Result<Padding> {
    Ok(match (&flags.pads, &flags.padding, flags.auto_pad) {
        (Some(pads), _, _) => Padding::onnx(&per_axis(pads, 2 * rank))?,
        (None, Some(pads), _) => Padding::symmetric(&per_axis(pads, rank)),
        (None, None, Some(AutoPad::SameUpper)) => Padding::SameUpper,
        (None, None, Some(AutoPad::SameLower)) => Padding::SameLower,
        (None, None, Some(AutoPad::Valid)) => Padding::Valid,
        (None, None, None) => Padding::zero(),
    })
}

/// The pooling spec of a max/avg/lp/global/adaptive operator over `rank` spatial axes.
pub fn pool_spec(flags: &OpFlags, rank: usize) -> Result<PoolSpec> {
    check_flags(flags)?;
    let window = || -> Result<WindowSpec> {
        let kernel = flags
            .kernel
            .as_ref()
            .expect("check_flags asks for a kernel");
        let mut w = WindowSpec::new(&per_axis(kernel, rank))
            .padding(padding(flags, rank)?)
            .ceil_mode(flags.ceil_mode);
        if let Some(s) = &flags.stride {
            w = w.strides(&per_axis(s, rank));
        }
        if let Some(d) = &flags.dilation {
            w = w.dilations(&per_axis(d, rank));
        }
        Ok(w)
    };
    let output_size = || per_axis(flags.output_size.as_ref().expect("checked"), rank);
    let p = flags.p.unwrap_or(2.0);
    Ok(match flags.op {
        Op::Max => PoolSpec::max(window()?),
        Op::Avg => PoolSpec::avg(window()?)
            .count_include_pad(flags.count_include_pad)
            .divisor_override(flags.divisor_override),
        Op::Lp => PoolSpec::lp(window()?, p),
        Op::GlobalMax => PoolSpec::global_max(),
        Op::GlobalAvg => PoolSpec::global_avg(),
        Op::GlobalLp => PoolSpec::global_lp(p),
        Op::AdaptiveMax => PoolSpec::adaptive_max(&output_size()),
        Op::AdaptiveAvg => PoolSpec::adaptive_avg(&output_size()),
        Op::Unpool | Op::RoiMax => bail!(
            "--op {} is not a pooling reduction: it has its own inputs (--indices, --rois)",
            flags.op.name()
        ),
    })
}

/// The max-unpooling spec over `rank` spatial axes.
pub fn unpool_spec(flags: &OpFlags, rank: usize) -> Result<UnpoolSpec> {
    check_flags(flags)?;
    let kernel = flags
        .kernel
        .as_ref()
        .expect("check_flags asks for a kernel");
    let mut spec = UnpoolSpec::new(&per_axis(kernel, rank)).padding(padding(flags, rank)?);
    if let Some(s) = &flags.stride {
        spec = spec.strides(&per_axis(s, rank));
    }
    if let Some(shape) = &flags.output_shape {
        spec = spec.output_size(&shape.0);
    }
    Ok(spec)
}

/// A short description of the layer for listings: "max kernel 2,2 stride 2,2".
pub fn describe(flags: &OpFlags) -> String {
    let list = |s: &Sizes| {
        s.0.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut text = flags.op.name().to_string();
    let lists = [
        ("kernel", &flags.kernel),
        ("stride", &flags.stride),
        ("dilation", &flags.dilation),
        ("pads", &flags.pads),
        ("padding", &flags.padding),
        ("output-size", &flags.output_size),
        ("output-shape", &flags.output_shape),
    ];
    for (name, value) in lists {
        if let Some(v) = value {
            text.push_str(&format!(" {name} {}", list(v)));
        }
    }
    if let Some(mode) = flags.auto_pad {
        let name = match mode {
            AutoPad::SameUpper => "same-upper",
            AutoPad::SameLower => "same-lower",
            AutoPad::Valid => "valid",
        };
        text.push_str(&format!(" auto-pad {name}"));
    }
    if flags.ceil_mode {
        text.push_str(" ceil-mode");
    }
    if flags.count_include_pad {
        text.push_str(" count-include-pad");
    }
    if let Some(d) = flags.divisor_override {
        text.push_str(&format!(" divisor-override {d}"));
    }
    if let Some(p) = flags.p {
        text.push_str(&format!(" p {p}"));
    }
    text
}
