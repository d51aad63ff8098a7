//! Max RoI pooling follows the Fast R-CNN rules: corners scaled then rounded half away from
//! zero, RoIs at least 1×1, bin `i` spanning `[floor(i*bin), ceil((i+1)*bin))` from the RoI's
//! start, clipped to the map, an empty bin giving 0. Hand-worked cases, then a property.

use poolkit::{max_roi_pool, ErrorKind, Layout, RoiPlan, RoiPoolSpec, TensorView};
use proptest::collection::vec;
use proptest::prelude::*;

/// Pools `rois` from an `[N, C, H, W]` map, channels-first.
fn roi_pool(
    map: &[f64],
    shape: [usize; 4],
    rois: &[[f64; 5]],
    pooled_shape: [usize; 2],
    spatial_scale: f64,
) -> poolkit::Result<Vec<f64>> {
    let spec = RoiPoolSpec {
        pooled_shape,
        spatial_scale,
    };
    let flat: Vec<f64> = rois.iter().flatten().copied().collect();
    let plan = RoiPlan::new(spec, &shape, &[rois.len(), 5], Layout::ChannelsFirst)?;
    let input = TensorView::new(map, &shape)?;
    let rois = TensorView::new(&flat, &[rois.len(), 5])?;
    Ok(max_roi_pool(&plan, &input, &rois)?.into_vec())
}

/// A 4×4 map whose cell (h, w) holds `h*4 + w - 100`: every real bin is negative, so an
/// empty bin's 0 stands out.
fn ramp() -> Vec<f64> {
    (0..16).map(|v| v as f64 - 100.0).collect()
}

fn ramp_pool(roi: [f64; 4], pooled: [usize; 2], scale: f64) -> Vec<f64> {
    let [x1, y1, x2, y2] = roi;
    roi_pool(
        &ramp(),
        [1, 1, 4, 4],
        &[[0.0, x1, y1, x2, y2]],
        pooled,
        scale,
    )
    .unwrap()
}

/// An empty bin in a hand-worked list: its output is 0.
const EMPTY: f64 = -1.0;

/// Hand-worked outputs as ramp cell numbers (`h*4 + w`, or [`EMPTY`]) to ramp values.
fn cells(numbers: &[f64]) -> Vec<f64> {
    numbers
        .iter()
        .map(|&v| if v == EMPTY { 0.0 } else { v - 100.0 })
        .collect()
}

#[test]
fn whole_map_in_four_bins() {
    // RoI 4x4, bins of 2: maxima at (1,1), (1,3), (3,1), (3,3).
    assert_eq!(
        ramp_pool([0.0, 0.0, 3.0, 3.0], [2, 2], 1.0),
        cells(&[5., 7., 13., 15.])
    );
}

#[test]
fn scaled_corners_round_half_away_from_zero() {
    // Corners 0.5 and 2.5 round to 1 and 3 (half to even would give 0 and 2): a 3x3 RoI at
    // (1, 1), bins of 1.5: rows/cols [1, 3) and [2, 4).
    assert_eq!(
        ramp_pool([1.0, 1.0, 5.0, 5.0], [2, 2], 0.5),
        cells(&[10., 11., 14., 15.])
    );
    // -0.5 rounds to -1, 0.5 to 1: a 3x3 RoI at (-1, -1), bins of 1: the first row and
    // column of bins lie outside the map and are empty.
    assert_eq!(
        ramp_pool([-1.0, -1.0, 1.0, 1.0], [3, 3], 0.5),
        cells(&[EMPTY, EMPTY, EMPTY, EMPTY, 0., 1., EMPTY, 4., 5.])
    );
}

#[test]
fn fractional_bins_overlap_by_floor_and_ceil() {
    // RoI 3 rows x 4 columns: row bins of 1.5 -> [0,2), [1,3); column bins of 4/3 ->
    // [0,2), [1,3), [2,4).
    assert_eq!(
        ramp_pool([0.0, 0.0, 3.0, 2.0], [2, 3], 1.0),
        cells(&[5., 6., 7., 9., 10., 11.])
    );
}

#[test]
fn inverted_roi_is_one_cell_and_outside_roi_is_all_zero() {
    // x2 < x1: the RoI is forced to 1x1 at (2, 2); every bin reads that cell.
    assert_eq!(
        ramp_pool([2.0, 2.0, 1.0, 1.0], [2, 2], 1.0),
        cells(&[10.; 4])
    );
    // Wholly outside the map: every bin is empty.
    assert_eq!(
        ramp_pool([10.0, 10.0, 12.0, 12.0], [2, 2], 1.0),
        cells(&[EMPTY; 4])
    );
}

#[test]
fn roi_reads_its_own_batch_and_every_channel() {
    // N 2, C 2: plane (n, c) holds 10*n + c + position/100.
    let map: Vec<f64> = (0..2 * 2 * 4)
        .map(|k| (10 * (k / 8) + (k / 4) % 2) as f64 + (k % 4) as f64 / 100.0)
        .collect();
    let out = roi_pool(
        &map,
        [2, 2, 2, 2],
        &[[1.0, 0.0, 0.0, 1.0, 1.0]],
        [1, 1],
        1.0,
    )
    .unwrap();
    assert_eq!(out, vec![10.03, 11.03]);
    let err = roi_pool(
        &map,
        [2, 2, 2, 2],
        &[[2.0, 0.0, 0.0, 1.0, 1.0]],
        [1, 1],
        1.0,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IndexOutOfRange, "{err}");
    assert!(err.message().contains("batch index 2"), "{err}");
}

/// Rounds half away from zero, written out so it does not lean on `f64::round`.
fn round_half_away(v: f64) -> f64 {
    let magnitude = (v.abs() + 0.5).floor();
    if v < 0.0 {
        -magnitude
    } else {
        magnitude
    }
}

/// The cells of bin `i` of `bins` along an axis of `extent`, for a RoI from `start` to `end`
/// (already scaled and rounded).
fn bin_span(i: usize, bins: usize, start: f64, end: f64, extent: usize) -> std::ops::Range<usize> {
    let size = (end - start + 1.0).max(1.0) / bins as f64;
    let clip = |v: f64| v.max(0.0).min(extent as f64) as usize;
    clip((i as f64 * size).floor() + start)..clip(((i + 1) as f64 * size).ceil() + start)
}

/// One RoI row: batch index and four corners on a quarter grid, some outside the map.
fn roi_row(batch: usize) -> impl Strategy<Value = [f64; 5]> {
    (0..batch, vec(-12i32..=48, 4)).prop_map(|(b, c)| {
        [
            b as f64,
            c[0] as f64 / 4.0,
            c[1] as f64 / 4.0,
            c[2] as f64 / 4.0,
            c[3] as f64 / 4.0,
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn each_bin_is_the_max_of_its_rectangle(
        (shape, map, rois) in (1usize..=2, 1usize..=2, 1usize..=9, 1usize..=9).prop_flat_map(|(n, c, h, w)| {
            (Just([n, c, h, w]), vec(-50.0..50.0f64, n * c * h * w), vec(roi_row(n), 1..=3))
        }),
        pooled in (1usize..=4, 1usize..=4),
        scale in prop::sample::select(vec![0.25, 0.5, 1.0, 2.0]),
    ) {
        let [_, channels, height, width] = shape;
        let (ph, pw) = pooled;
        let got = roi_pool(&map, shape, &rois, [ph, pw], scale).unwrap();
        let mut k = 0;
        for roi in &rois {
            let b = roi[0] as usize;
            let [x1, y1, x2, y2] = [roi[1], roi[2], roi[3], roi[4]].map(|v| round_half_away(v * scale));
            for c in 0..channels {
                let plane = &map[(b * channels + c) * height * width..][..height * width];
                for i in 0..ph {
                    for j in 0..pw {
                        let mut best: Option<f64> = None;
                        for h in bin_span(i, ph, y1, y2, height) {
                            for w in bin_span(j, pw, x1, x2, width) {
                                let v = plane[h * width + w];
                                best = Some(best.map_or(v, |m: f64| m.max(v)));
                            }
                        }
                        prop_assert_eq!(got[k], best.unwrap_or(0.0), "roi {:?} channel {} bin ({}, {})", roi, c, i, j);
                        k += 1;
                    }
                }
            }
        }
    }
}
