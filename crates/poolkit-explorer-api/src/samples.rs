//! Sample images made by the project itself, drawn in code so they ship inside the binary
//! with no licence question: a cat's face (whiskers are thin dark lines that max pooling
//! erases and average pooling greys), a starfield (single bright pixels that max keeps and
//! average dims), and concentric rings (fine detail that aliases).

/// Side of every sample, in pixels: four 2×2/s2 layers leave 6×6.
pub const SAMPLE_SIDE: usize = 96;

/// An RGB image, 8 bits per channel, row-major, interleaved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbImage {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

/// (name, title, what it shows).
pub const SAMPLES: &[(&str, &str, &str)] = &[
    (
        "cat",
        "Cat face",
        "thin dark whiskers: max pooling erases them, average pooling greys them",
    ),
    (
        "stars",
        "Starfield",
        "single bright pixels: max pooling keeps every star, average pooling dims them",
    ),
    (
        "rings",
        "Rings",
        "fine concentric rings: pooling removes detail finer than its window",
    ),
];

/// The names, comma-separated, for error messages.
pub fn names() -> String {
    SAMPLES.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
}

/// Draws the sample called `name`.
pub fn sample(name: &str) -> Option<RgbImage> {
    let draw: fn(f64, f64) -> [u8; 3] = match name {
        "cat" => cat,
        "stars" => return Some(stars()),
        "rings" => rings,
        _ => return None,
    };
    let n = SAMPLE_SIDE;
    let mut rgb = Vec::with_capacity(n * n * 3);
    for y in 0..n {
        for x in 0..n {
            // Pixel centres in [-1, 1].
            let u = (x as f64 + 0.5) / n as f64 * 2.0 - 1.0;
            let v = (y as f64 + 0.5) / n as f64 * 2.0 - 1.0;
            rgb.extend_from_slice(&draw(u, v));
        }
    }
    Some(RgbImage {
        width: n,
        height: n,
        rgb,
    })
}

fn cat(u: f64, v: f64) -> [u8; 3] {
    const BACKGROUND: [u8; 3] = [214, 232, 245];
    const FUR: [u8; 3] = [232, 150, 62];
    const DARK: [u8; 3] = [40, 30, 25];
    let head = (u * u) / 0.42 + ((v - 0.12) * (v - 0.12)) / 0.36 <= 1.0;
    let ear = |cx: f64| {
        // A triangle with its tip up at (cx, -0.85) and its base on v = -0.2.
        let t = (v + 0.85) / 0.65;
        (0.0..=1.0).contains(&t) && (u - cx).abs() <= 0.28 * t
    };
    let eye = |cx: f64| ((u - cx) / 0.13).powi(2) + ((v - 0.0) / 0.09).powi(2) <= 1.0;
    let pupil = |cx: f64| (u - cx).abs() <= 0.025 && (v).abs() <= 0.08;
    let nose = (v - 0.22).abs() <= 0.05 && u.abs() <= 0.08 - (v - 0.17).max(0.0);
    let whisker = |slope: f64, side: f64| {
        let du = u * side;
        (0.2..=0.95).contains(&du) && (v - (0.3 + slope * (du - 0.2))).abs() <= 0.012
    };
    let whiskers = [-0.12, 0.0, 0.12]
        .iter()
        .any(|&s| whisker(s, 1.0) || whisker(s, -1.0));
    if whiskers || pupil(-0.3) || pupil(0.3) {
        DARK
    } else if eye(-0.3) || eye(0.3) {
        [120, 200, 90]
    } else if nose {
        [226, 110, 140]
    } else if head || ear(-0.42) || ear(0.42) {
        FUR
    } else {
        BACKGROUND
    }
}

fn rings(u: f64, v: f64) -> [u8; 3] {
    let r = (u * u + v * v).sqrt();
    let wave = (r * 40.0).sin() * 0.5 + 0.5;
    let level = (wave * 255.0).round() as u8;
    [level, (level / 2).saturating_add(60), 255 - level]
}

fn stars() -> RgbImage {
    let n = SAMPLE_SIDE;
    let mut rgb = vec![0u8; n * n * 3];
    for (y, x) in (0..n).flat_map(|y| (0..n).map(move |x| (y, x))) {
        let i = (y * n + x) * 3;
        rgb[i..i + 3].copy_from_slice(&[8, 12, 40]);
        // A fixed hash scatter: about one pixel in 40 is a star.
        let h = (x as u64 * 73_856_093) ^ (y as u64 * 19_349_663);
        if h.is_multiple_of(40) {
            let warm = (h / 40).is_multiple_of(3);
            rgb[i..i + 3].copy_from_slice(if warm {
                &[255, 236, 180]
            } else {
                &[255, 255, 255]
            });
        }
    }
    RgbImage {
        width: n,
        height: n,
        rgb,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_draws_and_has_detail() {
        for (name, _, _) in SAMPLES {
            let img = sample(name).unwrap();
            assert_eq!(img.rgb.len(), SAMPLE_SIDE * SAMPLE_SIDE * 3, "{name}");
            let distinct: std::collections::BTreeSet<_> = img.rgb.chunks(3).collect();
            assert!(distinct.len() >= 3, "{name} has {} colours", distinct.len());
        }
        assert!(sample("dog").is_none());
    }
}
