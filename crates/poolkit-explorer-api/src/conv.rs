//! The seed's "modern trend": a strided convolution with editable weights beside average
//! pooling, both with the page's window (kernel, stride, dilation, padding). With every weight
//! 1/(kernel rows × kernel columns) the two give the same numbers wherever average pooling
//! divides by the full window (no padding, or padding counted); the convolution has weights
//! to learn, pooling none.
//!
//! The windows come from the library's plan of that pooling, so both read the same cells.

use super::error::ApiError;
use super::grid::{checked_cells, grid_of, Grid};
use super::request::GridRequest;
use super::settings::Settings;
use poolkit::pool;
use serde_json::{json, Value};

/// Channels of the worked parameter count: a convolution replacing pooling maps C channels
/// to C; C = 32 is the seed checkpoint's feature map.
const EXAMPLE_CHANNELS: usize = 32;

/// `POST /api/conv`.
pub fn conv(request: GridRequest) -> Result<Value, ApiError> {
    let (grid, settings) = request.checked()?;
    conv_view(&grid, settings, request.weights.as_deref())
}

/// Convolution output, average-pool output, their difference, and the parameter counts.
pub(super) fn conv_view(
    grid: &Grid,
    settings: &Settings,
    weights: Option<&[Vec<f64>]>,
) -> Result<Value, ApiError> {
    let (kh, kw) = (settings.kernel[0], settings.kernel[1]);
    let weights = checked_weights(weights, kh, kw)?;
    let avg_plan = grid.plan(&settings.avg_spec())?;
    let avg = grid_of(pool(&avg_plan, &grid.view())?);
    let axes = avg_plan.axes();
    let mut out = Vec::with_capacity(avg.values.len());
    for oh in 0..axes[0].output {
        let rows = axes[0].window(oh);
        for ow in 0..axes[1].output {
            let cols = axes[1].window(ow);
            // Taps in the padding read zeros: only in-bounds taps add to the sum.
            let mut sum = 0.0;
            for r in axes[0].taps(oh) {
                let kr = (r as isize - rows.start) as usize / rows.dilation;
                for c in axes[1].taps(ow) {
                    let kc = (c as isize - cols.start) as usize / cols.dilation;
                    sum += weights[kr * kw + kc] * grid.at(r, c);
                }
            }
            out.push(sum);
        }
    }
    let conv = Grid::from_flat(avg.rows, avg.cols, out);
    let difference = conv.minus(&avg);
    let max_abs_difference = difference.values.iter().fold(0.0f64, |m, d| m.max(d.abs()));
    // Weights like 1/9 have no exact binary form: a weighted sum and a sum divided by 9 may
    // then differ in the last bits. Equal "to rounding" means within 1e-12 of the values' size.
    let size = avg.values.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    let equal_to_rounding = max_abs_difference <= 1e-12 * size;
    let per_channel_pair = weights.len();
    let c = EXAMPLE_CHANNELS;
    Ok(json!({
        "kernel": [kh, kw],
        "weights": Grid::from_flat(kh, kw, weights.clone()).to_json(),
        "output": conv.to_json(),
        "avg_pool": avg.to_json(),
        "difference": difference.to_json(),
        "max_abs_difference": max_abs_difference,
        "equals_avg_pool": equal_to_rounding,
        "exactly_equal": max_abs_difference == 0.0,
        "parameters": {
            "one_channel": { "weights": per_channel_pair, "biases": 1, "total": per_channel_pair + 1 },
            "example_channels": c,
            "with_channels": { "weights": c * c * per_channel_pair, "biases": c, "total": c * c * per_channel_pair + c },
            "pool": 0,
        },
    }))
}

/// The given weights, `kh` rows of `kw`; absent, each `1 / (kh·kw)`, the averaging weights.
fn checked_weights(
    weights: Option<&[Vec<f64>]>,
    kh: usize,
    kw: usize,
) -> Result<Vec<f64>, ApiError> {
    let Some(rows) = weights else {
        return Ok(vec![1.0 / (kh * kw) as f64; kh * kw]);
    };
    if rows.len() != kh || rows.iter().any(|r| r.len() != kw) {
        return Err(ApiError::field(
            "weights",
            format!(
                "weights have {} rows of {:?} values: a {kh}×{kw} convolution has {kh} rows of {kw} weights",
                rows.len(),
                rows.iter().map(Vec::len).collect::<Vec<_>>()
            ),
        ));
    }
    checked_cells(rows, "weight")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::seed_grid;

    fn with(change: impl FnOnce(&mut Settings)) -> Settings {
        let mut s = Settings::default();
        change(&mut s);
        s
    }

    #[test]
    fn quarter_weights_equal_average_pooling_exactly() {
        let v = conv_view(&seed_grid(), &Settings::default(), None).unwrap();
        assert_eq!(v["output"], v["avg_pool"]);
        assert_eq!(v["equals_avg_pool"], json!(true));
        assert_eq!(
            v["parameters"]["one_channel"],
            json!({"weights": 4, "biases": 1, "total": 5})
        );
        assert_eq!(v["parameters"]["pool"], json!(0));
        assert_eq!(
            v["parameters"]["with_channels"],
            json!({"weights": 32 * 32 * 4, "biases": 32, "total": 32 * 32 * 4 + 32})
        );
    }

    #[test]
    fn the_convolution_follows_the_pages_window() {
        let s = with(|s| {
            s.kernel = vec![3, 3];
            s.stride = vec![1, 1];
        });
        let v = conv_view(&seed_grid(), &s, None).unwrap();
        assert_eq!(v["kernel"], json!([3, 3]));
        assert_eq!(v["equals_avg_pool"], json!(true));
        assert_eq!(v["output"].as_array().unwrap().len(), 4);
        assert_eq!(v["parameters"]["one_channel"]["weights"], json!(9));
        // Ninths: the same windows, the same mean up to rounding of the weights' sum.
        let (out, avg) = (&v["output"], &v["avg_pool"]);
        for (o, a) in out
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap().clone())
            .zip(
                avg.as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|r| r.as_array().unwrap().clone()),
            )
        {
            assert!((o.as_f64().unwrap() - a.as_f64().unwrap()).abs() < 1e-12);
        }
    }

    #[test]
    fn with_padding_not_counted_the_border_differs_from_average_pooling() {
        let s = with(|s| {
            s.pad_begin = vec![1, 1];
            s.pad_end = vec![1, 1];
            s.kernel = vec![3, 3];
        });
        let v = conv_view(&seed_grid(), &s, None).unwrap();
        assert_eq!(v["equals_avg_pool"], json!(false));
        let counted = with(|s| {
            s.pad_begin = vec![1, 1];
            s.pad_end = vec![1, 1];
            s.kernel = vec![2, 2];
            s.count_include_pad = true;
        });
        let v = conv_view(&seed_grid(), &counted, None).unwrap();
        assert_eq!(v["equals_avg_pool"], json!(true));
    }

    #[test]
    fn other_weights_differ_and_pick_cells() {
        let w = vec![vec![0.0, 0.0], vec![0.0, 1.0]];
        let v = conv_view(&seed_grid(), &Settings::default(), Some(&w)).unwrap();
        // Bottom-right of each window: (1,1)=9, (1,3)=8, (1,5)=6.
        assert_eq!(v["output"][0], json!([9.0, 8.0, 6.0]));
        assert_eq!(v["equals_avg_pool"], json!(false));
    }

    #[test]
    fn odd_grids_drop_the_last_row_and_column_like_pooling() {
        let grid = Grid::from_flat(3, 3, (1..=9).map(f64::from).collect());
        let v = conv_view(&grid, &Settings::default(), None).unwrap();
        assert_eq!(v["output"], json!([[3.0]]));
    }

    #[test]
    fn malformed_weights_are_refused() {
        let e = conv_view(&seed_grid(), &Settings::default(), Some(&[vec![1.0]])).unwrap_err();
        assert!(e.message.contains("2 rows of 2 weights"), "{}", e.message);
    }
}
