//! The benchmark engine behind `poolkit bench`: named shapes of real networks, timed on
//! this machine beside its own memory ceilings measured in the same run.
//!
//! Effective bandwidth is `(bytes read + bytes written) / median time`, each input and
//! output element counted once. Every number a front end shows comes from a
//! [`BenchResult`]; [`BenchResult::to_json`] is the `--json` line.
//!
//! ```no_run
//! use poolkit::bench::{run_benchmarks, BenchOptions};
//! let options = BenchOptions { filter: Some("seed".into()), ..BenchOptions::default() };
//! let report = run_benchmarks(&options, |r| println!("{}", r.to_json()))?;
//! println!("{}", report.ceilings_json());
//! # Ok::<(), poolkit::Error>(())
//! ```

mod cases;
mod ceilings;
mod run;
mod timing;

pub use crate::kernels::ProbeWay;
pub use cases::{named_cases, BenchCase, Call, Op};
pub use ceilings::{measure_ceilings, Ceiling, Ceilings};
pub use run::{run_benchmarks, run_case, BenchOptions, BenchReport, BenchResult};
pub use timing::{median, median_seconds};
