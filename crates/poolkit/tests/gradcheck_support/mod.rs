//! Shared by the gradient proofs: random pooling geometries, layout-aware and strided test
//! tensors, a five-point finite-difference stencil, and a window oracle written from the
//! PyTorch/ONNX rules without the library's geometry code, so the proofs do not grade the
//! library against itself.
#![allow(dead_code)]

use poolkit::{
    Element, Error, IndexConvention, Layout, Padding, PoolPlan, PoolSpec, Reduction, Region,
    StorageOrder, TensorView, UnpoolSpec, WindowSpec,
};
use proptest::prelude::*;

/// One random pooling problem: a spec, the full input shape in `layout`, and whether the
/// input reaches the library as a non-contiguous view.
#[derive(Debug, Clone)]
pub struct Case {
    pub spec: PoolSpec,
    pub shape: Vec<usize>,
    pub layout: Layout,
    pub strided: bool,
}

impl Case {
    /// The library's plan for this case (an `Err` is a geometry the library refuses).
    pub fn plan(&self) -> Result<PoolPlan, Error> {
        PoolPlan::new(&self.spec, &self.shape, self.layout)
    }

    /// Number of input elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// `(batch, channels, spatial)` of the input.
    pub fn split(&self) -> (usize, usize, Vec<usize>) {
        let (n, c, s) = self.layout.split_shape(&self.shape);
        (n, c, s.to_vec())
    }

    /// The same geometry with another reduction.
    pub fn with_reduction(mut self, reduction: Reduction) -> Case {
        self.spec.reduction = reduction;
        self
    }
}

#[derive(Debug, Clone, Copy)]
enum PadKind {
    Explicit,
    SameUpper,
    SameLower,
    Valid,
}

#[derive(Debug, Clone, Copy)]
struct AxisDraw {
    kernel: usize,
    stride: usize,
    dilation: usize,
    pad_begin: usize,
    pad_end: usize,
    extra: usize,
}

fn axis_draw(kernel_max: usize, extra_max: usize) -> impl Strategy<Value = AxisDraw> {
    (
        1..=kernel_max,
        1..=3usize,
        1..=2usize,
        0..=extra_max,
        any::<(u8, u8)>(),
    )
        .prop_map(|(kernel, stride, dilation, extra, (a, b))| {
            // PyTorch's rule: a pad is at most half the kernel.
            let half = kernel / 2;
            AxisDraw {
                kernel,
                stride,
                dilation,
                pad_begin: a as usize % (half + 1),
                pad_end: b as usize % (half + 1),
                extra,
            }
        })
}

/// How a case's input is arranged: batch and channel counts, layout, strided or not.
#[derive(Clone, Copy, Debug)]
struct Arrangement {
    batch: usize,
    channels: usize,
    channels_last: bool,
    strided: bool,
}

/// Batches of 1 or 2, 1 to `channels_max` channels, either layout, contiguous or strided.
fn arrangement(channels_max: usize) -> impl Strategy<Value = Arrangement> {
    (1..=2usize, 1..=channels_max, any::<bool>(), any::<bool>()).prop_map(
        |(batch, channels, channels_last, strided)| Arrangement {
            batch,
            channels,
            channels_last,
            strided,
        },
    )
}

/// The case of `reduction` over `region` on a `spatial` input arranged as `a` says.
fn case_of(reduction: Reduction, region: Region, spatial: &[usize], a: Arrangement) -> Case {
    let layout = if a.channels_last {
        Layout::ChannelsLast
    } else {
        Layout::ChannelsFirst
    };
    Case {
        spec: PoolSpec { reduction, region },
        shape: layout.full_shape(a.batch, a.channels, spatial),
        layout,
        strided: a.strided,
    }
}

/// Average reductions over every option: `count_include_pad` and `divisor_override`.
pub fn avg_reduction() -> impl Strategy<Value = Reduction> + Clone {
    (any::<bool>(), prop::option::weighted(0.3, 1..=9usize)).prop_map(
        |(count_include_pad, divisor_override)| Reduction::Avg {
            count_include_pad,
            divisor_override,
        },
    )
}

/// Lp reductions with orders below, at and above 2, one of them large and fractional.
pub fn lp_reduction() -> impl Strategy<Value = Reduction> + Clone {
    prop::sample::select(vec![1.5, 2.0, 3.0, 7.5]).prop_map(|p| Reduction::Lp { p })
}

/// Sliding windows in 1-D, 2-D and 3-D: kernels, strides, dilations, explicit (asymmetric),
/// SAME_UPPER, SAME_LOWER and VALID padding, ceil mode, both layouts, strided or not.
/// Sizes shrink with the rank so a case stays a few hundred elements at most.
pub fn window_case(
    reduction: impl Strategy<Value = Reduction> + Clone + 'static,
) -> BoxedStrategy<Case> {
    (1..=3usize)
        .prop_flat_map(move |rank| {
            let (kernel_max, extra_max, channels_max): (usize, usize, usize) = match rank {
                1 => (4, 4, 3),
                2 => (3, 3, 2),
                _ => (2, 2, 2),
            };
            (
                prop::collection::vec(axis_draw(kernel_max, extra_max), rank),
                prop_oneof![
                    3 => Just(PadKind::Explicit),
                    1 => Just(PadKind::SameUpper),
                    1 => Just(PadKind::SameLower),
                    1 => Just(PadKind::Valid),
                ],
                any::<bool>(),
                arrangement(channels_max),
                reduction.clone(),
            )
        })
        .prop_map(|(axes, pad, ceil_mode, arranged, reduction)| {
            let explicit = matches!(pad, PadKind::Explicit);
            let spatial: Vec<usize> = axes
                .iter()
                .map(|a| {
                    let span = (a.kernel - 1) * a.dilation + 1;
                    let pads = if explicit { a.pad_begin + a.pad_end } else { 0 };
                    span.saturating_sub(pads).max(1) + a.extra
                })
                .collect();
            let padding = match pad {
                PadKind::Explicit => Padding::Explicit {
                    begin: axes.iter().map(|a| a.pad_begin).collect(),
                    end: axes.iter().map(|a| a.pad_end).collect(),
                },
                PadKind::SameUpper => Padding::SameUpper,
                PadKind::SameLower => Padding::SameLower,
                PadKind::Valid => Padding::Valid,
            };
            let window = WindowSpec::new(&axes.iter().map(|a| a.kernel).collect::<Vec<_>>())
                .strides(&axes.iter().map(|a| a.stride).collect::<Vec<_>>())
                .dilations(&axes.iter().map(|a| a.dilation).collect::<Vec<_>>())
                .padding(padding)
                .ceil_mode(ceil_mode);
            case_of(reduction, Region::Window(window), &spatial, arranged)
        })
        .boxed()
}

/// Adaptive regions in 1-D, 2-D and 3-D, output sizes below, at and above the input's.
pub fn adaptive_case(
    reduction: impl Strategy<Value = Reduction> + Clone + 'static,
) -> BoxedStrategy<Case> {
    (1..=3usize)
        .prop_flat_map(move |rank| {
            let input_max: usize = [8, 6, 4][rank - 1];
            (
                prop::collection::vec(
                    (1..=input_max).prop_flat_map(|i| (Just(i), 1..=i + 2)),
                    rank,
                ),
                arrangement(2),
                reduction.clone(),
            )
        })
        .prop_map(|(axes, arranged, reduction)| {
            let spatial: Vec<usize> = axes.iter().map(|a| a.0).collect();
            case_of(
                reduction,
                Region::Adaptive {
                    output_size: axes.iter().map(|a| a.1).collect(),
                },
                &spatial,
                arranged,
            )
        })
        .boxed()
}

/// Global regions in 1-D, 2-D and 3-D.
pub fn global_case(
    reduction: impl Strategy<Value = Reduction> + Clone + 'static,
) -> BoxedStrategy<Case> {
    (1..=3usize)
        .prop_flat_map(move |rank| {
            let input_max: usize = [9, 6, 4][rank - 1];
            (
                prop::collection::vec(1..=input_max, rank),
                arrangement(3),
                reduction.clone(),
            )
        })
        .prop_map(|(spatial, arranged, reduction)| {
            case_of(reduction, Region::Global, &spatial, arranged)
        })
        .boxed()
}

/// Any region: sliding window, adaptive or global.
pub fn any_case(
    reduction: impl Strategy<Value = Reduction> + Clone + 'static,
) -> BoxedStrategy<Case> {
    prop_oneof![
        3 => window_case(reduction.clone()),
        1 => adaptive_case(reduction.clone()),
        1 => global_case(reduction),
    ]
    .boxed()
}

/// Max, average (every option) or Lp.
pub fn any_reduction() -> BoxedStrategy<Reduction> {
    prop_oneof![Just(Reduction::Max), avg_reduction(), lp_reduction()].boxed()
}

/// Max or average (every option): the reductions integer types support.
pub fn max_or_avg() -> BoxedStrategy<Reduction> {
    prop_oneof![Just(Reduction::Max), avg_reduction()].boxed()
}

/// A max-unpooling: pooled input shape, kernel/stride/pads, an output size at or above
/// the inferred one, the index convention, layout.
#[derive(Debug, Clone)]
pub struct UnpoolCase {
    pub spec: UnpoolSpec,
    pub shape: Vec<usize>,
    pub layout: Layout,
    pub convention: IndexConvention,
}

pub fn unpool_case() -> impl Strategy<Value = UnpoolCase> {
    (1..=3usize)
        .prop_flat_map(|rank| {
            (
                prop::collection::vec((1..=3usize, 1..=3usize, 1..=3usize, 0..=2usize), rank),
                any::<(u8, u8)>(),
                any::<bool>(),
                1..=2usize,
                1..=2usize,
                prop::sample::select(vec![
                    IndexConvention::Torch,
                    IndexConvention::Onnx(StorageOrder::RowMajor),
                    IndexConvention::Onnx(StorageOrder::ColumnMajor),
                ]),
                any::<bool>(),
            )
        })
        .prop_map(
            |(axes, (pad_seed, grow_seed), grow, batch, channels, convention, channels_last)| {
                let layout = if channels_last {
                    Layout::ChannelsLast
                } else {
                    Layout::ChannelsFirst
                };
                let spatial: Vec<usize> = axes.iter().map(|a| a.0).collect();
                let kernel: Vec<usize> = axes.iter().map(|a| a.1).collect();
                let strides: Vec<usize> = axes.iter().map(|a| a.2).collect();
                // Pads of at most kernel-1 in all keep every unpooled axis at least as
                // long as the pooled one, so distinct indices always exist.
                let begin: Vec<usize> = kernel.iter().map(|&k| pad_seed as usize % k).collect();
                let end: Vec<usize> = kernel
                    .iter()
                    .zip(&begin)
                    .map(|(&k, &b)| grow_seed as usize % (k - b))
                    .collect();
                let mut spec =
                    UnpoolSpec::new(&kernel)
                        .strides(&strides)
                        .padding(Padding::Explicit {
                            begin: begin.clone(),
                            end: end.clone(),
                        });
                if grow {
                    let size: Vec<usize> = axes
                        .iter()
                        .zip(begin.iter().zip(&end))
                        .map(|(a, (b, e))| (a.0 - 1) * a.2 + a.1 - b - e + a.3)
                        .collect();
                    spec = spec.output_size(&size);
                }
                UnpoolCase {
                    spec,
                    shape: layout.full_shape(batch, channels, &spatial),
                    layout,
                    convention,
                }
            },
        )
}

/// SplitMix64: tensor contents come from one proptest-drawn seed, so a failure replays.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[0, n)`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform integer in `[lo, hi]`.
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }

    /// `n` values uniform in `[-1, 1)`.
    pub fn uniform(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| 2.0 * self.unit() - 1.0).collect()
    }

    /// A random permutation of `0..n`.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            p.swap(i, self.below(i + 1));
        }
        p
    }

    /// `n` pairwise distinct values `spacing` apart, centred on 0, in random order.
    pub fn distinct(&mut self, n: usize, spacing: f64) -> Vec<f64> {
        self.permutation(n)
            .into_iter()
            .map(|k| (k as f64 - (n / 2) as f64) * spacing)
            .collect()
    }

    /// `n` values with distinct magnitudes in `[0.5, 1.5)` and random signs: away from 0,
    /// where `|x|` has a kink, and free of ties.
    pub fn away_from_zero(&mut self, n: usize) -> Vec<f64> {
        self.permutation(n)
            .into_iter()
            .map(|k| {
                let m = 0.5 + k as f64 / n as f64;
                if self.next_u64() & 1 == 0 {
                    m
                } else {
                    -m
                }
            })
            .collect()
    }

    /// `n` small integers in `[lo, hi]` (ties everywhere).
    pub fn ints(&mut self, n: usize, lo: i64, hi: i64) -> Vec<f64> {
        (0..n).map(|_| self.int(lo, hi) as f64).collect()
    }
}

/// A tensor held for the library: contiguous, or scattered through a larger buffer with
/// doubled strides, the last axis reversed and NaN between the elements, so a read through
/// the wrong stride shows.
pub struct Held<T> {
    buf: Vec<T>,
    shape: Vec<usize>,
    strides: Vec<isize>,
    offset: usize,
}

impl<T: Element> Held<T> {
    /// Holds `data`, a contiguous row-major tensor of `shape`.
    pub fn new(data: &[T], shape: &[usize], strided: bool) -> Held<T> {
        let len: usize = shape.iter().product();
        assert_eq!(data.len(), len);
        let contiguous = poolkit::contiguous_strides(shape);
        if !strided || len == 0 {
            return Held {
                buf: data.to_vec(),
                shape: shape.to_vec(),
                strides: contiguous,
                offset: 0,
            };
        }
        let last = shape.len() - 1;
        let mut strides: Vec<isize> = contiguous.iter().map(|s| 2 * s).collect();
        strides[last] = -2;
        let offset = 2 * (shape[last] - 1) + 1;
        let mut buf = vec![T::from_f64(f64::NAN); 2 * len + 1];
        let mut idx = vec![0usize; shape.len()];
        for (flat, &v) in data.iter().enumerate() {
            let mut rest = flat;
            for (i, &d) in idx.iter_mut().zip(shape).rev() {
                *i = rest % d;
                rest /= d;
            }
            let pos = offset as isize
                + idx
                    .iter()
                    .zip(&strides)
                    .map(|(&i, &s)| i as isize * s)
                    .sum::<isize>();
            buf[pos as usize] = v;
        }
        Held {
            buf,
            shape: shape.to_vec(),
            strides,
            offset,
        }
    }

    /// The library's view of the held tensor.
    pub fn view(&self) -> TensorView<'_, T> {
        TensorView::with_strides(&self.buf, &self.shape, &self.strides, self.offset)
            .expect("held view fits its buffer")
    }
}

/// Row-major offset of `(n, c, pos)` in a contiguous tensor of `shape` in `layout`.
pub fn offset_of(layout: Layout, shape: &[usize], n: usize, c: usize, pos: &[usize]) -> usize {
    layout
        .full_shape(n, c, pos)
        .iter()
        .zip(shape)
        .fold(0, |acc, (&i, &d)| acc * d + i)
}

/// Calls `f` with every multi-index of `shape`, last axis fastest.
pub fn each_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
    let total: usize = shape.iter().product();
    let mut idx = vec![0usize; shape.len()];
    for flat in 0..total {
        let mut rest = flat;
        for (i, &d) in idx.iter_mut().zip(shape).rev() {
            *i = rest % d;
            rest /= d;
        }
        f(&idx);
    }
}

/// `∑ a_i b_i` and `∑ |a_i b_i|`: a value and the scale its rounding error is relative to.
pub fn dot_and_scale(a: &[f64], b: &[f64]) -> (f64, f64) {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .fold((0.0, 0.0), |(s, m), (x, y)| (s + x * y, m + (x * y).abs()))
}

/// The five-point central difference `f'(0) ≈ (−f(2h) + 8f(h) − 8f(−h) + f(−2h)) / 12h`.
/// Its truncation error is `h⁴ f⁽⁵⁾ / 30`, against `h² f‴ / 6` for the two-point one, which
/// lets the step stay large (little cancellation) while still being accurate to 1e-6.
pub fn five_point(f: impl Fn(f64) -> f64, h: f64) -> f64 {
    (-f(2.0 * h) + 8.0 * f(h) - 8.0 * f(-h) + f(-2.0 * h)) / (12.0 * h)
}

/// One axis of a plan as the oracle sees it: windows and their divisor counts.
#[derive(Debug, Clone, Copy)]
pub enum OracleAxis {
    Window {
        input: usize,
        output: usize,
        kernel: usize,
        stride: usize,
        dilation: usize,
        pad_begin: usize,
        pad_end: usize,
    },
    Adaptive {
        input: usize,
        output: usize,
    },
}

impl OracleAxis {
    pub fn output(&self) -> usize {
        match *self {
            OracleAxis::Window { output, .. } | OracleAxis::Adaptive { output, .. } => output,
        }
    }

    /// In-bounds input positions of output `o`, increasing.
    pub fn taps(&self, o: usize) -> Vec<usize> {
        match *self {
            OracleAxis::Window {
                input,
                kernel,
                stride,
                dilation,
                pad_begin,
                ..
            } => (0..kernel)
                .map(|t| (o * stride + t * dilation) as isize - pad_begin as isize)
                .filter(|&p| p >= 0 && p < input as isize)
                .map(|p| p as usize)
                .collect(),
            // PyTorch: [floor(o*in/out), ceil((o+1)*in/out)).
            OracleAxis::Adaptive { input, output } => {
                (o * input / output..((o + 1) * input).div_ceil(output)).collect()
            }
        }
    }

    /// Taps inside `[-pad_begin, input + pad_end)`: `count_include_pad`'s divisor factor.
    pub fn padded_count(&self, o: usize) -> usize {
        match *self {
            OracleAxis::Window {
                input,
                kernel,
                stride,
                dilation,
                pad_begin,
                pad_end,
                ..
            } => (0..kernel)
                .map(|t| o * stride + t * dilation)
                .filter(|&p| p < input + pad_begin + pad_end)
                .count(),
            OracleAxis::Adaptive { .. } => self.taps(o).len(),
        }
    }
}

/// The axes of `spec` on `spatial`, by the PyTorch/ONNX formulas (floor or ceil output,
/// a ceil-mode window starting past the input and begin padding dropped; SAME pads split
/// with the odd pixel at the end for SAME_UPPER, at the start for SAME_LOWER).
pub fn oracle_axes(spec: &PoolSpec, spatial: &[usize]) -> Vec<OracleAxis> {
    match &spec.region {
        Region::Global => spatial
            .iter()
            .map(|&input| OracleAxis::Window {
                input,
                output: 1,
                kernel: input,
                stride: 1,
                dilation: 1,
                pad_begin: 0,
                pad_end: 0,
            })
            .collect(),
        Region::Adaptive { output_size } => spatial
            .iter()
            .zip(output_size)
            .map(|(&input, &output)| OracleAxis::Adaptive { input, output })
            .collect(),
        Region::Window(w) => (0..spatial.len())
            .map(|a| {
                let input = spatial[a];
                let kernel = w.kernel[a];
                let stride = w.strides.as_ref().map_or(kernel, |s| s[a]);
                let dilation = w.dilations.as_ref().map_or(1, |d| d[a]);
                let span = (kernel - 1) * dilation + 1;
                let (output, pad_begin, pad_end) = match &w.padding {
                    // VALID is zero explicit padding, ceil mode included (as ONNX Runtime).
                    Padding::Explicit { .. } | Padding::Valid => {
                        let (pb, pe) = match &w.padding {
                            Padding::Explicit { begin, end } => (
                                begin.get(a).copied().unwrap_or(0),
                                end.get(a).copied().unwrap_or(0),
                            ),
                            _ => (0, 0),
                        };
                        let room = input + pb + pe - span;
                        let mut output = if w.ceil_mode {
                            room.div_ceil(stride) + 1
                        } else {
                            room / stride + 1
                        };
                        if w.ceil_mode && (output - 1) * stride >= input + pb {
                            output -= 1;
                        }
                        (output, pb, pe)
                    }
                    same => {
                        let output = input.div_ceil(stride);
                        let total = ((output - 1) * stride + span).saturating_sub(input);
                        let (small, large) = (total / 2, total - total / 2);
                        if matches!(same, Padding::SameUpper) {
                            (output, small, large)
                        } else {
                            (output, large, small)
                        }
                    }
                };
                OracleAxis::Window {
                    input,
                    output,
                    kernel,
                    stride,
                    dilation,
                    pad_begin,
                    pad_end,
                }
            })
            .collect(),
    }
}

/// The oracle's input gradient of max or average pooling: for each output in row-major
/// order, max adds `dy` at the window's first maximum (or first NaN) in row-major window
/// order; average adds `dy / divisor` at every in-bounds tap. `x` and the result are
/// contiguous in `case.layout`.
pub fn oracle_backward(case: &Case, x: &[f64], dy: &[f64]) -> Vec<f64> {
    let (batch, channels, spatial) = case.split();
    let axes = oracle_axes(&case.spec, &spatial);
    let out_spatial: Vec<usize> = axes.iter().map(OracleAxis::output).collect();
    let out_shape = case.layout.full_shape(batch, channels, &out_spatial);
    let mut dx = vec![0.0; x.len()];
    for n in 0..batch {
        for c in 0..channels {
            each_index(&out_spatial, |out| {
                let g = dy[offset_of(case.layout, &out_shape, n, c, out)];
                let per_axis: Vec<Vec<usize>> =
                    axes.iter().zip(out).map(|(a, &o)| a.taps(o)).collect();
                let counts: Vec<usize> = per_axis.iter().map(Vec::len).collect();
                let mut window = Vec::new();
                each_index(&counts, |t| {
                    let pos: Vec<usize> =
                        t.iter().zip(&per_axis).map(|(&i, taps)| taps[i]).collect();
                    window.push(offset_of(case.layout, &case.shape, n, c, &pos));
                });
                match case.spec.reduction {
                    Reduction::Max => {
                        let mut best = window[0];
                        for &at in &window[1..] {
                            if x[best].is_nan() {
                                break;
                            }
                            if x[at].is_nan() || x[at] > x[best] {
                                best = at;
                            }
                        }
                        dx[best] += g;
                    }
                    Reduction::Avg {
                        count_include_pad,
                        divisor_override,
                    } => {
                        let divisor = divisor_override.unwrap_or_else(|| {
                            if count_include_pad {
                                axes.iter()
                                    .zip(out)
                                    .map(|(a, &o)| a.padded_count(o))
                                    .product()
                            } else {
                                counts.iter().product()
                            }
                        }) as f64;
                        for &at in &window {
                            dx[at] += g / divisor;
                        }
                    }
                    Reduction::Lp { .. } => unreachable!("the oracle covers max and average"),
                }
            });
        }
    }
    dx
}
