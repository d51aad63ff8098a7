//! Bad requests are refused with an error of the right kind whose message names the value
//! and the rule — and no request, however absurd its numbers, makes planning panic.

use poolkit::{
    max_pool_backward_from_indices, max_pool_with_indices, max_unpool_backward, output_shape,
    output_shape_in_format, pool, pool_into, ErrorKind, IndexConvention, Layout, Padding, PoolPlan,
    PoolSpec, Reduction, Region, RoiPlan, RoiPoolSpec, Tensor, TensorView, UnpoolPlan, UnpoolSpec,
    WindowSpec,
};
use proptest::collection::vec;
use proptest::prelude::*;

fn max2(window: WindowSpec) -> PoolSpec {
    PoolSpec::max(window)
}

/// What was wrong, the spec, the input shape, the error kind, words the message must hold.
type BadSpec = (
    &'static str,
    PoolSpec,
    Vec<usize>,
    ErrorKind,
    Vec<&'static str>,
);

/// Every bad spec, with the input it meets, the kind it must give, and words the message
/// must contain (the value and the rule).
fn bad_specs() -> Vec<BadSpec> {
    use ErrorKind::*;
    let k2 = || WindowSpec::new(&[2, 2]);
    vec![
        (
            "stride 0",
            max2(k2().strides(&[1, 0])),
            vec![1, 1, 4, 4],
            InvalidParameter,
            vec!["stride 0 on axis 1", "strides must be positive"],
        ),
        (
            "kernel 0",
            max2(WindowSpec::new(&[0])),
            vec![1, 1, 4],
            InvalidParameter,
            vec!["kernel 0 on axis 0", "kernel sizes must be positive"],
        ),
        (
            "dilation 0",
            max2(k2().dilations(&[0, 1])),
            vec![1, 1, 4, 4],
            InvalidParameter,
            vec!["dilation 0 on axis 0", "dilations must be positive"],
        ),
        (
            "kernel list too long",
            max2(WindowSpec::new(&[2, 2, 2])),
            vec![1, 1, 4, 4],
            ShapeMismatch,
            vec!["kernel has 3 entries", "2 spatial axes"],
        ),
        (
            "strides list too short",
            max2(k2().strides(&[2])),
            vec![1, 1, 4, 4],
            ShapeMismatch,
            vec!["strides has 1 entries", "2 spatial axes"],
        ),
        (
            "dilations list too long",
            max2(k2().dilations(&[1, 1, 1])),
            vec![1, 1, 4, 4],
            ShapeMismatch,
            vec!["dilations has 3 entries"],
        ),
        (
            "pads list too short",
            max2(k2().padding(Padding::symmetric(&[1]))),
            vec![1, 1, 4, 4],
            ShapeMismatch,
            vec!["begin pads has 1 entries"],
        ),
        (
            "adaptive size list too long",
            PoolSpec::adaptive_avg(&[2, 2]),
            vec![1, 1, 4],
            ShapeMismatch,
            vec!["output size has 2 entries", "1 spatial axes"],
        ),
        (
            "p = 0",
            PoolSpec::lp(k2(), 0.0),
            vec![1, 1, 4, 4],
            InvalidParameter,
            vec!["p = 0", "finite p > 0"],
        ),
        (
            "p < 0",
            PoolSpec::lp(k2(), -2.0),
            vec![1, 1, 4, 4],
            InvalidParameter,
            vec!["p = -2", "finite p > 0"],
        ),
        (
            "p NaN",
            PoolSpec::global_lp(f64::NAN),
            vec![1, 1, 4, 4],
            InvalidParameter,
            vec!["p = NaN", "finite p > 0"],
        ),
        (
            "p infinite",
            PoolSpec::global_lp(f64::INFINITY),
            vec![1, 1, 4, 4],
            InvalidParameter,
            vec!["p = inf", "finite p > 0"],
        ),
        (
            "divisor_override 0",
            PoolSpec::avg(k2()).divisor_override(Some(0)),
            vec![1, 1, 4, 4],
            InvalidParameter,
            vec!["divisor_override 0", "must be positive"],
        ),
        (
            "rank 2 input",
            max2(k2()),
            vec![4, 4],
            ShapeMismatch,
            vec!["[4, 4]", "rank 2", "[N, C, spatial...]"],
        ),
        (
            "rank 6 input",
            PoolSpec::global_max(),
            vec![1, 1, 2, 2, 2, 2],
            ShapeMismatch,
            vec!["rank 6", "1 to 3 spatial axes"],
        ),
        (
            "window wholly in begin padding",
            max2(
                WindowSpec::new(&[2])
                    .strides(&[1])
                    .padding(Padding::Explicit {
                        begin: vec![3],
                        end: vec![0],
                    }),
            ),
            vec![1, 1, 4],
            EmptyOutput,
            vec!["output 0", "wholly in padding"],
        ),
        (
            "window wholly in end padding",
            max2(
                WindowSpec::new(&[1])
                    .strides(&[1])
                    .padding(Padding::Explicit {
                        begin: vec![0],
                        end: vec![1],
                    }),
            ),
            vec![1, 1, 4],
            EmptyOutput,
            vec!["output 4", "wholly in padding"],
        ),
        // Dilation 3 over one input cell padded by 3 each side: windows 1 and 2 tap -2,1
        // and -1,2, straddling the input without touching it.
        (
            "dilated window skipping the input",
            max2(
                WindowSpec::new(&[2])
                    .strides(&[1])
                    .dilations(&[3])
                    .padding(Padding::symmetric(&[3])),
            ),
            vec![1, 1, 1],
            EmptyOutput,
            vec!["output 1", "no tap inside the input"],
        ),
        (
            "kernel larger than the padded input",
            max2(WindowSpec::new(&[5, 2]).padding(Padding::symmetric(&[0, 0]))),
            vec![1, 1, 3, 4],
            EmptyOutput,
            vec!["3+0+0 = 3", "effective kernel", "= 5", "no window fits"],
        ),
        (
            "dilated kernel larger than the input",
            max2(WindowSpec::new(&[2]).dilations(&[4])),
            vec![1, 1, 4],
            EmptyOutput,
            vec!["(2-1)*4+1 = 5", "no window fits"],
        ),
        (
            "adaptive output 0",
            PoolSpec::adaptive_max(&[0, 2]),
            vec![1, 1, 4, 4],
            InvalidParameter,
            vec!["output size 0 on axis 0", "must be positive"],
        ),
        (
            "empty spatial axis",
            PoolSpec::global_avg(),
            vec![1, 1, 0],
            EmptyOutput,
            vec!["axis 0", "empty axis"],
        ),
        (
            "same padding of an empty axis",
            max2(WindowSpec::new(&[1]).padding(Padding::SameUpper)),
            vec![1, 1, 0],
            EmptyOutput,
            vec!["axis 0"],
        ),
        (
            "input element count overflows",
            PoolSpec::global_max(),
            vec![usize::MAX, 2, 1],
            Overflow,
            vec!["input shape", "usize"],
        ),
        (
            "dilated kernel past usize: longer than any input",
            max2(WindowSpec::new(&[usize::MAX]).dilations(&[2])),
            vec![1, 1, 4],
            EmptyOutput,
            vec![
                "axis 0",
                "(kernel-1)*dilation+1",
                "more than 18446744073709551615",
                "no window fits",
            ],
        ),
        (
            "padded input overflows",
            max2(WindowSpec::new(&[1]).padding(Padding::Explicit {
                begin: vec![usize::MAX],
                end: vec![1],
            })),
            vec![1, 1, 4],
            Overflow,
            vec!["axis 0", "padded input", "overflows"],
        ),
        (
            "end pads list too long",
            max2(k2().padding(Padding::Explicit {
                begin: vec![0, 0],
                end: vec![0, 0, 0],
            })),
            vec![1, 1, 4, 4],
            ShapeMismatch,
            vec!["end pads has 3 entries", "2 spatial axes"],
        ),
        // Ceil mode lets a window overhang by stride - 1 = 2; a kernel of 6 on 3 would
        // overhang by 3 (PyTorch: "Invalid computed output size: 0").
        (
            "ceil-mode window overhanging by more than stride - 1",
            max2(WindowSpec::new(&[6]).strides(&[3]).ceil_mode(true)),
            vec![1, 1, 3],
            EmptyOutput,
            vec![
                "3+0+0 = 3",
                "= 6",
                "no window fits",
                "at most stride-1 = 2",
                "overhang by 3",
            ],
        ),
        // PyTorch's pad <= k/2 check ignores dilation: it returns -inf and index 2 here.
        (
            "dilated window wholly in padding",
            max2(
                WindowSpec::new(&[2])
                    .strides(&[1])
                    .dilations(&[3])
                    .padding(Padding::symmetric(&[1])),
            ),
            vec![1, 1, 2],
            EmptyOutput,
            vec!["output 0", "taps at -1..=2 step 3", "wholly in padding"],
        ),
        (
            "stride beyond the largest indexed extent, with two windows",
            max2(
                WindowSpec::new(&[1])
                    .strides(&[(1 << 48) + 1])
                    .padding(Padding::Explicit {
                        begin: vec![1 << 48],
                        end: vec![0],
                    }),
            ),
            vec![1, 1, 1 << 48],
            Overflow,
            vec!["stride 281474976710657", "exceeds 281474976710656"],
        ),
        (
            "a dilated window longer than any input",
            max2(WindowSpec::new(&[2]).dilations(&[1 << 49])),
            vec![1, 1, 4],
            EmptyOutput,
            vec!["(2-1)*562949953421312+1", "no window fits"],
        ),
        (
            "effective kernel beyond the largest indexed extent",
            max2(
                WindowSpec::new(&[2])
                    .dilations(&[1 << 48])
                    .padding(Padding::symmetric(&[1])),
            ),
            vec![1, 1, 1 << 48],
            Overflow,
            vec![
                "effective kernel 281474976710657",
                "exceeds 281474976710656",
            ],
        ),
        (
            "padding beyond the largest indexed extent",
            max2(WindowSpec::new(&[1]).padding(Padding::Explicit {
                begin: vec![1 << 49],
                end: vec![0],
            })),
            vec![1, 1, 4],
            Overflow,
            vec!["padding 562949953421312/0", "exceeds 281474976710656"],
        ),
        // Dilation 2 over one cell padded by 2^21: 2^21 + 1 windows, more than are checked
        // one by one for skipping the input.
        (
            "too many windows to check for skipping the input",
            max2(
                WindowSpec::new(&[(1 << 20) + 1])
                    .strides(&[1])
                    .dilations(&[2])
                    .padding(Padding::symmetric(&[1 << 21])),
            ),
            vec![1, 1, 1],
            Overflow,
            vec![
                "dilation 2 exceeds the input extent 1",
                "2097153 windows",
                "limited to 1048576",
            ],
        ),
        (
            "adaptive pooling of an empty axis",
            PoolSpec::adaptive_max(&[2]),
            vec![1, 1, 0],
            EmptyOutput,
            vec!["axis 0", "adaptive pooling of an empty axis"],
        ),
        (
            "adaptive window bounds overflow",
            PoolSpec::adaptive_avg(&[1 << 40]),
            vec![1, 1, 1 << 40],
            Overflow,
            vec!["axis 0", "adaptive window bounds", "overflows"],
        ),
        // Each of the two windows reads the one input cell; 2^63 × 2 outputs overflow.
        (
            "output element count overflows",
            max2(
                WindowSpec::new(&[2])
                    .strides(&[1])
                    .padding(Padding::symmetric(&[1])),
            ),
            vec![1 << 63, 1, 1],
            Overflow,
            vec!["output shape", "usize"],
        ),
    ]
}

#[test]
fn bad_specs_give_errors_naming_the_value_and_the_rule() {
    for (what, spec, shape, kind, words) in bad_specs() {
        for layout in [Layout::ChannelsFirst, Layout::ChannelsLast] {
            let shape = match layout {
                // The same spatial extents, channels moved last (rank kept for rank errors).
                Layout::ChannelsLast if (3..=5).contains(&shape.len()) => {
                    let mut s = vec![shape[0]];
                    s.extend(&shape[2..]);
                    s.push(shape[1]);
                    s
                }
                _ => shape.clone(),
            };
            let err = PoolPlan::new(&spec, &shape, layout).unwrap_err();
            assert_eq!(err.kind(), kind, "{what}: {err}");
            for word in &words {
                assert!(
                    err.message().contains(word),
                    "{what}: {err:?} lacks {word:?}"
                );
            }
            assert_eq!(
                output_shape(&spec, &shape, layout).unwrap_err(),
                err,
                "{what}"
            );
        }
    }
}

#[test]
fn bad_formats_paddings_and_other_plans_are_refused() {
    let spec = PoolSpec::max(WindowSpec::new(&[2, 2]));
    let cases: Vec<(poolkit::Error, ErrorKind, &[&str])> = vec![
        (
            output_shape_in_format(&spec, &[14, 14, 32], "nhwc").unwrap_err(),
            ErrorKind::ShapeMismatch,
            &["\"nhwc\" names 4 axes", "[14, 14, 32] has 3"],
        ),
        (
            output_shape_in_format(&spec, &[14, 14, 32], "h1c").unwrap_err(),
            ErrorKind::InvalidParameter,
            &["'1'", "must be letters"],
        ),
        (
            output_shape_in_format(&spec, &[14, 14, 32], "hhc").unwrap_err(),
            ErrorKind::InvalidParameter,
            &["'h' twice"],
        ),
        (
            output_shape_in_format(&spec, &[14, 32], "hc").unwrap_err(),
            ErrorKind::ShapeMismatch,
            &["kernel has 2 entries", "1 spatial axes"],
        ),
        (
            Padding::onnx(&[1, 1, 1]).unwrap_err(),
            ErrorKind::InvalidParameter,
            &["[1, 1, 1]", "must be even"],
        ),
        (
            Padding::parse_auto_pad("SAME").unwrap_err(),
            ErrorKind::InvalidParameter,
            &["\"SAME\"", "SAME_UPPER, SAME_LOWER, VALID, NOTSET"],
        ),
        (
            UnpoolPlan::new(
                &UnpoolSpec::new(&[2]).padding(Padding::SameUpper),
                &[1, 1, 2],
                Layout::ChannelsFirst,
            )
            .unwrap_err(),
            ErrorKind::InvalidParameter,
            &["SameUpper", "explicit pads only"],
        ),
        (
            UnpoolPlan::new(&UnpoolSpec::new(&[0]), &[1, 1, 2], Layout::ChannelsFirst).unwrap_err(),
            ErrorKind::InvalidParameter,
            &["kernel 0", "must be positive"],
        ),
        (
            UnpoolPlan::new(
                &UnpoolSpec::new(&[2]).output_size(&[0]),
                &[1, 1, 2],
                Layout::ChannelsFirst,
            )
            .unwrap_err(),
            ErrorKind::EmptyOutput,
            &["output size 0 on axis 0"],
        ),
        (
            RoiPlan::new(
                RoiPoolSpec {
                    pooled_shape: [0, 2],
                    spatial_scale: 1.0,
                },
                &[1, 1, 4, 4],
                &[1, 5],
                Layout::ChannelsFirst,
            )
            .unwrap_err(),
            ErrorKind::InvalidParameter,
            &["[0, 2]", "must be positive"],
        ),
        (
            RoiPlan::new(
                RoiPoolSpec {
                    pooled_shape: [2, 2],
                    spatial_scale: 0.0,
                },
                &[1, 1, 4, 4],
                &[1, 5],
                Layout::ChannelsFirst,
            )
            .unwrap_err(),
            ErrorKind::InvalidParameter,
            &["spatial_scale 0", "> 0"],
        ),
        (
            RoiPlan::new(
                RoiPoolSpec {
                    pooled_shape: [2, 2],
                    spatial_scale: 1.0,
                },
                &[1, 1, 4, 4],
                &[1, 4],
                Layout::ChannelsFirst,
            )
            .unwrap_err(),
            ErrorKind::ShapeMismatch,
            &["[1, 4]", "[num_rois, 5]"],
        ),
        (
            RoiPlan::new(
                RoiPoolSpec {
                    pooled_shape: [2, 2],
                    spatial_scale: 1.0,
                },
                &[1, 1, 4],
                &[1, 5],
                Layout::ChannelsFirst,
            )
            .unwrap_err(),
            ErrorKind::ShapeMismatch,
            &["rank 3", "[N, C, H, W]"],
        ),
        (
            output_shape_in_format(&spec, &[1, 1], "nc").unwrap_err(),
            ErrorKind::ShapeMismatch,
            &["0 spatial axes", "1 to 3 spatial axes"],
        ),
        (
            output_shape_in_format(&PoolSpec::global_max(), &[1, 1, 2, 2, 2, 2], "ncxyzw")
                .unwrap_err(),
            ErrorKind::ShapeMismatch,
            &["4 spatial axes", "1 to 3 spatial axes"],
        ),
        (
            UnpoolPlan::new(&UnpoolSpec::new(&[2]), &[1, 2], Layout::ChannelsFirst).unwrap_err(),
            ErrorKind::ShapeMismatch,
            &["[1, 2]", "rank 2", "unpooling takes [N, C, spatial...]"],
        ),
        (
            UnpoolPlan::new(&UnpoolSpec::new(&[2, 2]), &[1, 1, 2], Layout::ChannelsFirst)
                .unwrap_err(),
            ErrorKind::ShapeMismatch,
            &["kernel has 2 entries", "1 spatial axes"],
        ),
        (
            UnpoolPlan::new(
                &UnpoolSpec::new(&[2]).strides(&[0]),
                &[1, 1, 2],
                Layout::ChannelsFirst,
            )
            .unwrap_err(),
            ErrorKind::InvalidParameter,
            &["stride 0", "must be positive"],
        ),
        (
            UnpoolPlan::new(
                &UnpoolSpec::new(&[1 << 63]).strides(&[1 << 63]),
                &[1, 1, 3],
                Layout::ChannelsFirst,
            )
            .unwrap_err(),
            ErrorKind::Overflow,
            &["axis 0", "unpooled size overflows"],
        ),
        (
            UnpoolPlan::new(
                &UnpoolSpec::new(&[2]).padding(Padding::symmetric(&[1])),
                &[1, 1, 1],
                Layout::ChannelsFirst,
            )
            .unwrap_err(),
            ErrorKind::EmptyOutput,
            &["(1-1)*2+2-1-1", "is not positive"],
        ),
        (
            UnpoolPlan::new(
                &UnpoolSpec::new(&[1, 1]).output_size(&[1 << 40, 1 << 40]),
                &[1, 1, 1, 1],
                Layout::ChannelsFirst,
            )
            .unwrap_err(),
            ErrorKind::Overflow,
            &["output shape", "usize"],
        ),
        (
            RoiPlan::new(
                RoiPoolSpec {
                    pooled_shape: [2, 2],
                    spatial_scale: f64::INFINITY,
                },
                &[1, 1, 4, 4],
                &[1, 5],
                Layout::ChannelsFirst,
            )
            .unwrap_err(),
            ErrorKind::InvalidParameter,
            &["spatial_scale inf", "finite number > 0"],
        ),
        (
            RoiPlan::new(
                RoiPoolSpec {
                    pooled_shape: [1 << 31, 1 << 31],
                    spatial_scale: 1.0,
                },
                &[1, 1, 4, 4],
                &[1 << 20, 5],
                Layout::ChannelsFirst,
            )
            .unwrap_err(),
            ErrorKind::Overflow,
            &["output shape", "usize"],
        ),
        (
            roi_plan()
                .bins(0, [0.0, f64::NAN, 0.0, 3.0, 3.0])
                .unwrap_err(),
            ErrorKind::InvalidParameter,
            &["RoI 0", "NaN", "must be finite"],
        ),
        (
            roi_plan().bins(0, [0.5, 0.0, 0.0, 3.0, 3.0]).unwrap_err(),
            ErrorKind::IndexOutOfRange,
            &["batch index 0.5", "an integer in [0, 1)"],
        ),
    ];
    for (err, kind, words) in cases {
        assert_eq!(err.kind(), kind, "{err}");
        for word in words {
            assert!(err.message().contains(word), "{err:?} lacks {word:?}");
        }
    }
}

/// A 2×2-bin RoI pooling of a `[1, 1, 4, 4]` map with one RoI.
fn roi_plan() -> RoiPlan {
    RoiPlan::new(
        RoiPoolSpec {
            pooled_shape: [2, 2],
            spatial_scale: 1.0,
        },
        &[1, 1, 4, 4],
        &[1, 5],
        Layout::ChannelsFirst,
    )
    .unwrap()
}

/// Calls and tensors that do not fit their plan, or a view that does not fit its buffer.
#[test]
fn bad_calls_and_views_are_refused() {
    let plan_of = |spec: PoolSpec| PoolPlan::new(&spec, &[1, 1, 4], Layout::ChannelsFirst).unwrap();
    let max = plan_of(PoolSpec::max(WindowSpec::new(&[2])));
    let avg = plan_of(PoolSpec::avg(WindowSpec::new(&[2])));
    let x = [1.0f32, 2.0, 3.0, 4.0];
    let xv = TensorView::new(&x, &[1, 1, 4]).unwrap();
    let six = [0.0f32; 6];
    let dy = [1.0f32, 1.0];
    let dyv = TensorView::new(&dy, &[1, 1, 2]).unwrap();
    let idx = [0i64, 2];
    let idxv = TensorView::new(&idx, &[1, 1, 2]).unwrap();
    let unplan =
        UnpoolPlan::new(&UnpoolSpec::new(&[2]), &[1, 1, 2], Layout::ChannelsFirst).unwrap();
    let bad_idx = [0i64, 4];
    let cases: Vec<(poolkit::Error, ErrorKind, &[&str])> = vec![
        (
            pool(&max, &TensorView::new(&six, &[1, 1, 6]).unwrap()).unwrap_err(),
            ErrorKind::ShapeMismatch,
            &[
                "input has shape [1, 1, 6]",
                "the plan was made for [1, 1, 4]",
            ],
        ),
        (
            pool_into(&max, &xv, &mut [0.0f32; 3]).unwrap_err(),
            ErrorKind::InvalidBuffer,
            &["output buffer holds 3 elements", "shape [1, 1, 2] needs 2"],
        ),
        (
            max_pool_with_indices(&avg, &xv, IndexConvention::Torch).unwrap_err(),
            ErrorKind::InvalidParameter,
            &[
                "indices requested from",
                "only max pooling has argmax indices",
            ],
        ),
        (
            max_pool_backward_from_indices(&avg, &dyv, &idxv, IndexConvention::Torch).unwrap_err(),
            ErrorKind::InvalidParameter,
            &[
                "backward from indices for",
                "only max pooling has argmax indices",
            ],
        ),
        (
            max_unpool_backward(
                &unplan,
                &TensorView::new(&x, &[1, 1, 4]).unwrap(),
                &TensorView::new(&bad_idx, &[1, 1, 2]).unwrap(),
                IndexConvention::Torch,
            )
            .unwrap_err(),
            ErrorKind::IndexOutOfRange,
            &["index 4", "[0, 4)"],
        ),
        (
            TensorView::new(&x[..3], &[1, 1, 4]).unwrap_err(),
            ErrorKind::InvalidBuffer,
            &["buffer of 3 elements", "shape [1, 1, 4] (4 elements)"],
        ),
        (
            Tensor::from_vec(vec![0.0f32; 3], &[1, 1, 4]).unwrap_err(),
            ErrorKind::InvalidBuffer,
            &["buffer of 3 elements", "shape [1, 1, 4] (4 elements)"],
        ),
        (
            TensorView::<f32>::new(&[], &[usize::MAX, 2]).unwrap_err(),
            ErrorKind::Overflow,
            &["tensor shape", "usize"],
        ),
        (
            TensorView::with_strides(&six, &[2, 3], &[1], 0).unwrap_err(),
            ErrorKind::ShapeMismatch,
            &["strides [1] have 1 entries", "rank 2"],
        ),
        (
            TensorView::with_strides(&six, &[2, 3], &[3, 2], 0).unwrap_err(),
            ErrorKind::InvalidBuffer,
            &["reaches elements 0..=7", "outside a buffer of 6 elements"],
        ),
    ];
    for (err, kind, words) in cases {
        assert_eq!(err.kind(), kind, "{err}");
        for word in words {
            assert!(err.message().contains(word), "{err:?} lacks {word:?}");
        }
    }
}

/// Small values, boundaries of every integer width, and anything at all.
fn size() -> impl Strategy<Value = usize> {
    prop_oneof![
        4 => 0usize..=9,
        1 => prop::sample::select(vec![
            usize::MAX, usize::MAX - 1, usize::MAX / 2, isize::MAX as usize, isize::MAX as usize + 1,
            1 << 32, (1 << 32) + 1, 1 << 62, 1 << 63,
        ]),
        1 => any::<usize>(),
    ]
}

fn sizes() -> impl Strategy<Value = Vec<usize>> {
    vec(size(), 0..=4)
}

fn any_spec() -> impl Strategy<Value = PoolSpec> {
    let reduction = prop_oneof![
        Just(Reduction::Max),
        (any::<bool>(), prop::option::of(size())).prop_map(
            |(count_include_pad, divisor_override)| {
                Reduction::Avg {
                    count_include_pad,
                    divisor_override,
                }
            }
        ),
        prop_oneof![
            any::<f64>(),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(0.0),
            Just(1e-300),
            Just(1e300)
        ]
        .prop_map(|p| Reduction::Lp { p }),
    ];
    let padding = prop_oneof![
        (sizes(), sizes()).prop_map(|(begin, end)| Padding::Explicit { begin, end }),
        Just(Padding::SameUpper),
        Just(Padding::SameLower),
        Just(Padding::Valid),
    ];
    let window = (
        sizes(),
        prop::option::of(sizes()),
        prop::option::of(sizes()),
        padding,
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
        );
    let region = prop_oneof![
        4 => window.prop_map(Region::Window),
        1 => Just(Region::Global),
        1 => sizes().prop_map(|output_size| Region::Adaptive { output_size }),
    ];
    (reduction, region).prop_map(|(reduction, region)| PoolSpec { reduction, region })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Planning any spec against any shape returns, never panics; a plan that is made has
    /// an output shape that the shape functions agree on.
    #[test]
    fn planning_never_panics(
        spec in any_spec(),
        shape in vec(size(), 0..=6),
        channels_last in any::<bool>(),
    ) {
        let layout = if channels_last { Layout::ChannelsLast } else { Layout::ChannelsFirst };
        let planned = PoolPlan::new(&spec, &shape, layout);
        let by_function = output_shape(&spec, &shape, layout);
        let letters: String = "ncdhwxyz".chars().take(shape.len()).collect();
        let by_format = output_shape_in_format(&spec, &shape, &letters);
        match planned {
            Ok(plan) => {
                prop_assert_eq!(&by_function.unwrap()[..], plan.output_shape());
                // N or C may be 0 (an empty batch); a spatial axis never is.
                prop_assert!(plan.output_spatial().iter().all(|&d| d > 0));
                if layout == Layout::ChannelsFirst {
                    prop_assert_eq!(&by_format.unwrap()[..], plan.output_shape());
                }
            }
            Err(e) => {
                prop_assert_eq!(by_function.unwrap_err(), e.clone());
                prop_assert!(!e.message().is_empty());
            }
        }
    }

    #[test]
    fn unpool_and_roi_planning_never_panic(
        kernel in sizes(),
        strides in prop::option::of(sizes()),
        begin in sizes(),
        end in sizes(),
        output_size in prop::option::of(vec(size(), 0..=6)),
        shape in vec(size(), 0..=6),
        pooled in (size(), size()),
        scale in any::<f64>(),
        rois in vec(size(), 0..=3),
    ) {
        let spec = UnpoolSpec {
            kernel,
            strides,
            padding: Padding::Explicit { begin, end },
            output_size,
        };
        let _ = UnpoolPlan::new(&spec, &shape, Layout::ChannelsFirst);
        let _ = UnpoolPlan::new(&spec, &shape, Layout::ChannelsLast);
        let roi = RoiPoolSpec { pooled_shape: [pooled.0, pooled.1], spatial_scale: scale };
        let _ = RoiPlan::new(roi, &shape, &rois, Layout::ChannelsFirst);
    }
}

/// A dilated window over a 2^40-long axis: planning must not visit every window (it once
/// scanned all of them for windows skipping the input, which only a dilation longer than
/// the input allows).
#[test]
fn planning_a_huge_dilated_axis_does_not_visit_every_window() {
    let spec = PoolSpec::max(WindowSpec::new(&[2]).strides(&[1]).dilations(&[2]));
    let shape = [1, 1, 1 << 40];
    let plan = PoolPlan::new(&spec, &shape, Layout::ChannelsFirst).unwrap();
    assert_eq!(plan.output_shape(), &[1, 1, (1 << 40) - 2]);
}
