//! Which fast path a call takes, if any: a plan, an input view and an output become one
//! kernel job, or `false` so that the caller runs the reference.
//!
//! Covered: max and average over sliding windows and global regions, 1-, 2- and 3-D,
//! both layouts, any element type (SIMD as `kernels` lists), any strides whose innermost axis (W
//! channels-first, C channels-last) is unit-stride. Left to the reference: Lp pooling,
//! adaptive regions, and argmax of planes too large for 32-bit index terms.

use super::channels_first::ChannelsFirst;
use super::channels_last::ChannelsLast;
use super::exec::Exec;
use super::framed::Framed;
use super::geom::{Dst, IndexMap, Kind, Line, Mean, Src};
use super::global::GlobalChannelsFirst;
use super::global_last::{self, GlobalChannelsLast};
use super::run::{NarrowRunner, Runner, ScalarRunner, SimdRunner};
use super::sliding::{phases, Sliding, SlidingColumns, SlidingPlanes, SlidingRows};
use super::small::{self, Small};
use crate::element::Element;
use crate::geometry::{PoolPlan, Reduction};
use crate::indices::IndexConvention;
use crate::tensor::{Layout, TensorView};
use half::{bf16, f16};
use std::any::TypeId;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Global,
    GlobalChannelsLast,
    Sliding,
    Framed,
    ChannelsFirst,
    ChannelsLast,
}

/// A plan and an input view, resolved for the kernels.
struct Job<T> {
    kind: Kind,
    src: Src<T>,
    batch: usize,
    channels: usize,
    batch_stride: isize,
    channel_stride: isize,
    /// D, H, W; lower ranks have leading unit axes of stride 0.
    lines: [Line; 3],
    strides: [isize; 3],
    input_len: usize,
    output_len: usize,
    convention: Option<IndexConvention>,
    layout: Layout,
}

impl<T> Job<T> {
    fn cast<U>(&self) -> Job<U> {
        Job {
            kind: self.kind,
            src: Src(self.src.0 as *const U),
            batch: self.batch,
            channels: self.channels,
            batch_stride: self.batch_stride,
            channel_stride: self.channel_stride,
            lines: self.lines,
            strides: self.strides,
            input_len: self.input_len,
            output_len: self.output_len,
            convention: self.convention,
            layout: self.layout,
        }
    }
}

impl<T: Element> Job<T> {
    /// The kernel family that runs this job (tiny automatic calls aside).
    fn route(&self) -> Route {
        let lines = &self.lines;
        match self.layout {
            Layout::ChannelsFirst if lines.iter().all(Line::is_whole) => Route::Global,
            Layout::ChannelsFirst if self.convention.is_none() && prefers_sliding(lines) => {
                Route::Sliding
            }
            Layout::ChannelsFirst
                if self.convention.is_none()
                    && lines[0] == Line::UNIT
                    && Framed::<T>::suits(&lines[1], &lines[2]) =>
            {
                Route::Framed
            }
            Layout::ChannelsFirst => Route::ChannelsFirst,
            Layout::ChannelsLast
                if self.convention.is_none() && lines.iter().all(Line::is_whole) =>
            {
                Route::GlobalChannelsLast
            }
            Layout::ChannelsLast => Route::ChannelsLast,
        }
    }
}

impl<T> Clone for Job<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Job<T> {}

/// The job for `plan` on `input`, or `None` where the reference must run.
fn job_for<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    convention: Option<IndexConvention>,
) -> Option<Job<T>> {
    let kind = match plan.reduction() {
        Reduction::Max => Kind::Max,
        Reduction::Avg {
            divisor_override: Some(d),
            ..
        } => Kind::Avg(Mean::Override(d as f64)),
        Reduction::Avg {
            count_include_pad, ..
        } => Kind::Avg(Mean::Count {
            include_pad: count_include_pad,
        }),
        Reduction::Lp { .. } => return None,
    };
    let axes = plan.axes();
    let rank = axes.len();
    let layout = plan.layout();
    let strides = input.strides();
    let mut lines = [Line::UNIT; 3];
    let mut spatial_strides = [0isize; 3];
    for (k, axis) in axes.iter().enumerate() {
        lines[3 - rank + k] = Line::of(axis)?;
        spatial_strides[3 - rank + k] = strides[layout.spatial_axis(k)];
    }
    let channel_axis = layout.channel_axis(rank + 2);
    let (batch, channels) = (plan.batch(), plan.channels());
    let inner_ok = match layout {
        Layout::ChannelsFirst => lines[2].input == 1 || spatial_strides[2] == 1,
        Layout::ChannelsLast => channels == 1 || strides[channel_axis] == 1,
    };
    if !inner_ok {
        return None;
    }
    if plan.input_len() == 0 || plan.output_len() == 0 {
        // Nothing to pool; an empty batch may still have spatial extents whose product
        // overflows, which the kernels' size arithmetic must never see.
        return None;
    }
    let plane_len: usize = lines.iter().map(|l| l.input).product();
    if convention.is_some() && plane_len > i32::MAX as usize {
        return None;
    }
    if lines[2].input == 1 {
        // A width-1 axis is read at offset 0 only; give it the unit stride kernels assume.
        spatial_strides[2] = 1;
    }
    Some(Job {
        kind,
        src: Src(input.data().as_ptr().wrapping_add(input.offset())),
        batch,
        channels,
        batch_stride: strides[0],
        channel_stride: strides[channel_axis],
        lines,
        strides: spatial_strides,
        input_len: plan.input_len(),
        output_len: plan.output_len(),
        convention,
        layout,
    })
}

/// True when the separable sliding passes cost less than visiting every tap: 2-D or 1-D
/// windows of many taps.
fn prefers_sliding(lines: &[Line; 3]) -> bool {
    let [d, h, w] = lines;
    // Its scratch grows with the kernel: only for kernels within the input.
    if d.output != 1 || d.kernel != 1 || h.kernel > h.input || w.kernel > w.input {
        return false;
    }
    let [ho, wo, hk, wk] = [h.output, w.output, h.kernel, w.kernel].map(|v| v as f64);
    let [hi, wi, hd, wd] = [h.input, w.input, h.dilation, w.dilation].map(|v| v as f64);
    let direct = ho * wo * hk * wk;
    let sliding = 3.0 * hi * (wi + wd * wk) + 3.0 * (hi + hd * hk) * wo;
    hk * wk >= 16.0 && direct > 2.0 * sliding
}

/// The fast path `plan` takes on `input` (`"global"`, `"global-channels-last"`,
/// `"sliding"`, `"framed"`, `"channels-first"`, `"channels-last"`), or `None` where the
/// reference runs; `with_indices` for argmax calls.
pub fn fast_path<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    with_indices: bool,
) -> Option<&'static str> {
    let convention = with_indices.then_some(IndexConvention::Torch);
    job_for(plan, input, convention).map(|job| match job.route() {
        Route::Global => "global",
        Route::GlobalChannelsLast => "global-channels-last",
        Route::Sliding => "sliding",
        Route::Framed => "framed",
        Route::ChannelsFirst => "channels-first",
        Route::ChannelsLast => "channels-last",
    })
}

/// Runs `plan` on `input` into `out` (and `indices`) on a fast path; `false` when none
/// covers the call and nothing was written.
///
/// The caller has checked shapes and buffer lengths against the plan: `out` (and
/// `indices`) hold `plan.output_len()` elements. On `true` every element was written.
pub(crate) fn pool_forward<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    out: *mut T,
    indices: Option<(*mut i64, IndexConvention)>,
    exec: &Exec,
) -> bool {
    match job_for(plan, input, indices.map(|(_, c)| c)) {
        Some(job) => {
            run(&job, out, indices, exec);
            true
        }
        None => false,
    }
}

/// Into how many pieces each of `units` independent units of work splits so that
/// `threads` threads get about four tasks each: 1 when the units alone are enough.
fn pieces_per_unit(units: usize, threads: usize) -> usize {
    let wanted_tasks = 4 * threads;
    if units >= wanted_tasks {
        1
    } else {
        wanted_tasks.div_ceil(units.max(1))
    }
}

/// Channels per task of a channels-last kernel over `units` output rows: all of them,
/// unless rows are too few to keep `threads` busy (then multiples of 64).
fn channel_chunk(channels: usize, units: usize, threads: usize) -> usize {
    let chunk = match pieces_per_unit(units, threads) {
        1 => channels,
        pieces => channels.div_ceil(pieces).next_multiple_of(64).max(64),
    };
    chunk.min(channels).max(1)
}

/// Runs a resolved job into `out` (and `indices`), every element of which it writes.
fn run<T: Element>(
    job: &Job<T>,
    out: *mut T,
    indices: Option<(*mut i64, IndexConvention)>,
    exec: &Exec,
) {
    if job.output_len == 0 {
        return;
    }
    let idx = indices.map(|(p, _)| Dst(p));
    let taps: usize = job.lines.iter().map(|l| l.kernel.min(l.input)).product();
    // Only automatic calls: an explicit thread count asks for the parallel kernels.
    if exec.automatic && job.output_len.saturating_mul(taps) <= small::MAX_TAPS {
        let small = Small {
            src: job.src,
            batch: job.batch,
            channels: job.channels,
            batch_stride: job.batch_stride,
            channel_stride: job.channel_stride,
            lines: job.lines,
            strides: job.strides,
            kind: job.kind,
            out: Dst(out),
            indices: idx,
            index_map: IndexMap::new(
                job.convention.unwrap_or_default(),
                job.lines.map(|l| l.input),
            ),
            channels_last: job.layout == Layout::ChannelsLast,
        };
        small.run();
        return;
    }
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        // `T` is f32: the casts change no type, only what the compiler knows of it.
        run_job(
            &job.cast::<f32>(),
            Dst(out as *mut f32),
            idx,
            &SimdRunner(*exec),
        );
    } else if TypeId::of::<T>() == TypeId::of::<f16>() {
        let half = Dst(out as *mut f16);
        run_job(&job.cast::<f16>(), half, idx, &NarrowRunner(*exec));
    } else if TypeId::of::<T>() == TypeId::of::<bf16>() {
        let half = Dst(out as *mut bf16);
        run_job(&job.cast::<bf16>(), half, idx, &NarrowRunner(*exec));
    } else if TypeId::of::<T>() == TypeId::of::<u8>() {
        let bytes = Dst(out as *mut u8);
        run_job(&job.cast::<u8>(), bytes, idx, &NarrowRunner(*exec));
    } else if TypeId::of::<T>() == TypeId::of::<i8>() {
        let bytes = Dst(out as *mut i8);
        run_job(&job.cast::<i8>(), bytes, idx, &NarrowRunner(*exec));
    } else if TypeId::of::<T>() == TypeId::of::<u16>() {
        let words = Dst(out as *mut u16);
        run_job(&job.cast::<u16>(), words, idx, &NarrowRunner(*exec));
    } else {
        run_job(job, Dst(out), idx, &ScalarRunner(*exec));
    }
}

/// A fresh output for `plan`, pooled on a fast path, or `None` where none covers it.
pub(crate) fn pool_forward_new<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    exec: &Exec,
) -> Option<Vec<T>> {
    let job = job_for(plan, input, None)?;
    let mut out = super::alloc::output_buffer::<T>(plan.output_len());
    run(&job, out.as_mut_ptr(), None, exec);
    // SAFETY: `run` writes all `output_len` elements, and the buffer's capacity is
    // `output_len`.
    unsafe { out.set_len(plan.output_len()) };
    Some(out)
}

fn run_job<T: Element, R: Runner<T>>(
    job: &Job<T>,
    out: Dst<T>,
    indices: Option<Dst<i64>>,
    runner: &R,
) {
    let index_map = IndexMap::new(
        job.convention.unwrap_or_default(),
        job.lines.map(|l| l.input),
    );
    let elements = job.input_len + job.output_len;
    let stream = job.output_len * std::mem::size_of::<T>() >= stream_min_bytes();
    let [ld, lh, lw] = job.lines;
    let channels_first = || ChannelsFirst {
        src: job.src,
        batch_stride: job.batch_stride,
        channel_stride: job.channel_stride,
        channels: job.channels,
        lead: [ld, lh],
        lead_strides: [job.strides[0], job.strides[1]],
        w: lw,
        interior: lw.interior(),
        kind: job.kind,
        out,
        indices,
        index_map,
        stream,
        batch: job.batch,
        elements,
    };
    match job.route() {
        Route::Global => runner.execute(&GlobalChannelsFirst {
            src: job.src,
            batch_stride: job.batch_stride,
            channel_stride: job.channel_stride,
            channels: job.channels,
            extents: job.lines.map(|l| l.input),
            strides: job.strides,
            kind: job.kind,
            out,
            indices,
            index_map,
            batch: job.batch,
            elements,
        }),
        Route::ChannelsFirst => runner.execute(&channels_first()),
        Route::GlobalChannelsLast => runner.execute(&GlobalChannelsLast {
            src: job.src,
            batch_stride: job.batch_stride,
            spatial_strides: job.strides,
            extents: job.lines.map(|l| l.input),
            channels: job.channels,
            chunk: channel_chunk(job.channels, job.batch, runner.exec().threads)
                .min(global_last::MAX_CHUNK),
            kind: job.kind,
            out,
            batch: job.batch,
            elements,
        }),
        Route::Framed => {
            let pieces = pieces_per_unit(job.batch * job.channels, runner.exec().threads);
            let rows_per_task = lh.output.div_ceil(pieces).max(1);
            runner.execute(&Framed {
                src: job.src,
                batch_stride: job.batch_stride,
                channel_stride: job.channel_stride,
                row_stride: job.strides[1],
                channels: job.channels,
                batch: job.batch,
                h: lh,
                w: lw,
                kind: job.kind,
                out,
                stream,
                elements,
                rows_per_task,
                fallback: channels_first(),
            })
        }
        Route::ChannelsLast => {
            let rows = job.batch * ld.output * lh.output;
            runner.execute(&ChannelsLast {
                src: job.src,
                batch_stride: job.batch_stride,
                spatial_strides: job.strides,
                lines: job.lines,
                channels: job.channels,
                chunk: channel_chunk(job.channels, rows, runner.exec().threads),
                kind: job.kind,
                out,
                indices,
                index_map,
                stream,
                batch: job.batch,
                elements,
            })
        }
        Route::Sliding => {
            let sliding = Sliding {
                src: job.src,
                batch_stride: job.batch_stride,
                channel_stride: job.channel_stride,
                row_stride: job.strides[1],
                channels: job.channels,
                planes: job.batch * job.channels,
                h: lh,
                w: lw,
                h_phases: phases(&lh),
                w_phases: phases(&lw),
                kind: job.kind,
                out,
                elements,
            };
            let threads = runner.exec().threads_for(sliding.planes, elements);
            if sliding.planes >= threads {
                runner.execute(&SlidingPlanes(&sliding));
            } else {
                let mut across = sliding.across();
                for plane in 0..sliding.planes {
                    runner.execute(&SlidingRows {
                        job: &sliding,
                        plane,
                        across: across.as_dst(),
                    });
                    runner.execute(&SlidingColumns {
                        job: &sliding,
                        plane,
                        across: &across,
                    });
                }
            }
        }
    }
}
