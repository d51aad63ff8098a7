//! Safe public entry points: check a call against its plan, then run the pooling.
//!
//! Each operation comes as an allocating call and an `_into` call that writes a caller's
//! buffer. Shapes are checked here, once; everything below trusts them.

mod backward;
mod checks;
mod forward;
mod prepared;
mod roi;
mod unpool;

pub use backward::{
    max_pool_backward_from_indices, max_pool_backward_from_indices_into,
    max_pool_backward_from_indices_into_with, max_roi_pool_backward, max_unpool_backward,
    pool_backward, pool_backward_into, pool_backward_into_with, pool_backward_with,
};
pub use forward::{
    max_pool_with_indices, max_pool_with_indices_into, max_pool_with_indices_into_with, pool,
    pool_into, pool_into_with, pool_with,
};
pub use prepared::PreparedPool;
pub use roi::{max_roi_pool, max_roi_pool_into};
pub use unpool::{max_unpool, max_unpool_into};
