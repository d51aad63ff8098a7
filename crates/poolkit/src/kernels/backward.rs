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
//! Safe code only: tiles are disjoint `chunks_mut` of the gradient, one thread owning each.

use super::exec::Exec;
use crate::element::Element;
use crate::geometry::{AxisMode, PoolPlan, Reduction};
use crate::indices::{IndexConvention, StorageOrder};
use crate::tensor::{Layout, TensorView};

/// A plan flattened for the tiles: three spatial axes (leading unit axes for lower ranks),
/// each output's in-bounds taps per axis, and each output's divisor.
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
        let tiles_exactly = axes.iter().all(|a| match a.mode {
            AxisMode::Window {
                kernel,
                stride,
                dilation,
                pad_begin,
                pad_end,
            } => {
                kernel == stride
                    && dilation == 1
                    && pad_begin == 0
                    && pad_end == 0
                    && a.input == a.output * kernel
            }
            AxisMode::Adaptive => false,
        });
        let mut divisors = Vec::new();
        if let Reduction::Avg { .. } = plan.reduction() {
            let out: Vec<usize> = axes.iter().map(|a| a.output).collect();
            crate::reference::for_each_index(&out, |o| {
                divisors.push(plan.avg_divisor(o).expect("avg plan has a divisor"));
            });
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
    exec: &Exec,
) -> bool {
    if !input.is_contiguous() || !grad_output.is_contiguous() {
        return false;
    }
    let geometry = Geometry::new(plan);
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
    let work = |first_tile: usize, dx: &mut [T]| {
        let mut scratch = Vec::new();
        for (k, dx_tile) in dx.chunks_mut(in_tile).enumerate() {
            let t = first_tile + k;
            let tile = Tile {
                x: &x[t * in_tile..(t + 1) * in_tile],
                dy: &dy[t * out_tile..(t + 1) * out_tile],
                channels: tile_channels,
            };
            tile.backward(plan.reduction(), &geometry, dx_tile, &mut scratch);
        }
    };
    split_chunks(grad_input, in_tile, per_thread, &work);
    true
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
                        let y = crate::reference::lp_norm(values, order);
                        if y == 0.0 {
                            continue;
                        }
                        for &p in offsets {
                            let v = self.x[p * c + j].to_f64();
                            scratch[p * c + j] += crate::reference::lp_partial(v, y, order) * grad;
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
        if (kd, kh, kw) == (1, 2, 2) && reduction == Reduction::Max {
            self.max_2x2_plane(g, dx);
            return;
        }
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

    /// 2×2/s2 max pooling's gradient, the VGG case, a pair of rows at a time.
    fn max_2x2_plane(&self, g: &Geometry, dx: &mut [T]) {
        let [_, ih, iw] = g.in_extent;
        let ow = iw / 2;
        for h in 0..ih / 2 {
            let (x0, x1) = self.x[2 * h * iw..(2 * h + 2) * iw].split_at(iw);
            let (d0, d1) = dx[2 * h * iw..(2 * h + 2) * iw].split_at_mut(iw);
            let dy = &self.dy[h * ow..(h + 1) * ow];
            for w in 0..ow {
                let window = [x0[2 * w], x0[2 * w + 1], x1[2 * w], x1[2 * w + 1]];
                // First NaN, else first maximum, in row-major window order.
                let mut best = 0;
                for k in 1..4 {
                    if window[best].is_nan() {
                        break;
                    }
                    if window[k].is_nan() || window[k] > window[best] {
                        best = k;
                    }
                }
                let mut out = [T::ZERO; 4];
                // `0.0 + dy` as the reference's accumulator does.
                out[best] = T::from_f64(0.0 + dy[w].to_f64());
                d0[2 * w] = out[0];
                d0[2 * w + 1] = out[1];
                d1[2 * w] = out[2];
                d1[2 * w + 1] = out[3];
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

/// Max-pool backward from the forward pass's indices on threaded tiles, or `false` (nothing
/// written) when not covered: strided views, column-major ONNX indices, or any index that
/// leaves its own (n, c) plane or the input — the reference then reports or handles it.
pub(crate) fn max_backward_from_indices<T: Element>(
    plan: &PoolPlan,
    grad_output: &TensorView<T>,
    indices: &TensorView<i64>,
    convention: IndexConvention,
    grad_input: &mut [T],
    exec: &Exec,
) -> bool {
    if !grad_output.is_contiguous() || !indices.is_contiguous() {
        return false;
    }
    let plane_in: usize = plan.input_spatial().iter().product();
    let plane_out: usize = plan.output_spatial().iter().product();
    let (batch, channels) = (plan.batch(), plan.channels());
    let (tile_channels, tiles) = match plan.layout() {
        Layout::ChannelsFirst => (1, batch * channels),
        Layout::ChannelsLast => (channels, batch),
    };
    let plane_base = |n: usize, c: usize| -> i64 {
        match convention {
            IndexConvention::Torch => 0,
            _ => ((n * channels + c) * plane_in) as i64,
        }
    };
    if matches!(convention, IndexConvention::Onnx(StorageOrder::ColumnMajor)) {
        return false;
    }
    let idx = indices.data();
    // Every index must stay inside its own plane; else the reference decides.
    let in_plane = |t: usize| {
        (0..plane_out * tile_channels).all(|k| {
            let (n, c) = tile_plane(plan.layout(), t, k, channels, tile_channels);
            let local = idx[t * plane_out * tile_channels + k] - plane_base(n, c);
            (0..plane_in as i64).contains(&local)
        })
    };
    if !(0..tiles).all(in_plane) {
        return false;
    }
    let in_tile = plane_in * tile_channels;
    let out_tile = plane_out * tile_channels;
    if tiles == 0 || in_tile == 0 {
        return true;
    }
    let dy = grad_output.data();
    let threads = exec.threads_for(tiles, plan.input_len() + plan.output_len());
    let per_thread = tiles.div_ceil(threads);
    let work = |first_tile: usize, dx: &mut [T]| {
        let mut scratch = vec![0.0f64; in_tile];
        for (k, dx_tile) in dx.chunks_mut(in_tile).enumerate() {
            let t = first_tile + k;
            scratch.fill(0.0);
            for o in 0..out_tile {
                let (n, c) = tile_plane(plan.layout(), t, o, channels, tile_channels);
                let local = (idx[t * out_tile + o] - plane_base(n, c)) as usize;
                let j = o % tile_channels;
                scratch[local * tile_channels + j] += dy[t * out_tile + o].to_f64();
            }
            for (d, &s) in dx_tile.iter_mut().zip(&scratch) {
                *d = T::from_f64(s);
            }
        }
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
