//! A second, independent formulation of forward pooling, written from the PyTorch and ONNX
//! documentation and never from poolkit's own code, so the property tests compare two
//! derivations of the same rules. Like ONNX's Python reference it first materialises the
//! explicitly padded input (every cell marked input, padding or ceil-mode overhang), then
//! reads each window's cells from it in row-major tap order.
//!
//! Everything is computed in `f64` on logical `[N, C, spatial...]` row-major data.
#![allow(dead_code)]

pub mod strategies;
pub mod tensors;

use poolkit::{IndexConvention, Padding, PoolSpec, Reduction, Region, StorageOrder};

/// What one cell of the padded input holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// An input element and its spatial multi-index, as a flat row-major offset in the plane.
    Input { value: f64, plane_offset: usize },
    /// Padding inside `[-pad_begin, in + pad_end)`: it counts in `count_include_pad` averages.
    Pad,
    /// Past the end padding, reached only by a ceil-mode window: it never counts.
    Overhang,
}

/// One spatial axis: its padded line and the padded coordinates each output reads.
#[derive(Debug, Clone)]
pub struct AxisCells {
    input: usize,
    pad_begin: usize,
    pad_end: usize,
    /// Extent of the materialised line: the padded input plus any ceil-mode overhang.
    padded_len: usize,
    /// For each output, the padded coordinates of its taps, in tap order.
    windows: Vec<Vec<usize>>,
}

impl AxisCells {
    /// Input position of padded coordinate `q`, or where it falls outside the input.
    fn classify(&self, q: usize) -> Result<usize, Cell> {
        if q >= self.pad_begin && q - self.pad_begin < self.input {
            Ok(q - self.pad_begin)
        } else if q < self.pad_begin + self.input + self.pad_end {
            Err(Cell::Pad)
        } else {
            Err(Cell::Overhang)
        }
    }
}

/// The windows of one output position, for every (n, c) plane alike.
#[derive(Debug, Clone)]
pub struct Geometry {
    pub in_spatial: Vec<usize>,
    pub out_spatial: Vec<usize>,
    axes: Vec<AxisCells>,
}

/// The reduced window of one output.
#[derive(Debug, Clone)]
pub struct WindowSummary {
    /// The input cells read, in row-major tap order: value and spatial multi-index.
    pub inputs: Vec<(f64, Vec<usize>)>,
    /// Cells inside `[-pad_begin, in + pad_end)` on every axis: input and padding.
    pub counted: usize,
}

/// Brute-force results for a whole `[N, C, spatial...]` tensor, row-major.
#[derive(Debug, Clone)]
pub struct BruteOutput {
    pub out_spatial: Vec<usize>,
    pub summaries: Vec<WindowSummary>,
    /// One value per output (`f64`, before rounding to an element type).
    pub values: Vec<f64>,
    /// For max pooling: the chosen input's spatial multi-index, per output.
    pub argmax: Vec<Vec<usize>>,
}

fn ceil_div(a: i128, b: i128) -> i128 {
    (a + b - 1).div_euclid(b)
}

/// One sliding-window axis straight from the docs:
/// `out = floor_or_ceil((in + pb + pe - dilation*(kernel-1) - 1) / stride) + 1`, in ceil
/// mode one fewer when the last window would start at or past `in + pb` (PyTorch, ONNX);
/// `SAME_*` gives `out = ceil(in / stride)` and pads `max((out-1)*s + (k-1)*d + 1 - in, 0)`
/// in total, the odd cell at the end (UPPER) or the start (LOWER). Ceil mode does not
/// apply to SAME padding.
fn sliding_axis(
    input: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    pads: AxisPadding,
    ceil_mode: bool,
) -> Result<AxisCells, String> {
    if kernel == 0 || stride == 0 || dilation == 0 {
        return Err(format!(
            "kernel {kernel}, stride {stride}, dilation {dilation}: all must be positive"
        ));
    }
    let (i, k, s, d) = (
        input as i128,
        kernel as i128,
        stride as i128,
        dilation as i128,
    );
    let (out, pad_begin, pad_end) = match pads {
        AxisPadding::Explicit(pb, pe) => {
            // PyTorch's rule: floor division (towards -inf) of a numerator that ceil mode
            // raises by s - 1, so a ceil-mode window may overhang a short input.
            let numerator = i + pb as i128 + pe as i128 - d * (k - 1) - 1;
            let raised = if ceil_mode {
                numerator + s - 1
            } else {
                numerator
            };
            if raised < 0 {
                return Err(format!(
                    "the padded input {input}+{pb}+{pe} is shorter than the dilated kernel"
                ));
            }
            let mut out = raised.div_euclid(s) + 1;
            if ceil_mode && (out - 1) * s >= i + pb as i128 {
                out -= 1;
            }
            (out, pb, pe)
        }
        AxisPadding::Same { upper } => {
            let out = ceil_div(i, s);
            let total = ((out - 1) * s + (k - 1) * d + 1 - i).max(0) as usize;
            let (small, large) = (total / 2, total - total / 2);
            if upper {
                (out, small, large)
            } else {
                (out, large, small)
            }
        }
    };
    if out <= 0 {
        return Err(format!("output extent {out} leaves nothing to compute"));
    }
    let out = out as usize;
    let span = (kernel - 1) * dilation + 1;
    let padded_len = (input + pad_begin + pad_end).max((out - 1) * stride + span);
    let windows = (0..out)
        .map(|o| (0..kernel).map(|t| o * stride + t * dilation).collect())
        .collect();
    Ok(AxisCells {
        input,
        pad_begin,
        pad_end,
        padded_len,
        windows,
    })
}

/// A PyTorch adaptive axis: output `o` reads `[floor(o*in/out), ceil((o+1)*in/out))`.
fn adaptive_axis(input: usize, out: usize) -> Result<AxisCells, String> {
    if input == 0 || out == 0 {
        return Err(format!("adaptive {input} -> {out}: both must be positive"));
    }
    let windows = (0..out)
        .map(|o| {
            let start = (o * input) / out;
            let end = ((o + 1) * input).div_ceil(out);
            (start..end).collect()
        })
        .collect();
    Ok(AxisCells {
        input,
        pad_begin: 0,
        pad_end: 0,
        padded_len: input,
        windows,
    })
}

#[derive(Debug, Clone, Copy)]
enum AxisPadding {
    Explicit(usize, usize),
    Same { upper: bool },
}

/// Reads the spec's per-axis lists, defaulting as the docs say (stride = kernel, dilation 1).
fn axes_of(spec: &PoolSpec, in_spatial: &[usize]) -> Result<Vec<AxisCells>, String> {
    let rank = in_spatial.len();
    match &spec.region {
        Region::Global => in_spatial.iter().map(|&i| adaptive_axis(i, 1)).collect(),
        Region::Adaptive { output_size } => {
            if output_size.len() != rank {
                return Err("output size of the wrong rank".into());
            }
            in_spatial
                .iter()
                .zip(output_size)
                .map(|(&i, &o)| adaptive_axis(i, o))
                .collect()
        }
        Region::Window(w) => {
            let strides = w.strides.clone().unwrap_or_else(|| w.kernel.clone());
            let dilations = w.dilations.clone().unwrap_or_else(|| vec![1; rank]);
            let pads: Vec<AxisPadding> = match &w.padding {
                Padding::Explicit { begin, end } => {
                    let or_zero = |v: &Vec<usize>| {
                        if v.is_empty() {
                            vec![0; rank]
                        } else {
                            v.clone()
                        }
                    };
                    let (begin, end) = (or_zero(begin), or_zero(end));
                    if begin.len() != rank || end.len() != rank {
                        return Err("pads of the wrong rank".into());
                    }
                    begin
                        .iter()
                        .zip(&end)
                        .map(|(&b, &e)| AxisPadding::Explicit(b, e))
                        .collect()
                }
                Padding::Valid => vec![AxisPadding::Explicit(0, 0); rank],
                Padding::SameUpper => vec![AxisPadding::Same { upper: true }; rank],
                Padding::SameLower => vec![AxisPadding::Same { upper: false }; rank],
            };
            if [w.kernel.len(), strides.len(), dilations.len()] != [rank; 3] {
                return Err("kernel, strides or dilations of the wrong rank".into());
            }
            (0..rank)
                .map(|a| {
                    sliding_axis(
                        in_spatial[a],
                        w.kernel[a],
                        strides[a],
                        dilations[a],
                        pads[a],
                        w.ceil_mode,
                    )
                })
                .collect()
        }
    }
}

/// Row-major multi-indices of `shape`, last axis fastest.
pub fn multi_indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let total: usize = shape.iter().product();
    (0..total).map(|flat| unflatten(flat, shape)).collect()
}

/// The multi-index at row-major flat offset `flat` of `shape`.
pub fn unflatten(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for (i, &d) in idx.iter_mut().zip(shape).rev() {
        *i = flat % d;
        flat /= d;
    }
    idx
}

/// Row-major flat offset of `idx` in `shape`.
pub fn row_major_offset(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (&i, &d)| acc * d + i)
}

impl Geometry {
    /// The geometry of `spec` over spatial extents `in_spatial`; `Err` says why no valid
    /// output exists (no window fits, or some window reads padding only).
    pub fn new(spec: &PoolSpec, in_spatial: &[usize]) -> Result<Geometry, String> {
        if let Reduction::Lp { p } = spec.reduction {
            if !(p.is_finite() && p > 0.0) {
                return Err(format!("p = {p} is not a finite positive order"));
            }
        }
        if let Reduction::Avg {
            divisor_override: Some(0),
            ..
        } = spec.reduction
        {
            return Err("divisor_override 0".into());
        }
        let axes = axes_of(spec, in_spatial)?;
        for (a, axis) in axes.iter().enumerate() {
            for (o, window) in axis.windows.iter().enumerate() {
                if window.iter().all(|&q| axis.classify(q).is_err()) {
                    return Err(format!("axis {a}: output {o}'s window reads padding only"));
                }
            }
        }
        Ok(Geometry {
            in_spatial: in_spatial.to_vec(),
            out_spatial: axes.iter().map(|a| a.windows.len()).collect(),
            axes,
        })
    }

    /// The padded `(n, c)` plane of `plane` (row-major over `in_spatial`), every cell marked.
    pub fn materialise(&self, plane: &[f64]) -> (Vec<usize>, Vec<Cell>) {
        let padded: Vec<usize> = self.axes.iter().map(|a| a.padded_len).collect();
        let cells = multi_indices(&padded)
            .into_iter()
            .map(|q| {
                let mut pos = Vec::with_capacity(q.len());
                let mut outside = None;
                for (axis, &qa) in self.axes.iter().zip(&q) {
                    match axis.classify(qa) {
                        Ok(x) => pos.push(x),
                        // Overhang on any axis outranks padding: such a cell never counts.
                        Err(Cell::Overhang) => outside = Some(Cell::Overhang),
                        Err(kind) => outside = outside.or(Some(kind)),
                    }
                }
                outside.unwrap_or_else(|| {
                    let plane_offset = row_major_offset(&pos, &self.in_spatial);
                    Cell::Input {
                        value: plane[plane_offset],
                        plane_offset,
                    }
                })
            })
            .collect();
        (padded, cells)
    }

    /// The window of output `out` (spatial multi-index) read from a materialised plane.
    pub fn summarise(&self, padded: &[usize], cells: &[Cell], out: &[usize]) -> WindowSummary {
        let per_axis: Vec<&Vec<usize>> = self
            .axes
            .iter()
            .zip(out)
            .map(|(a, &o)| &a.windows[o])
            .collect();
        let taps: Vec<usize> = per_axis.iter().map(|w| w.len()).collect();
        let mut summary = WindowSummary {
            inputs: Vec::new(),
            counted: 0,
        };
        for t in multi_indices(&taps) {
            let q: Vec<usize> = t.iter().zip(&per_axis).map(|(&ti, w)| w[ti]).collect();
            match cells[row_major_offset(&q, padded)] {
                Cell::Input {
                    value,
                    plane_offset,
                } => {
                    summary
                        .inputs
                        .push((value, unflatten(plane_offset, &self.in_spatial)));
                    summary.counted += 1;
                }
                Cell::Pad => summary.counted += 1,
                Cell::Overhang => {}
            }
        }
        summary
    }
}

/// Max with poolkit's rules: any NaN wins (the first one; PyTorch takes the last); otherwise the first element
/// equal to the maximum, in row-major tap order.
pub fn max_of(summary: &WindowSummary) -> (f64, Vec<usize>) {
    if let Some((v, at)) = summary.inputs.iter().find(|(v, _)| v.is_nan()) {
        return (*v, at.clone());
    }
    let top = summary
        .inputs
        .iter()
        .fold(f64::NEG_INFINITY, |m, (v, _)| m.max(*v));
    let (v, at) = summary
        .inputs
        .iter()
        .find(|(v, _)| *v == top)
        .expect("window not empty");
    (*v, at.clone())
}

/// The sum of the window's inputs (row-major tap order) and the divisor of its average.
pub fn sum_and_divisor(summary: &WindowSummary, reduction: Reduction) -> (f64, usize) {
    let sum = summary.inputs.iter().map(|(v, _)| v).sum();
    let divisor = match reduction {
        Reduction::Avg {
            divisor_override: Some(d),
            ..
        } => d,
        Reduction::Avg {
            count_include_pad: true,
            ..
        } => summary.counted,
        _ => summary.inputs.len(),
    };
    (sum, divisor)
}

/// `(Σ |x|^p)^(1/p)` over the window's inputs, exactly as ONNX writes it.
pub fn lp_of(summary: &WindowSummary, p: f64) -> f64 {
    summary
        .inputs
        .iter()
        .map(|(v, _)| v.abs().powf(p))
        .sum::<f64>()
        .powf(1.0 / p)
}

/// Pools a logical `[N, C, spatial...]` row-major tensor; `Err` when no valid output exists.
pub fn brute_pool(spec: &PoolSpec, data: &[f64], shape: &[usize]) -> Result<BruteOutput, String> {
    if !(3..=5).contains(&shape.len()) {
        return Err(format!("rank {}", shape.len()));
    }
    let geometry = Geometry::new(spec, &shape[2..])?;
    let plane_len: usize = shape[2..].iter().product();
    let outs = multi_indices(&geometry.out_spatial);
    let mut result = BruteOutput {
        out_spatial: geometry.out_spatial.clone(),
        summaries: Vec::new(),
        values: Vec::new(),
        argmax: Vec::new(),
    };
    for plane in data.chunks(plane_len.max(1)).take(shape[0] * shape[1]) {
        let (padded, cells) = geometry.materialise(plane);
        for out in &outs {
            let summary = geometry.summarise(&padded, &cells, out);
            let value = match spec.reduction {
                Reduction::Max => {
                    let (v, at) = max_of(&summary);
                    result.argmax.push(at);
                    v
                }
                Reduction::Avg { .. } => {
                    let (sum, divisor) = sum_and_divisor(&summary, spec.reduction);
                    sum / divisor as f64
                }
                Reduction::Lp { p } => lp_of(&summary, p),
            };
            result.values.push(value);
            result.summaries.push(summary);
        }
    }
    Ok(result)
}

/// The index of input position `at` of plane `(n, c)`, in `convention`, computed from the
/// PyTorch and ONNX docs: PyTorch flattens the plane row-major; ONNX flattens the whole
/// tensor, the spatial part row-major (`storage_order` 0) or column-major (1).
pub fn encode_index(
    convention: IndexConvention,
    n: usize,
    c: usize,
    channels: usize,
    at: &[usize],
    in_spatial: &[usize],
) -> i64 {
    let plane: usize = in_spatial.iter().product();
    let row = row_major_offset(at, in_spatial);
    let column = at
        .iter()
        .zip(in_spatial)
        .rev()
        .fold(0, |acc, (&i, &d)| acc * d + i);
    let flat = match convention {
        IndexConvention::Torch => return row as i64,
        IndexConvention::Onnx(StorageOrder::RowMajor) => row,
        IndexConvention::Onnx(StorageOrder::ColumnMajor) => column,
    };
    ((n * channels + c) * plane + flat) as i64
}

/// Every index of a brute-force max pooling in `convention`, row-major over `[N, C, out...]`.
pub fn brute_indices(
    brute: &BruteOutput,
    convention: IndexConvention,
    shape: &[usize],
) -> Vec<i64> {
    let per_plane: usize = brute.out_spatial.iter().product();
    brute
        .argmax
        .iter()
        .enumerate()
        .map(|(k, at)| {
            let plane = k / per_plane;
            encode_index(
                convention,
                plane / shape[1],
                plane % shape[1],
                shape[1],
                at,
                &shape[2..],
            )
        })
        .collect()
}
