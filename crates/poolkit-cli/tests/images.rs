//! `poolkit apply` on images: known pixel results for max and average on 8- and 16-bit
//! images, every supported format, alpha rules, pyramids, and the pixel limit.

mod common;

use common::{apply, apply_ok, read_npy, stderr_of};
use image::{DynamicImage, GrayImage, ImageBuffer, Luma, Rgb, Rgba, RgbaImage};

/// A 4×4 grey image whose 2×2 windows average to x.5 values: 10.5, 11.5, 20.25, 100.75.
fn grey_4x4() -> GrayImage {
    #[rustfmt::skip]
    let pixels = vec![
        10, 11, 11, 12,
        10, 11, 11, 12,
        20, 20, 100, 101,
        20, 21, 101, 101,
    ];
    GrayImage::from_raw(4, 4, pixels).unwrap()
}

#[test]
fn eight_bit_grey_max_and_average() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("grey.png");
    grey_4x4().save(&input).unwrap();
    let max = dir.path().join("max.png");
    apply_ok(&input, &max, &["--op", "max", "--kernel", "2"]);
    let got = image::open(&max).unwrap();
    assert!(matches!(got, DynamicImage::ImageLuma8(_)));
    assert_eq!(got.into_luma8().into_raw(), vec![11, 12, 21, 101]);
    let avg = dir.path().join("avg.png");
    apply_ok(&input, &avg, &["--op", "avg", "--kernel", "2"]);
    // 10.5 -> 10 and 11.5 -> 12 (half to even), 20.25 -> 20, 100.75 -> 101.
    assert_eq!(
        image::open(&avg).unwrap().into_luma8().into_raw(),
        vec![10, 12, 20, 101]
    );
}

#[test]
fn sixteen_bit_rgb_max_and_average() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("deep.png");
    // 2×2 RGB: R 1000, 3000, 5000, 7001; G 65535 in one pixel; B 1, 2, 3, 4.
    let pixels: Vec<u16> = vec![1000, 0, 1, 3000, 0, 2, 5000, 65535, 3, 7001, 0, 4];
    ImageBuffer::<Rgb<u16>, _>::from_raw(2, 2, pixels)
        .unwrap()
        .save(&input)
        .unwrap();
    let max = dir.path().join("max.png");
    apply_ok(&input, &max, &["--op", "max", "--kernel", "2"]);
    let got = image::open(&max).unwrap();
    assert!(
        matches!(got, DynamicImage::ImageRgb16(_)),
        "16 bits are kept"
    );
    assert_eq!(got.into_rgb16().into_raw(), vec![7001, 65535, 4]);
    let avg = dir.path().join("avg.tiff");
    apply_ok(&input, &avg, &["--op", "avg", "--kernel", "2"]);
    // R 16001/4 = 4000.25 -> 4000; G 65535/4 = 16383.75 -> 16384; B 10/4 = 2.5 -> 2.
    assert_eq!(
        image::open(&avg).unwrap().into_rgb16().into_raw(),
        vec![4000, 16384, 2]
    );
}

#[test]
fn every_format_reads_and_writes() {
    let dir = tempfile::tempdir().unwrap();
    let rgb = DynamicImage::ImageLuma8(grey_4x4()).into_rgb8();
    for ext in ["png", "tiff", "bmp", "webp", "gif"] {
        let input = dir.path().join(format!("in.{ext}"));
        rgb.save(&input).unwrap();
        let output = dir.path().join(format!("out.{ext}"));
        apply_ok(&input, &output, &["--op", "max", "--kernel", "2"]);
        let got = image::open(&output).unwrap().into_rgb8();
        let want: Vec<u8> = [11, 12, 21, 101].iter().flat_map(|&v| [v, v, v]).collect();
        assert_eq!(got.into_raw(), want, "{ext}");
    }
    // JPEG is lossy: check the geometry and that values stay near the exact answer.
    let input = dir.path().join("in.jpg");
    DynamicImage::ImageLuma8(grey_4x4()).save(&input).unwrap();
    let output = dir.path().join("out.jpeg");
    apply_ok(&input, &output, &["--op", "avg", "--kernel", "2"]);
    let got = image::open(&output).unwrap();
    assert_eq!((got.width(), got.height()), (2, 2));
    // An image may also be written as its pixel tensor [1, H, W, C].
    let tensor = dir.path().join("pixels.npy");
    apply_ok(&input, &tensor, &["--op", "max", "--kernel", "2"]);
    let (shape, _) = read_npy::<u8>(&tensor);
    assert_eq!(shape, vec![1, 2, 2, 1]);
}

#[test]
fn alpha_is_pooled_like_colour_unless_told_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("rgba.png");
    // One opaque pixel among three transparent ones.
    let pixels = vec![10, 20, 30, 0, 10, 20, 30, 0, 10, 20, 30, 0, 50, 60, 70, 255];
    RgbaImage::from_raw(2, 2, pixels)
        .unwrap()
        .save(&input)
        .unwrap();
    let run = |name: &str, flags: &[&str]| {
        let output = dir.path().join(name);
        apply_ok(&input, &output, flags);
        image::open(&output).unwrap().into_rgba8().into_raw()
    };
    // avg: colour 80/4 = 20 ... ; alpha 255/4 = 63.75 -> 64.
    assert_eq!(
        run("a.png", &["--op", "avg", "--kernel", "2"]),
        vec![20, 30, 40, 64]
    );
    assert_eq!(
        run(
            "b.png",
            &["--op", "avg", "--kernel", "2", "--alpha", "keep-max"]
        ),
        vec![20, 30, 40, 255]
    );
    assert_eq!(
        run(
            "c.png",
            &["--op", "max", "--kernel", "2", "--alpha", "average"]
        ),
        vec![50, 60, 70, 64]
    );
}

#[test]
fn repeat_into_a_folder_writes_every_level() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("photo.png");
    let pixels: Vec<u8> = (0..64).map(|v| v * 3).collect();
    GrayImage::from_raw(8, 8, pixels)
        .unwrap()
        .save(&input)
        .unwrap();
    let out = dir.path().join("pyramid");
    let out_arg = format!("{}/", out.display());
    apply_ok(
        &input,
        &out_arg,
        &["--op", "max", "--kernel", "2", "--repeat", "3"],
    );
    let sizes: Vec<(u32, u32, u8)> = (1..=3)
        .map(|k| {
            let img = image::open(out.join(format!("photo-{k}.png")))
                .unwrap()
                .into_luma8();
            (
                img.width(),
                img.height(),
                *img.as_raw().iter().max().unwrap(),
            )
        })
        .collect();
    assert_eq!(sizes, vec![(4, 4, 189), (2, 2, 189), (1, 1, 189)]);
    // The single-file form writes the last level only.
    let last = dir.path().join("last.png");
    apply_ok(
        &input,
        &last,
        &["--op", "avg", "--kernel", "2", "--repeat", "3"],
    );
    assert_eq!(image::open(&last).unwrap().width(), 1);
}

#[test]
fn lossy_conversions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("deep.png");
    ImageBuffer::<Luma<u16>, _>::from_raw(2, 2, vec![1u16, 2, 3, 4])
        .unwrap()
        .save(&input)
        .unwrap();
    let output = dir.path().join("out.jpg");
    let err = stderr_of(
        &mut apply(&input, &output, &["--op", "max", "--kernel", "2"]),
        2,
    );
    assert!(err.contains("write .png or .tiff to keep 16 bits"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!output.exists());
    let rgba = dir.path().join("rgba.png");
    ImageBuffer::<Rgba<u8>, _>::from_raw(2, 2, vec![0u8; 16])
        .unwrap()
        .save(&rgba)
        .unwrap();
    let err = stderr_of(
        &mut apply(&rgba, &output, &["--op", "max", "--kernel", "2"]),
        2,
    );
    assert!(err.contains("keep the alpha channel"), "{err}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "no partial or temporary file"
    );
}

/// CRC-32 (IEEE) as PNG chunks use it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn huge_images_are_refused_from_their_header() {
    let dir = tempfile::tempdir().unwrap();
    // A valid PNG header claiming 100000×100000 pixels, with no pixel data at all: decoding
    // would try to allocate 10 GB.
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    for chunk in [&b"IDAT"[..], &b"IEND"[..]] {
        png.extend_from_slice(&0u32.to_be_bytes());
        png.extend_from_slice(chunk);
        png.extend_from_slice(&crc32(chunk).to_be_bytes());
    }
    let input = dir.path().join("bomb.png");
    std::fs::write(&input, png).unwrap();
    let output = dir.path().join("out.png");
    let err = stderr_of(
        &mut apply(&input, &output, &["--op", "max", "--kernel", "2"]),
        2,
    );
    assert!(err.contains("100000×100000 = 10000000000 pixels"), "{err}");
    assert!(err.contains("refused before decoding"), "{err}");
    assert!(!output.exists());
    // The limit is adjustable, and applies to real images too.
    let small = dir.path().join("small.png");
    grey_4x4().save(&small).unwrap();
    let err = stderr_of(
        &mut apply(
            &small,
            &output,
            &["--op", "max", "--kernel", "2", "--max-pixels", "15"],
        ),
        2,
    );
    assert!(err.contains("4×4 = 16 pixels"), "{err}");
}
