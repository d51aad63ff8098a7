//! Every fast forward path against the reference, for every instruction set this CPU has
//! and for 1, 2 and 7 threads: max values and indices bit for bit; averages bit for bit on
//! the scalar variant (same f64 order, one division) where the kernels promise it, and
//! within 1e-6 relative on the SIMD variants (they multiply by the divisor's reciprocal). Outputs start as
//! NaN canaries with a payload no pooling produces, so an output never written, or one
//! written twice with different values, shows.

mod common;

use common::isas;
use poolkit::{
    bf16, f16, max_pool_with_indices_into_with, pool_into_with, pool_with, reference, Element,
    ExecOptions, IndexConvention, Isa, Layout, Padding, PoolPlan, PoolSpec, PreparedPool, Route,
    StorageOrder, TensorView, WindowSpec,
};

/// A NaN no input holds: its payload marks outputs the kernel never wrote.
const CANARY: f32 = f32::from_bits(0x7fc0_dead);
const INDEX_CANARY: i64 = -7;

/// Deterministic values from a small set, so that windows tie often; sixteenths keep f64
/// sums exact. `-0.0` and `+0.0` both occur.
fn values(len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let k = (state % 41) as i32 - 20;
            if k == 0 && state.is_multiple_of(3) {
                -0.0
            } else {
                k as f32 / 16.0
            }
        })
        .collect()
}

/// Values with a few NaNs of different payloads (the first in window order must win).
fn with_nans(mut v: Vec<f32>, every: usize) -> Vec<f32> {
    for (i, x) in v.iter_mut().enumerate() {
        if i % every == every / 2 {
            *x = f32::from_bits(0x7fc0_0000 | (i as u32 & 0xffff));
        }
    }
    v
}

#[derive(Clone, Copy, PartialEq)]
enum Avg {
    Exact,
    Close,
}

fn same(a: f32, b: f32, avg: Option<Avg>) -> bool {
    if a.to_bits() == b.to_bits() {
        return true;
    }
    match avg {
        // Which NaN a sum returns is unspecified (the compiler may commute an addition):
        // an average of a window with NaNs is NaN, whatever its payload.
        Some(_) if a.is_nan() || b.is_nan() => a.is_nan() && b.is_nan(),
        Some(Avg::Close) => (a - b).abs() <= 1e-6 * a.abs().max(b.abs()),
        _ => false,
    }
}

/// Pools `data` through every variant and thread count and compares with the reference.
fn check(spec: &PoolSpec, shape: &[usize], layout: Layout, data: &[f32], avg: Avg, what: &str) {
    let plan = PoolPlan::new(spec, shape, layout).unwrap();
    let x = TensorView::new(data, shape).unwrap();
    let mut want = vec![0f32; plan.output_len()];
    let is_max = spec.reduction == poolkit::Reduction::Max;
    let mut want_idx = vec![0i64; plan.output_len()];
    if is_max {
        reference::pool_forward(
            &plan,
            &x,
            &mut want,
            Some((&mut want_idx, IndexConvention::Torch)),
        );
    } else {
        reference::pool_forward(&plan, &x, &mut want, None);
    }
    // SIMD variants multiply by the divisor's reciprocal: within 1 ulp, not bit-exact.
    let simd = |isa: Isa| if isa == Isa::Scalar { avg } else { Avg::Close };
    for isa in isas() {
        let tolerance = (!is_max).then_some(simd(isa));
        for threads in [1, 2, 7] {
            let options = ExecOptions::new().isa(isa).threads(threads);
            let mut got = vec![CANARY; plan.output_len()];
            pool_into_with(&plan, &x, &mut got, &options).unwrap();
            for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    same(g, w, tolerance),
                    "{what}, {isa}, {threads} threads: output {i} is {g:?} ({:#x}), reference {w:?} ({:#x})",
                    g.to_bits(),
                    w.to_bits()
                );
            }
            if is_max {
                for convention in [
                    IndexConvention::Torch,
                    IndexConvention::Onnx(StorageOrder::RowMajor),
                    IndexConvention::Onnx(StorageOrder::ColumnMajor),
                ] {
                    let mut want_conv = vec![0i64; plan.output_len()];
                    let mut ref_out = vec![0f32; plan.output_len()];
                    reference::pool_forward(
                        &plan,
                        &x,
                        &mut ref_out,
                        Some((&mut want_conv, convention)),
                    );
                    let mut got = vec![CANARY; plan.output_len()];
                    let mut idx = vec![INDEX_CANARY; plan.output_len()];
                    max_pool_with_indices_into_with(
                        &plan, &x, convention, &mut got, &mut idx, &options,
                    )
                    .unwrap();
                    assert_eq!(
                        idx, want_conv,
                        "{what}, {isa}, {threads} threads, {convention:?}: indices"
                    );
                    assert!(
                        got.iter()
                            .zip(&ref_out)
                            .all(|(g, w)| g.to_bits() == w.to_bits()),
                        "{what}, {isa}, {threads} threads, {convention:?}: values with indices"
                    );
                }
            }
        }
    }
    // Automatic calls (tiny ones take plain loops) and the allocating call.
    if is_max {
        let (mut got, mut idx) = (
            vec![CANARY; plan.output_len()],
            vec![INDEX_CANARY; plan.output_len()],
        );
        let auto = ExecOptions::new();
        let torch = IndexConvention::Torch;
        max_pool_with_indices_into_with(&plan, &x, torch, &mut got, &mut idx, &auto).unwrap();
        assert_eq!(idx, want_idx, "{what}: automatic call's indices");
        assert!(
            got.iter()
                .zip(&want)
                .all(|(g, w)| g.to_bits() == w.to_bits()),
            "{what}: automatic"
        );
    }
    let tolerance = (!is_max).then_some(simd(Isa::selected().unwrap()));
    let fresh = pool_with(&plan, &x, &ExecOptions::new()).unwrap();
    assert!(
        fresh
            .data()
            .iter()
            .zip(&want)
            .all(|(&g, &w)| same(g, w, tolerance)),
        "{what}: pool_with"
    );
}

fn window(kernel: &[usize], strides: &[usize]) -> WindowSpec {
    WindowSpec::new(kernel).strides(strides)
}

fn max_and_avg(w: WindowSpec) -> Vec<(PoolSpec, &'static str)> {
    vec![
        (PoolSpec::max(w.clone()), "max"),
        (PoolSpec::avg(w.clone()), "avg"),
        (
            PoolSpec::avg(w.clone()).count_include_pad(true),
            "avg incl pad",
        ),
        (PoolSpec::avg(w).divisor_override(Some(3)), "avg divisor 3"),
    ]
}

fn both_layouts(
    spec: &PoolSpec,
    n: usize,
    c: usize,
    spatial: &[usize],
    avg: Avg,
    seed: u64,
    what: &str,
) {
    for layout in [Layout::ChannelsFirst, Layout::ChannelsLast] {
        let shape = layout.full_shape(n, c, spatial);
        let len = shape.iter().product();
        let what = format!("{what} {shape:?} {layout:?}");
        check(spec, &shape, layout, &values(len, seed), avg, &what);
        check(
            spec,
            &shape,
            layout,
            &with_nans(values(len, seed), 29),
            avg,
            &format!("{what} with NaN"),
        );
    }
}

#[test]
fn two_by_two_stride_two_at_odd_sizes() {
    let w = window(&[2, 2], &[2, 2]);
    for (spec, name) in max_and_avg(w.clone()) {
        for (h, wd) in [(2, 2), (3, 17), (17, 113), (4, 34)] {
            both_layouts(
                &spec,
                2,
                3,
                &[h, wd],
                Avg::Exact,
                1,
                &format!("2x2/s2 {name}"),
            );
        }
    }
    for (spec, name) in max_and_avg(w.ceil_mode(true)) {
        both_layouts(
            &spec,
            1,
            2,
            &[5, 37],
            Avg::Exact,
            2,
            &format!("2x2/s2 ceil {name}"),
        );
    }
}

#[test]
fn channel_counts_around_the_vector_width() {
    let w = window(&[2, 2], &[2, 2]);
    for c in [1, 3, 7, 8, 9, 15, 16, 17, 33, 65] {
        for (spec, name) in max_and_avg(w.clone()) {
            let shape = [1, 4, 6, c];
            let data = values(shape.iter().product(), c as u64);
            check(
                &spec,
                &shape,
                Layout::ChannelsLast,
                &data,
                Avg::Exact,
                &format!("{name} C={c}"),
            );
        }
    }
}

#[test]
fn resnet_stem_and_inception_windows() {
    let stem = window(&[3, 3], &[2, 2]).padding(Padding::symmetric(&[1, 1]));
    let inception = window(&[3, 3], &[1, 1]).padding(Padding::symmetric(&[1, 1]));
    for (w, label) in [(stem, "3x3/s2/p1"), (inception, "3x3/s1/p1")] {
        for (spec, name) in max_and_avg(w) {
            for (h, wd) in [(1, 1), (3, 17), (17, 113)] {
                both_layouts(
                    &spec,
                    1,
                    3,
                    &[h, wd],
                    Avg::Exact,
                    3,
                    &format!("{label} {name}"),
                );
            }
        }
    }
}

#[test]
fn dilation_odd_strides_and_asymmetric_padding() {
    let cases = [
        window(&[3, 2], &[1, 2]).dilations(&[2, 3]),
        window(&[3, 3], &[3, 3]),
        window(&[2, 4], &[2, 1]).padding(Padding::Explicit {
            begin: vec![1, 0],
            end: vec![0, 2],
        }),
        window(&[3, 3], &[2, 2]).padding(Padding::SameUpper),
        window(&[3, 3], &[2, 2])
            .padding(Padding::symmetric(&[1, 1]))
            .ceil_mode(true),
        // Padded frames with dilated rows and columns, and a kernel of five columns.
        window(&[3, 3], &[2, 1])
            .dilations(&[2, 2])
            .padding(Padding::symmetric(&[2, 1])),
        window(&[2, 5], &[1, 2]).padding(Padding::symmetric(&[1, 2])),
        window(&[1, 2], &[1, 1]).padding(Padding::Explicit {
            begin: vec![0, 1],
            end: vec![0, 0],
        }),
    ];
    for (k, w) in cases.into_iter().enumerate() {
        for (spec, name) in max_and_avg(w) {
            both_layouts(
                &spec,
                1,
                2,
                &[9, 40],
                Avg::Exact,
                4 + k as u64,
                &format!("case {k} {name}"),
            );
        }
    }
}

#[test]
fn one_and_three_dimensional_windows() {
    for (spec, name) in max_and_avg(window(&[3], &[2]).padding(Padding::symmetric(&[1]))) {
        both_layouts(&spec, 2, 3, &[113], Avg::Exact, 9, &format!("1-D {name}"));
    }
    for (spec, name) in
        max_and_avg(window(&[2, 2, 3], &[1, 2, 2]).padding(Padding::symmetric(&[0, 1, 1])))
    {
        both_layouts(
            &spec,
            1,
            3,
            &[3, 5, 33],
            Avg::Exact,
            10,
            &format!("3-D {name}"),
        );
    }
}

#[test]
fn global_pooling_both_layouts() {
    for (spec, name) in [
        (PoolSpec::global_max(), "global max"),
        (PoolSpec::global_avg(), "global avg"),
    ] {
        for spatial in [
            vec![7, 7],
            vec![1, 1],
            vec![3, 17],
            vec![113],
            vec![2, 3, 5],
        ] {
            for c in [1, 9, 33] {
                both_layouts(
                    &spec,
                    2,
                    c,
                    &spatial,
                    Avg::Exact,
                    11,
                    &format!("{name} C={c}"),
                );
            }
        }
    }
}

/// Channels-last global pooling splits channels into chunks (many channels, or a batch
/// too small for the threads) and folds positions four at a time: channel counts around
/// the chunk and register sizes, position counts around four, ragged last chunks.
#[test]
fn global_channels_last_chunks() {
    for (spec, name) in [
        (PoolSpec::global_max(), "global max"),
        (PoolSpec::global_avg(), "global avg"),
        (
            PoolSpec::global_avg().divisor_override(Some(3)),
            "global avg /3",
        ),
    ] {
        for (n, c, spatial) in [
            (1, 200, vec![3, 5]),
            (1, 136, vec![2, 2]),
            (2, 2100, vec![3, 3]),
            (3, 64, vec![7, 7]),
            (1, 17, vec![1, 6]),
            (2, 72, vec![2, 1, 3]),
        ] {
            let layout = Layout::ChannelsLast;
            let shape = layout.full_shape(n, c, &spatial);
            let len = shape.iter().product();
            let what = format!("{name} {shape:?} channels-last");
            check(&spec, &shape, layout, &values(len, 40), Avg::Exact, &what);
            // One NaN: only its chunk is redone.
            let mut one = values(len, 41);
            one[len / 2] = f32::from_bits(0x7fc0_1234);
            check(
                &spec,
                &shape,
                layout,
                &one,
                Avg::Exact,
                &format!("{what} one NaN"),
            );
        }
    }
    // A view whose positions are not contiguous (every other W position) and whose
    // channels sit in a wider row.
    let (n, h, w, c, row) = (2, 3, 9, 70, 80);
    let data = values(n * h * w * row, 42);
    let strides = [(h * w * row) as isize, (w * row) as isize, row as isize, 1];
    let shape = [n, h, w.div_ceil(2), c];
    let strides = [strides[0], strides[1], 2 * strides[2], 1];
    let x = TensorView::with_strides(&data, &shape, &strides, 0).unwrap();
    for (spec, name) in [
        (PoolSpec::global_max(), "global max"),
        (PoolSpec::global_avg(), "global avg"),
    ] {
        let plan = PoolPlan::new(&spec, &shape, Layout::ChannelsLast).unwrap();
        let prepared = PreparedPool::<f32>::new(&plan, &ExecOptions::new().threads(2)).unwrap();
        assert_eq!(
            prepared.route_for_view(&x, false),
            Route::GlobalChannelsLast
        );
        let mut want = vec![0f32; plan.output_len()];
        reference::pool_forward(&plan, &x, &mut want, None);
        for isa in isas() {
            for threads in [1, 2, 7] {
                let mut got = vec![CANARY; plan.output_len()];
                let options = ExecOptions::new().isa(isa).threads(threads);
                pool_into_with(&plan, &x, &mut got, &options).unwrap();
                let avg = (spec.reduction != poolkit::Reduction::Max).then_some(Avg::Close);
                assert!(
                    got.iter().zip(&want).all(|(&g, &w)| same(g, w, avg)),
                    "{name} strided view, {isa}, {threads} threads"
                );
            }
        }
    }
}

#[test]
fn large_windows_take_the_sliding_path() {
    let cases = [
        window(&[6, 7], &[1, 1]).dilations(&[3, 3]),
        window(&[5, 9], &[2, 3])
            .dilations(&[2, 1])
            .padding(Padding::symmetric(&[2, 4])),
        window(&[8, 8], &[3, 2]).ceil_mode(true),
    ];
    for (k, w) in cases.into_iter().enumerate() {
        for (spec, name) in max_and_avg(w) {
            let shape = [1, 2, 40, 50];
            let data = values(shape.iter().product(), 20 + k as u64);
            let what = format!("large case {k} {name}");
            check(
                &spec,
                &shape,
                Layout::ChannelsFirst,
                &data,
                Avg::Close,
                &what,
            );
            check(
                &spec,
                &shape,
                Layout::ChannelsFirst,
                &with_nans(data, 97),
                Avg::Close,
                &what,
            );
        }
    }
}

#[test]
fn strided_views_pool_in_place() {
    // A channels-first view with padded rows and a reversed batch axis.
    let (n, c, h, w, row) = (2, 3, 9, 17, 20);
    let data = values(n * c * h * row, 30);
    let strides = [
        -((c * h * row) as isize),
        (h * row) as isize,
        row as isize,
        1,
    ];
    let offset = (n - 1) * c * h * row;
    let x = TensorView::with_strides(&data, &[n, c, h, w], &strides, offset).unwrap();
    for (spec, name) in max_and_avg(window(&[2, 3], &[2, 2])).into_iter().chain([
        (PoolSpec::global_max(), "global max"),
        (PoolSpec::global_avg(), "global avg"),
    ]) {
        let plan = PoolPlan::new(&spec, &[n, c, h, w], Layout::ChannelsFirst).unwrap();
        let mut want = vec![0f32; plan.output_len()];
        reference::pool_forward(&plan, &x, &mut want, None);
        for isa in isas() {
            let mut got = vec![CANARY; plan.output_len()];
            pool_into_with(&plan, &x, &mut got, &ExecOptions::new().isa(isa).threads(2)).unwrap();
            let avg = (spec.reduction != poolkit::Reduction::Max).then_some(Avg::Close);
            assert!(
                got.iter().zip(&want).all(|(&g, &w)| same(g, w, avg)),
                "{name} {isa}"
            );
        }
    }
}

/// Non-f32 types: f16 and bf16 run AVX2 lanes computing in f32 where the CPU has them
/// (max bit-exact; means within one ulp of the type, `half_ulp` relative), everything
/// else the monomorphised scalar loops (bit-exact, averages included).
fn check_type<T: Element>(convert: impl Fn(f32) -> T, half_ulp: f64) {
    let specs = max_and_avg(window(&[3, 3], &[2, 2]).padding(Padding::symmetric(&[1, 1])));
    let specs = specs
        .into_iter()
        .chain(max_and_avg(window(&[2, 2], &[2, 2])))
        .chain(max_and_avg(
            window(&[3, 3], &[1, 1]).padding(Padding::symmetric(&[1, 1])),
        ));
    // Global pooling with channels enough for a register of every variant.
    let globals = [
        (PoolSpec::global_max(), "global max"),
        (PoolSpec::global_avg(), "global avg"),
    ];
    let specs = specs
        .into_iter()
        .map(|(spec, name)| (spec, name, 5, [7, 19]))
        .chain(globals.map(|(spec, name)| (spec, name, 19, [3, 5])));
    for (spec, name, channels, spatial) in specs {
        for layout in [Layout::ChannelsFirst, Layout::ChannelsLast] {
            let shape = layout.full_shape(2, channels, &spatial);
            let data: Vec<T> = with_nans(values(shape.iter().product(), 40), 37)
                .into_iter()
                .map(&convert)
                .collect();
            let plan = PoolPlan::new(&spec, &shape, layout).unwrap();
            let x = TensorView::new(&data, &shape).unwrap();
            let mut want = vec![T::ZERO; plan.output_len()];
            let mut want_idx = vec![0i64; plan.output_len()];
            let is_max = spec.reduction == poolkit::Reduction::Max;
            let torch = IndexConvention::Torch;
            if is_max {
                reference::pool_forward(&plan, &x, &mut want, Some((&mut want_idx, torch)));
            } else {
                reference::pool_forward(&plan, &x, &mut want, None);
            }
            for isa in isas() {
                let tolerance = if is_max || isa == Isa::Scalar {
                    0.0
                } else {
                    half_ulp
                };
                for threads in [1, 2, 7] {
                    let options = ExecOptions::new().threads(threads).isa(isa);
                    let mut got = vec![T::ZERO; plan.output_len()];
                    pool_into_with(&plan, &x, &mut got, &options).unwrap();
                    let close = |g: &T, w: &T| {
                        let (g, w) = (g.to_f64(), w.to_f64());
                        g.to_bits() == w.to_bits()
                            || (g.is_nan() && w.is_nan() && !is_max)
                            || (g - w).abs() <= tolerance * g.abs().max(w.abs())
                    };
                    let what = format!(
                        "{} {name} {layout:?} {isa} {threads} threads",
                        T::DTYPE.name()
                    );
                    assert!(got.iter().zip(&want).all(|(g, w)| close(g, w)), "{what}");
                    if is_max {
                        let mut idx = vec![INDEX_CANARY; plan.output_len()];
                        max_pool_with_indices_into_with(
                            &plan, &x, torch, &mut got, &mut idx, &options,
                        )
                        .unwrap();
                        assert_eq!(idx, want_idx, "{what}: indices");
                    }
                }
            }
        }
    }
}

#[test]
fn other_element_types_match_the_reference() {
    check_type::<f64>(|v| v as f64, 0.0);
    check_type::<f16>(f16::from_f32, 1e-3);
    check_type::<bf16>(bf16::from_f32, 8e-3);
    check_type::<u8>(|v| (v * 16.0 + 20.0) as u8, 0.0);
    check_type::<i8>(|v| (v * 16.0) as i8, 0.0);
    check_type::<u16>(|v| (v * 16.0 + 20.0) as u16 * 300, 0.0);
}

/// A narrow element type of the 2×2/s2 max tests: raw bits for bit-exact comparison,
/// two canaries (an output left unwritten cannot match the reference under both), and
/// deterministic data with ties, extremes and, for floats, NaNs of distinct payloads.
trait Narrow: Element {
    const CANARIES: [Self; 2];
    fn bits(self) -> u64;
    /// `nan_every`: a NaN at every such position (0: none).
    fn data(len: usize, seed: u64, nan_every: usize) -> Vec<Self>;
}

/// A xorshift stream of `len` raw values below `modulo`.
fn raw(len: usize, seed: u64, modulo: u64) -> Vec<u64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % modulo
        })
        .collect()
}

/// Half floats from [`values`] (sixteenths, signed zeros, ties), infinities now and then,
/// and quiet and signalling NaNs of either sign whose payloads say where they are.
fn half_data<T: Element>(
    len: usize,
    seed: u64,
    nan_every: usize,
    from_bits: fn(u16) -> T,
    [inf, quiet, signalling, payload]: [u16; 4],
) -> Vec<T> {
    let kinds = raw(len, seed ^ 0x55, 64);
    values(len, seed)
        .into_iter()
        .zip(kinds)
        .enumerate()
        .map(|(i, (v, k))| {
            let sign = if k % 2 == 0 { 0 } else { 0x8000 };
            let tag = (i as u16) & payload;
            if nan_every > 0 && i % nan_every == nan_every / 2 {
                let nan = if k % 4 < 2 {
                    quiet | tag
                } else {
                    signalling + tag
                };
                from_bits(nan | sign)
            } else if k == 63 {
                from_bits(inf | sign)
            } else {
                T::from_f64(v as f64)
            }
        })
        .collect()
}

impl Narrow for f16 {
    // Quiet NaNs with payloads the data never holds (its payloads stay below 0x100).
    const CANARIES: [f16; 2] = [f16::from_bits(0x7f5a), f16::from_bits(0xffa5)];
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
    fn data(len: usize, seed: u64, nan_every: usize) -> Vec<f16> {
        half_data(
            len,
            seed,
            nan_every,
            f16::from_bits,
            [0x7c00, 0x7e00, 0x7c01, 0x7f],
        )
    }
}

impl Narrow for bf16 {
    const CANARIES: [bf16; 2] = [bf16::from_bits(0x7fea), bf16::from_bits(0xfff5)];
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
    fn data(len: usize, seed: u64, nan_every: usize) -> Vec<bf16> {
        half_data(
            len,
            seed,
            nan_every,
            bf16::from_bits,
            [0x7f80, 0x7fc0, 0x7f81, 0x1f],
        )
    }
}

/// Integers over the whole range, a third of them from a narrow band at either end so
/// that windows tie and hold the extremes.
macro_rules! narrow_int {
    ($t:ty) => {
        impl Narrow for $t {
            const CANARIES: [$t; 2] = [<$t>::MIN, <$t>::MAX];
            fn bits(self) -> u64 {
                self as u64
            }
            fn data(len: usize, seed: u64, _nan_every: usize) -> Vec<$t> {
                let span = <$t>::MAX as i64 - <$t>::MIN as i64 + 1;
                raw(len, seed, 3 * span as u64)
                    .into_iter()
                    .map(|r| {
                        let r = r as i64;
                        let v = match r / span {
                            0 => r,
                            1 => r % 3,
                            _ => span - 1 - r % 3,
                        };
                        (<$t>::MIN as i64 + v) as $t
                    })
                    .collect()
            }
        }
    };
}
narrow_int!(u8);
narrow_int!(i8);
narrow_int!(u16);

/// Pooling of `x` through every instruction set and 1, 2 and 7 threads, both canaries,
/// bit for bit against the reference; max also with indices.
fn check_narrow<T: Narrow>(plan: &PoolPlan, x: &TensorView<T>, what: &str) {
    let n = plan.output_len();
    let mut want = vec![T::ZERO; n];
    let mut want_idx = vec![0i64; n];
    let torch = IndexConvention::Torch;
    let is_max = plan.reduction() == poolkit::Reduction::Max;
    if is_max {
        reference::pool_forward(plan, x, &mut want, Some((&mut want_idx, torch)));
    } else {
        reference::pool_forward(plan, x, &mut want, None);
    }
    let same = |got: &[T]| {
        got.iter()
            .zip(&want)
            .position(|(g, w)| g.bits() != w.bits())
    };
    for isa in isas() {
        for threads in [1, 2, 7] {
            let options = ExecOptions::new().isa(isa).threads(threads);
            for canary in T::CANARIES {
                let what = format!("{what} {isa} {threads} threads canary {:#x}", canary.bits());
                let mut got = vec![canary; n];
                pool_into_with(plan, x, &mut got, &options).unwrap();
                if let Some(i) = same(&got) {
                    panic!(
                        "{what}: output {i} is {:?} ({:#x}), reference {:?} ({:#x})",
                        got[i],
                        got[i].bits(),
                        want[i],
                        want[i].bits()
                    );
                }
                if !is_max {
                    continue;
                }
                let mut got = vec![canary; n];
                let mut idx = vec![INDEX_CANARY; n];
                max_pool_with_indices_into_with(plan, x, torch, &mut got, &mut idx, &options)
                    .unwrap();
                assert_eq!(same(&got), None, "{what}: values with indices");
                assert_eq!(idx, want_idx, "{what}: indices");
            }
        }
    }
}

/// 2×2/s2 max of one narrow type (and, `avg`, averages: integers are exact on every
/// path): output widths around its wide steps (16 and 32 outputs), odd sizes, floor and
/// ceil mode, padding (odd-aligned steps, one-row windows), a strided view, NaN-free and
/// NaN-sparse and NaN-dense data.
fn narrow_two_by_two<T: Narrow>(avg: bool) {
    let name = T::DTYPE.name();
    let w = window(&[2, 2], &[2, 2]);
    let padded = w.clone().padding(Padding::symmetric(&[1, 1]));
    let mut specs = vec![
        (PoolSpec::max(w.clone()), "max floor"),
        (PoolSpec::max(w.clone().ceil_mode(true)), "max ceil"),
        (PoolSpec::max(padded.clone()), "max pad 1"),
    ];
    if avg {
        specs.extend([
            (PoolSpec::avg(w.clone()), "avg floor"),
            (PoolSpec::avg(w.clone().ceil_mode(true)), "avg ceil"),
            (PoolSpec::avg(padded.clone()), "avg pad 1"),
            (
                PoolSpec::avg(padded).count_include_pad(true),
                "avg pad 1 incl pad",
            ),
            (
                PoolSpec::avg(w.clone()).divisor_override(Some(4)),
                "avg divisor 4",
            ),
            (PoolSpec::avg(w).divisor_override(Some(3)), "avg divisor 3"),
        ]);
    }
    let widths = [
        1, 2, 3, 17, 31, 32, 33, 34, 62, 63, 64, 65, 66, 67, 113, 126, 127, 128, 129, 130, 131,
        194, 195,
    ];
    let (n, c) = (2, 3);
    for (spec, mode) in &specs {
        for h in [1, 2, 3, 5] {
            for wd in widths {
                let shape = [n, c, h, wd];
                let Ok(plan) = PoolPlan::new(spec, &shape, Layout::ChannelsFirst) else {
                    continue;
                };
                let len = shape.iter().product();
                for (nans, tag) in [(0, "no NaN"), (97, "sparse NaN"), (7, "dense NaN")] {
                    if nans > 0 && !T::DTYPE.is_float() {
                        continue;
                    }
                    let data = T::data(len, (h * 1000 + wd) as u64, nans);
                    let x = TensorView::new(&data, &shape).unwrap();
                    check_narrow(&plan, &x, &format!("{name} 2x2/s2 {mode} {shape:?} {tag}"));
                }
            }
        }
    }
    // A view whose rows are 5 elements apart from their width and whose batch runs
    // backwards: rows start at odd offsets.
    let (h, wd, row) = (6, 67, 72);
    let data = T::data(n * c * h * row, 77, 131);
    let strides = [
        -((c * h * row) as isize),
        (h * row) as isize,
        row as isize,
        1,
    ];
    let x = TensorView::with_strides(&data, &[n, c, h, wd], &strides, (n - 1) * c * h * row + 1)
        .unwrap();
    for (spec, mode) in &specs {
        let plan = PoolPlan::new(spec, &[n, c, h, wd], Layout::ChannelsFirst).unwrap();
        check_narrow(&plan, &x, &format!("{name} 2x2/s2 {mode} strided view"));
    }
}

#[test]
fn f16_two_by_two_max_is_bit_exact() {
    narrow_two_by_two::<f16>(false);
}

#[test]
fn bf16_two_by_two_max_is_bit_exact() {
    narrow_two_by_two::<bf16>(false);
}

#[test]
fn u8_two_by_two_max_and_avg_is_bit_exact() {
    narrow_two_by_two::<u8>(true);
}

#[test]
fn i8_two_by_two_max_and_avg_is_bit_exact() {
    narrow_two_by_two::<i8>(true);
}

#[test]
fn u16_two_by_two_max_and_avg_is_bit_exact() {
    narrow_two_by_two::<u16>(true);
}

#[test]
fn forcing_an_instruction_set_the_cpu_lacks_is_refused() {
    let plan = PoolPlan::new(
        &PoolSpec::max(window(&[2], &[2])),
        &[1, 1, 4],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let x = [1.0f32, 2.0, 3.0, 4.0];
    let x = TensorView::new(&x, &[1, 1, 4]).unwrap();
    let mut out = [0f32; 2];
    for isa in Isa::ALL {
        let result = pool_into_with(&plan, &x, &mut out, &ExecOptions::new().isa(isa));
        if isa.is_supported() {
            assert_eq!(out, [2.0, 4.0]);
        } else {
            let err = result.unwrap_err();
            assert!(err.message().contains("this CPU lacks the"), "{err}");
            assert!(err.message().contains(isa.name()), "{err}");
        }
    }
}

#[test]
fn each_case_takes_the_path_it_is_meant_to_test() {
    let route = |spec: PoolSpec, shape: &[usize], layout: Layout, indices: bool| {
        let plan = PoolPlan::new(&spec, shape, layout).unwrap();
        let prepared = PreparedPool::<f32>::new(&plan, &ExecOptions::new().threads(1)).unwrap();
        match indices {
            true => prepared.route_with_indices(),
            false => prepared.route(),
        }
    };
    let cf = Layout::ChannelsFirst;
    let w = window(&[2, 2], &[2, 2]);
    assert_eq!(
        route(PoolSpec::max(w.clone()), &[1, 2, 8, 8], cf, true),
        Route::ChannelsFirst
    );
    assert_eq!(
        route(PoolSpec::avg(w), &[1, 8, 8, 2], Layout::ChannelsLast, false),
        Route::ChannelsLast
    );
    assert_eq!(
        route(PoolSpec::global_avg(), &[1, 2, 7, 7], cf, false),
        Route::Global
    );
    assert_eq!(
        route(
            PoolSpec::global_max(),
            &[1, 7, 7, 2],
            Layout::ChannelsLast,
            false
        ),
        Route::GlobalChannelsLast
    );
    assert_eq!(
        route(
            PoolSpec::global_max(),
            &[1, 7, 7, 2],
            Layout::ChannelsLast,
            true
        ),
        Route::ChannelsLast
    );
    let stem = window(&[3, 3], &[2, 2]).padding(Padding::symmetric(&[1, 1]));
    assert_eq!(
        route(PoolSpec::max(stem.clone()), &[1, 2, 40, 40], cf, false),
        Route::Framed
    );
    assert_eq!(
        route(PoolSpec::avg(stem.clone()), &[1, 2, 40, 40], cf, false),
        Route::Framed
    );
    // Argmax keeps the row kernel, whose scalar borders see padding for what it is.
    assert_eq!(
        route(PoolSpec::max(stem), &[1, 2, 40, 40], cf, true),
        Route::ChannelsFirst
    );
    let large = PoolSpec::max(window(&[6, 7], &[1, 1]).dilations(&[3, 3]));
    assert_eq!(
        route(large.clone(), &[1, 2, 40, 50], cf, false),
        Route::Sliding
    );
    assert_eq!(
        route(large, &[1, 2, 40, 50], cf, true),
        Route::ChannelsFirst
    );
    assert_eq!(
        route(
            PoolSpec::lp(window(&[2, 2], &[2, 2]), 2.0),
            &[1, 2, 8, 8],
            cf,
            false
        ),
        Route::Reference
    );
    assert_eq!(
        route(PoolSpec::adaptive_avg(&[3, 3]), &[1, 2, 8, 8], cf, false),
        Route::Reference
    );
    // Automatic parallelism sends the seed's 6×6 grid to the tiny loops; a view whose W
    // axis is strided goes to the reference.
    let seed = PoolPlan::new(&PoolSpec::max(window(&[2, 2], &[2, 2])), &[1, 1, 6, 6], cf).unwrap();
    let auto = PreparedPool::<f32>::new(&seed, &ExecOptions::new()).unwrap();
    assert_eq!(
        (auto.route(), auto.route_with_indices()),
        (Route::Tiny, Route::Tiny)
    );
    let data = [0f32; 72];
    let strided = TensorView::with_strides(&data, &[1, 1, 6, 6], &[72, 72, 12, 2], 0).unwrap();
    assert_eq!(auto.route_for_view(&strided, false), Route::Reference);
    let avg = PoolPlan::new(&PoolSpec::avg(window(&[2, 2], &[2, 2])), &[1, 1, 6, 6], cf).unwrap();
    let avg = PreparedPool::<f32>::new(&avg, &ExecOptions::new()).unwrap();
    assert_eq!(avg.route_with_indices(), Route::Reference);
}
