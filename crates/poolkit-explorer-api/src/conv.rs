//! The seed's "modern trend": a 2×2, stride-2 convolution with editable weights beside
//! 2×2/s2 average pooling. With every weight 0.25 the two are the same numbers; the
//! convolution has 4 parameters to learn, pooling none.
//!
//! The windows come from the library's plan of that pooling, so both read the same cells.

use super::error::ApiError;
use super::explore::plan;
use super::grid::{check_number, grid_of, Grid};
use super::request::GridRequest;
use poolkit::{pool, PoolSpec, WindowSpec};
use serde_json::{json, Value};

/// The default weights: each 1/4, which makes the convolution an average pool.
pub const AVERAGING_WEIGHT: f64 = 0.25;
/// Channels of the worked parameter count: a 2×2/s2 convolution replacing pooling maps C
/// channels to C; C = 32 is the seed checkpoint's feature map.
const EXAMPLE_CHANNELS: usize = 32;

/// `POST /api/conv`.
pub fn conv(request: GridRequest) -> Result<Value, ApiError> {
    let (grid, _) = request.checked()?;
    conv_view(&grid, request.weights.as_deref())
}

/// Convolution output, average-pool output, their difference, and the parameter counts.
pub(super) fn conv_view(grid: &Grid, weights: Option<&[Vec<f64>]>) -> Result<Value, ApiError> {
    let weights = checked_weights(weights)?;
    let avg_plan = plan(
        &PoolSpec::avg(WindowSpec::new(&[2, 2]).strides(&[2, 2])),
        grid,
    )?;
    let avg = grid_of(pool(&avg_plan, &grid.view())?);
    let axes = avg_plan.axes();
    let mut out = Vec::with_capacity(avg.values.len());
    for oh in 0..axes[0].output {
        for ow in 0..axes[1].output {
            let window = axes[0].window(oh);
            let mut sum = 0.0;
            for r in axes[0].taps(oh) {
                let window_c = axes[1].window(ow);
                for c in axes[1].taps(ow) {
                    let (kr, kc) = (r - window.start as usize, c - window_c.start as usize);
                    sum += weights[kr * 2 + kc] * grid.at(r, c);
                }
            }
            out.push(sum);
        }
    }
    let conv = Grid::from_flat(avg.rows, avg.cols, out);
    let difference: Vec<f64> = conv
        .values
        .iter()
        .zip(&avg.values)
        .map(|(c, a)| c - a)
        .collect();
    let max_abs_difference = difference.iter().fold(0.0f64, |m, d| m.max(d.abs()));
    let per_map = weights.len();
    Ok(json!({
        "weights": Grid::from_flat(2, 2, weights.clone()).to_json(),
        "output": conv.to_json(),
        "avg_pool": avg.to_json(),
        "difference": Grid::from_flat(avg.rows, avg.cols, difference).to_json(),
        "max_abs_difference": max_abs_difference,
        "equals_avg_pool": max_abs_difference == 0.0,
        "parameters": {
            "conv": per_map,
            "pool": 0,
            "example_channels": EXAMPLE_CHANNELS,
            "conv_with_channels": EXAMPLE_CHANNELS * EXAMPLE_CHANNELS * per_map + EXAMPLE_CHANNELS,
        },
    }))
}

fn checked_weights(weights: Option<&[Vec<f64>]>) -> Result<Vec<f64>, ApiError> {
    let Some(rows) = weights else {
        return Ok(vec![AVERAGING_WEIGHT; 4]);
    };
    if rows.len() != 2 || rows.iter().any(|r| r.len() != 2) {
        return Err(ApiError::field(
            "weights",
            format!(
                "weights have {} rows of {:?} values: a 2×2 convolution has 2 rows of 2 weights",
                rows.len(),
                rows.iter().map(Vec::len).collect::<Vec<_>>()
            ),
        ));
    }
    rows.iter()
        .enumerate()
        .flat_map(|(i, r)| r.iter().enumerate().map(move |(j, &w)| (i, j, w)))
        .map(|(i, j, w)| check_number(&format!("weight row {}, column {}", i + 1, j + 1), w))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::seed_grid;

    #[test]
    fn quarter_weights_equal_average_pooling_exactly() {
        let v = conv_view(&seed_grid(), None).unwrap();
        assert_eq!(v["output"], v["avg_pool"]);
        assert_eq!(v["equals_avg_pool"], json!(true));
        assert_eq!(v["parameters"]["conv"], json!(4));
        assert_eq!(v["parameters"]["pool"], json!(0));
        assert_eq!(
            v["parameters"]["conv_with_channels"],
            json!(32 * 32 * 4 + 32)
        );
    }

    #[test]
    fn other_weights_differ_and_pick_cells() {
        let w = vec![vec![0.0, 0.0], vec![0.0, 1.0]];
        let v = conv_view(&seed_grid(), Some(&w)).unwrap();
        // Bottom-right of each window: (1,1)=9, (1,3)=8, (1,5)=6.
        assert_eq!(v["output"][0], json!([9.0, 8.0, 6.0]));
        assert_eq!(v["equals_avg_pool"], json!(false));
    }

    #[test]
    fn odd_grids_drop_the_last_row_and_column_like_pooling() {
        let grid = Grid::from_flat(3, 3, (1..=9).map(f64::from).collect());
        let v = conv_view(&grid, None).unwrap();
        assert_eq!(v["output"], json!([[3.0]]));
    }

    #[test]
    fn malformed_weights_are_refused() {
        let e = conv_view(&seed_grid(), Some(&[vec![1.0]])).unwrap_err();
        assert!(e.message.contains("2 rows of 2 weights"), "{}", e.message);
    }
}
