//! What the command line and the explorer show learners, computed here so that every
//! number a user sees comes from the library: shape formulas with the numbers substituted,
//! and the seed's max-versus-average comparison.

mod compare;
mod explain;

pub use compare::{compare_max_avg, MaxAvgComparison};
pub use explain::{explain_output_shape, AxisExplanation};
