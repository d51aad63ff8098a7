//! The machine's own memory ceilings, measured beside the pooling runs: plain loops that
//! only stream memory (read-only, copy, read-4-write-1), split over the same threads.

use super::timing::median_seconds;
use std::hint::black_box;

/// Effective bandwidth of the memory-only loops, in GB/s (bytes read + written per second).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ceilings {
    /// Summing a buffer (reads only): the ceiling of global pooling.
    pub read_only_gbps: f64,
    /// Copying a buffer (read 1, write 1): the ceiling of stride-1 windows.
    pub copy_gbps: f64,
    /// Reading four floats and writing their max (a plain loop, ordinary stores): the
    /// ceiling of 2×2/s2 pooling.
    pub read4_write1_gbps: f64,
    /// Threads the loops ran on.
    pub threads: usize,
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

/// Measures the three ceilings on `threads` threads, median of `runs` runs each.
pub fn measure_ceilings(threads: usize, runs: usize) -> Ceilings {
    let threads = threads.max(1);
    let src: Vec<f32> = (0..BIG).map(|i| (i % 1021) as f32).collect();
    let mut quarter = vec![0f32; BIG / 4];
    let mut copy = vec![0f32; BIG];
    let gb = |bytes: usize, seconds: f64| bytes as f64 / seconds / 1e9;

    let read = median_seconds(runs, || {
        black_box(split_sum(&src, threads));
    });
    let r4w1 = median_seconds(runs, || {
        split_max4(&src, &mut quarter, threads);
        black_box(&quarter);
    });
    let cp = median_seconds(runs, || {
        split_copy(&src, &mut copy, threads);
        black_box(&copy);
    });
    Ceilings {
        read_only_gbps: gb(BIG * 4, read),
        copy_gbps: gb(BIG * 8, cp),
        read4_write1_gbps: gb(BIG * 4 + BIG, r4w1),
        threads,
    }
}

fn split_sum(src: &[f32], threads: usize) -> f32 {
    let chunk = src.len().div_ceil(threads);
    std::thread::scope(|s| {
        let parts: Vec<_> = src
            .chunks(chunk)
            .map(|part| s.spawn(move || sum(part)))
            .collect();
        parts.into_iter().map(|p| p.join().unwrap_or(0.0)).sum()
    })
}

/// Sums with sixteen independent lanes so the loop is bound by memory, not latency.
fn sum(part: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let mut blocks = part.chunks_exact(16);
    for block in &mut blocks {
        for (a, &v) in acc.iter_mut().zip(block) {
            *a += v;
        }
    }
    acc.iter().sum::<f32>() + blocks.remainder().iter().sum::<f32>()
}

fn split_max4(src: &[f32], dst: &mut [f32], threads: usize) {
    let chunk = dst.len().div_ceil(threads);
    std::thread::scope(|s| {
        for (out, inp) in dst.chunks_mut(chunk).zip(src.chunks(chunk * 4)) {
            s.spawn(move || {
                for (o, four) in out.iter_mut().zip(inp.chunks_exact(4)) {
                    *o = four[0].max(four[1]).max(four[2].max(four[3]));
                }
            });
        }
    });
}

fn split_copy(src: &[f32], dst: &mut [f32], threads: usize) {
    let chunk = dst.len().div_ceil(threads);
    std::thread::scope(|s| {
        for (out, inp) in dst.chunks_mut(chunk).zip(src.chunks(chunk)) {
            s.spawn(move || out.copy_from_slice(inp));
        }
    });
}
