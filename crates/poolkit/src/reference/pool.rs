//! Reference max / average / Lp pooling over windows, global and adaptive regions.

use super::for_each_index;
use crate::element::Element;
use crate::geometry::{PoolPlan, Reduction};
use crate::indices::IndexConvention;
use crate::tensor::{contiguous_strides, Layout, TensorView};

/// Full multi-index of `(n, c, spatial)` in `layout`.
pub(crate) fn full_index(layout: Layout, n: usize, c: usize, spatial: &[usize]) -> Vec<usize> {
    layout.full_shape(n, c, spatial)
}

/// Flat position of `(n, c, spatial)` in a contiguous tensor of `shape` laid out as `layout`.
pub(crate) fn flat_position(
    layout: Layout,
    shape: &[usize],
    n: usize,
    c: usize,
    spatial: &[usize],
) -> usize {
    let strides = contiguous_strides(shape);
    full_index(layout, n, c, spatial)
        .iter()
        .zip(&strides)
        .map(|(&i, &s)| i * s as usize)
        .sum()
}

/// Every in-bounds spatial position read by output `out`, in row-major window order.
pub(crate) fn window_positions(plan: &PoolPlan, out: &[usize]) -> Vec<Vec<usize>> {
    let per_axis: Vec<Vec<usize>> = plan
        .axes()
        .iter()
        .zip(out)
        .map(|(a, &o)| a.taps(o).collect())
        .collect();
    let counts: Vec<usize> = per_axis.iter().map(Vec::len).collect();
    let mut positions = Vec::new();
    for_each_index(&counts, |t| {
        positions.push(t.iter().zip(&per_axis).map(|(&i, taps)| taps[i]).collect());
    });
    positions
}

/// Pools `input` into the contiguous `output`; with `indices`, also writes each max's index.
///
/// Max: the first maximum in row-major window order wins; the first NaN wins over everything.
/// Average: `Σx / divisor` rounded once. Lp: `m * (Σ (|x|/m)^p)^(1/p)` with `m = max |x|`,
/// so large `p` neither overflows nor underflows; NaN in, NaN out; an infinity gives +inf.
pub fn pool_forward<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    output: &mut [T],
    mut indices: Option<(&mut [i64], IndexConvention)>,
) {
    let layout = plan.layout();
    let in_spatial = plan.input_spatial();
    let out_spatial = plan.output_spatial();
    let out_shape = plan.output_shape().to_vec();
    for (n, c) in super::planes(plan.batch(), plan.channels()) {
        for_each_index(&out_spatial, |out| {
            let values: Vec<(T, Vec<usize>)> = window_positions(plan, out)
                .into_iter()
                .map(|p| (input.get(&full_index(layout, n, c, &p)), p))
                .collect();
            let dst = flat_position(layout, &out_shape, n, c, out);
            output[dst] = match plan.reduction() {
                Reduction::Max => {
                    let (value, pos) = first_max(&values);
                    if let Some((idx, conv)) = indices.as_mut() {
                        idx[dst] = conv.encode(n, c, plan.channels(), pos, &in_spatial);
                    }
                    value
                }
                Reduction::Avg { .. } => {
                    let sum: f64 = values.iter().map(|(v, _)| v.to_f64()).sum();
                    let divisor = plan.avg_divisor(out).expect("avg plan has a divisor");
                    T::from_mean(sum, divisor)
                }
                Reduction::Lp { p } => {
                    T::from_f64(lp_norm(values.iter().map(|(v, _)| v.to_f64()), p))
                }
            };
        });
    }
}

/// The first maximum, or the first NaN, of a non-empty window.
pub(crate) fn first_max<T: Element, P>(values: &[(T, P)]) -> (T, &P) {
    let mut best = &values[0];
    for candidate in &values[1..] {
        if best.0.is_nan() {
            break;
        }
        if candidate.0.is_nan() || candidate.0 > best.0 {
            best = candidate;
        }
    }
    (best.0, &best.1)
}

/// `(Σ |x|^p)^(1/p)`, scaled by the largest magnitude for stability.
pub(crate) fn lp_norm(values: impl Iterator<Item = f64> + Clone, p: f64) -> f64 {
    let mut m = 0.0f64;
    for v in values.clone() {
        if v.is_nan() {
            return f64::NAN;
        }
        m = m.max(v.abs());
    }
    if m == 0.0 || m.is_infinite() {
        return m;
    }
    // libm's pow, not the platform's: the same bits on every target (see docs/semantics.md).
    let s: f64 = values.map(|v| libm::pow(v.abs() / m, p)).sum();
    m * libm::pow(s, 1.0 / p)
}
