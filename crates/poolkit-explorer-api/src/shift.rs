//! The seed's spatial-invariance claim, measured: shift the grid by one pixel or more (zero
//! fill), pool before and after with max and with average, and count the outputs that did not
//! change. A shift by a multiple of the stride also counts the outputs equal to their
//! neighbour's old value: the pooled map moved along (equivariance), which is what pooling
//! actually guarantees.

use super::error::ApiError;
use super::grid::{grid_of, Grid};
use super::request::{Direction, GridRequest};
use super::settings::Settings;
use poolkit::{pool, PoolPlan};
use serde_json::{json, Value};

/// Largest shift the demo takes, in pixels.
pub const MAX_SHIFT: usize = 8;

/// `POST /api/shift`.
pub fn shift(request: GridRequest) -> Result<Value, ApiError> {
    let (grid, settings) = request.checked()?;
    shift_view(
        &grid,
        settings,
        request.shift.unwrap_or_default(),
        request.shift_by,
    )
}

/// The grid moved `by` pixels in `direction`; cells moved in from outside are 0.
pub fn shifted(grid: &Grid, direction: Direction, by: usize) -> Grid {
    let (dr, dc) = direction.offset();
    let (dr, dc) = (dr * by as isize, dc * by as isize);
    let values = (0..grid.rows)
        .flat_map(|r| (0..grid.cols).map(move |c| (r, c)))
        .map(|(r, c)| {
            let (from_r, from_c) = (r as isize - dr, c as isize - dc);
            let inside = (0..grid.rows as isize).contains(&from_r)
                && (0..grid.cols as isize).contains(&from_c);
            if inside {
                grid.at(from_r as usize, from_c as usize)
            } else {
                0.0
            }
        })
        .collect();
    Grid::from_flat(grid.rows, grid.cols, values)
}

/// Before, after, per-cell change and unchanged count, for max and for average.
pub(super) fn shift_view(
    grid: &Grid,
    settings: &Settings,
    direction: Direction,
    by: Option<usize>,
) -> Result<Value, ApiError> {
    let by = by.unwrap_or(1);
    if !(1..=MAX_SHIFT).contains(&by) {
        return Err(ApiError::field(
            "shift_by",
            format!("A shift of {by} pixels: choose 1 to {MAX_SHIFT}."),
        ));
    }
    let moved = shifted(grid, direction, by);
    let max_plan = grid.plan(&settings.max_spec())?;
    let avg_plan = grid.plan(&settings.avg_spec())?;
    // Along the shift's axis, a multiple of the stride moves every window by whole outputs.
    let (dr, dc) = direction.offset();
    let stride = settings.stride[if dr != 0 { 0 } else { 1 }];
    let cells = by.is_multiple_of(stride).then(|| {
        let m = (by / stride) as isize;
        (dr * m, dc * m)
    });
    Ok(json!({
        "direction": direction.name(),
        "by": by,
        "stride": stride,
        "output_cells_moved": cells.map(|(r, c)| r.abs().max(c.abs())),
        "shifted": moved.to_json(),
        "max": compare(&max_plan, grid, &moved, cells)?,
        "avg": compare(&avg_plan, grid, &moved, cells)?,
    }))
}

fn compare(
    plan: &PoolPlan,
    before: &Grid,
    after: &Grid,
    cells: Option<(isize, isize)>,
) -> Result<Value, ApiError> {
    let b = grid_of(pool(plan, &before.view())?);
    let a = grid_of(pool(plan, &after.view())?);
    let change = a.minus(&b);
    let unchanged = change.values.iter().filter(|&&d| d == 0.0).count();
    // Outputs equal to the old output the shift carried them from, where one exists.
    let moved_along = cells.map(|(mr, mc)| {
        let (mut equal, mut comparable) = (0, 0);
        for r in 0..b.rows {
            for c in 0..b.cols {
                let (from_r, from_c) = (r as isize - mr, c as isize - mc);
                if (0..b.rows as isize).contains(&from_r) && (0..b.cols as isize).contains(&from_c)
                {
                    comparable += 1;
                    equal += usize::from(a.at(r, c) == b.at(from_r as usize, from_c as usize));
                }
            }
        }
        json!({ "equal": equal, "comparable": comparable })
    });
    Ok(json!({
        "before": b.to_json(),
        "after": a.to_json(),
        "change": change.to_json(),
        "unchanged": unchanged,
        "total": b.values.len(),
        "moved_along": moved_along,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::seed_grid;

    /// The shift view of the seed grid under the default settings, moved right by `by`.
    fn seed_right(by: Option<usize>) -> Result<Value, ApiError> {
        shift_view(&seed_grid(), &Settings::default(), Direction::Right, by)
    }

    #[test]
    fn shifting_right_moves_columns_and_fills_zeros() {
        let s = shifted(&seed_grid(), Direction::Right, 1);
        assert_eq!(&s.values[..6], &[0., 8., 2., 6., 1., 7.]);
        let up = shifted(&seed_grid(), Direction::Up, 1);
        assert_eq!(&up.values[30..], &[0.; 6]);
        assert_eq!(&up.values[..6], &[5., 9., 3., 8., 2., 6.]);
    }

    #[test]
    fn a_spike_inside_one_window_survives_max_but_moves_the_same_for_avg() {
        // A single 9 at (0, 0), moved right to (0, 1): still in the first 2×2 window.
        let mut values = vec![0.0; 16];
        values[0] = 9.0;
        let grid = Grid::from_flat(4, 4, values);
        let v = shift_view(&grid, &Settings::default(), Direction::Right, None).unwrap();
        assert_eq!(v["max"]["unchanged"], json!(4));
        assert_eq!(v["avg"]["unchanged"], json!(4));
        assert_eq!(v["max"]["total"], json!(4));
    }

    #[test]
    fn seed_grid_shift_counts_are_what_the_outputs_say() {
        let v = seed_right(None).unwrap();
        for op in ["max", "avg"] {
            let change = v[op]["change"].as_array().unwrap();
            let zero = change
                .iter()
                .flat_map(|r| r.as_array().unwrap())
                .filter(|d| d.as_f64() == Some(0.0))
                .count();
            assert_eq!(v[op]["unchanged"], json!(zero), "{op}");
        }
    }

    #[test]
    fn a_shift_by_the_stride_moves_the_pooled_map_along() {
        let v = seed_right(Some(2)).unwrap();
        assert_eq!(v["output_cells_moved"], json!(1));
        // Every output with a left neighbour now holds that neighbour's old value.
        assert_eq!(
            v["max"]["moved_along"],
            json!({"equal": 6, "comparable": 6})
        );
        assert_eq!(
            v["avg"]["moved_along"],
            json!({"equal": 6, "comparable": 6})
        );
        let one = seed_right(Some(1)).unwrap();
        assert_eq!(one["output_cells_moved"], json!(null));
        assert_eq!(one["max"]["moved_along"], json!(null));
        let e = seed_right(Some(9)).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("shift_by"));
    }
}
