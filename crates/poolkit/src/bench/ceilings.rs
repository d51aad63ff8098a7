//! The machine's own memory ceilings, measured beside the pooling runs: loops that only
//! stream memory (read-only, copy, read-4-write-1), split over the same threads, each run
//! every way the kernels move bytes (scalar, vector, vector with non-temporal stores);
//! the best way is the ceiling.

use super::timing::median_seconds;
use crate::kernels::{probe_copy, probe_max4, probe_sum, ProbeWay};
use std::hint::black_box;

/// Effective bandwidth of the memory-only loops, in GB/s (bytes read + written per second).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ceilings {
    /// Summing a buffer (reads only): the ceiling of global pooling.
    pub read_only_gbps: f64,
    /// Copying a buffer (read 1, write 1): the ceiling of stride-1 windows.
    pub copy_gbps: f64,
    /// Reading four floats and writing their max: the ceiling of 2×2/s2 pooling.
    pub read4_write1_gbps: f64,
    /// Threads the loops ran on.
    pub threads: usize,
    /// The way that reached each ceiling: read-only, copy, read-4-write-1.
    pub ways: [ProbeWay; 3],
}

/// Which ceiling bounds an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceiling {
    ReadOnly,
    Copy,
    Read4Write1,
    /// Not memory-bound (tiny or compute-bound cases): no ceiling applies.
    None,
}

impl Ceiling {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Ceiling::ReadOnly => "read-only",
            Ceiling::Copy => "copy",
            Ceiling::Read4Write1 => "read-4-write-1",
            Ceiling::None => "none",
        }
    }
}

impl Ceilings {
    /// The ceiling of `kind` in GB/s (0 for [`Ceiling::None`]).
    pub fn of(&self, kind: Ceiling) -> f64 {
        match kind {
            Ceiling::ReadOnly => self.read_only_gbps,
            Ceiling::Copy => self.copy_gbps,
            Ceiling::Read4Write1 => self.read4_write1_gbps,
            Ceiling::None => 0.0,
        }
    }
}

/// Elements of the large buffer (128 MiB of f32): far beyond any last-level cache.
const BIG: usize = 32 << 20;

/// Measures the three ceilings on `threads` threads: for each, the median of `runs` runs
/// of every way this CPU has, and the fastest way's figure.
pub fn measure_ceilings(threads: usize, runs: usize) -> Ceilings {
    let threads = threads.max(1);
    let src: Vec<f32> = (0..BIG).map(|i| (i % 1021) as f32).collect();
    let mut quarter = vec![0f32; BIG / 4];
    let mut copy = vec![0f32; BIG];
    let gb = |bytes: usize, seconds: f64| bytes as f64 / seconds / 1e9;
    let best = |bytes: usize, stores: bool, run: &mut dyn FnMut(ProbeWay)| {
        ProbeWay::available(stores)
            .into_iter()
            .map(|way| (gb(bytes, median_seconds(runs, || run(way))), way))
            .fold(
                (0.0, ProbeWay::Scalar),
                |a, b| if b.0 > a.0 { b } else { a },
            )
    };
    let read = best(BIG * 4, false, &mut |way| {
        black_box(split_sum(&src, threads, way));
    });
    let r4w1 = best(BIG * 4 + BIG, true, &mut |way| {
        split_max4(&src, &mut quarter, threads, way);
        black_box(&quarter);
    });
    let cp = best(BIG * 8, true, &mut |way| {
        split_copy(&src, &mut copy, threads, way);
        black_box(&copy);
    });
    Ceilings {
        read_only_gbps: read.0,
        copy_gbps: cp.0,
        read4_write1_gbps: r4w1.0,
        threads,
        ways: [read.1, cp.1, r4w1.1],
    }
}

fn split_sum(src: &[f32], threads: usize, way: ProbeWay) -> f32 {
    let chunk = src.len().div_ceil(threads);
    std::thread::scope(|s| {
        let parts: Vec<_> = src
            .chunks(chunk)
            .map(|part| s.spawn(move || probe_sum(part, way)))
            .collect();
        parts.into_iter().map(|p| p.join().unwrap_or(0.0)).sum()
    })
}

fn split_max4(src: &[f32], dst: &mut [f32], threads: usize, way: ProbeWay) {
    let chunk = dst.len().div_ceil(threads);
    std::thread::scope(|s| {
        for (out, inp) in dst.chunks_mut(chunk).zip(src.chunks(chunk * 4)) {
            s.spawn(move || probe_max4(inp, out, way));
        }
    });
}

fn split_copy(src: &[f32], dst: &mut [f32], threads: usize, way: ProbeWay) {
    let chunk = dst.len().div_ceil(threads);
    std::thread::scope(|s| {
        for (out, inp) in dst.chunks_mut(chunk).zip(src.chunks(chunk)) {
            s.spawn(move || probe_copy(inp, out, way));
        }
    });
}
