//! The seed page's published numbers and claims, as tests: its 6×6 explorer grid through a
//! 2×2/stride-2 max and average pool, the max-vs-average gap, the `[14, 14, 32]` checkpoint,
//! and the spatial invariance of max pooling within a window.

use poolkit::{output_shape_in_format, pool, Layout, PoolPlan, PoolSpec, TensorView, WindowSpec};
use proptest::prelude::*;

/// The explorer's default input, as printed on the seed page (the library states it once,
/// as `teach::SEED_GRID`; this copy is the page's, to check it against).
const SEED_GRID: [f64; 36] = [
    8., 2., 6., 1., 7., 3., //
    5., 9., 3., 8., 2., 6., //
    1., 4., 7., 2., 9., 4., //
    6., 3., 1., 5., 3., 8., //
    2., 8., 4., 7., 1., 5., //
    7., 1., 9., 3., 6., 2., //
];

fn two_by_two() -> WindowSpec {
    WindowSpec::new(&[2, 2]).strides(&[2, 2])
}

/// Pools a single-channel `rows`×`cols` map with `spec`, returning shape and values.
fn pool_map(spec: &PoolSpec, map: &[f64], rows: usize, cols: usize) -> (Vec<usize>, Vec<f64>) {
    let shape = [1, 1, rows, cols];
    let plan = PoolPlan::new(spec, &shape, Layout::ChannelsFirst).unwrap();
    let out = pool(&plan, &TensorView::new(map, &shape).unwrap()).unwrap();
    (out.shape().to_vec(), out.into_vec())
}

#[test]
fn seed_grid_max_and_average() {
    let (max_shape, max) = pool_map(&PoolSpec::max(two_by_two()), &SEED_GRID, 6, 6);
    let (avg_shape, avg) = pool_map(&PoolSpec::avg(two_by_two()), &SEED_GRID, 6, 6);
    // 2x2 / stride 2 halves H and W.
    assert_eq!(max_shape, [1, 1, 3, 3]);
    assert_eq!(avg_shape, [1, 1, 3, 3]);
    assert_eq!(max, [9., 8., 7., 6., 7., 9., 8., 9., 6.]);
    assert_eq!(avg, [6., 4.5, 4.5, 3.5, 3.75, 6., 4.5, 5.75, 3.5]);
}

#[test]
fn seed_grid_max_minus_average() {
    let (_, max) = pool_map(&PoolSpec::max(two_by_two()), &SEED_GRID, 6, 6);
    let (_, avg) = pool_map(&PoolSpec::avg(two_by_two()), &SEED_GRID, 6, 6);
    let gaps: Vec<f64> = max.iter().zip(&avg).map(|(m, a)| m - a).collect();
    assert!(
        gaps.iter().all(|&g| g >= 0.0),
        "max is always >= avg: {gaps:?}"
    );
    let mean_gap = gaps.iter().sum::<f64>() / gaps.len() as f64;
    let largest_gap = gaps.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // The page shows "Avg difference: +3.0" and "Largest single gap: +3.5".
    assert_eq!(mean_gap, 3.0);
    assert_eq!(largest_gap, 3.5);
}

#[test]
fn seed_checkpoint_14_14_32_hwc_halves_to_7_7_32() {
    let spec = PoolSpec::max(two_by_two());
    assert_eq!(
        output_shape_in_format(&spec, &[14, 14, 32], "hwc").unwrap(),
        [7, 7, 32]
    );
    // The same through a full plan, channels-last with a batch of one.
    let plan = PoolPlan::new(&spec, &[1, 14, 14, 32], Layout::ChannelsLast).unwrap();
    assert_eq!(plan.output_shape(), &[1, 7, 7, 32]);
}

/// A `size`×`size` map of weak activations in [0, 1) with one strong activation at `peak`.
fn map_with_peak(size: usize, peak: (usize, usize)) -> Vec<f64> {
    (0..size * size)
        .map(|k| {
            if k == peak.0 * size + peak.1 {
                50.0
            } else {
                ((k * 37) % 17) as f64 / 17.0
            }
        })
        .collect()
}

#[test]
fn strong_activation_moved_within_its_window_leaves_max_pool_unchanged() {
    let spec = PoolSpec::max(two_by_two());
    // The page's example: a detector firing at (4, 7) rather than (4, 8) — counted from 1,
    // so 0-based row 3, columns 6 and 7, both in the window of output (1, 3).
    let at_4_7 = pool_map(&spec, &map_with_peak(14, (3, 6)), 14, 14);
    let at_4_8 = pool_map(&spec, &map_with_peak(14, (3, 7)), 14, 14);
    assert_eq!(at_4_7, at_4_8);
    // Every position of one window gives the same output ...
    let window_positions = [(2, 4), (2, 5), (3, 4), (3, 5)];
    let outputs: Vec<_> = window_positions
        .iter()
        .map(|&p| pool_map(&spec, &map_with_peak(6, p), 6, 6).1)
        .collect();
    assert!(outputs.windows(2).all(|w| w[0] == w[1]), "{outputs:?}");
    // ... while a move across a window boundary changes it: the invariance is local.
    let across = pool_map(&spec, &map_with_peak(6, (3, 3)), 6, 6).1;
    assert_ne!(across, outputs[0]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The page's "max always >= avg", on random grids and window sizes.
    #[test]
    fn max_pool_is_never_below_average_pool(
        (rows, cols, grid) in (2usize..=9, 2usize..=9).prop_flat_map(|(r, c)| {
            (Just(r), Just(c), proptest::collection::vec(-9.0..9.0f64, r * c))
        }),
        kernel in 1usize..=2,
    ) {
        let window = WindowSpec::new(&[kernel, kernel]);
        let (max_shape, max) = pool_map(&PoolSpec::max(window.clone()), &grid, rows, cols);
        let (avg_shape, avg) = pool_map(&PoolSpec::avg(window), &grid, rows, cols);
        prop_assert_eq!(&max_shape, &avg_shape);
        prop_assert_eq!(&max_shape[2..], &[rows / kernel, cols / kernel]);
        for (m, a) in max.iter().zip(&avg) {
            prop_assert!(m >= a, "max {} < avg {}", m, a);
        }
    }
}

#[test]
fn the_librarys_seed_grid_is_the_pages() {
    assert_eq!(poolkit::teach::SEED_GRID, SEED_GRID);
    assert_eq!(poolkit::teach::SEED_SIDE, 6);
}
