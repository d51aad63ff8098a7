//! Bad requests are refused with an error of the right kind whose message names the value
//! and the rule — and no request, however absurd its numbers, makes planning panic.

use poolkit::{
    output_shape, output_shape_in_format, ErrorKind, Layout, Padding, PoolPlan, PoolSpec,
    Reduction, Region, RoiPlan, RoiPoolSpec, UnpoolPlan, UnpoolSpec, WindowSpec,
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
            "dilated kernel overflows",
            max2(WindowSpec::new(&[usize::MAX]).dilations(&[2])),
            vec![1, 1, 4],
            Overflow,
            vec!["axis 0", "(kernel-1)*dilation+1", "overflows"],
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
