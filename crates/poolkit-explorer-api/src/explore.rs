//! The seed's explorer: max and average pooling of the grid side by side (plus Lp when it is
//! the selected operator), each output's window and contributing cells, which outputs read
//! each input, the shape formula, the max-versus-average summary, and global pooling.

use super::error::ApiError;
use super::grid::{grid_of, rows_json, Grid};
use super::request::GridRequest;
use super::settings::{Operator, Settings};
use super::{conv, frameworks, gradient, shift};
use poolkit::teach::explain_output_shape;
use poolkit::{max_pool_with_indices, pool, IndexConvention, PoolPlan, PoolSpec};
use serde_json::{json, Value};

/// `POST /api/explore`: everything the page shows for one state.
pub fn explore(request: GridRequest) -> Result<Value, ApiError> {
    let (grid, settings) = request.checked()?;
    Ok(json!({
        "input": grid.to_json(),
        "pool": pool_view(&grid, settings)?,
        "frameworks": frameworks::differences(settings, &grid),
        "global": global_view(&grid)?,
        "gradient": gradient::gradient_view(&grid, settings, request.upstream.as_deref())?,
        "shift": shift::shift_view(&grid, settings, request.shift.unwrap_or_default(), request.shift_by)?,
        "conv": conv::conv_view(&grid, settings, request.weights.as_deref())?,
    }))
}

/// `POST /api/pool`: only the pooling panels.
pub fn pool_only(request: GridRequest) -> Result<Value, ApiError> {
    let (grid, settings) = request.checked()?;
    pool_view(&grid, settings)
}

/// Max pooling and its argmax cells as `(pooled, [(row, col)])`.
pub(super) fn max_with_argmax(
    plan: &PoolPlan,
    grid: &Grid,
) -> Result<(Grid, Vec<[usize; 2]>), ApiError> {
    let (values, indices) = max_pool_with_indices(plan, &grid.view(), IndexConvention::Torch)?;
    let cells = indices
        .data()
        .iter()
        .map(|&i| [i as usize / grid.cols, i as usize % grid.cols])
        .collect();
    Ok((grid_of(values), cells))
}

fn pool_view(grid: &Grid, settings: &Settings) -> Result<Value, ApiError> {
    let max_plan = grid.plan(&settings.max_spec())?;
    let avg_plan = grid.plan(&settings.avg_spec())?;
    let (max, argmax) = max_with_argmax(&max_plan, grid)?;
    let avg = grid_of(pool(&avg_plan, &grid.view())?);
    let lp = match settings.operator {
        Operator::Lp => {
            let lp_plan = grid.plan(&settings.lp_spec())?;
            let values = grid_of(pool(&lp_plan, &grid.view())?);
            json!({ "p": settings.p, "values": values.to_json() })
        }
        _ => Value::Null,
    };
    let (out_rows, out_cols) = (max.rows, max.cols);
    let divisors: Vec<usize> = (0..out_rows * out_cols)
        .map(|o| {
            avg_plan
                .avg_divisor(&[o / out_cols, o % out_cols])
                .map_or(0, |d| d as usize)
        })
        .collect();
    let axes = max_plan.axes();
    let formulas: Vec<Value> = explain_output_shape(&settings.max_spec(), &[grid.rows, grid.cols], "hw")?
        .into_iter()
        .map(|a| json!({ "axis": a.axis.to_string(), "input": a.input, "output": a.output, "formula": a.formula }))
        .collect();
    Ok(json!({
        "output_shape": [out_rows, out_cols],
        "formulas": formulas,
        "pads": { "rows": axes[0].pads(), "cols": axes[1].pads() },
        "windows": windows(&max_plan, out_cols),
        "readers": readers(&max_plan, grid),
        "max": { "values": max.to_json(), "argmax": rows_json(&argmax, out_cols) },
        "avg": { "values": avg.to_json(), "divisors": rows_json(&divisors, out_cols) },
        "lp": lp,
        "summary": summary(&max, &avg),
    }))
}

/// Each output's window: the input rows and columns it reads, every tap's position (outside
/// the grid too), and how many of its taps fall outside the grid (padding or the ceil-mode
/// overhang).
fn windows(plan: &PoolPlan, out_cols: usize) -> Value {
    let axes = plan.axes();
    let cells: Vec<Value> = (0..axes[0].output)
        .flat_map(|oh| (0..axes[1].output).map(move |ow| (oh, ow)))
        .map(|(oh, ow)| {
            let rows: Vec<usize> = axes[0].taps(oh).collect();
            let cols: Vec<usize> = axes[1].taps(ow).collect();
            let (wr, wc) = (axes[0].window(oh), axes[1].window(ow));
            let taps = wr.taps * wc.taps;
            // Every tap's position, in padding and past the edge too (negative before it).
            let all = |w: poolkit::AxisWindow| (0..w.taps).map(|t| w.tap(t)).collect::<Vec<_>>();
            json!({
                "rows": rows,
                "cols": cols,
                "row_taps": all(wr),
                "col_taps": all(wc),
                "taps": taps,
                "outside_taps": taps - rows.len() * cols.len(),
            })
        })
        .collect();
    rows_json(&cells, out_cols)
}

/// For each input cell, the output cells whose windows read it.
fn readers(plan: &PoolPlan, grid: &Grid) -> Value {
    let axes = plan.axes();
    let mut readers = vec![Vec::<[usize; 2]>::new(); grid.rows * grid.cols];
    for oh in 0..axes[0].output {
        for ow in 0..axes[1].output {
            for r in axes[0].taps(oh) {
                for c in axes[1].taps(ow) {
                    readers[r * grid.cols + c].push([oh, ow]);
                }
            }
        }
    }
    rows_json(&readers, grid.cols)
}

/// The seed's "Max vs. Avg — how different are they?" numbers.
fn summary(max: &Grid, avg: &Grid) -> Value {
    let gaps = max.minus(avg).values;
    let mean_gap = gaps.iter().sum::<f64>() / gaps.len() as f64;
    let (at, largest_gap) =
        gaps.iter()
            .copied()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |best, (i, g)| {
                if g > best.1 {
                    (i, g)
                } else {
                    best
                }
            });
    let below = gaps.iter().filter(|&&g| g < 0.0).count();
    json!({
        "gaps": rows_json(&gaps, max.cols),
        "mean_gap": mean_gap,
        "largest_gap": largest_gap,
        "largest_gap_at": [at / max.cols, at % max.cols],
        "max_never_below_avg": below == 0,
        "cells_where_avg_exceeds_max": below,
    })
}

/// Global max and global average: the grid reduced to one number each.
fn global_view(grid: &Grid) -> Result<Value, ApiError> {
    let max_plan = grid.plan(&PoolSpec::global_max())?;
    let (max, at) = max_with_argmax(&max_plan, grid)?;
    let avg = grid_of(pool(&grid.plan(&PoolSpec::global_avg())?, &grid.view())?);
    Ok(json!({
        "max": max.values[0],
        "max_at": at[0],
        "avg": avg.values[0],
        "count": grid.rows * grid.cols,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::seed_grid;
    use poolkit::teach::compare_max_avg;

    fn seed_request() -> GridRequest {
        serde_json::from_value(json!({ "grid": seed_grid().to_json() })).unwrap()
    }

    #[test]
    fn seed_grid_gives_the_seeds_outputs_and_summary() {
        let v = pool_only(seed_request()).unwrap();
        assert_eq!(v["output_shape"], json!([3, 3]));
        assert_eq!(
            v["max"]["values"],
            json!([[9.0, 8.0, 7.0], [6.0, 7.0, 9.0], [8.0, 9.0, 6.0]])
        );
        assert_eq!(
            v["avg"]["values"],
            json!([[6.0, 4.5, 4.5], [3.5, 3.75, 6.0], [4.5, 5.75, 3.5]])
        );
        assert_eq!(v["summary"]["mean_gap"], json!(3.0));
        assert_eq!(v["summary"]["largest_gap"], json!(3.5));
        assert_eq!(v["summary"]["max_never_below_avg"], json!(true));
        // The first window's 9 sits at row 1, column 1 (0-based).
        assert_eq!(v["max"]["argmax"][0][0], json!([1, 1]));
        assert_eq!(v["windows"][1][2]["rows"], json!([2, 3]));
        assert_eq!(v["readers"][3][3], json!([[1, 1]]));
    }

    #[test]
    fn summary_agrees_with_the_librarys_teaching_comparison() {
        let grid = seed_grid();
        let c = compare_max_avg(&grid.values, 6, 6, &Settings::default().window()).unwrap();
        let v = pool_only(seed_request()).unwrap();
        assert_eq!(v["summary"]["mean_gap"], json!(c.mean_gap));
        assert_eq!(v["summary"]["largest_gap"], json!(c.largest_gap));
    }

    #[test]
    fn overlapping_windows_list_every_reader() {
        let mut r = seed_request();
        r.settings.kernel = vec![3, 3];
        r.settings.stride = vec![1, 1];
        let v = pool_only(r).unwrap();
        assert_eq!(v["output_shape"], json!([4, 4]));
        // The centre cell (2, 2) is read by the 3×3 block of outputs (0..=2, 0..=2).
        assert_eq!(v["readers"][2][2].as_array().unwrap().len(), 9);
    }

    #[test]
    fn count_include_pad_can_put_avg_above_max_and_says_so() {
        let r: GridRequest = serde_json::from_value(json!({
            "grid": [[-4.0, -4.0], [-4.0, -4.0]],
            "settings": { "operator": "avg", "kernel": [2, 2], "stride": [1, 1], "pad_begin": [1, 1], "pad_end": [0, 0], "count_include_pad": true }
        })).unwrap();
        let v = pool_only(r).unwrap();
        assert_eq!(v["avg"]["values"][0][0], json!(-1.0));
        assert_eq!(v["summary"]["max_never_below_avg"], json!(false));
        assert_eq!(v["windows"][0][0]["outside_taps"], json!(3));
    }

    #[test]
    fn lp_panel_appears_only_for_the_lp_operator() {
        assert!(pool_only(seed_request()).unwrap()["lp"].is_null());
        let mut r = seed_request();
        r.settings.operator = Operator::Lp;
        r.settings.p = 1.0;
        let v = pool_only(r).unwrap();
        // p = 1 sums absolute values: the first window is 8+2+5+9 (up to the library's
        // max-scaled evaluation, which may round in the last bit).
        let first = v["lp"]["values"][0][0].as_f64().unwrap();
        assert!((first - 24.0).abs() < 1e-12, "{first}");
    }

    #[test]
    fn a_window_larger_than_the_grid_is_refused_in_words() {
        let mut r = seed_request();
        r.settings.kernel = vec![7, 2];
        let e = pool_only(r).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains("no window fits"), "{}", e.message);
    }

    /// In ceil mode a window may overhang the grid by up to stride - 1: a 7-row window with
    /// stride 2 on the 6-row grid gives one output row (the formula once underflowed here).
    #[test]
    fn a_ceil_mode_window_longer_than_the_grid_by_less_than_the_stride_pools() {
        let mut r = seed_request();
        r.settings.kernel = vec![7, 2];
        r.settings.ceil_mode = true;
        let v = pool_only(r).unwrap();
        assert_eq!(v["output_shape"], json!([1, 3]), "{v}");
        assert_eq!(v["max"]["values"], json!([[9.0, 9.0, 9.0]]));
    }
}
