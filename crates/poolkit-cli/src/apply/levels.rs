//! Pooling as a transform of whole files: one operator applied K times (a pooling pyramid),
//! with an image's alpha channel optionally pooled by its own rule.

use crate::any_tensor::{with_pooled_type, AnyTensor, Scalar};
use crate::cli::{AlphaMode, OpFlags};
use crate::imageio::has_alpha;
use crate::op_spec::pool_spec;
use anyhow::{Context, Result};
use poolkit::{pool, Element, Layout, PoolPlan, PoolSpec, Reduction, Tensor, TensorView};

/// The K levels of applying the operator repeatedly: level k is level k-1 pooled again.
pub fn pool_levels(
    input: &AnyTensor,
    layout: Layout,
    flags: &OpFlags,
    repeat: u32,
    alpha: Option<AlphaMode>,
) -> Result<Vec<AnyTensor>> {
    let rank = input.shape().len().saturating_sub(2);
    let spec = pool_spec(flags, rank)?;
    let mut levels: Vec<AnyTensor> = Vec::with_capacity(repeat as usize);
    for level in 1..=repeat {
        let source = levels.last().unwrap_or(input);
        let next = with_pooled_type!(source, "the input", |t| pool_once(t, &spec, layout, alpha));
        let next = if repeat > 1 {
            next.with_context(|| {
                format!(
                    "level {level} of --repeat {repeat} (input shape {:?})",
                    source.shape()
                )
            })?
        } else {
            next?
        };
        levels.push(next);
    }
    Ok(levels)
}

fn pool_once<T: Element + Scalar>(
    x: &Tensor<T>,
    spec: &PoolSpec,
    layout: Layout,
    alpha: Option<AlphaMode>,
) -> Result<AnyTensor> {
    let shape = x.shape();
    let channels = shape.last().copied().unwrap_or(0);
    let split_alpha = match alpha {
        Some(mode) if layout == Layout::ChannelsLast && has_alpha(channels) => Some(mode),
        _ => None,
    };
    let Some(mode) = split_alpha else {
        let plan = PoolPlan::new(spec, shape, layout)?;
        return Ok(T::wrap(pool(&plan, &x.view())?));
    };
    // Colour and alpha as two strided views of the same pixels: no copy on the way in.
    let strides = poolkit::contiguous_strides(shape);
    let mut colour_shape = shape.to_vec();
    *colour_shape.last_mut().expect("rank checked") = channels - 1;
    let mut alpha_shape = shape.to_vec();
    *alpha_shape.last_mut().expect("rank checked") = 1;
    let colour = TensorView::with_strides(x.data(), &colour_shape, &strides, 0)?;
    let alpha_view = TensorView::with_strides(x.data(), &alpha_shape, &strides, channels - 1)?;
    let alpha_spec = PoolSpec {
        reduction: match (mode, spec.reduction) {
            (AlphaMode::KeepMax, _) => Reduction::Max,
            (AlphaMode::Average, avg @ Reduction::Avg { .. }) => avg,
            (AlphaMode::Average, _) => Reduction::Avg {
                count_include_pad: false,
                divisor_override: None,
            },
        },
        region: spec.region.clone(),
    };
    let colour_out = pool(&PoolPlan::new(spec, &colour_shape, layout)?, &colour)?;
    let alpha_out = pool(
        &PoolPlan::new(&alpha_spec, &alpha_shape, layout)?,
        &alpha_view,
    )?;
    let mut out_shape = colour_out.shape().to_vec();
    *out_shape.last_mut().expect("rank checked") = channels;
    let merged: Vec<T> = colour_out
        .data()
        .chunks_exact(channels - 1)
        .zip(alpha_out.data())
        .flat_map(|(c, &a)| c.iter().copied().chain(std::iter::once(a)))
        .collect();
    Ok(T::wrap(Tensor::from_vec(merged, &out_shape)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Op, Sizes};

    fn flags(op: Op) -> OpFlags {
        OpFlags {
            op,
            kernel: Some(Sizes(vec![2])),
            stride: None,
            dilation: None,
            pads: None,
            padding: None,
            auto_pad: None,
            ceil_mode: false,
            count_include_pad: false,
            divisor_override: None,
            p: None,
            output_size: None,
            output_shape: None,
        }
    }

    #[test]
    fn alpha_keep_max_pools_alpha_apart() {
        // 2x2 grey+alpha: grey 10, 20, 30, 41 and alpha 0, 0, 0, 255.
        let pixels = vec![10u8, 0, 20, 0, 30, 0, 41, 255];
        let x = AnyTensor::U8(Tensor::from_vec(pixels, &[1, 2, 2, 2]).unwrap());
        let avg = flags(Op::Avg);
        let plain = pool_levels(&x, Layout::ChannelsLast, &avg, 1, None).unwrap();
        // 101/4 = 25.25 -> 25; 255/4 = 63.75 -> 64.
        assert_eq!(plain[0].to_f64_vec(), vec![25.0, 64.0]);
        let kept =
            pool_levels(&x, Layout::ChannelsLast, &avg, 1, Some(AlphaMode::KeepMax)).unwrap();
        assert_eq!(kept[0].to_f64_vec(), vec![25.0, 255.0]);
        let max = flags(Op::Max);
        let averaged =
            pool_levels(&x, Layout::ChannelsLast, &max, 1, Some(AlphaMode::Average)).unwrap();
        assert_eq!(averaged[0].to_f64_vec(), vec![41.0, 64.0]);
    }

    #[test]
    fn repeat_pools_each_level_again() {
        let x = AnyTensor::F32(
            Tensor::from_vec((0..16).map(|v| v as f32).collect(), &[1, 1, 4, 4]).unwrap(),
        );
        let levels = pool_levels(&x, Layout::ChannelsFirst, &flags(Op::Max), 2, None).unwrap();
        assert_eq!(levels[0].to_f64_vec(), vec![5.0, 7.0, 13.0, 15.0]);
        assert_eq!(levels[1].to_f64_vec(), vec![15.0]);
        let err = pool_levels(&x, Layout::ChannelsFirst, &flags(Op::Max), 3, None).unwrap_err();
        assert!(
            format!("{err:#}").starts_with("level 3 of --repeat 3"),
            "{err:#}"
        );
    }
}
