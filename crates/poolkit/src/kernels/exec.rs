//! How a call runs: on which instruction set and how many threads, and the scoped-thread
//! split of a kernel's tasks (batch × channel × output-row tiles) over those threads.

use super::isa::Isa;
use crate::error::{bail, Result};
use std::ops::Range;
use std::sync::OnceLock;

/// How many threads a call may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Parallelism {
    /// `POOLKIT_THREADS` when set, else every core; small calls stay on one thread
    /// because starting a thread costs more than they do.
    #[default]
    Auto,
    /// The calling thread only.
    Sequential,
    /// Exactly this many threads (at most one per task), however small the call.
    Threads(usize),
}

/// Per-call execution choices. The default is what `pool` and friends use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ExecOptions {
    /// Threads.
    pub parallelism: Parallelism,
    /// The instruction set; `None` means [`Isa::selected`] (`POOLKIT_ISA` or the widest).
    pub isa: Option<Isa>,
}

impl ExecOptions {
    /// The defaults: automatic threads, the selected instruction set.
    pub fn new() -> Self {
        ExecOptions::default()
    }

    /// Uses exactly `n` threads.
    pub fn threads(mut self, n: usize) -> Self {
        self.parallelism = Parallelism::Threads(n);
        self
    }

    /// Sets the parallelism.
    pub fn parallelism(mut self, parallelism: Parallelism) -> Self {
        self.parallelism = parallelism;
        self
    }

    /// Forces an instruction set (refused at call time if the CPU lacks it).
    pub fn isa(mut self, isa: Isa) -> Self {
        self.isa = Some(isa);
        self
    }

    /// Checks the options against this CPU and the environment.
    pub(crate) fn resolve(&self) -> Result<Exec> {
        let isa = match self.isa {
            Some(isa) => isa.require(&format!("ExecOptions isa {}", isa.name()))?,
            None => Isa::selected()?,
        };
        let (threads, automatic) = match self.parallelism {
            Parallelism::Sequential => (1, false),
            Parallelism::Threads(0) => bail!(
                InvalidParameter,
                "Parallelism::Threads(0): a thread count must be at least 1"
            ),
            Parallelism::Threads(n) => (n, false),
            Parallelism::Auto => (env_threads()?, true),
        };
        Ok(Exec {
            isa,
            threads,
            automatic,
        })
    }
}

/// `POOLKIT_THREADS` (read once), else the number of cores.
fn env_threads() -> Result<usize> {
    static THREADS: OnceLock<Result<usize>> = OnceLock::new();
    THREADS
        .get_or_init(|| match std::env::var("POOLKIT_THREADS") {
            Ok(value) if !value.trim().is_empty() => match value.trim().parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(crate::error::Error::new(
                    crate::error::ErrorKind::InvalidParameter,
                    format!(
                        "POOLKIT_THREADS={value}: expected a whole number of threads, at least 1"
                    ),
                )),
            },
            _ => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
        })
        .clone()
}

/// Outputs at least this large are written with streaming stores: they would only evict
/// the input from the last-level cache. `POOLKIT_STREAM_MIN_BYTES` (read once) overrides
/// it, for tuning on another machine.
const STREAM_MIN_BYTES: usize = 64 << 20;

pub(crate) fn stream_min_bytes() -> usize {
    static MIN: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *MIN.get_or_init(|| {
        std::env::var("POOLKIT_STREAM_MIN_BYTES")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(STREAM_MIN_BYTES)
    })
}

/// Resolved execution choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exec {
    pub isa: Isa,
    pub threads: usize,
    /// Threads were not asked for explicitly: small calls may use fewer.
    pub automatic: bool,
}

/// Below this many elements touched per thread, an automatic call adds no thread: a
/// scoped thread costs tens of microseconds to start and join.
const MIN_ELEMENTS_PER_THREAD: usize = 1 << 18;

impl Exec {
    /// How many threads to use for `tasks` tasks touching `elements` elements in all.
    pub fn threads_for(&self, tasks: usize, elements: usize) -> usize {
        let mut n = self.threads.min(tasks).max(1);
        if self.automatic {
            n = n.min((elements / MIN_ELEMENTS_PER_THREAD).max(1));
        }
        n
    }
}

/// Runs `work` over `0..tasks` split into `threads` contiguous, nearly equal ranges, the
/// first on the calling thread. Each range is one call; ranges never overlap.
pub(crate) fn split_tasks(tasks: usize, threads: usize, work: &(impl Fn(Range<usize>) + Sync)) {
    let threads = threads.min(tasks).max(1);
    if threads == 1 {
        work(0..tasks);
        return;
    }
    let range = |i: usize| (tasks * i / threads)..(tasks * (i + 1) / threads);
    std::thread::scope(|scope| {
        for i in 1..threads {
            let r = range(i);
            scope.spawn(move || work(r));
        }
        work(range(0));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn split_covers_every_task_once() {
        for (tasks, threads) in [(1, 7), (7, 7), (10, 3), (113, 2), (5, 1)] {
            let seen = Mutex::new(vec![0u32; tasks]);
            split_tasks(tasks, threads, &|r: Range<usize>| {
                let mut s = seen.lock().unwrap();
                for t in r {
                    s[t] += 1;
                }
            });
            assert!(seen.into_inner().unwrap().iter().all(|&c| c == 1));
        }
    }

    #[test]
    fn zero_threads_is_refused() {
        let err = ExecOptions::new().threads(0).resolve().unwrap_err();
        assert!(err.message().contains("Threads(0)"), "{err}");
    }

    #[test]
    fn automatic_small_calls_stay_on_one_thread() {
        let auto = Exec {
            isa: Isa::Scalar,
            threads: 8,
            automatic: true,
        };
        assert_eq!(auto.threads_for(9, 45), 1);
        let explicit = Exec {
            automatic: false,
            ..auto
        };
        assert_eq!(explicit.threads_for(9, 45), 8);
        assert_eq!(explicit.threads_for(3, 45), 3);
    }
}
