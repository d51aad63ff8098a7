//! The explorer's input: a rectangular 2-D grid of finite numbers, 2 to 16 on a side, and
//! the conversions between it, JSON rows and the library's `[1, 1, rows, cols]` tensors.

use super::error::ApiError;
use poolkit::{Layout, PoolPlan, PoolSpec, Tensor, TensorView};
use serde_json::Value;

/// Smallest and largest grid side.
pub const MIN_SIDE: usize = 2;
/// Largest grid side.
pub const MAX_SIDE: usize = 16;
/// Largest magnitude of a value: keeps every sum, mean and Lp norm finite and readable.
pub const MAX_MAGNITUDE: f64 = 1e6;

/// A row-major grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub rows: usize,
    pub cols: usize,
    pub values: Vec<f64>,
}

impl Grid {
    /// Checks JSON rows (`field` names them in errors): rectangular, 2–16 a side, every
    /// value finite and within ±1e6.
    pub fn from_rows(rows: &[Vec<f64>], field: &str) -> Result<Grid, ApiError> {
        let (r, c) = (rows.len(), rows.first().map_or(0, Vec::len));
        check_side(field, "rows", r)?;
        check_side(field, "columns", c)?;
        let mut values = Vec::with_capacity(r * c);
        for (i, row) in rows.iter().enumerate() {
            if row.len() != c {
                return Err(ApiError::field(
                    field,
                    format!(
                        "{field} row {} has {} values but row 1 has {c}: a grid must be rectangular",
                        i + 1,
                        row.len()
                    ),
                ));
            }
            for (j, &v) in row.iter().enumerate() {
                check_value(field, i, j, v)?;
                values.push(v);
            }
        }
        Ok(Grid {
            rows: r,
            cols: c,
            values,
        })
    }

    /// A grid of `rows × cols` from row-major values (sizes trusted: internal use).
    pub fn from_flat(rows: usize, cols: usize, values: Vec<f64>) -> Grid {
        debug_assert_eq!(values.len(), rows * cols);
        Grid { rows, cols, values }
    }

    /// `self − other`, cell by cell (the grids have one shape).
    pub fn minus(&self, other: &Grid) -> Grid {
        debug_assert_eq!((self.rows, self.cols), (other.rows, other.cols));
        let values = self
            .values
            .iter()
            .zip(&other.values)
            .map(|(a, b)| a - b)
            .collect();
        Grid::from_flat(self.rows, self.cols, values)
    }

    /// The value at `(r, c)`.
    pub fn at(&self, r: usize, c: usize) -> f64 {
        self.values[r * self.cols + c]
    }

    /// The library's shape for this grid: one image, one channel.
    pub fn tensor_shape(&self) -> [usize; 4] {
        [1, 1, self.rows, self.cols]
    }

    /// A view for the library.
    pub fn view(&self) -> TensorView<'_, f64> {
        TensorView::new(&self.values, &self.tensor_shape())
            .expect("grid sizes match by construction")
    }

    /// `spec` planned for this grid (`[1, 1, rows, cols]`, channels first).
    pub fn plan(&self, spec: &PoolSpec) -> Result<PoolPlan, ApiError> {
        Ok(PoolPlan::new(
            spec,
            &self.tensor_shape(),
            Layout::ChannelsFirst,
        )?)
    }

    /// JSON rows.
    pub fn to_json(&self) -> Value {
        rows_json(&self.values, self.cols)
    }
}

/// Row-major `values` as JSON rows of `cols`.
pub fn rows_json<T: serde::Serialize>(values: &[T], cols: usize) -> Value {
    Value::Array(
        values
            .chunks(cols.max(1))
            .map(|row| serde_json::to_value(row).unwrap_or(Value::Null))
            .collect(),
    )
}

/// A library output tensor `[1, 1, h, w]` as a grid.
pub fn grid_of(tensor: Tensor<f64>) -> Grid {
    let shape = tensor.shape().to_vec();
    let (h, w) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    Grid::from_flat(h, w, tensor.into_vec())
}

fn check_side(field: &str, what: &str, n: usize) -> Result<(), ApiError> {
    if !(MIN_SIDE..=MAX_SIDE).contains(&n) {
        return Err(ApiError::field(
            field,
            format!("{field} has {n} {what}: grids have {MIN_SIDE} to {MAX_SIDE} {what}"),
        ));
    }
    Ok(())
}

fn check_value(field: &str, r: usize, c: usize, v: f64) -> Result<(), ApiError> {
    if !v.is_finite() || v.abs() > MAX_MAGNITUDE {
        return Err(ApiError::field(
            field,
            format!(
                "{field} row {}, column {} is {v}: values must be finite numbers between -{MAX_MAGNITUDE:e} and {MAX_MAGNITUDE:e}",
                r + 1,
                c + 1
            ),
        ));
    }
    Ok(())
}

/// Checks a single value the same way (for cell edits and weights).
pub fn check_number(field: &str, v: f64) -> Result<f64, ApiError> {
    if !v.is_finite() || v.abs() > MAX_MAGNITUDE {
        return Err(ApiError::field(
            field,
            format!("{field} is {v}: values must be finite numbers between -{MAX_MAGNITUDE:e} and {MAX_MAGNITUDE:e}"),
        ));
    }
    Ok(v)
}

/// The values of `rows`, row-major, each checked by [`check_number`] under the name
/// "`name` row i, column j" (for the weights and the upstream gradient, whose shapes their
/// callers check).
pub fn checked_cells(rows: &[Vec<f64>], name: &str) -> Result<Vec<f64>, ApiError> {
    rows.iter()
        .enumerate()
        .flat_map(|(i, r)| r.iter().enumerate().map(move |(j, &v)| (i, j, v)))
        .map(|(i, j, v)| check_number(&format!("{name} row {}, column {}", i + 1, j + 1), v))
        .collect()
}

/// The seed's 6×6 grid (the library's `teach::SEED_GRID`).
pub fn seed_grid() -> Grid {
    use poolkit::teach::{SEED_GRID, SEED_SIDE};
    Grid::from_flat(SEED_SIDE, SEED_SIDE, SEED_GRID.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ragged_small_and_huge_grids_are_refused_with_the_rule() {
        let ragged = Grid::from_rows(&[vec![1., 2.], vec![3.]], "grid").unwrap_err();
        assert!(ragged.message.contains("rectangular"), "{}", ragged.message);
        let small = Grid::from_rows(&[vec![1., 2.]], "grid").unwrap_err();
        assert!(small.message.contains("2 to 16 rows"), "{}", small.message);
        let big = Grid::from_rows(&vec![vec![0.; 17]; 3], "grid").unwrap_err();
        assert!(big.message.contains("17 columns"), "{}", big.message);
        let huge = Grid::from_rows(&[vec![1., 2e6], vec![0., 0.]], "grid").unwrap_err();
        assert!(
            huge.message.contains("row 1, column 2 is 2000000"),
            "{}",
            huge.message
        );
    }
}
