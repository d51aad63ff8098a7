//! What the command line and the explorer show learners, computed here so that every
//! number a user sees comes from the library: shape formulas with the numbers substituted,
//! and the seed's max-versus-average comparison, on the seed's grid stated here once.

mod compare;
mod explain;

pub use compare::{compare_max_avg, MaxAvgComparison};
pub use explain::{explain_output_shape, AxisExplanation};

/// Rows and columns of the seed's grid.
pub const SEED_SIDE: usize = 6;

/// The 6×6 grid of the textbook page poolkit grew from, row by row: its explorer's default,
/// the command line's `compare`, and every example that pools "the seed".
pub const SEED_GRID: [f64; SEED_SIDE * SEED_SIDE] = [
    8., 2., 6., 1., 7., 3., //
    5., 9., 3., 8., 2., 6., //
    1., 4., 7., 2., 9., 4., //
    6., 3., 1., 5., 3., 8., //
    2., 8., 4., 7., 1., 5., //
    7., 1., 9., 3., 6., 2., //
];
