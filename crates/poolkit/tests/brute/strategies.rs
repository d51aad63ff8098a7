//! proptest strategies for pooling cases: small random shapes, every kind of geometry and
//! reduction, and values chosen to provoke ties, signed zeros, infinities and NaN.

use super::tensors::Arrangement;
use poolkit::{Layout, Padding, PoolSpec, Reduction, Region, WindowSpec};
use proptest::collection::vec;
use proptest::prelude::*;

/// A pooling request and a logical `[N, C, spatial...]` row-major input.
#[derive(Debug, Clone)]
pub struct Case {
    pub spec: PoolSpec,
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

/// Mostly small integers (ties), some fractions, and now and then -0.0, ±inf or NaN.
pub fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        40 => (-6i32..=6).prop_map(f64::from),
        40 => -100.0..100.0f64,
        2 => Just(-0.0),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(f64::NAN),
    ]
}

/// Finite values only, for checks whose rounding must not be swamped by NaN or inf.
pub fn finite_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => (-6i32..=6).prop_map(f64::from),
        1 => -100.0..100.0f64,
    ]
}

fn padding(rank: usize) -> impl Strategy<Value = Padding> {
    prop_oneof![
        2 => Just(Padding::zero()),
        3 => vec(0usize..=2, rank).prop_map(|p| Padding::symmetric(&p)),
        3 => (vec(0usize..=3, rank), vec(0usize..=3, rank))
            .prop_map(|(begin, end)| Padding::Explicit { begin, end }),
        1 => Just(Padding::SameUpper),
        1 => Just(Padding::SameLower),
        1 => Just(Padding::Valid),
    ]
}

/// A sliding window of `rank` axes: kernels 1..=4, strides 1..=3, dilations 1..=3.
pub fn window(rank: usize) -> impl Strategy<Value = WindowSpec> {
    (
        vec(1usize..=4, rank),
        prop::option::of(vec(1usize..=3, rank)),
        prop_oneof![2 => Just(None), 1 => vec(1usize..=3, rank).prop_map(Some)],
        padding(rank),
        any::<bool>(),
    )
        .prop_map(
            |(kernel, strides, dilations, padding, ceil_mode)| WindowSpec {
                kernel,
                strides,
                dilations,
                padding,
                ceil_mode,
            },
        )
}

/// Max, average (every flag) or Lp with a few orders, fractional ones included.
pub fn reduction() -> impl Strategy<Value = Reduction> {
    prop_oneof![
        2 => Just(Reduction::Max),
        2 => (any::<bool>(), prop::option::of(1usize..=6)).prop_map(|(count_include_pad, divisor_override)| {
            Reduction::Avg {
                count_include_pad,
                divisor_override,
            }
        }),
        1 => prop::sample::select(vec![0.5, 1.0, 2.0, 2.5, 3.0]).prop_map(|p| Reduction::Lp { p }),
    ]
}

/// A region of `rank` axes: mostly sliding windows, sometimes global or adaptive.
pub fn region(rank: usize) -> impl Strategy<Value = Region> {
    prop_oneof![
        8 => window(rank).prop_map(Region::Window),
        1 => Just(Region::Global),
        1 => vec(1usize..=9, rank).prop_map(|output_size| Region::Adaptive { output_size }),
    ]
}

/// A spec with the given reduction strategy over a region of `rank` axes.
pub fn spec_with(
    rank: usize,
    reductions: BoxedStrategy<Reduction>,
) -> impl Strategy<Value = PoolSpec> {
    (reductions, region(rank)).prop_map(|(reduction, region)| PoolSpec { reduction, region })
}

/// A case: rank 1..=3, N and C 1..=3, extents 1..=9, values from `values`.
pub fn case_with(
    reductions: BoxedStrategy<Reduction>,
    values: BoxedStrategy<f64>,
) -> impl Strategy<Value = Case> {
    (1usize..=3)
        .prop_flat_map(move |rank| {
            (
                1usize..=3,
                1usize..=3,
                vec(1usize..=9, rank),
                spec_with(rank, reductions.clone()),
            )
        })
        .prop_flat_map(move |(n, c, spatial, spec)| {
            let mut shape = vec![n, c];
            shape.extend(spatial);
            let len: usize = shape.iter().product();
            (Just(spec), Just(shape), vec(values.clone(), len))
        })
        .prop_map(|(spec, shape, data)| Case { spec, shape, data })
}

/// Any case, with any values.
pub fn case() -> impl Strategy<Value = Case> {
    case_with(reduction().boxed(), value().boxed())
}

/// A layout.
pub fn layout() -> impl Strategy<Value = Layout> {
    prop_oneof![Just(Layout::ChannelsFirst), Just(Layout::ChannelsLast)]
}

/// A random way of storing a tensor of `rank` axes: any axis order, steps of 1 or 2,
/// any axes reversed, a few leading cells.
pub fn arrangement(rank: usize) -> impl Strategy<Value = Arrangement> {
    (
        Just((0..rank).collect::<Vec<usize>>()).prop_shuffle(),
        vec(1usize..=2, rank),
        vec(any::<bool>(), rank),
        0usize..3,
    )
        .prop_map(|(storage_order, steps, reversed, lead)| Arrangement {
            storage_order,
            steps,
            reversed,
            lead,
        })
}
