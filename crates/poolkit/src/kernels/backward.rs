//! Fast backward passes for windowed, global and adaptive pooling: threads over independent
//! tiles, no allocation per output, and the reference's exact arithmetic.
//!
//! # Exactness and determinism
//! A tile is one (n, c) plane channels-first, or one batch item (all channels) channels-last.
//! Within a tile, contributions are added to an `f64` scratch in row-major output order and
//! rounded once into the element type: the reference's order and arithmetic, so the result
//! is **bit-exact** against `poolkit::reference` and the same bits for every thread count.
//! Where windows tile the input exactly (kernel = stride, no padding, no dilation, extents
//! divisible by the kernel), each input receives exactly one contribution and is written
//! directly, without scratch: still the same bits.
//!
//! 2×2/s2 windows that tile a channels-first plane (the VGG case) run a pair of rows at a
//! time; for f32 on AVX2 eight windows per block (`x86::backward`), bit for bit the values
//! of the scalar code here. Gradients of 64 MiB or more are written with streaming stores.
//!
//! Tiles are disjoint `chunks_mut` of the gradient, one thread owning each; the only
//! `unsafe` here views an f32-typed `T` slice as `[f32]` for the SIMD rows.

use super::exec::Exec;
use super::geom::Line;
use super::windows_2x2::{avg_2x2_windows, corner_codes, max_2x2_windows, scatter_2x2_windows};
use crate::element::Element;
use crate::geometry::{PoolPlan, Reduction};
use crate::indices::{IndexConvention, StorageOrder};
use crate::tensor::{Layout, TensorView};
#[cfg(target_arch = "x86_64")]
use std::any::TypeId;

/// What a prepared operator keeps for its backward calls.
#[derive(Debug)]
pub(crate) struct Prepared {
    geometry: Geometry,
    exec: Exec,
}

impl Prepared {
    pub fn new(plan: &PoolPlan, exec: Exec) -> Prepared {
        Prepared {
            geometry: Geometry::new(plan),
            exec,
        }
    }
}

/// A plan flattened for the backward tiles, once per prepared operator: three spatial
/// axes (leading unit axes for lower ranks), each output's in-bounds taps per axis, and
/// each output's divisor, precomputed.
#[derive(Debug)]
struct Geometry {
    in_extent: [usize; 3],
    out_extent: [usize; 3],
    taps: [Vec<Vec<usize>>; 3],
    divisors: Vec<f64>,
    tiles_exactly: bool,
}

impl Geometry {
    fn new(plan: &PoolPlan) -> Geometry {
        let axes = plan.axes();
        let lead = 3 - axes.len();
        let mut in_extent = [1; 3];
        let mut out_extent = [1; 3];
        let mut taps: [Vec<Vec<usize>>; 3] = [vec![vec![0]], vec![vec![0]], vec![vec![0]]];
        for (i, a) in axes.iter().enumerate() {
            in_extent[lead + i] = a.input;
            out_extent[lead + i] = a.output;
            taps[lead + i] = (0..a.output).map(|o| a.taps(o).collect()).collect();
        }
        let tiles_exactly = axes.iter().all(|a| {
            Line::of(a).is_some_and(|l| {
                l.kernel == l.stride
                    && l.dilation == 1
                    && l.pad_begin == 0
                    && l.pad_end == 0
                    && l.input == l.output * l.kernel
            })
        });
        let mut divisors = Vec::new();
        if let Reduction::Avg { .. } = plan.reduction() {
            let out: Vec<usize> = axes.iter().map(|a| a.output).collect();
            // Every output position, last axis fastest (the scatter's order).
            let mut o = vec![0usize; out.len()];
            while out.iter().all(|&n| n > 0) {
                divisors.push(plan.avg_divisor(&o).expect("avg plan has a divisor"));
                let Some(axis) = (0..o.len()).rev().find(|&a| o[a] + 1 < out[a]) else {
                    break;
                };
                o[axis] += 1;
                o[axis + 1..].iter_mut().for_each(|v| *v = 0);
            }
        }
        Geometry {
            in_extent,
            out_extent,
            taps,
            divisors,
            tiles_exactly,
        }
    }

    fn in_len(&self) -> usize {
        self.in_extent.iter().product()
    }

    fn out_len(&self) -> usize {
        self.out_extent.iter().product()
    }

    /// Windows of 2 × 2 (height × width; depth 1) that tile the plane: every pair of
    /// input rows is one row of windows.
    fn two_by_two(&self) -> bool {
        let ([id, ih, iw], [od, oh, ow]) = (self.in_extent, self.out_extent);
        self.tiles_exactly && id == od && ih == 2 * oh && iw == 2 * ow
    }

    /// The common divisor of every average window, if they share one.
    fn common_divisor(&self) -> Option<f64> {
        let first = *self.divisors.first()?;
        self.divisors.iter().all(|&d| d == first).then_some(first)
    }

    /// Calls `f(output index, input spatial offsets)` for every output in row-major order,
    /// the offsets in row-major window order.
    fn for_each_window(&self, mut f: impl FnMut(usize, &[usize])) {
        let [_, ih, iw] = self.in_extent;
        let mut offsets = Vec::new();
        let mut o = 0;
        for td in &self.taps[0] {
            for th in &self.taps[1] {
                for tw in &self.taps[2] {
                    offsets.clear();
                    for &d in td {
                        for &h in th {
                            let row = (d * ih + h) * iw;
                            offsets.extend(tw.iter().map(|&w| row + w));
                        }
                    }
                    f(o, &offsets);
                    o += 1;
                }
            }
        }
    }
}

/// Runs the backward pass on the fast path, or returns `false` (nothing written) when the
/// call is not covered: strided views, or a plan too large for per-tile scratch.
pub(crate) fn pool_backward<T: Element>(
    plan: &PoolPlan,
    input: &TensorView<T>,
    grad_output: &TensorView<T>,
    grad_input: &mut [T],
    prepared: &Prepared,
) -> bool {
    let (geometry, exec) = (&prepared.geometry, &prepared.exec);
    if !input.is_contiguous() || !grad_output.is_contiguous() {
        return false;
    }
    let (batch, channels) = (plan.batch(), plan.channels());
    let (tile_channels, tiles) = match plan.layout() {
        Layout::ChannelsFirst => (1, batch * channels),
        Layout::ChannelsLast => (channels, batch),
    };
    let in_tile = geometry.in_len() * tile_channels;
    let out_tile = geometry.out_len() * tile_channels;
    if tiles == 0 || in_tile == 0 {
        return true;
    }
    let x = input.data();
    let dy = grad_output.data();
    let threads = exec.threads_for(tiles, plan.input_len() + plan.output_len());
    let per_thread = tiles.div_ceil(threads);
    let stream = streams::<T>(grad_input.len());
    // Channels-first 2×2 planes: max, or average with one divisor for every window.
    let rows_2x2 = match plan.reduction() {
        _ if tile_channels != 1 || !geometry.two_by_two() => None,
        Reduction::Max => Some(None),
        Reduction::Avg { .. } => geometry.common_divisor().map(Some),
        Reduction::Lp { .. } => None,
    };
    let iw = geometry.in_extent[2];
    let work = |first_tile: usize, dx: &mut [T]| {
        let mut scratch = Vec::new();
        for (k, dx_tile) in dx.chunks_mut(in_tile).enumerate() {
            let t = first_tile + k;
            let x = &x[t * in_tile..(t + 1) * in_tile];
            let dy = &dy[t * out_tile..(t + 1) * out_tile];
            match rows_2x2 {
                Some(None) => plane_2x2(Rows2x2::Max(x), dy, dx_tile, iw, exec, stream),
                Some(Some(divisor)) => {
                    plane_2x2(Rows2x2::Avg(divisor), dy, dx_tile, iw, exec, stream)
                }
                None => {
                    let tile = Tile {
                        x,
                        dy,
                        channels: tile_channels,
                    };
                    tile.backward(plan.reduction(), geometry, dx_tile, &mut scratch);
                }
            }
        }
        fence(stream);
    };
    split_chunks(grad_input, in_tile, per_thread, &work);
    true
}

/// Streaming stores for gradients too large for the caches (f32 SIMD rows only).
fn streams<T: Element>(len: usize) -> bool {
    len * std::mem::size_of::<T>() >= super::exec::stream_min_bytes()
}

/// Orders a thread's streaming stores before it hands its tiles back.
fn fence(stream: bool) {
    #[cfg(target_arch = "x86_64")]
    if stream {
        super::x86::store_fence();
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = stream;
}

/// What a row of 2×2/s2 windows computes.
#[derive(Clone, Copy)]
enum Rows2x2<'a, T> {
    /// Max by recompute, from the tile's input.
    Max(&'a [T]),
    /// Average with this divisor for every window.
    Avg(f64),
    /// Max from the tile's corner codes (see [`corner_codes`]).
    Codes(&'a [u8]),
}

/// One channels-first plane of 2×2/s2 windows that tile it (input width `iw`), a pair of
/// rows at a time: the SIMD rows where they apply, the scalar windows after them.
fn plane_2x2<T: Element>(
    op: Rows2x2<'_, T>,
    dy: &[T],
    dx: &mut [T],
    iw: usize,
    exec: &Exec,
    stream: bool,
) {
    let ow = iw / 2;
    if ow == 0 {
        return;
    }
    for (r, (rows, dy)) in dx
        .chunks_exact_mut(2 * iw)
        .zip(dy.chunks_exact(ow))
        .enumerate()
    {
        let (d0, d1) = rows.split_at_mut(iw);
        let done = simd_rows_2x2(op, r, dy, d0, d1, exec, stream);
        match op {
            Rows2x2::Max(x) => {
                let (x0, x1) = x[2 * r * iw..(2 * r + 2) * iw].split_at(iw);
                max_2x2_windows(x0, x1, dy, d0, d1, done..ow);
            }
            Rows2x2::Avg(divisor) => avg_2x2_windows(dy, d0, d1, divisor, done..ow),
            Rows2x2::Codes(codes) => {
                scatter_2x2_windows(&codes[r * ow..(r + 1) * ow], dy, d0, d1, done..ow)
            }
        }
    }
}

/// True when the f32 AVX2 kernels may run: asked for (AVX2 or wider) and present.
#[cfg(target_arch = "x86_64")]
fn avx2(exec: &Exec) -> bool {
    use super::isa::Isa;
    exec.isa == Isa::Avx2 || (exec.isa > Isa::Avx2 && Isa::Avx2.is_supported())
}

#[cfg(target_arch = "x86_64")]
/// `s` as `[f32]` when `T` is f32.
fn as_f32<T: Element>(s: &[T]) -> Option<&[f32]> {
    (TypeId::of::<T>() == TypeId::of::<f32>()).then(|| {
        // SAFETY: `T` is f32 (same `TypeId`): the same memory, length and lifetime, read
        // as the type it already is.
        unsafe { std::slice::from_raw_parts(s.as_ptr() as *const f32, s.len()) }
    })
}

#[cfg(target_arch = "x86_64")]
/// `s` as `[f32]` when `T` is f32.
fn as_f32_mut<T: Element>(s: &mut [T]) -> Option<&mut [f32]> {
    (TypeId::of::<T>() == TypeId::of::<f32>()).then(|| {
        // SAFETY: `T` is f32 (same `TypeId`): the same memory, length and exclusive
        // borrow, written as the type it already is.
        unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr() as *mut f32, s.len()) }
    })
}

#[cfg(target_arch = "x86_64")]
/// `1 / divisor` as f32 when the divisor is a power of two whose reciprocal is a normal
/// f32: multiplying by it is then exact division (see `x86::backward::avg_2x2_rows`).
fn power_of_two_reciprocal(divisor: f64) -> Option<f32> {
    let exact = divisor >= 1.0 && divisor <= 2f64.powi(64) && divisor.fract() == 0.0;
    (exact && (divisor as u128).is_power_of_two()).then(|| (1.0 / divisor) as f32)
}

/// Row pair `r`'s windows on the f32 AVX2 kernels; how many they covered (0 for other
/// types and instruction sets).
fn simd_rows_2x2<T: Element>(
    op: Rows2x2<'_, T>,
    r: usize,
    dy: &[T],
    d0: &mut [T],
    d1: &mut [T],
    exec: &Exec,
    stream: bool,
) -> usize {
    #[cfg(target_arch = "x86_64")]
    if avx2(exec) {
        use super::x86::backward as simd;
        let (Some(dy), Some(d0), Some(d1)) = (as_f32(dy), as_f32_mut(d0), as_f32_mut(d1)) else {
            return 0;
        };
        let (iw, ow) = (d0.len(), dy.len());
        // SAFETY: `avx2` saw AVX2 on this CPU.
        return unsafe {
            match op {
                Rows2x2::Max(x) => {
                    let Some(x) = as_f32(x) else { return 0 };
                    let (x0, x1) = x[2 * r * iw..(2 * r + 2) * iw].split_at(iw);
                    simd::max_2x2_rows(x0, x1, dy, d0, d1, stream)
                }
                Rows2x2::Avg(divisor) => match power_of_two_reciprocal(divisor) {
                    Some(scale) => simd::avg_2x2_rows(dy, d0, d1, scale, stream),
                    None => 0,
                },
                Rows2x2::Codes(codes) => {
                    simd::scatter_2x2_rows(&codes[r * ow..(r + 1) * ow], dy, d0, d1, stream)
                }
            }
        };
    }
    let _ = (op, r, dy, d0, d1, exec, stream);
    0
}

/// [`corner_codes`] on the widest instruction set available to `exec`.
fn corner_codes_for(
    exec: &Exec,
    idx: &[i64],
    first_corner: i64,
    iw: i64,
    codes: &mut [u8],
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if avx2(exec) {
        // SAFETY: `avx2` saw AVX2 on this CPU.
        return unsafe { super::x86::backward::corner_codes_avx2(idx, first_corner, iw, codes) };
    }
    let _ = exec;
    corner_codes(idx, first_corner, iw, codes)
}

/// One tile's input, upstream gradient and channel count (channel innermost).
struct Tile<'a, T> {
    x: &'a [T],
    dy: &'a [T],
    channels: usize,
}

impl<T: Element> Tile<'_, T> {
    fn backward(&self, reduction: Reduction, g: &Geometry, dx: &mut [T], scratch: &mut Vec<f64>) {
        let c = self.channels;
        if g.tiles_exactly && c == 1 && !matches!(reduction, Reduction::Lp { .. }) {
            self.tiled_plane(reduction, g, dx);
            return;
        }
        if g.tiles_exactly && !matches!(reduction, Reduction::Lp { .. }) {
            // Every input lies in exactly one window: one contribution each, written directly.
            g.for_each_window(|o, offsets| {
                for j in 0..c {
                    let grad = self.dy[o * c + j].to_f64();
                    match reduction {
                        Reduction::Max => {
                            let winner = self.first_max(offsets, j);
                            for &p in offsets {
                                dx[p * c + j] = T::ZERO;
                            }
                            // `0.0 + grad` as the reference's accumulator does (it turns -0.0 into 0.0).
                            dx[winner * c + j] = T::from_f64(0.0 + grad);
                        }
                        _ => {
                            let share = T::from_f64(0.0 + grad / g.divisors[o]);
                            for &p in offsets {
                                dx[p * c + j] = share;
                            }
                        }
                    }
                }
            });
            return;
        }
        scratch.clear();
        scratch.resize(dx.len(), 0.0);
        g.for_each_window(|o, offsets| {
            for j in 0..c {
                let grad = self.dy[o * c + j].to_f64();
                match reduction {
                    Reduction::Max => scratch[self.first_max(offsets, j) * c + j] += grad,
                    Reduction::Avg { .. } => {
                        let share = grad / g.divisors[o];
                        for &p in offsets {
                            scratch[p * c + j] += share;
                        }
                    }
                    Reduction::Lp { p: order } => {
                        let values = offsets.iter().map(|&p| self.x[p * c + j].to_f64());
                        let y = super::lp::norm(values, order);
                        if y == 0.0 {
                            continue;
                        }
                        for &p in offsets {
                            let v = self.x[p * c + j].to_f64();
                            scratch[p * c + j] += super::lp::partial(v, y, order) * grad;
                        }
                    }
                }
            }
        });
        for (d, &s) in dx.iter_mut().zip(scratch.iter()) {
            *d = T::from_f64(s);
        }
    }

    /// One plane whose windows tile it exactly (kernel = stride): plain index arithmetic,
    /// each input written once, in the same values the general loop would give.
    fn tiled_plane(&self, reduction: Reduction, g: &Geometry, dx: &mut [T]) {
        let [id, ih, iw] = g.in_extent;
        let [od, oh, ow] = g.out_extent;
        let (kd, kh, kw) = (id / od, ih / oh, iw / ow);
        let mut o = 0;
        for d in 0..od {
            for h in 0..oh {
                for w in 0..ow {
                    let corner = ((d * kd) * ih + h * kh) * iw + w * kw;
                    let grad = self.dy[o].to_f64();
                    match reduction {
                        Reduction::Max => {
                            let mut best = corner;
                            let mut best_value = self.x[corner];
                            'scan: for a in 0..kd {
                                for b in 0..kh {
                                    let row = corner + (a * ih + b) * iw;
                                    for (p, &v) in self.x[row..row + kw].iter().enumerate() {
                                        if best_value.is_nan() {
                                            break 'scan;
                                        }
                                        if v.is_nan() || v > best_value {
                                            best = row + p;
                                            best_value = v;
                                        }
                                    }
                                }
                            }
                            for a in 0..kd {
                                for b in 0..kh {
                                    let row = corner + (a * ih + b) * iw;
                                    dx[row..row + kw].fill(T::ZERO);
                                }
                            }
                            // `0.0 + grad` as the reference's accumulator does.
                            dx[best] = T::from_f64(0.0 + grad);
                        }
                        _ => {
                            let share = T::from_f64(0.0 + grad / g.divisors[o]);
                            for a in 0..kd {
                                for b in 0..kh {
                                    let row = corner + (a * ih + b) * iw;
                                    dx[row..row + kw].fill(share);
                                }
                            }
                        }
                    }
                    o += 1;
                }
            }
        }
    }

    /// The window's first maximum (or first NaN) on channel `j`, as a spatial offset.
    #[inline]
    fn first_max(&self, offsets: &[usize], j: usize) -> usize {
        let c = self.channels;
        let mut best = offsets[0];
        let mut best_value = self.x[best * c + j];
        for &p in &offsets[1..] {
            if best_value.is_nan() {
                break;
            }
            let v = self.x[p * c + j];
            if v.is_nan() || v > best_value {
                best = p;
                best_value = v;
            }
        }
        best
    }
}

/// How a tile's indices lie, from the check that precedes every write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lie {
    /// Each index inside its own 2×2 window: the tile's corner codes are written.
    InWindow,
    /// Each index inside its own (n, c) plane.
    InPlane,
    /// Some index outside its plane: the call is left to the reference.
    Outside,
}

/// Max-pool backward from the forward pass's indices on threaded tiles, or `false` (nothing
/// written) when not covered: strided views, column-major ONNX indices, or any index that
/// leaves its own (n, c) plane or the input — the reference then reports or handles it.
///
/// Two threaded passes: the first checks every index (and, for channels-first 2×2/s2
/// windows that tile the plane, turns each into a 2-bit corner code); only when all lie in
/// their planes does the second write. A tile whose indices all lie in their own windows
/// gives each input at most one contribution, written directly from the codes; any other
/// tile sums into an `f64` scratch in output order, as the reference does.
///
/// `fresh`: `grad_input` was just allocated, its pages untouched. The system zeroes each
/// page on first touch, leaving it in the caches, so plain stores then beat streaming ones
/// (which would add the write-back of those zeros).
pub(crate) fn max_backward_from_indices<T: Element>(
    plan: &PoolPlan,
    grad_output: &TensorView<T>,
    indices: &TensorView<i64>,
    convention: IndexConvention,
    grad_input: &mut [T],
    prepared: &Prepared,
    fresh: bool,
) -> bool {
    let (geometry, exec) = (&prepared.geometry, &prepared.exec);
    if !grad_output.is_contiguous() || !indices.is_contiguous() {
        return false;
    }
    if matches!(convention, IndexConvention::Onnx(StorageOrder::ColumnMajor)) {
        return false;
    }
    let plane_in: usize = plan.input_spatial().iter().product();
    let plane_out: usize = plan.output_spatial().iter().product();
    let (batch, channels) = (plan.batch(), plan.channels());
    let (tile_channels, tiles) = match plan.layout() {
        Layout::ChannelsFirst => (1, batch * channels),
        Layout::ChannelsLast => (channels, batch),
    };
    let in_tile = plane_in * tile_channels;
    let out_tile = plane_out * tile_channels;
    if tiles == 0 || in_tile == 0 {
        return true;
    }
    let plane_base = |n: usize, c: usize| -> i64 {
        match convention {
            IndexConvention::Torch => 0,
            _ => ((n * channels + c) * plane_in) as i64,
        }
    };
    let two_by_two = tile_channels == 1 && geometry.two_by_two();
    let iw = geometry.in_extent[2];
    let idx = indices.data();
    let dy = grad_output.data();
    let threads = exec.threads_for(tiles, plan.input_len() + plan.output_len());
    let per_thread = tiles.div_ceil(threads);

    // Pass 1: where every index lies, and the corner codes of 2×2 tiles.
    let code_len = if two_by_two { out_tile } else { 0 };
    let mut codes = vec![0u8; tiles * code_len];
    let mut lies = vec![Lie::InPlane; tiles];
    let check = |first_tile: usize, lies: &mut [Lie], codes: &mut [u8]| {
        for (k, lie) in lies.iter_mut().enumerate() {
            let t = first_tile + k;
            let idx = &idx[t * out_tile..(t + 1) * out_tile];
            if two_by_two {
                // One (n, c) plane: window row r starts at input row 2r.
                let base = plane_base(t / channels, t % channels);
                let ow = iw / 2;
                let codes = &mut codes[k * code_len..(k + 1) * code_len];
                let in_window = ow > 0
                    && idx
                        .chunks_exact(ow)
                        .zip(codes.chunks_exact_mut(ow))
                        .enumerate()
                        .fold(true, |all, (r, (idx, codes))| {
                            let first_corner = base + (2 * r * iw) as i64;
                            corner_codes_for(exec, idx, first_corner, iw as i64, codes) & all
                        });
                if in_window {
                    *lie = Lie::InWindow;
                    continue;
                }
            }
            let in_plane = idx.iter().enumerate().all(|(o, &i)| {
                let (n, c) = tile_plane(plan.layout(), t, o, channels, tile_channels);
                (0..plane_in as i64).contains(&(i - plane_base(n, c)))
            });
            *lie = if in_plane { Lie::InPlane } else { Lie::Outside };
        }
    };
    std::thread::scope(|scope| {
        let mut rest = codes.as_mut_slice();
        let mut chunks = lies.chunks_mut(per_thread).enumerate().map(|(i, lies)| {
            let (mine, others) = std::mem::take(&mut rest).split_at_mut(lies.len() * code_len);
            rest = others;
            (i * per_thread, lies, mine)
        });
        let first = chunks.next();
        for (t, lies, codes) in chunks {
            scope.spawn(move || check(t, lies, codes));
        }
        if let Some((t, lies, codes)) = first {
            check(t, lies, codes);
        }
    });
    if lies.contains(&Lie::Outside) {
        return false;
    }

    // Pass 2: write every tile.
    let stream = !fresh && streams::<T>(grad_input.len());
    let work = |first_tile: usize, dx: &mut [T]| {
        let mut scratch = Vec::new();
        for (k, dx_tile) in dx.chunks_mut(in_tile).enumerate() {
            let t = first_tile + k;
            let dy = &dy[t * out_tile..(t + 1) * out_tile];
            if lies[t] == Lie::InWindow {
                let codes = Rows2x2::Codes(&codes[t * code_len..(t + 1) * code_len]);
                plane_2x2(codes, dy, dx_tile, iw, exec, stream);
                continue;
            }
            scratch.clear();
            scratch.resize(in_tile, 0.0f64);
            for (o, &g) in dy.iter().enumerate() {
                let (n, c) = tile_plane(plan.layout(), t, o, channels, tile_channels);
                let local = (idx[t * out_tile + o] - plane_base(n, c)) as usize;
                let j = o % tile_channels;
                scratch[local * tile_channels + j] += g.to_f64();
            }
            for (d, &s) in dx_tile.iter_mut().zip(&scratch) {
                *d = T::from_f64(s);
            }
        }
        fence(stream);
    };
    split_chunks(grad_input, in_tile, per_thread, &work);
    true
}

/// The (n, c) plane of element `k` of tile `t`.
#[inline]
fn tile_plane(
    layout: Layout,
    t: usize,
    k: usize,
    channels: usize,
    tile_channels: usize,
) -> (usize, usize) {
    match layout {
        Layout::ChannelsFirst => (t / channels, t % channels),
        Layout::ChannelsLast => (t, k % tile_channels),
    }
}

/// Hands `per_thread` tiles of `tile_len` elements at a time to scoped threads, the first
/// chunk to the calling thread; `work` gets its first tile's number and its chunk.
fn split_chunks<T: Send>(
    data: &mut [T],
    tile_len: usize,
    per_thread: usize,
    work: &(impl Fn(usize, &mut [T]) + Sync),
) {
    let mut chunks = data.chunks_mut(per_thread * tile_len).enumerate();
    std::thread::scope(|scope| {
        let first = chunks.next();
        for (i, chunk) in chunks {
            scope.spawn(move || work(i * per_thread, chunk));
        }
        if let Some((_, chunk)) = first {
            work(0, chunk);
        }
    });
}
