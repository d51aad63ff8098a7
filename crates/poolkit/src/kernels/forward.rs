//! A forward pass prepared once per plan, element type and execution choices: the plan
//! flattened to three spatial axes and its route chosen here, once; each call adds only
//! the input view's pointer and strides, and the kernels write a caller's (possibly
//! uninitialised) output.

use super::channels_first::ChannelsFirst;
use super::channels_last::ChannelsLast;
use super::exec::{stream_min_bytes, Exec};
use super::framed::Framed;
use super::geom::{Dst, IndexMap, Kind, Line, Mean, Planes, Src};
use super::global::GlobalChannelsFirst;
use super::global_last::{self, GlobalChannelsLast};
use super::route::{self, Families, Route};
use super::run::{NarrowRunner, Runner, ScalarRunner, SimdRunner};
use super::sliding::{phases, Sliding, SlidingColumns, SlidingPlanes, SlidingRows};
use super::small::Small;
use crate::element::{DType, Element};
use crate::geometry::{PoolPlan, Reduction};
use crate::indices::IndexConvention;
use crate::tensor::{Layout, TensorView};
use half::{bf16, f16};
use std::marker::PhantomData;
use std::mem::MaybeUninit;

/// A plan as the kernels see it: D, H, W windows (lower ranks have leading unit axes).
#[derive(Debug, Clone)]
struct Flat {
    kind: Kind,
    batch: usize,
    channels: usize,
    lines: [Line; 3],
    input_len: usize,
    output_len: usize,
    layout: Layout,
    /// Argmax fits the kernels' 32-bit index terms.
    indexable: bool,
}

impl Flat {
    /// The plan flattened, or `None` where only the reference runs it.
    fn of(plan: &PoolPlan) -> Option<Flat> {
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
        if plan.input_len() == 0 || plan.output_len() == 0 {
            // Nothing to pool; an empty batch may still have spatial extents whose
            // product overflows, which the kernels' size arithmetic must never see.
            return None;
        }
        let axes = plan.axes();
        let mut lines = [Line::UNIT; 3];
        for (k, axis) in axes.iter().enumerate() {
            lines[3 - axes.len() + k] = Line::of(axis)?;
        }
        let plane_len: usize = lines.iter().map(|l| l.input).product();
        Some(Flat {
            kind,
            batch: plan.batch(),
            channels: plan.channels(),
            lines,
            input_len: plan.input_len(),
            output_len: plan.output_len(),
            layout: plan.layout(),
            indexable: plane_len <= i32::MAX as usize,
        })
    }
}

/// The forward kernels of one plan, element type and execution choices.
#[derive(Debug, Clone)]
pub(crate) struct ForwardKernel<T> {
    flat: Option<Flat>,
    exec: Exec,
    element: PhantomData<fn() -> T>,
}

impl<T: Element> ForwardKernel<T> {
    /// Flattens `plan`.
    pub fn new(plan: &PoolPlan, exec: Exec) -> Self {
        ForwardKernel {
            flat: Flat::of(plan),
            exec,
            element: PhantomData,
        }
    }

    /// The resolved execution choices, which the backward kernels share.
    pub fn exec(&self) -> Exec {
        self.exec
    }

    /// The route of a call on a view in standard layout (a few comparisons: chosen per
    /// call, so that a one-shot call pays only for the route it takes).
    pub fn route(&self, indices: bool) -> Route {
        match &self.flat {
            None => Route::Reference,
            Some(f) if indices && (f.kind != Kind::Max || !f.indexable) => Route::Reference,
            Some(f) => {
                let tiny = self.exec.automatic && route::is_tiny(&f.lines, f.output_len);
                route::choose::<T>(&f.lines, f.layout, indices, tiny)
            }
        }
    }

    /// The route of a call on `input`: the reference where its innermost axis (W
    /// channels-first, C channels-last) is strided.
    pub fn route_for(&self, input: &TensorView<T>, indices: bool) -> Route {
        match &self.flat {
            Some(flat) if unit_inner_stride(flat, input) => self.route(indices),
            _ => Route::Reference,
        }
    }

    /// Pools `input` into `out` (and `indices`) on `route`, a fast route
    /// [`route_for`](Self::route_for) gave for this view; every element is written.
    ///
    /// # Panics
    /// If `route` is the reference, or a buffer does not hold the plan's output.
    pub fn run(
        &self,
        route: Route,
        input: &TensorView<T>,
        out: &mut [MaybeUninit<T>],
        indices: Option<(&mut [MaybeUninit<i64>], IndexConvention)>,
    ) {
        let flat = self
            .flat
            .as_ref()
            .expect("a fast route has a flattened plan");
        assert!(route.is_fast() && route == self.route_for(input, indices.is_some()));
        assert_eq!(out.len(), flat.output_len);
        let job = Job::new(flat, input, indices.as_ref().map(|(_, c)| *c));
        let idx = indices.map(|(buffer, _)| {
            assert_eq!(buffer.len(), flat.output_len);
            Dst(buffer.as_mut_ptr().cast::<i64>())
        });
        job.run(route, Dst(out.as_mut_ptr().cast::<T>()), idx, &self.exec);
    }
}

/// True when `input`'s innermost axis is unit-stride, as every kernel assumes.
fn unit_inner_stride<T>(flat: &Flat, input: &TensorView<T>) -> bool {
    let strides = input.strides();
    match flat.layout {
        Layout::ChannelsFirst => flat.lines[2].input == 1 || strides[strides.len() - 1] == 1,
        Layout::ChannelsLast => flat.channels == 1 || strides[strides.len() - 1] == 1,
    }
}

/// A flattened plan on one input view.
struct Job<'f, T> {
    flat: &'f Flat,
    src: Src<T>,
    batch_stride: isize,
    channel_stride: isize,
    /// D, H, W; lower ranks have leading unit axes of stride 0.
    strides: [isize; 3],
    convention: Option<IndexConvention>,
}

impl<T> Clone for Job<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Job<'_, T> {}

impl<'f, T: Element> Job<'f, T> {
    fn new(flat: &'f Flat, input: &TensorView<T>, convention: Option<IndexConvention>) -> Self {
        let strides = input.strides();
        let rank = strides.len() - 2;
        let mut spatial = [0isize; 3];
        for (k, s) in spatial[3 - rank..].iter_mut().enumerate() {
            *s = strides[flat.layout.spatial_axis(k)];
        }
        if flat.lines[2].input == 1 {
            // A width-1 axis is read at offset 0 only; give it the unit stride kernels assume.
            spatial[2] = 1;
        }
        Job {
            flat,
            src: Src(input.data().as_ptr().wrapping_add(input.offset())),
            batch_stride: strides[0],
            channel_stride: strides[flat.layout.channel_axis(rank + 2)],
            strides: spatial,
            convention,
        }
    }

    fn cast<U>(&self) -> Job<'f, U> {
        Job {
            flat: self.flat,
            src: Src(self.src.0 as *const U),
            batch_stride: self.batch_stride,
            channel_stride: self.channel_stride,
            strides: self.strides,
            convention: self.convention,
        }
    }

    fn index_map(&self) -> IndexMap {
        let extents = self.flat.lines.map(|l| l.input);
        IndexMap::new(self.convention.unwrap_or_default(), extents)
    }

    /// Runs the job on `route` into `out` (and `indices`), every element of which it writes.
    fn run(&self, route: Route, out: Dst<T>, indices: Option<Dst<i64>>, exec: &Exec) {
        let (o, e) = (out.0, *exec);
        // `T` is the type `T::DTYPE` names: the casts change no type, only what the
        // compiler knows of it.
        match T::DTYPE {
            DType::F32 => self
                .cast()
                .run_on(route, Dst(o.cast()), indices, &SimdRunner(e)),
            DType::F16 => {
                self.cast::<f16>()
                    .run_on(route, Dst(o.cast()), indices, &NarrowRunner(e))
            }
            DType::BF16 => {
                self.cast::<bf16>()
                    .run_on(route, Dst(o.cast()), indices, &NarrowRunner(e))
            }
            DType::U8 => self
                .cast::<u8>()
                .run_on(route, Dst(o.cast()), indices, &NarrowRunner(e)),
            DType::I8 => self
                .cast::<i8>()
                .run_on(route, Dst(o.cast()), indices, &NarrowRunner(e)),
            DType::U16 => {
                self.cast::<u16>()
                    .run_on(route, Dst(o.cast()), indices, &NarrowRunner(e))
            }
            DType::F64 => self.run_on(route, out, indices, &ScalarRunner(e)),
        }
    }
}

impl<'f, T: Element> Job<'f, T> {
    /// Runs the job on `route` with `runner`'s instruction set.
    fn run_on<R: Runner<T>>(
        &self,
        route: Route,
        out: Dst<T>,
        indices: Option<Dst<i64>>,
        runner: &R,
    ) {
        route.launch(&Launch {
            job: self,
            planes: self.planes(out, indices),
            runner,
        });
    }

    /// The header every kernel shares, for outputs `out` (and `indices`).
    fn planes(&self, out: Dst<T>, indices: Option<Dst<i64>>) -> Planes<T> {
        let flat = self.flat;
        Planes {
            src: self.src,
            batch: flat.batch,
            channels: flat.channels,
            batch_stride: self.batch_stride,
            channel_stride: self.channel_stride,
            kind: flat.kind,
            out,
            indices,
            index_map: self.index_map(),
            stream: flat.output_len * std::mem::size_of::<T>() >= stream_min_bytes(),
            elements: flat.input_len + flat.output_len,
        }
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

/// A job with its header and runner, on the kernel family of its route: the rows of the
/// kernel table (`route.rs`), one method each.
struct Launch<'a, 'f, T, R> {
    job: &'a Job<'f, T>,
    planes: Planes<T>,
    runner: &'a R,
}

impl<T: Element, R: Runner<T>> Launch<'_, '_, T, R> {
    fn channels_first_kernel(&self) -> ChannelsFirst<T> {
        let [ld, lh, lw] = self.job.flat.lines;
        ChannelsFirst {
            planes: self.planes,
            lead: [ld, lh],
            lead_strides: [self.job.strides[0], self.job.strides[1]],
            w: lw,
            interior: lw.interior(),
        }
    }

    fn threads(&self) -> usize {
        self.runner.exec().threads
    }
}

impl<T: Element, R: Runner<T>> Families for Launch<'_, '_, T, R> {
    fn reference(&self) {
        unreachable!("the reference route runs in `ops`, never through the kernels")
    }

    fn tiny(&self) {
        let job = self.job;
        Small {
            planes: self.planes,
            lines: &job.flat.lines,
            strides: job.strides,
            channels_last: job.flat.layout == Layout::ChannelsLast,
        }
        .run();
    }

    fn global(&self) {
        self.runner.execute(&GlobalChannelsFirst {
            planes: self.planes,
            extents: self.job.flat.lines.map(|l| l.input),
            strides: self.job.strides,
        });
    }

    fn global_channels_last(&self) {
        let (batch, channels) = (self.planes.batch, self.planes.channels);
        self.runner.execute(&GlobalChannelsLast {
            planes: self.planes,
            spatial_strides: self.job.strides,
            extents: self.job.flat.lines.map(|l| l.input),
            chunk: channel_chunk(channels, batch, self.threads()).min(global_last::MAX_CHUNK),
        });
    }

    fn sliding(&self) {
        let [_, lh, lw] = self.job.flat.lines;
        let sliding = Sliding {
            planes: self.planes,
            row_stride: self.job.strides[1],
            plane_count: self.planes.batch * self.planes.channels,
            h: lh,
            w: lw,
            h_phases: phases(&lh),
            w_phases: phases(&lw),
        };
        let runner = self.runner;
        let threads = runner
            .exec()
            .threads_for(sliding.plane_count, self.planes.elements);
        if sliding.plane_count >= threads {
            runner.execute(&SlidingPlanes(&sliding));
            return;
        }
        let mut across = sliding.across();
        for plane in 0..sliding.plane_count {
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

    fn framed(&self) {
        let [_, lh, lw] = self.job.flat.lines;
        let pieces = pieces_per_unit(self.planes.batch * self.planes.channels, self.threads());
        self.runner.execute(&Framed {
            planes: self.planes,
            row_stride: self.job.strides[1],
            h: lh,
            w: lw,
            rows_per_task: lh.output.div_ceil(pieces).max(1),
            fallback: self.channels_first_kernel(),
        });
    }

    fn channels_first(&self) {
        self.runner.execute(&self.channels_first_kernel());
    }

    fn channels_last(&self) {
        let lines = self.job.flat.lines;
        let rows = self.planes.batch * lines[0].output * lines[1].output;
        self.runner.execute(&ChannelsLast {
            planes: self.planes,
            spatial_strides: self.job.strides,
            lines,
            chunk: channel_chunk(self.planes.channels, rows, self.threads()),
        });
    }
}
