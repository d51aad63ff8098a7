//! `poolkit apply` on `.npy` tensors: every operator, forward and backward, gives exactly
//! what the library gives for the same spec.

mod common;

use common::{apply_backward, apply_ok, read_npy, stderr_of, write_npy, NpyValue};
use poolkit::{
    IndexConvention, Layout, Padding, PoolPlan, PoolSpec, RoiPlan, RoiPoolSpec, StorageOrder,
    Tensor, TensorView, UnpoolPlan, UnpoolSpec, WindowSpec,
};
use std::fmt::Debug;
use std::path::Path;

const SHAPE: [usize; 4] = [2, 3, 7, 6];

/// Distinct values in a scrambled order: no ties, so every argmax is unambiguous.
fn input_values(len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| ((i * 37 + 11) % len) as f32 * 0.25 - 20.0)
        .collect()
}

fn write_input(dir: &Path) -> (std::path::PathBuf, Vec<f32>) {
    let x = input_values(SHAPE.iter().product());
    let path = dir.join("x.npy");
    write_npy(&path, &SHAPE, &x);
    (path, x)
}

/// Asserts that the `.npy` file at `path` holds exactly `want`: its shape and its values.
fn assert_npy_holds<T: NpyValue + PartialEq + Debug>(path: &Path, want: &Tensor<T>, what: &str) {
    let (shape, values) = read_npy::<T>(path);
    assert_eq!(
        (shape.as_slice(), values.as_slice()),
        (want.shape(), want.data()),
        "{what}"
    );
}

fn library_pool(
    spec: &PoolSpec,
    x: &[f32],
    shape: &[usize],
    layout: Layout,
) -> (Vec<usize>, Vec<f32>) {
    let plan = PoolPlan::new(spec, shape, layout).unwrap();
    let y = poolkit::pool(&plan, &TensorView::new(x, shape).unwrap()).unwrap();
    (y.shape().to_vec(), y.into_vec())
}

#[test]
fn every_pooling_reduction_matches_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let (input, x) = write_input(dir.path());
    let window = |k: &[usize]| WindowSpec::new(k);
    let cases: Vec<(&[&str], PoolSpec)> = vec![
        (
            &[
                "--op",
                "max",
                "--kernel",
                "3,2",
                "--stride",
                "2,1",
                "--padding",
                "1,0",
                "--ceil-mode",
            ],
            PoolSpec::max(
                window(&[3, 2])
                    .strides(&[2, 1])
                    .padding(Padding::symmetric(&[1, 0]))
                    .ceil_mode(true),
            ),
        ),
        (
            &[
                "--op",
                "avg",
                "--kernel",
                "3",
                "--stride",
                "2",
                "--pads",
                "1,0,0,1",
                "--count-include-pad",
            ],
            PoolSpec::avg(
                window(&[3, 3])
                    .strides(&[2, 2])
                    .padding(Padding::onnx(&[1, 0, 0, 1]).unwrap()),
            )
            .count_include_pad(true),
        ),
        (
            &["--op", "avg", "--kernel", "2", "--divisor-override", "5"],
            PoolSpec::avg(window(&[2, 2])).divisor_override(Some(5)),
        ),
        (
            &[
                "--op",
                "lp",
                "--kernel",
                "2",
                "--dilation",
                "2",
                "--stride",
                "1",
                "--p",
                "3",
            ],
            PoolSpec::lp(window(&[2, 2]).dilations(&[2, 2]).strides(&[1, 1]), 3.0),
        ),
        (
            &[
                "--op",
                "max",
                "--kernel",
                "3",
                "--stride",
                "2",
                "--auto-pad",
                "same-lower",
            ],
            PoolSpec::max(window(&[3, 3]).strides(&[2, 2]).padding(Padding::SameLower)),
        ),
        (&["--op", "global-max"], PoolSpec::global_max()),
        (&["--op", "global-avg"], PoolSpec::global_avg()),
        (
            &["--op", "global-lp", "--p", "1.5"],
            PoolSpec::global_lp(1.5),
        ),
        (
            &["--op", "adaptive-max", "--output-size", "4,3"],
            PoolSpec::adaptive_max(&[4, 3]),
        ),
        (
            &["--op", "adaptive-avg", "--output-size", "3"],
            PoolSpec::adaptive_avg(&[3, 3]),
        ),
    ];
    for (i, (flags, spec)) in cases.iter().enumerate() {
        let output = dir.path().join(format!("y{i}.npy"));
        apply_ok(&input, &output, flags);
        let (shape, values) = read_npy::<f32>(&output);
        let (want_shape, want) = library_pool(spec, &x, &SHAPE, Layout::ChannelsFirst);
        assert_eq!(shape, want_shape, "{flags:?}");
        assert_eq!(values, want, "{flags:?}");
    }
}

#[test]
fn channels_last_layout_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let shape = [2, 7, 6, 3];
    let x = input_values(shape.iter().product());
    let input = dir.path().join("nhwc.npy");
    write_npy(&input, &shape, &x);
    let output = dir.path().join("y.npy");
    apply_ok(
        &input,
        &output,
        &["--op", "avg", "--kernel", "2", "--layout", "nhwc"],
    );
    let (got_shape, got) = read_npy::<f32>(&output);
    let (want_shape, want) = library_pool(
        &PoolSpec::avg(WindowSpec::new(&[2, 2])),
        &x,
        &shape,
        Layout::ChannelsLast,
    );
    assert_eq!((got_shape, got), (want_shape, want));
}

#[test]
fn integer_averages_round_half_to_even_like_the_library() {
    let dir = tempfile::tempdir().unwrap();
    // Windows of sums 2+3 = 5 -> 2.5 -> 2, and 3+4 = 7 -> 3.5 -> 4.
    let x: Vec<u8> = vec![2, 3, 3, 4];
    let input = dir.path().join("u8.npy");
    write_npy(&input, &[1, 1, 4], &x);
    let output = dir.path().join("y.npy");
    apply_ok(&input, &output, &["--op", "avg", "--kernel", "2"]);
    let (shape, values) = read_npy::<u8>(&output);
    assert_eq!((shape, values), (vec![1, 1, 2], vec![2, 4]));
}

#[test]
fn indices_unpool_and_their_conventions_match_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let (input, x) = write_input(dir.path());
    let view = TensorView::new(&x, &SHAPE).unwrap();
    let plan = PoolPlan::new(
        &PoolSpec::max(WindowSpec::new(&[2, 2])),
        &SHAPE,
        Layout::ChannelsFirst,
    )
    .unwrap();
    for (format, order, convention) in [
        ("torch", "0", IndexConvention::Torch),
        ("onnx", "0", IndexConvention::Onnx(StorageOrder::RowMajor)),
        (
            "onnx",
            "1",
            IndexConvention::Onnx(StorageOrder::ColumnMajor),
        ),
    ] {
        let (y_path, idx_path, up_path) = (
            dir.path().join(format!("y-{format}{order}.npy")),
            dir.path().join(format!("i-{format}{order}.npy")),
            dir.path().join(format!("u-{format}{order}.npy")),
        );
        let mut conv = vec!["--index-format", format];
        if format == "onnx" {
            conv.extend(["--storage-order", order]);
        }
        let mut flags = vec![
            "--op",
            "max",
            "--kernel",
            "2",
            "--indices",
            idx_path.to_str().unwrap(),
        ];
        flags.extend(conv.iter().copied());
        apply_ok(&input, &y_path, &flags);
        let (y, idx) = poolkit::max_pool_with_indices(&plan, &view, convention).unwrap();
        assert_eq!(read_npy::<f32>(&y_path).1, y.data());
        assert_npy_holds(&idx_path, &idx, "");

        let mut flags = vec![
            "--op",
            "unpool",
            "--kernel",
            "2",
            "--output-shape",
            "7,6",
            "--indices",
            idx_path.to_str().unwrap(),
        ];
        flags.extend(conv.iter().copied());
        apply_ok(&y_path, &up_path, &flags);
        let unplan = UnpoolPlan::new(
            &UnpoolSpec::new(&[2, 2]).output_size(&[7, 6]),
            y.shape(),
            Layout::ChannelsFirst,
        )
        .unwrap();
        let want = poolkit::max_unpool(&unplan, &y.view(), &idx.view(), convention).unwrap();
        assert_npy_holds(&up_path, &want, &format!("{format} {order}"));
    }
}

#[test]
fn roi_max_matches_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let (input, x) = write_input(dir.path());
    let rois: Vec<f32> = vec![0., 0., 0., 4., 5., 1., 2., 1., 5., 6., 1., 1., 1., 1., 1.];
    let rois_path = dir.path().join("rois.npy");
    write_npy(&rois_path, &[3, 5], &rois);
    let output = dir.path().join("r.npy");
    apply_ok(
        &input,
        &output,
        &[
            "--op",
            "roi-max",
            "--rois",
            rois_path.to_str().unwrap(),
            "--pooled-shape",
            "2,3",
            "--spatial-scale",
            "0.5",
        ],
    );
    let spec = RoiPoolSpec {
        pooled_shape: [2, 3],
        spatial_scale: 0.5,
    };
    let plan = RoiPlan::new(spec, &SHAPE, &[3, 5], Layout::ChannelsFirst).unwrap();
    let want = poolkit::max_roi_pool(
        &plan,
        &TensorView::new(&x, &SHAPE).unwrap(),
        &TensorView::new(&rois, &[3, 5]).unwrap(),
    )
    .unwrap();
    assert_npy_holds(&output, &want, "");
}

#[test]
fn backward_of_every_reduction_matches_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let (input, x) = write_input(dir.path());
    let view = TensorView::new(&x, &SHAPE).unwrap();
    let cases: Vec<(&[&str], PoolSpec)> = vec![
        (
            &["--op", "max", "--kernel", "3", "--stride", "2"],
            PoolSpec::max(WindowSpec::new(&[3, 3]).strides(&[2, 2])),
        ),
        (
            &[
                "--op",
                "avg",
                "--kernel",
                "3",
                "--padding",
                "1",
                "--stride",
                "2",
                "--ceil-mode",
            ],
            PoolSpec::avg(
                WindowSpec::new(&[3, 3])
                    .padding(Padding::symmetric(&[1, 1]))
                    .strides(&[2, 2])
                    .ceil_mode(true),
            ),
        ),
        (
            &["--op", "lp", "--kernel", "2", "--p", "2.5"],
            PoolSpec::lp(WindowSpec::new(&[2, 2]), 2.5),
        ),
        (&["--op", "global-avg"], PoolSpec::global_avg()),
        (&["--op", "global-lp"], PoolSpec::global_lp(2.0)),
        (
            &["--op", "adaptive-max", "--output-size", "3,4"],
            PoolSpec::adaptive_max(&[3, 4]),
        ),
        (
            &["--op", "adaptive-avg", "--output-size", "4"],
            PoolSpec::adaptive_avg(&[4, 4]),
        ),
    ];
    for (i, (flags, spec)) in cases.iter().enumerate() {
        let plan = PoolPlan::new(spec, &SHAPE, Layout::ChannelsFirst).unwrap();
        let dy: Vec<f32> = (0..plan.output_len())
            .map(|k| (k % 7) as f32 - 2.5)
            .collect();
        let dy_path = dir.path().join(format!("dy{i}.npy"));
        write_npy(&dy_path, plan.output_shape(), &dy);
        let dx_path = dir.path().join(format!("dx{i}.npy"));
        apply_backward(&input, flags, &dy_path, &dx_path)
            .assert()
            .success();
        let want = poolkit::pool_backward(
            &plan,
            &view,
            &TensorView::new(&dy, plan.output_shape()).unwrap(),
        )
        .unwrap();
        assert_npy_holds(&dx_path, &want, &format!("{flags:?}"));
    }
}

#[test]
fn backward_from_indices_unpool_and_roi_match_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let (input, x) = write_input(dir.path());
    let view = TensorView::new(&x, &SHAPE).unwrap();
    let p = |name: &str| dir.path().join(name);
    // The backward pass of `flags` on `input`, gradients read from and written to `dir`.
    let backward = |input: &Path, flags: &[&str], dy: &str, dx: &str| {
        apply_backward(input, flags, p(dy), p(dx))
            .assert()
            .success();
    };
    let plan = PoolPlan::new(
        &PoolSpec::max(WindowSpec::new(&[2, 2])),
        &SHAPE,
        Layout::ChannelsFirst,
    )
    .unwrap();
    let (y, idx) = poolkit::max_pool_with_indices(&plan, &view, IndexConvention::Torch).unwrap();
    write_npy(&p("idx.npy"), idx.shape(), idx.data());
    let idx_arg = p("idx.npy").display().to_string();
    write_npy(&p("y.npy"), y.shape(), y.data());
    let dy: Vec<f32> = (0..plan.output_len()).map(|k| k as f32).collect();
    write_npy(&p("dy.npy"), plan.output_shape(), &dy);
    let dy_view = TensorView::new(&dy, plan.output_shape()).unwrap();

    // Max pooling from saved indices.
    backward(
        &input,
        &["--op", "max", "--kernel", "2", "--indices", &idx_arg],
        "dy.npy",
        "dx.npy",
    );
    let want = poolkit::max_pool_backward_from_indices(
        &plan,
        &dy_view,
        &idx.view(),
        IndexConvention::Torch,
    )
    .unwrap();
    assert_eq!(read_npy::<f32>(&p("dx.npy")).1, want.data());

    // Unpooling: its upstream gradient has the unpooled (input) shape.
    let unplan =
        UnpoolPlan::new(&UnpoolSpec::new(&[2, 2]), y.shape(), Layout::ChannelsFirst).unwrap();
    let up_dy: Vec<f32> = (0..unplan.output_shape().iter().product())
        .map(|k| (k % 5) as f32)
        .collect();
    write_npy(&p("up_dy.npy"), unplan.output_shape(), &up_dy);
    backward(
        &p("y.npy"),
        &["--op", "unpool", "--kernel", "2", "--indices", &idx_arg],
        "up_dy.npy",
        "up_dx.npy",
    );
    let want = poolkit::max_unpool_backward(
        &unplan,
        &TensorView::new(&up_dy, unplan.output_shape()).unwrap(),
        &idx.view(),
        IndexConvention::Torch,
    )
    .unwrap();
    assert_eq!(read_npy::<f32>(&p("up_dx.npy")).1, want.data());

    // RoI pooling, with RoIs given as int64: whole coordinates convert exactly.
    let rois: Vec<i64> = vec![1, 0, 0, 3, 4, 0, 2, 2, 5, 6];
    write_npy(&p("rois.npy"), &[2, 5], &rois);
    let rois_arg = p("rois.npy").display().to_string();
    let spec = RoiPoolSpec {
        pooled_shape: [2, 2],
        spatial_scale: 1.0,
    };
    let roi_plan = RoiPlan::new(spec, &SHAPE, &[2, 5], Layout::ChannelsFirst).unwrap();
    let roi_dy: Vec<f32> = (0..roi_plan.output_shape().iter().product())
        .map(|k| k as f32 + 1.0)
        .collect();
    write_npy(&p("roi_dy.npy"), roi_plan.output_shape(), &roi_dy);
    backward(
        &input,
        &[
            "--op",
            "roi-max",
            "--pooled-shape",
            "2,2",
            "--rois",
            &rois_arg,
        ],
        "roi_dy.npy",
        "roi_dx.npy",
    );
    let rois_f: Vec<f32> = rois.iter().map(|&v| v as f32).collect();
    let want = poolkit::max_roi_pool_backward(
        &roi_plan,
        &view,
        &TensorView::new(&rois_f, &[2, 5]).unwrap(),
        &TensorView::new(&roi_dy, roi_plan.output_shape()).unwrap(),
    )
    .unwrap();
    assert_eq!(read_npy::<f32>(&p("roi_dx.npy")).1, want.data());
}

#[test]
fn gradient_of_another_dtype_or_shape_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = write_input(dir.path());
    let dy = dir.path().join("dy.npy");
    write_npy(&dy, &[2, 3, 3, 3], &[0f64; 54]);
    let dx = dir.path().join("dx.npy");
    let err = stderr_of(
        &mut apply_backward(&input, &["--op", "max", "--kernel", "2"], &dy, &dx),
        2,
    );
    assert!(
        err.contains("holds float64 but the input is float32"),
        "{err}"
    );
    assert!(!dx.exists());
    write_npy(&dy, &[2, 3, 3, 2], &[0f32; 36]);
    let err = stderr_of(
        &mut apply_backward(&input, &["--op", "max", "--kernel", "2"], &dy, &dx),
        2,
    );
    assert!(
        err.contains("[2, 3, 3, 2]") && err.contains("[2, 3, 3, 3]"),
        "{err}"
    );
    assert!(!dx.exists());
}

#[test]
fn float16_tensors_keep_their_dtype() {
    let dir = tempfile::tempdir().unwrap();
    let x: Vec<poolkit::f16> = (0..16)
        .map(|v| poolkit::f16::from_f32(v as f32 / 3.0))
        .collect();
    // The test codec knows u16: write the bits, then name the dtype float16.
    let input = dir.path().join("h.npy");
    let bits: Vec<u16> = x.iter().map(|v| v.to_bits()).collect();
    write_npy(&input, &[1, 1, 4, 4], &bits);
    let mut bytes = std::fs::read(&input).unwrap();
    let at = bytes.windows(4).position(|w| w == b"'<u2").unwrap();
    bytes[at + 2] = b'f';
    std::fs::write(&input, bytes).unwrap();
    let output = dir.path().join("y.npy");
    apply_ok(&input, &output, &["--op", "avg", "--kernel", "2"]);
    let raw = std::fs::read(&output).unwrap();
    assert!(String::from_utf8_lossy(&raw[..64]).contains("'descr': '<f2'"));
    let plan = PoolPlan::new(
        &PoolSpec::avg(WindowSpec::new(&[2, 2])),
        &[1, 1, 4, 4],
        Layout::ChannelsFirst,
    )
    .unwrap();
    let want = poolkit::pool(&plan, &TensorView::new(&x, &[1, 1, 4, 4]).unwrap()).unwrap();
    let got: Vec<u16> = raw[raw.len() - 8..]
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect();
    let want_bits: Vec<u16> = want.data().iter().map(|v| v.to_bits()).collect();
    assert_eq!(got, want_bits);
}
