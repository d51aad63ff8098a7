//! Real images through pooling: a sample or an uploaded PNG/JPEG, fitted to at most 128
//! pixels a side by adaptive average pooling, then 2×2/s2 max pooling and average pooling
//! applied 1 to 4 times, each result sent back as a PNG data URL for the page to show.

use super::error::ApiError;
use super::samples::{names, sample, RgbImage};
use crate::http::Request;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder, ImageReader, Limits};
use poolkit::{pool, Layout, PoolPlan, PoolSpec, Tensor, TensorView, WindowSpec};
use serde_json::{json, Value};
use std::io::Cursor;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Longest side the pooling works on; larger images are averaged down to it first.
pub const FIT_SIDE: usize = 128;
/// Largest image accepted for decoding, per side (a guard against decompression bombs).
pub const MAX_DECODE_SIDE: u32 = 4096;
/// Pooling layers the page may ask for.
pub const LAYERS: (usize, usize) = (1, 4);
/// Uploads decoded and pooled at once (each may take a few hundred MB at the largest size);
/// more wait up to [`WORK_WAIT`], then get 503.
pub const MAX_IMAGE_WORK: usize = 2;
/// How long an upload waits for its turn.
pub const WORK_WAIT: Duration = Duration::from_secs(10);

static IMAGE_WORK: WorkGate = WorkGate::new(MAX_IMAGE_WORK);

/// Counts the uploads being worked on.
struct WorkGate {
    max: usize,
    busy: Mutex<usize>,
    freed: Condvar,
}

/// One upload's turn; the next may start when it is dropped.
struct Turn<'a>(&'a WorkGate);

impl WorkGate {
    const fn new(max: usize) -> WorkGate {
        WorkGate {
            max,
            busy: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    fn enter(&self) -> Result<Turn<'_>, ApiError> {
        self.enter_within(WORK_WAIT)
    }

    fn enter_within(&self, wait: Duration) -> Result<Turn<'_>, ApiError> {
        let busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        let (mut busy, _) = self
            .freed
            .wait_timeout_while(busy, wait, |busy| *busy >= self.max)
            .unwrap_or_else(|e| e.into_inner());
        if *busy >= self.max {
            return Err(ApiError::new(
                503,
                format!(
                    "{} uploads are being pooled already: try again in a moment",
                    self.max
                ),
            ));
        }
        *busy += 1;
        Ok(Turn(self))
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        *self.0.busy.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        self.0.freed.notify_one();
    }
}

/// `POST /api/image?layers=N[&sample=NAME]`, the body an image file unless a sample is named.
pub fn pool_image(request: &Request) -> Result<Value, ApiError> {
    let layers = match request.query_param("layers") {
        None => 2,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (LAYERS.0..=LAYERS.1).contains(n))
            .ok_or_else(|| {
                ApiError::field(
                    "layers",
                    format!(
                        "layers = {text:?}: choose {} to {} pooling layers",
                        LAYERS.0, LAYERS.1
                    ),
                )
            })?,
    };
    // Uploads can be large: at most MAX_IMAGE_WORK are decoded and pooled at once.
    let _turn = match request.query_param("sample") {
        None => Some(IMAGE_WORK.enter()?),
        Some(_) => None,
    };
    let (source_name, image) = match request.query_param("sample") {
        Some(name) => {
            if !request.body.is_empty() {
                return Err(ApiError::bad_request(
                    "send either a sample name or an image file, not both",
                ));
            }
            let image = sample(name).ok_or_else(|| {
                ApiError::new(
                    404,
                    format!("no sample image {name:?}: the samples are {}", names()),
                )
            })?;
            (name.to_string(), image)
        }
        None => ("upload".to_string(), decode(request)?),
    };
    let (width, height) = (image.width, image.height);
    let fitted = fit(image)?;
    let min_side = fitted.width.min(fitted.height);
    if min_side >> layers == 0 {
        return Err(ApiError::field(
            "layers",
            format!(
                "the image is {}×{} after fitting: {layers} layers of 2×2/s2 pooling need at least {} pixels on each side",
                fitted.width, fitted.height, 1usize << layers
            ),
        ));
    }
    let window = WindowSpec::new(&[2, 2]).strides(&[2, 2]);
    let mut max_image = to_tensor(&fitted);
    let mut avg_image = max_image.clone();
    let mut out = Vec::with_capacity(layers);
    for layer in 1..=layers {
        max_image = pool_once(&PoolSpec::max(window.clone()), &max_image)?;
        avg_image = pool_once(&PoolSpec::avg(window.clone()), &avg_image)?;
        let diff = max_image
            .data()
            .iter()
            .zip(avg_image.data())
            .map(|(m, a)| (m - a).abs())
            .sum::<f64>()
            / max_image.data().len() as f64;
        let (h, w) = (max_image.shape()[2], max_image.shape()[3]);
        out.push(json!({
            "layer": layer,
            "width": w,
            "height": h,
            "max": data_url(&from_tensor(&max_image))?,
            "avg": data_url(&from_tensor(&avg_image))?,
            "mean_abs_difference": diff,
        }));
    }
    Ok(json!({
        "source": { "name": source_name, "width": width, "height": height, "fitted": (fitted.width, fitted.height) != (width, height) },
        "input": { "width": fitted.width, "height": fitted.height, "png": data_url(&fitted)? },
        "layers": out,
    }))
}

fn decode(request: &Request) -> Result<RgbImage, ApiError> {
    if request.body.is_empty() {
        return Err(ApiError::bad_request(
            "no image: send a PNG or JPEG file as the body, or name a sample",
        ));
    }
    if let Some(kind) = request.header("content-type") {
        let allowed = ["image/png", "image/jpeg", "application/octet-stream"];
        if !allowed.iter().any(|a| kind.starts_with(a)) {
            return Err(ApiError::new(
                415,
                format!("Content-Type {kind:?}: upload a PNG or JPEG image"),
            ));
        }
    }
    let unreadable = |e: image::ImageError| {
        ApiError::bad_request(format!(
            "the file is not a PNG or JPEG image this explorer can read: {e}"
        ))
    };
    let open = || {
        ImageReader::new(Cursor::new(&request.body))
            .with_guessed_format()
            .map_err(|e| ApiError::bad_request(format!("the file could not be read: {e}")))
    };
    // The header first: a small file claiming a huge image is refused before decoding.
    let (width, height) = open()?.into_dimensions().map_err(unreadable)?;
    if width.max(height) > MAX_DECODE_SIDE {
        return Err(ApiError::bad_request(format!(
            "the image is {width}×{height}: uploads may have at most {MAX_DECODE_SIDE} pixels a \
             side (checked from the header, before decoding)"
        )));
    }
    let mut reader = open()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODE_SIDE);
    limits.max_image_height = Some(MAX_DECODE_SIDE);
    limits.max_alloc = Some(128 * 1024 * 1024);
    reader.limits(limits);
    let rgb = reader.decode().map_err(unreadable)?.to_rgb8();
    Ok(RgbImage {
        width: rgb.width() as usize,
        height: rgb.height() as usize,
        rgb: rgb.into_raw(),
    })
}

/// Averages an image down so its longest side is at most [`FIT_SIDE`], keeping its aspect.
fn fit(image: RgbImage) -> Result<RgbImage, ApiError> {
    let longest = image.width.max(image.height);
    if longest <= FIT_SIDE {
        return Ok(image);
    }
    let scaled = |side: usize| (side * FIT_SIDE).div_ceil(longest).max(1);
    let spec = PoolSpec::adaptive_avg(&[scaled(image.height), scaled(image.width)]);
    Ok(from_tensor(&pool_once(&spec, &to_tensor(&image))?))
}

fn pool_once(spec: &PoolSpec, x: &Tensor<f64>) -> Result<Tensor<f64>, ApiError> {
    let plan = PoolPlan::new(spec, x.shape(), Layout::ChannelsFirst)?;
    Ok(pool(&plan, &TensorView::new(x.data(), x.shape())?)?)
}

/// Interleaved RGB bytes as a `[1, 3, height, width]` tensor.
fn to_tensor(image: &RgbImage) -> Tensor<f64> {
    let plane = image.width * image.height;
    let mut data = vec![0.0; plane * 3];
    for (i, px) in image.rgb.chunks_exact(3).enumerate() {
        for (c, &v) in px.iter().enumerate() {
            data[c * plane + i] = f64::from(v);
        }
    }
    Tensor::from_vec(data, &[1, 3, image.height, image.width]).expect("sizes match by construction")
}

/// A `[1, 3, h, w]` tensor as interleaved bytes, rounded and clamped to 0–255.
fn from_tensor(x: &Tensor<f64>) -> RgbImage {
    let (height, width) = (x.shape()[2], x.shape()[3]);
    let plane = width * height;
    let data = x.data();
    let rgb = (0..plane)
        .flat_map(|i| (0..3).map(move |c| data[c * plane + i].round().clamp(0.0, 255.0) as u8))
        .collect();
    RgbImage { width, height, rgb }
}

/// PNG bytes of an image.
pub fn encode_png(image: &RgbImage) -> Result<Vec<u8>, ApiError> {
    let mut bytes = Vec::new();
    PngEncoder::new(&mut bytes)
        .write_image(
            &image.rgb,
            image.width as u32,
            image.height as u32,
            ExtendedColorType::Rgb8,
        )
        .map_err(|e| ApiError::new(500, format!("PNG encoding failed: {e}")))?;
    Ok(bytes)
}

fn data_url(image: &RgbImage) -> Result<String, ApiError> {
    Ok(format!(
        "data:image/png;base64,{}",
        base64(&encode_png(image)?)
    ))
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image_request(query: &str, body: Vec<u8>) -> Request {
        Request::new("POST", &format!("/api/image?{query}"), body)
    }

    #[test]
    fn at_most_max_uploads_are_worked_on_at_once() {
        let gate = WorkGate::new(2);
        let first = gate.enter_within(Duration::ZERO).unwrap();
        let _second = gate.enter_within(Duration::ZERO).unwrap();
        let busy = gate
            .enter_within(Duration::from_millis(20))
            .err()
            .expect("a third upload waits, then is refused");
        assert_eq!(busy.status, 503);
        assert!(busy.message.contains("2 uploads"), "{}", busy.message);
        // One ending frees a turn for a waiting upload.
        std::thread::scope(|scope| {
            let waiting = scope.spawn(|| gate.enter_within(Duration::from_secs(5)).is_ok());
            std::thread::sleep(Duration::from_millis(20));
            drop(first);
            assert!(waiting.join().unwrap());
        });
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(raw.as_bytes()), enc);
        }
    }

    #[test]
    fn sample_through_four_layers_halves_each_time() {
        let v = pool_image(&image_request("sample=stars&layers=4", Vec::new())).unwrap();
        let sides: Vec<_> = v["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["width"].clone())
            .collect();
        assert_eq!(sides, vec![json!(48), json!(24), json!(12), json!(6)]);
        assert!(v["layers"][0]["max"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,"));
        // Stars are isolated bright pixels: max keeps them, average dims them.
        assert!(v["layers"][0]["mean_abs_difference"].as_f64().unwrap() > 1.0);
    }

    #[test]
    fn uploaded_png_is_decoded_fitted_and_pooled() {
        let big = RgbImage {
            width: 300,
            height: 150,
            rgb: vec![200; 300 * 150 * 3],
        };
        let v = pool_image(&image_request("layers=1", encode_png(&big).unwrap())).unwrap();
        assert_eq!(v["source"]["width"], json!(300));
        assert_eq!(
            (v["input"]["width"].clone(), v["input"]["height"].clone()),
            (json!(128), json!(64))
        );
        assert_eq!(v["layers"][0]["width"], json!(64));
        assert_eq!(v["layers"][0]["mean_abs_difference"], json!(0.0));
    }

    #[test]
    fn bad_uploads_and_layer_counts_are_refused() {
        let e = pool_image(&image_request("layers=1", b"not an image".to_vec())).unwrap_err();
        assert!(e.message.contains("not a PNG or JPEG"), "{}", e.message);
        let e = pool_image(&image_request("sample=cat&layers=5", Vec::new())).unwrap_err();
        assert!(e.message.contains("choose 1 to 4"), "{}", e.message);
        let tiny = RgbImage {
            width: 4,
            height: 4,
            rgb: vec![0; 48],
        };
        let e = pool_image(&image_request("layers=3", encode_png(&tiny).unwrap())).unwrap_err();
        assert!(e.message.contains("at least 8 pixels"), "{}", e.message);
        assert_eq!(
            pool_image(&image_request("sample=dog", Vec::new()))
                .unwrap_err()
                .status,
            404
        );
    }
}
