//! The obviously-correct implementation: plain loops over every output and every tap,
//! arithmetic in `f64`. It is the oracle every fast path is tested against.

mod backward;
mod indexed;
mod odometer;
mod pool;
mod roi;
mod unpool;

pub use backward::{
    max_pool_backward_from_indices, max_roi_pool_backward, max_unpool_backward, pool_backward,
};
pub use odometer::{for_each_index, planes};
pub use pool::pool_forward;
pub use roi::max_roi_pool_forward;
pub use unpool::max_unpool_forward;
