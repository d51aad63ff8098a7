//! Gradient routing: the backward pass of the selected operator for an upstream gradient
//! (all ones unless the page sends one). Max sends each output's gradient to its winning
//! cell, average spreads it over the window, overlapping windows add up.

use super::error::ApiError;
use super::grid::{checked_cells, grid_of, Grid};
use super::request::GridRequest;
use super::settings::Settings;
use poolkit::{pool, pool_backward, TensorView};
use serde_json::{json, Value};

/// `POST /api/gradient`.
pub fn gradient(request: GridRequest) -> Result<Value, ApiError> {
    let (grid, settings) = request.checked()?;
    gradient_view(&grid, settings, request.upstream.as_deref())
}

/// The forward output, the upstream gradient and the input gradient of `settings.operator`.
pub(super) fn gradient_view(
    grid: &Grid,
    settings: &Settings,
    upstream: Option<&[Vec<f64>]>,
) -> Result<Value, ApiError> {
    let plan = grid.plan(&settings.operator_spec())?;
    let forward = grid_of(pool(&plan, &grid.view())?);
    let (rows, cols) = (forward.rows, forward.cols);
    let upstream = match upstream {
        None => Grid::from_flat(rows, cols, vec![1.0; rows * cols]),
        Some(given) => checked_upstream(given, rows, cols)?,
    };
    let dy = TensorView::new(&upstream.values, plan.output_shape())?;
    let dx = grid_of(pool_backward(&plan, &grid.view(), &dy)?);
    Ok(json!({
        "operator": settings.operator,
        "output": forward.to_json(),
        "upstream": upstream.to_json(),
        "grad_input": dx.to_json(),
        "upstream_total": upstream.values.iter().sum::<f64>(),
        "grad_input_total": dx.values.iter().sum::<f64>(),
        "cells_receiving": dx.values.iter().filter(|&&g| g != 0.0).count(),
    }))
}

fn checked_upstream(given: &[Vec<f64>], rows: usize, cols: usize) -> Result<Grid, ApiError> {
    let shape_ok = given.len() == rows && given.iter().all(|r| r.len() == cols);
    if !shape_ok {
        let got_cols = given.first().map_or(0, Vec::len);
        return Err(ApiError::field(
            "upstream",
            format!(
                "upstream gradient is {}×{got_cols} but the pooled output is {rows}×{cols}: \
                 the upstream gradient has the output's shape",
                given.len()
            ),
        ));
    }
    Ok(Grid::from_flat(
        rows,
        cols,
        checked_cells(given, "upstream")?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::seed_grid;
    use crate::settings::Operator;

    fn request(settings: Value, upstream: Option<Value>) -> GridRequest {
        let mut body = json!({ "grid": seed_grid().to_json(), "settings": settings });
        if let Some(u) = upstream {
            body["upstream"] = u;
        }
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn max_routes_ones_to_the_winners_only() {
        let v = gradient(request(json!({}), None)).unwrap();
        let dx = &v["grad_input"];
        assert_eq!(dx[1][1], json!(1.0)); // the 9 of the first window
        assert_eq!(dx[0][0], json!(0.0));
        assert_eq!(v["cells_receiving"], json!(9));
        assert_eq!(v["grad_input_total"], json!(9.0));
    }

    #[test]
    fn average_spreads_a_quarter_to_every_cell() {
        let v = gradient(request(json!({ "operator": "avg" }), None)).unwrap();
        assert!(v["grad_input"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap())
            .all(|g| g == &json!(0.25)));
    }

    #[test]
    fn overlapping_max_windows_add_up() {
        let v = gradient(request(
            json!({ "kernel": [3, 3], "stride": [1, 1] }),
            Some(json!(vec![vec![1.0; 4]; 4])),
        ))
        .unwrap();
        assert_eq!(v["grad_input_total"], json!(16.0));
        // The 9 at (2, 4) wins every window that contains it: 3 rows × 2 columns of windows.
        assert_eq!(v["grad_input"][2][4], json!(6.0));
    }

    #[test]
    fn global_average_sends_one_over_n_everywhere() {
        let v = gradient(request(
            json!({ "operator": "global_avg" }),
            Some(json!([[36.0]])),
        ))
        .unwrap();
        assert_eq!(v["operator"], json!(Operator::GlobalAvg));
        assert_eq!(v["grad_input"][5][5], json!(1.0));
    }

    #[test]
    fn upstream_of_the_wrong_shape_is_refused_naming_both_shapes() {
        let e = gradient(request(json!({}), Some(json!([[1.0, 1.0]])))).unwrap_err();
        assert!(
            e.message.contains("1×2 but the pooled output is 3×3"),
            "{}",
            e.message
        );
    }
}
