//! Reference max RoI pooling: the max of each bin, 0 for an empty bin.

use super::pool::flat_position;
use crate::element::Element;
use crate::error::Result;
use crate::geometry::RoiPlan;
use crate::tensor::TensorView;

/// Pools each RoI of `rois` (`[R, 5]`) from `input`; `argmax`, when given, receives the
/// winning `h*W + w` within the RoI's (batch, channel) plane, or -1 for an empty bin.
pub fn max_roi_pool_forward<T: Element>(
    plan: &RoiPlan,
    input: &TensorView<T>,
    rois: &TensorView<T>,
    output: &mut [T],
    mut argmax: Option<&mut [i64]>,
) -> Result<()> {
    let layout = plan.layout();
    let (_, channels, spatial) = layout.split_shape(plan.input_shape());
    let width = spatial[1];
    let [ph, pw] = plan.spec().pooled_shape;
    for r in 0..plan.num_rois() {
        let row: [f64; 5] = std::array::from_fn(|k| rois.get(&[r, k]).to_f64());
        let (b, bins) = plan.bins(r, row)?;
        for c in 0..channels {
            for (k, bin) in bins.iter().enumerate() {
                let (i, j) = (k / pw, k % pw);
                debug_assert!(i < ph);
                let dst = flat_position(layout, plan.output_shape(), r, c, &[i, j]);
                let mut best: Option<(T, usize)> = None;
                for h in bin.h0..bin.h1 {
                    for w in bin.w0..bin.w1 {
                        let v = input.get(&layout.full_shape(b, c, &[h, w]));
                        let take = match best {
                            None => true,
                            Some((bv, _)) => !bv.is_nan() && (v.is_nan() || v > bv),
                        };
                        if take {
                            best = Some((v, h * width + w));
                        }
                    }
                }
                output[dst] = best.map_or(T::ZERO, |(v, _)| v);
                if let Some(a) = argmax.as_mut() {
                    a[dst] = best.map_or(-1, |(_, i)| i as i64);
                }
            }
        }
    }
    Ok(())
}
