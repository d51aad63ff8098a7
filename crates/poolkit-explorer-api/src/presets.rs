//! Starting grids (the seed's, a single spike, a checkerboard, a ramp, seeded random) and
//! resizing the current grid, kept server-side so the page never invents numbers.

use super::error::ApiError;
use super::grid::{seed_grid, Grid, MAX_SIDE, MIN_SIDE};
use serde::Deserialize;
use serde_json::{json, Value};

/// The presets the page offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// The seed's 6×6 grid (its size is fixed).
    Seed,
    /// Zeros with one 9 near the middle.
    Spike,
    /// Alternating 9 and 1.
    Checkerboard,
    /// `row + column`, a smooth slope.
    Ramp,
    /// Whole numbers 1–9 from a seeded generator: the same seed gives the same grid.
    Random,
}

/// `{"name": "random", "rows": 6, "cols": 6, "seed": 42}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresetRequest {
    pub name: Preset,
    #[serde(default = "six")]
    pub rows: usize,
    #[serde(default = "six")]
    pub cols: usize,
    #[serde(default)]
    pub seed: u64,
}

fn six() -> usize {
    6
}

/// `{"grid": [[...]], "rows": 8, "cols": 5}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResizeRequest {
    pub grid: Vec<Vec<f64>>,
    pub rows: usize,
    pub cols: usize,
}

/// `POST /api/preset`.
pub fn preset(request: PresetRequest) -> Result<Value, ApiError> {
    let (rows, cols) = checked_size(request.rows, request.cols)?;
    let grid = match request.name {
        Preset::Seed => seed_grid(),
        Preset::Spike => {
            let mut values = vec![0.0; rows * cols];
            values[(rows / 2) * cols + cols / 2] = 9.0;
            Grid::from_flat(rows, cols, values)
        }
        Preset::Checkerboard => {
            from_fn(rows, cols, |r, c| if (r + c) % 2 == 0 { 9.0 } else { 1.0 })
        }
        Preset::Ramp => from_fn(rows, cols, |r, c| (r + c) as f64),
        Preset::Random => {
            let mut state = request.seed;
            from_fn(rows, cols, |_, _| (splitmix64(&mut state) % 9 + 1) as f64)
        }
    };
    Ok(json!({ "grid": grid.to_json(), "rows": grid.rows, "cols": grid.cols }))
}

/// `POST /api/resize`: keeps the overlapping cells, fills new ones with 0.
pub fn resize(request: ResizeRequest) -> Result<Value, ApiError> {
    let old = Grid::from_rows(&request.grid, "grid")?;
    let (rows, cols) = checked_size(request.rows, request.cols)?;
    let grid = from_fn(rows, cols, |r, c| {
        if r < old.rows && c < old.cols {
            old.at(r, c)
        } else {
            0.0
        }
    });
    Ok(json!({ "grid": grid.to_json(), "rows": rows, "cols": cols }))
}

fn from_fn(rows: usize, cols: usize, f: impl FnMut(usize, usize) -> f64) -> Grid {
    let mut f = f;
    let values = (0..rows * cols).map(|i| f(i / cols, i % cols)).collect();
    Grid::from_flat(rows, cols, values)
}

fn checked_size(rows: usize, cols: usize) -> Result<(usize, usize), ApiError> {
    for (field, n) in [("rows", rows), ("cols", cols)] {
        if !(MIN_SIDE..=MAX_SIDE).contains(&n) {
            return Err(ApiError::field(
                field,
                format!("{field} = {n}: grids have {MIN_SIDE} to {MAX_SIDE} rows and columns"),
            ));
        }
    }
    Ok((rows, cols))
}

/// SplitMix64: tiny, seedable, and the same on every machine.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(name: Preset, rows: usize, cols: usize, seed: u64) -> PresetRequest {
        PresetRequest {
            name,
            rows,
            cols,
            seed,
        }
    }

    #[test]
    fn seeded_random_is_reproducible_and_in_range() {
        let a = preset(req(Preset::Random, 5, 7, 42)).unwrap();
        assert_eq!(a, preset(req(Preset::Random, 5, 7, 42)).unwrap());
        assert_ne!(a, preset(req(Preset::Random, 5, 7, 43)).unwrap());
        let values: Vec<f64> = a["grid"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
            .collect();
        assert!(values.iter().all(|v| (1.0..=9.0).contains(v)));
    }

    #[test]
    fn seed_preset_is_the_seeds_six_by_six_whatever_the_size() {
        let v = preset(req(Preset::Seed, 3, 3, 0)).unwrap();
        assert_eq!(v["grid"][0], json!([8.0, 2.0, 6.0, 1.0, 7.0, 3.0]));
        assert_eq!((v["rows"].clone(), v["cols"].clone()), (json!(6), json!(6)));
    }

    #[test]
    fn resize_keeps_cells_and_zero_fills() {
        let v = resize(ResizeRequest {
            grid: vec![vec![1., 2.], vec![3., 4.]],
            rows: 3,
            cols: 2,
        })
        .unwrap();
        assert_eq!(v["grid"], json!([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]]));
        let e = resize(ResizeRequest {
            grid: vec![vec![1., 2.], vec![3., 4.]],
            rows: 17,
            cols: 2,
        })
        .unwrap_err();
        assert!(e.message.contains("rows = 17"), "{}", e.message);
    }
}
