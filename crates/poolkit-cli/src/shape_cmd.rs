//! `poolkit shape`: follow a tensor's shape through one pooling layer or a chain of them,
//! optionally with each axis's formula spelled out. Shapes and formulas come from the
//! library (`output_shape_in_format`, `teach::explain_output_shape`, `UnpoolPlan`).

use crate::cli::{Op, OpFlags, ShapeArgs};
use crate::op_spec::{describe, pool_spec, unpool_spec};
use crate::Outcome;
use anyhow::{bail, Context, Result};
use clap::Parser;
use poolkit::teach::explain_output_shape;
use poolkit::{output_shape_in_format, Layout, UnpoolPlan};
use std::io::Write;

/// One `--then` layer, parsed with the same flags as the first.
#[derive(Parser, Debug)]
#[command(no_binary_name = true, name = "--then")]
struct LayerFlags {
    #[command(flatten)]
    op: OpFlags,
}

pub fn run(args: &ShapeArgs) -> Result<Outcome> {
    let mut shape = args.shape.0.clone();
    let format = match &args.layout {
        Some(letters) => letters.to_ascii_lowercase(),
        None => default_format(shape.len())?,
    };
    let mut layers = vec![args.op.clone()];
    for text in &args.then {
        layers.push(parse_layer(text)?);
    }
    let chained = layers.len() > 1;
    let mut out = String::new();
    if chained {
        out.push_str(&format!("{}\n", list(&shape)));
    }
    for (i, layer) in layers.iter().enumerate() {
        let mut result = layer_shape(layer, &shape, &format, args.explain);
        // Without --layout, a rank mismatch is most likely axes read the wrong way: say how.
        let axes_mismatch = |e: &anyhow::Error| {
            e.downcast_ref::<poolkit::Error>()
                .is_some_and(|e| e.kind() == poolkit::ErrorKind::ShapeMismatch)
        };
        if args.layout.is_none() && result.as_ref().is_err_and(axes_mismatch) {
            result = result.with_context(|| {
                format!(
                    "{} read as {format:?} (--layout names the axes, e.g. hwc)",
                    list(&shape)
                )
            });
        }
        if chained {
            result = result.with_context(|| format!("layer {} ({})", i + 1, describe(layer)));
        }
        let (next, formulas) = result?;
        if chained {
            out.push_str(&format!(
                "{}. {} -> {}\n",
                i + 1,
                describe(layer),
                list(&next)
            ));
            for line in formulas {
                out.push_str(&format!("   {line}\n"));
            }
        } else {
            for line in formulas {
                out.push_str(&format!("{line}\n"));
            }
            out.push_str(&format!("{}\n", list(&next)));
        }
        shape = next;
    }
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(Outcome::Success)
}

/// Without `--layout`: batch and channels first (`ncl`, `nchw`, `ncdhw`); a 1-D or 2-D
/// shape is all spatial.
fn default_format(rank: usize) -> Result<String> {
    Ok(match rank {
        1 => "l".into(),
        2 => "hw".into(),
        3 => "ncl".into(),
        4 => "nchw".into(),
        5 => "ncdhw".into(),
        _ => bail!("shape of rank {rank}: give --layout with one letter per axis (n, c, spatial)"),
    })
}

fn parse_layer(text: &str) -> Result<OpFlags> {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    if words.first().is_some_and(|w| !w.starts_with('-')) {
        words.insert(0, "--op");
    }
    match LayerFlags::try_parse_from(&words) {
        Ok(layer) => Ok(layer.op),
        Err(err) => {
            let message = err.to_string();
            let first = message.lines().next().unwrap_or("invalid layer");
            bail!(
                "--then {text:?}: {}",
                first.strip_prefix("error: ").unwrap_or(first)
            )
        }
    }
}

/// The shape after `layer`, and the formula lines when `explain` is set.
fn layer_shape(
    layer: &OpFlags,
    shape: &[usize],
    format: &str,
    explain: bool,
) -> Result<(Vec<usize>, Vec<String>)> {
    let spatial_count = format.chars().filter(|&l| l != 'n' && l != 'c').count();
    match layer.op {
        Op::RoiMax => bail!(
            "roi-max's output is [num_rois, C, pooled_h, pooled_w]: it depends on the RoIs, not on \
             the input's shape"
        ),
        Op::Unpool => {
            if explain {
                bail!("--explain covers pooling layers; for unpool it has no formula to show");
            }
            Ok((
                unpool_shape(layer, shape, format, spatial_count)?,
                Vec::new(),
            ))
        }
        _ => {
            let spec = pool_spec(layer, spatial_count)?;
            let next = output_shape_in_format(&spec, shape, format)?;
            let formulas = if explain {
                explain_output_shape(&spec, shape, format)?
                    .into_iter()
                    .map(|a| format!("{}: {}", a.axis, a.formula))
                    .collect()
            } else {
                Vec::new()
            };
            Ok((next, formulas))
        }
    }
}

/// Unpooling's output shape via the library's plan, by seeing the lettered shape as a full
/// `[N, C, spatial...]` or `[N, spatial..., C]` tensor (absent N or C count as 1).
fn unpool_shape(
    layer: &OpFlags,
    shape: &[usize],
    format: &str,
    spatial_count: usize,
) -> Result<Vec<usize>> {
    let letters: Vec<char> = format.chars().collect();
    if letters.len() != shape.len() {
        bail!(
            "layout {format:?} names {} axes but shape {shape:?} has {}",
            letters.len(),
            shape.len()
        );
    }
    let at = |l: char| letters.iter().position(|&x| x == l);
    let spatial_at: Vec<usize> = (0..letters.len())
        .filter(|&i| letters[i] != 'n' && letters[i] != 'c')
        .collect();
    let layout = match (at('c'), spatial_at.last()) {
        (Some(c), Some(&last)) if c > last => Layout::ChannelsLast,
        _ => Layout::ChannelsFirst,
    };
    let batch = at('n').map_or(1, |i| shape[i]);
    let channels = at('c').map_or(1, |i| shape[i]);
    let spatial: Vec<usize> = spatial_at.iter().map(|&i| shape[i]).collect();
    let spec = unpool_spec(layer, spatial_count)?;
    let plan = UnpoolPlan::new(&spec, &layout.full_shape(batch, channels, &spatial), layout)?;
    let (_, _, out_spatial) = layout.split_shape(plan.output_shape());
    let mut out = shape.to_vec();
    for (&i, &d) in spatial_at.iter().zip(out_spatial) {
        out[i] = d;
    }
    Ok(out)
}

fn list(shape: &[usize]) -> String {
    format!("{shape:?}")
}
