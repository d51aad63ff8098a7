//! Running the named cases: options, one result per case, and their JSON and table forms.

use super::cases::{named_cases, BenchCase, Call, Op};
use super::ceilings::{measure_ceilings, Ceiling, Ceilings};
use super::timing::median_seconds;
use crate::element::Element;
use crate::error::Result;
use crate::geometry::PoolPlan;
use crate::indices::IndexConvention;
use crate::kernels::{ExecOptions, Isa, Parallelism};
use crate::ops::PreparedPool;
use crate::tensor::TensorView;
use std::hint::black_box;

/// What to run and how.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchOptions {
    /// Threads for the pooling calls and the ceiling loops.
    pub threads: usize,
    /// Only cases whose name contains this (case-insensitive).
    pub filter: Option<String>,
    /// Timed samples per case; the median is reported.
    pub runs: usize,
    /// Instruction set; `None` for the selected one.
    pub isa: Option<Isa>,
    /// Measure the memory ceilings first (a few seconds).
    pub measure_ceilings: bool,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            filter: None,
            runs: 7,
            isa: None,
            measure_ceilings: true,
        }
    }
}

/// One measured case.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchResult {
    pub name: String,
    pub op: &'static str,
    pub direction: &'static str,
    /// The input shape, in `layout`'s order.
    pub shape: Vec<usize>,
    pub layout: &'static str,
    pub kernel: Vec<usize>,
    pub stride: Vec<usize>,
    pub dilation: Vec<usize>,
    /// ONNX order: every begin, then every end.
    pub pads: Vec<usize>,
    pub dtype: &'static str,
    pub threads: usize,
    pub isa: &'static str,
    /// The library path that ran: a fast-path name or `reference`.
    pub path: &'static str,
    /// `into` (reused output) or `alloc` (fresh output each call).
    pub call: &'static str,
    pub median_ms: f64,
    /// Bytes read and written per call.
    pub bytes: usize,
    pub gbps: f64,
    /// Which ceiling applies, and its GB/s in this run (0 when none applies or unmeasured).
    pub ceiling: &'static str,
    pub ceiling_gbps: f64,
    /// The reference implementation's time for the same call, when compared.
    pub reference_ms: Option<f64>,
}

/// Everything one run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    pub ceilings: Option<Ceilings>,
    pub results: Vec<BenchResult>,
}

impl BenchReport {
    /// The ceilings as one JSON object (`{"ceilings":null}` when unmeasured).
    pub fn ceilings_json(&self) -> String {
        match &self.ceilings {
            None => "{\"ceilings\":null}".to_string(),
            Some(c) => format!(
                "{{\"ceilings\":{{\"read_only_gbps\":{},\"copy_gbps\":{},\"read4_write1_gbps\":{},\"threads\":{},\"ways\":[\"{}\",\"{}\",\"{}\"]}}}}",
                num(c.read_only_gbps),
                num(c.copy_gbps),
                num(c.read4_write1_gbps),
                c.threads,
                c.ways[0].name(),
                c.ways[1].name(),
                c.ways[2].name()
            ),
        }
    }
}

impl BenchResult {
    /// Effective bandwidth as a percentage of the applicable ceiling.
    pub fn percent_of_ceiling(&self) -> Option<f64> {
        (self.ceiling_gbps > 0.0).then(|| 100.0 * self.gbps / self.ceiling_gbps)
    }

    /// Speed-up over the reference implementation, when it was timed.
    pub fn speedup_over_reference(&self) -> Option<f64> {
        self.reference_ms.map(|r| r / self.median_ms)
    }

    /// One JSON object on one line.
    pub fn to_json(&self) -> String {
        let list = |v: &[usize]| {
            let items: Vec<String> = v.iter().map(|x| x.to_string()).collect();
            format!("[{}]", items.join(","))
        };
        format!(
            "{{\"name\":\"{}\",\"op\":\"{}\",\"direction\":\"{}\",\"shape\":{},\"layout\":\"{}\",\
             \"kernel\":{},\"stride\":{},\"dilation\":{},\"pads\":{},\"dtype\":\"{}\",\"threads\":{},\
             \"isa\":\"{}\",\"path\":\"{}\",\"call\":\"{}\",\"median_ms\":{},\"bytes\":{},\"gbps\":{},\
             \"ceiling\":\"{}\",\"ceiling_gbps\":{},\"percent_of_ceiling\":{},\"reference_ms\":{}}}",
            self.name,
            self.op,
            self.direction,
            list(&self.shape),
            self.layout,
            list(&self.kernel),
            list(&self.stride),
            list(&self.dilation),
            list(&self.pads),
            self.dtype,
            self.threads,
            self.isa,
            self.path,
            self.call,
            num(self.median_ms),
            self.bytes,
            num(self.gbps),
            self.ceiling,
            num(self.ceiling_gbps),
            self.percent_of_ceiling().map_or("null".into(), num),
            self.reference_ms.map_or("null".into(), num),
        )
    }

    /// The header of [`BenchResult::table_row`].
    pub fn table_header() -> String {
        format!(
            "{:<44} {:>10} {:>8} {:>8} {:>6}  {}",
            "case", "median", "GB/s", "ceiling", "%", "path"
        )
    }

    /// One aligned line: name, median time, GB/s, ceiling, percent, path.
    pub fn table_row(&self) -> String {
        let time = if self.median_ms < 0.01 {
            format!("{:.3} us", self.median_ms * 1e3)
        } else {
            format!("{:.3} ms", self.median_ms)
        };
        let percent = self
            .percent_of_ceiling()
            .map_or("-".into(), |p| format!("{p:.0}"));
        let ceiling = if self.ceiling_gbps > 0.0 {
            format!("{:.1}", self.ceiling_gbps)
        } else {
            "-".into()
        };
        let mut row = format!(
            "{:<44} {:>10} {:>8.2} {:>8} {:>6}  {}",
            self.name, time, self.gbps, ceiling, percent, self.path
        );
        if let Some(s) = self.speedup_over_reference() {
            row.push_str(&format!(" ({s:.0}x the reference)"));
        }
        row
    }
}

/// A finite number as JSON, `null` otherwise.
fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.6}")
    } else {
        "null".into()
    }
}

/// Runs every case `options` selects, reporting each result as it comes.
pub fn run_benchmarks(
    options: &BenchOptions,
    mut on_result: impl FnMut(&BenchResult),
) -> Result<BenchReport> {
    let ceilings = options
        .measure_ceilings
        .then(|| measure_ceilings(options.threads, options.runs));
    let filter = options.filter.as_ref().map(|f| f.to_ascii_lowercase());
    let mut results = Vec::new();
    for case in named_cases() {
        if filter
            .as_ref()
            .is_some_and(|f| !case.name.contains(f.as_str()))
        {
            continue;
        }
        let result = run_case(&case, options, ceilings.as_ref())?;
        on_result(&result);
        results.push(result);
    }
    Ok(BenchReport { ceilings, results })
}

/// Runs one case.
pub fn run_case(
    case: &BenchCase,
    options: &BenchOptions,
    ceilings: Option<&Ceilings>,
) -> Result<BenchResult> {
    crate::with_dtype!(case.dtype, |T| typed::<T>(case, options, ceilings))
}

/// The median seconds of `call`, after one call whose error, if any, is returned. Calls
/// pass the buffers they write through `black_box`, so that no store is elided.
fn timed(runs: usize, mut call: impl FnMut() -> Result<()>) -> Result<f64> {
    call()?;
    Ok(median_seconds(runs, || {
        black_box(call().ok());
    }))
}

/// Deterministic pseudo-random elements in `[0, 200)`.
fn fill<T: Element>(len: usize, seed: u64) -> Vec<T> {
    let mut s = seed | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            T::from_f64((s % 2000) as f64 / 10.0)
        })
        .collect()
}

fn typed<T: Element>(
    case: &BenchCase,
    options: &BenchOptions,
    ceilings: Option<&Ceilings>,
) -> Result<BenchResult> {
    let shape = case.shape();
    let spec = case.spec();
    let plan = PoolPlan::new(&spec, &shape, case.layout)?;
    let data = fill::<T>(plan.input_len(), 7);
    let x = TensorView::new(&data, &shape)?;
    let exec = ExecOptions {
        parallelism: Parallelism::Threads(options.threads),
        isa: options.isa,
    };
    let isa = match options.isa {
        Some(isa) => isa.require("bench --isa")?,
        None => Isa::selected()?,
    };
    let (in_len, out_len) = (plan.input_len(), plan.output_len());
    let size = T::DTYPE.size_bytes();
    let runs = options.runs;
    let mut threads = options.threads;
    let call = case.call;
    let (seconds, bytes, path) = match case.op {
        Op::Max | Op::Avg | Op::GlobalAvg | Op::GlobalMax => {
            let chosen = match case.call {
                Call::Alloc | Call::Prepared if case.ceiling == Ceiling::None => {
                    ExecOptions::default()
                }
                _ => exec,
            };
            let path = PreparedPool::<T>::new(&plan, &chosen)?.route().name();
            let seconds = match case.call {
                Call::Into => {
                    let mut out = vec![T::ZERO; out_len];
                    timed(runs, || {
                        crate::pool_into_with(&plan, black_box(&x), black_box(&mut out), &exec)
                    })?
                }
                Call::Alloc if case.ceiling == Ceiling::None => {
                    // Tiny cases go through the plain public call, as users write it.
                    threads = ExecOptions::default().resolve()?.threads_for(1, in_len);
                    timed(runs, || crate::pool(&plan, black_box(&x)).map(drop))?
                }
                Call::Prepared => {
                    let prepared = PreparedPool::<T>::new(&plan, &chosen)?;
                    let mut out = vec![T::ZERO; out_len];
                    timed(runs, || {
                        prepared.forward_into_slice(black_box(&x), black_box(&mut out))
                    })?
                }
                Call::Alloc => timed(runs, || {
                    crate::pool_with(&plan, black_box(&x), &exec).map(drop)
                })?,
            };
            (seconds, (in_len + out_len) * size, path)
        }
        Op::MaxWithIndices => {
            let path = PreparedPool::<T>::new(&plan, &exec)?
                .route_with_indices()
                .name();
            let (mut out, mut idx) = (vec![T::ZERO; out_len], vec![0i64; out_len]);
            let torch = IndexConvention::Torch;
            let seconds = timed(runs, || {
                crate::max_pool_with_indices_into_with(
                    &plan,
                    &x,
                    torch,
                    black_box(&mut out),
                    black_box(&mut idx),
                    &exec,
                )
            })?;
            (seconds, (in_len + out_len) * size + out_len * 8, path)
        }
        Op::MaxBackwardFromIndices => {
            let torch = IndexConvention::Torch;
            let (_, indices) = crate::max_pool_with_indices(&plan, &x, torch)?;
            let grad = fill::<T>(out_len, 11);
            let grad = TensorView::new(&grad, plan.output_shape())?;
            let indices = indices.view();
            let seconds = match case.call {
                Call::Into | Call::Prepared => {
                    let mut grad_in = vec![T::ZERO; in_len];
                    timed(runs, || {
                        crate::max_pool_backward_from_indices_into_with(
                            &plan,
                            &grad,
                            &indices,
                            torch,
                            black_box(&mut grad_in),
                            &exec,
                        )
                    })?
                }
                Call::Alloc => {
                    // The plain public call, as users write it: its default threads.
                    threads = ExecOptions::default()
                        .resolve()?
                        .threads_for(plan.batch() * plan.channels(), in_len + out_len);
                    timed(runs, || {
                        crate::max_pool_backward_from_indices(&plan, &grad, &indices, torch)
                            .map(drop)
                    })?
                }
            };
            (seconds, out_len * (size + 8) + in_len * size, "library")
        }
        Op::MaxBackwardRecompute | Op::AvgBackward => {
            let grad = fill::<T>(out_len, 11);
            let grad = TensorView::new(&grad, plan.output_shape())?;
            let mut grad_in = vec![T::ZERO; in_len];
            let seconds = timed(runs, || {
                crate::pool_backward_into_with(&plan, &x, &grad, black_box(&mut grad_in), &exec)
            })?;
            let reads_input = usize::from(case.op == Op::MaxBackwardRecompute);
            (
                seconds,
                (reads_input * in_len + out_len + in_len) * size,
                "library",
            )
        }
    };
    let reference_ms = if case.compare_reference {
        Some(reference_ms::<T>(case, &plan)?)
    } else {
        None
    };
    let gbps = bytes as f64 / seconds / 1e9;
    Ok(BenchResult {
        name: case.name.clone(),
        op: case.op.name(),
        direction: case.op.direction(),
        shape,
        layout: case.layout_name(),
        kernel: case.kernel.clone(),
        stride: case.stride.clone(),
        dilation: case.dilation.clone(),
        pads: case.pads.clone(),
        dtype: T::DTYPE.name(),
        threads,
        isa: isa.name(),
        path,
        call: match call {
            Call::Into => "into",
            Call::Alloc => "alloc",
            Call::Prepared => "prepared",
        },
        median_ms: seconds * 1e3,
        bytes,
        gbps,
        ceiling: case.ceiling.name(),
        ceiling_gbps: ceilings.map_or(0.0, |c| c.of(case.ceiling)),
        reference_ms,
    })
}

/// The reference's time for the whole case, extrapolated from a crop of the input's
/// first rows (the reference takes seconds per output row on large windows).
fn reference_ms<T: Element>(case: &BenchCase, plan: &PoolPlan) -> Result<f64> {
    const ROWS: usize = 2;
    let spatial = &case.spatial;
    let rank = spatial.len();
    let first = &plan.axes()[0];
    let reach = match first.mode {
        crate::geometry::AxisMode::Window {
            kernel,
            stride,
            dilation,
            ..
        } => (kernel - 1) * dilation + 1 + (ROWS - 1) * stride,
        crate::geometry::AxisMode::Adaptive => spatial[0],
    };
    let mut crop = spatial.clone();
    crop[0] = reach.min(spatial[0]);
    let shape = case.layout.full_shape(case.batch, case.channels, &crop);
    let crop_plan = PoolPlan::new(&case.spec(), &shape, case.layout)?;
    let data = fill::<T>(crop_plan.input_len(), 7);
    let x = TensorView::new(&data, &shape)?;
    let mut out = vec![T::ZERO; crop_plan.output_len()];
    let t = std::time::Instant::now();
    crate::reference::pool_forward(&crop_plan, &x, &mut out, None);
    let seconds = t.elapsed().as_secs_f64();
    black_box(&out);
    let _ = rank;
    Ok(seconds * 1e3 * plan.output_len() as f64 / crop_plan.output_len() as f64)
}
