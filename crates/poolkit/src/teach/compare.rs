//! The seed's "Max vs. Avg — how different are they?" panel, for any 2-D grid and window.

use crate::error::{bail, Result};
use crate::geometry::{PoolPlan, PoolSpec, WindowSpec};
use crate::ops::pool;
use crate::tensor::{Layout, TensorView};

/// Max and average pooling of one grid, side by side, with the seed's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct MaxAvgComparison {
    /// Output rows and columns.
    pub out_shape: [usize; 2],
    /// Max-pooled grid, row-major.
    pub max: Vec<f64>,
    /// Average-pooled grid, row-major.
    pub avg: Vec<f64>,
    /// `max - avg` per output cell.
    pub gaps: Vec<f64>,
    /// Mean of the gaps (the seed's "Avg difference", `+3.0` on its grid).
    pub mean_gap: f64,
    /// Largest gap (the seed's "Largest single gap", `+3.5` on its grid).
    pub largest_gap: f64,
    /// True when max ≥ avg in every cell (always, for finite inputs).
    pub max_never_below_avg: bool,
}

/// Pools a row-major `rows × cols` grid with max and with average over `window`.
///
/// ```
/// use poolkit::{teach::{compare_max_avg, SEED_GRID}, WindowSpec};
/// let c = compare_max_avg(&SEED_GRID, 6, 6, &WindowSpec::new(&[2, 2]))?;
/// assert_eq!((c.mean_gap, c.largest_gap), (3.0, 3.5));
/// # Ok::<(), poolkit::Error>(())
/// ```
pub fn compare_max_avg(
    grid: &[f64],
    rows: usize,
    cols: usize,
    window: &WindowSpec,
) -> Result<MaxAvgComparison> {
    if grid.len() != rows * cols {
        bail!(
            ShapeMismatch,
            "grid of {} values does not match {rows}×{cols} = {}",
            grid.len(),
            rows * cols
        );
    }
    let shape = [1, 1, rows, cols];
    let x = TensorView::new(grid, &shape)?;
    let max_plan = PoolPlan::new(
        &PoolSpec::max(window.clone()),
        &shape,
        Layout::ChannelsFirst,
    )?;
    let avg_plan = PoolPlan::new(
        &PoolSpec::avg(window.clone()),
        &shape,
        Layout::ChannelsFirst,
    )?;
    let max = pool(&max_plan, &x)?.into_vec();
    let avg = pool(&avg_plan, &x)?.into_vec();
    let gaps: Vec<f64> = max.iter().zip(&avg).map(|(m, a)| m - a).collect();
    let mean_gap = gaps.iter().sum::<f64>() / gaps.len() as f64;
    let largest_gap = gaps.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let out = max_plan.output_spatial();
    Ok(MaxAvgComparison {
        out_shape: [out[0], out[1]],
        max_never_below_avg: gaps.iter().all(|&g| g >= 0.0),
        max,
        avg,
        gaps,
        mean_gap,
        largest_gap,
    })
}
