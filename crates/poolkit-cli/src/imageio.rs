//! Images in and out as pixel tensors `[1, H, W, C]` (channels-last): 8- and 16-bit grey,
//! grey+alpha, RGB and RGBA, and 32-bit float RGB(A) from TIFF.
//!
//! Reading checks the dimensions in the header against a pixel limit before decoding, so a
//! small file that claims a huge image is refused without allocating it. Writing never
//! converts silently: a format that cannot hold the pixels (16-bit JPEG, alpha in JPEG) is
//! an error that says which formats can.

use crate::any_tensor::AnyTensor;
use anyhow::{bail, Context, Result};
use image::{DynamicImage, ExtendedColorType, ImageFormat, ImageReader};
use poolkit::Tensor;
use std::io::{BufRead, Seek, Write};
use std::path::Path;

/// Extensions read and written as images.
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "tif", "tiff", "bmp", "webp", "gif"];

/// True when `path`'s extension names an image format poolkit handles.
pub fn is_image_path(path: &Path) -> bool {
    extension(path).is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.as_str()))
}

/// The lower-case extension of `path`.
pub fn extension(path: &Path) -> Option<String> {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

/// The image format an output path's extension names.
pub fn format_for_output(path: &Path) -> Result<ImageFormat> {
    let ext = extension(path).unwrap_or_default();
    match ImageFormat::from_extension(&ext) {
        Some(format) if IMAGE_EXTENSIONS.contains(&ext.as_str()) => Ok(format),
        _ => bail!(
            "output {} has extension {ext:?}: write .npy, or an image as .{}",
            path.display(),
            IMAGE_EXTENSIONS.join(", .")
        ),
    }
}

/// An image's channel count: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
pub fn has_alpha(channels: usize) -> bool {
    channels == 2 || channels == 4
}

/// Reads an image as a `[1, H, W, C]` tensor of u8, u16 or f32.
pub fn read(path: &Path, max_pixels: u64) -> Result<AnyTensor> {
    to_tensor(decode(path, max_pixels)?).with_context(|| format!("reading {}", path.display()))
}

/// Reads an image as one plane of grey levels (0-255, or 0-65535 for 16-bit images):
/// `(values, rows, cols)`.
pub fn read_grey(path: &Path, max_pixels: u64) -> Result<(Vec<f64>, usize, usize)> {
    let img = decode(path, max_pixels)?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let sixteen_bit = matches!(
        img.color(),
        image::ColorType::L16
            | image::ColorType::La16
            | image::ColorType::Rgb16
            | image::ColorType::Rgba16
    );
    let values = if sixteen_bit {
        img.into_luma16()
            .into_raw()
            .into_iter()
            .map(f64::from)
            .collect()
    } else {
        img.into_luma8()
            .into_raw()
            .into_iter()
            .map(f64::from)
            .collect()
    };
    Ok((values, h, w))
}

/// Decodes an image file after checking its header's dimensions against `max_pixels`.
fn decode(path: &Path, max_pixels: u64) -> Result<DynamicImage> {
    let open = || -> Result<ImageReader<_>> {
        ImageReader::open(path)
            .with_context(|| format!("opening {}", path.display()))?
            .with_guessed_format()
            .with_context(|| format!("reading {}", path.display()))
    };
    decode_checked(open, &path.display().to_string(), max_pixels)
}

/// Decodes an image held in memory as a `[1, H, W, C]` tensor, with the checks of [`read`]:
/// the header's dimensions are compared with `max_pixels` before any pixel is decoded.
pub fn decode_bytes(bytes: &[u8], max_pixels: u64) -> Result<AnyTensor> {
    let open = || -> Result<ImageReader<_>> {
        ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .context("reading the image")
    };
    to_tensor(decode_checked(open, "the image", max_pixels)?)
}

/// Reads the header through one reader from `open`, refuses more than `max_pixels`, then
/// decodes through a second reader whose allocations are capped to what that size needs.
fn decode_checked<R: BufRead + Seek>(
    open: impl Fn() -> Result<ImageReader<R>>,
    name: &str,
    max_pixels: u64,
) -> Result<DynamicImage> {
    let reader = open()?;
    if reader.format().is_none() {
        bail!("{name}: not an image poolkit can read (PNG, JPEG, TIFF, BMP, WebP, GIF)");
    }
    let (width, height) = reader
        .into_dimensions()
        .map_err(flatten)
        .with_context(|| format!("reading the header of {name}"))?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > max_pixels {
        bail!(
            "{name} is {width}×{height} = {pixels} pixels: images above --max-pixels {max_pixels} \
             are refused before decoding"
        );
    }
    let mut reader = open()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    // Room for the largest pixel type (RGBA f32, 16 bytes) plus the decoder's own buffers.
    limits.max_alloc = Some(pixels.saturating_mul(32).max(64 << 20));
    reader.limits(limits);
    reader
        .decode()
        .map_err(flatten)
        .with_context(|| format!("decoding {name}"))
}

/// The image crate's error as one message: its own text already includes its source's,
/// which a chained error would print twice.
fn flatten(err: image::ImageError) -> anyhow::Error {
    match err {
        image::ImageError::IoError(io) => io.into(),
        other => anyhow::anyhow!("{other}"),
    }
}

fn to_tensor(img: DynamicImage) -> Result<AnyTensor> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let shape = |c: usize| [1, h, w, c];
    Ok(match img {
        DynamicImage::ImageLuma8(b) => AnyTensor::U8(Tensor::from_vec(b.into_raw(), &shape(1))?),
        DynamicImage::ImageLumaA8(b) => AnyTensor::U8(Tensor::from_vec(b.into_raw(), &shape(2))?),
        DynamicImage::ImageRgb8(b) => AnyTensor::U8(Tensor::from_vec(b.into_raw(), &shape(3))?),
        DynamicImage::ImageRgba8(b) => AnyTensor::U8(Tensor::from_vec(b.into_raw(), &shape(4))?),
        DynamicImage::ImageLuma16(b) => AnyTensor::U16(Tensor::from_vec(b.into_raw(), &shape(1))?),
        DynamicImage::ImageLumaA16(b) => AnyTensor::U16(Tensor::from_vec(b.into_raw(), &shape(2))?),
        DynamicImage::ImageRgb16(b) => AnyTensor::U16(Tensor::from_vec(b.into_raw(), &shape(3))?),
        DynamicImage::ImageRgba16(b) => AnyTensor::U16(Tensor::from_vec(b.into_raw(), &shape(4))?),
        DynamicImage::ImageRgb32F(b) => AnyTensor::F32(Tensor::from_vec(b.into_raw(), &shape(3))?),
        DynamicImage::ImageRgba32F(b) => AnyTensor::F32(Tensor::from_vec(b.into_raw(), &shape(4))?),
        other => bail!("pixel type {:?} is not supported", other.color()),
    })
}

/// Writes a `[1, H, W, C]` pixel tensor in `format`.
pub fn write(pixels: &AnyTensor, format: ImageFormat, out: &mut (impl Write + Seek)) -> Result<()> {
    let shape = pixels.shape();
    let [1, h, w, c] = *shape else {
        bail!("pixel tensor of shape {shape:?}: an image is [1, height, width, channels]");
    };
    let (width, height) = (u32::try_from(w)?, u32::try_from(h)?);
    let (bytes, color) = match (pixels, c) {
        (AnyTensor::U8(t), 1) => (t.data().to_vec(), ExtendedColorType::L8),
        (AnyTensor::U8(t), 2) => (t.data().to_vec(), ExtendedColorType::La8),
        (AnyTensor::U8(t), 3) => (t.data().to_vec(), ExtendedColorType::Rgb8),
        (AnyTensor::U8(t), 4) => (t.data().to_vec(), ExtendedColorType::Rgba8),
        (AnyTensor::U16(t), 1..=4) => (
            t.data().iter().flat_map(|v| v.to_ne_bytes()).collect(),
            [
                ExtendedColorType::L16,
                ExtendedColorType::La16,
                ExtendedColorType::Rgb16,
                ExtendedColorType::Rgba16,
            ][c - 1],
        ),
        (AnyTensor::F32(t), 3 | 4) => (
            t.data().iter().flat_map(|v| v.to_ne_bytes()).collect(),
            if c == 3 {
                ExtendedColorType::Rgb32F
            } else {
                ExtendedColorType::Rgba32F
            },
        ),
        _ => bail!(
            "a {} tensor with {c} channels is not an image: images hold uint8 or uint16 grey, \
             grey+alpha, RGB or RGBA",
            pixels.dtype_name()
        ),
    };
    // GIF stores palette RGB(A) only; grey becomes equal R, G and B, which loses nothing.
    let (bytes, color) = match (format, color) {
        (ImageFormat::Gif, ExtendedColorType::L8) => (
            bytes.iter().flat_map(|&v| [v, v, v]).collect(),
            ExtendedColorType::Rgb8,
        ),
        (ImageFormat::Gif, ExtendedColorType::La8) => (
            bytes
                .chunks_exact(2)
                .flat_map(|p| [p[0], p[0], p[0], p[1]])
                .collect(),
            ExtendedColorType::Rgba8,
        ),
        other => (bytes, other.1),
    };
    // image's own dispatch builds each format's default encoder (WebP lossless); formats
    // outside IMAGE_EXTENSIONS are refused here even where a build enables their encoders.
    use ImageFormat as F;
    if !matches!(
        format,
        F::Png | F::Jpeg | F::Tiff | F::Bmp | F::WebP | F::Gif
    ) {
        bail!("{format:?} output is not supported");
    }
    let result = image::write_buffer_with_format(out, &bytes, width, height, color, format);
    match result {
        Ok(()) => Ok(()),
        Err(image::ImageError::Unsupported(_)) => bail!(
            "{format:?} cannot hold {color:?} pixels without loss: {}",
            advice(color)
        ),
        Err(err) => Err(err.into()),
    }
}

fn advice(color: ExtendedColorType) -> &'static str {
    use ExtendedColorType as E;
    match color {
        E::L16 | E::La16 | E::Rgb16 | E::Rgba16 => "write .png or .tiff to keep 16 bits",
        E::Rgb32F | E::Rgba32F => "write .tiff to keep float pixels",
        E::La8 | E::Rgba8 => "write .png, .tiff, .webp or .gif to keep the alpha channel",
        _ => "write .png or .tiff",
    }
}
