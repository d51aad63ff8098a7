//! The readers of the `poolkit` binary as a library, so that fuzz targets and tests reach
//! the exact code that parses untrusted files: the `.npy` codec and the image path.
//!
//! The binary (`src/main.rs`) uses these modules from here; everything else it has stays
//! private to it.

pub mod any_tensor;
pub mod imageio;
pub mod npy;
