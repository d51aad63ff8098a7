//! Real images through pooling: a sample or an uploaded image, fitted to at most 128
//! pixels a side by adaptive average pooling, then 2×2/s2 max pooling and average pooling
//! applied 1 to 4 times. Images travel as base64 RGB bytes (`{"width", "height", "rgb"}`);
//! decoding files is the caller's (the browser's canvas, or the server's image decoder).

use super::error::ApiError;
use super::samples::{names, sample, RgbImage, SAMPLES, SAMPLE_SIDE};
use base64::{engine::general_purpose::STANDARD, Engine};
use poolkit::{pool, Layout, PoolPlan, PoolSpec, Tensor, TensorView, WindowSpec};
use serde::Deserialize;
use serde_json::{json, Value};

/// Longest side the pooling works on; larger images are averaged down to it first.
pub const FIT_SIDE: usize = 128;
/// Largest image accepted, per side (a guard against decompression bombs).
pub const MAX_SIDE: usize = 4096;
/// Pooling layers the page may ask for.
pub const LAYERS: (usize, usize) = (1, 4);

/// `{"layers": 2, "sample": "cat"}`, or `{"layers": 2, "width": W, "height": H}` with the
/// upload's RGBA bytes beside the body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageRequest {
    #[serde(default = "two")]
    pub layers: usize,
    #[serde(default)]
    pub sample: Option<String>,
    #[serde(default)]
    pub width: Option<usize>,
    #[serde(default)]
    pub height: Option<usize>,
}

fn two() -> usize {
    2
}

/// The `image` endpoint: a named sample, or `rgba` holding `width × height` RGBA pixels.
pub fn pool_request(request: ImageRequest, rgba: &[u8]) -> Result<Value, ApiError> {
    let layers = check_layers(&request.layers.to_string())?;
    match (&request.sample, request.width, request.height) {
        (Some(name), None, None) if rgba.is_empty() => pool_rgb(name, named_sample(name)?, layers),
        (Some(_), _, _) => Err(ApiError::bad_request(
            "send either a sample name or an image, not both",
        )),
        (None, Some(width), Some(height)) => {
            let image = from_rgba(width, height, rgba)?;
            pool_rgb("upload", image, layers)
        }
        (None, _, _) => Err(ApiError::bad_request(
            "no image: name a sample, or send an image's width, height and pixels",
        )),
    }
}

/// The `samples` endpoint: each sample's name, title, what it shows, size and pixels.
pub fn samples() -> Value {
    let samples: Vec<Value> = SAMPLES
        .iter()
        .map(|(name, title, shows)| {
            let image = sample(name).expect("listed samples draw");
            json!({ "name": name, "title": title, "shows": shows, "width": SAMPLE_SIDE, "height": SAMPLE_SIDE, "image": image_json(&image) })
        })
        .collect();
    json!({ "samples": samples, "max_side": MAX_SIDE })
}

/// The sample called `name`, or a 404 that lists the samples.
pub fn named_sample(name: &str) -> Result<RgbImage, ApiError> {
    sample(name).ok_or_else(|| {
        ApiError::new(
            404,
            format!("no sample image {name:?}: the samples are {}", names()),
        )
    })
}

/// The number of layers in `text`, checked against [`LAYERS`].
pub fn check_layers(text: &str) -> Result<usize, ApiError> {
    text.parse::<usize>()
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
        })
}

/// Checks an image's size against [`MAX_SIDE`] (before its pixels are touched).
pub fn check_size(width: usize, height: usize) -> Result<(), ApiError> {
    if width == 0 || height == 0 || width.max(height) > MAX_SIDE {
        return Err(ApiError::field(
            "image",
            format!("the image is {width}×{height}: images may have 1 to {MAX_SIDE} pixels a side"),
        ));
    }
    Ok(())
}

/// RGBA pixels (as a canvas gives them) as RGB; the alpha channel is dropped.
fn from_rgba(width: usize, height: usize, rgba: &[u8]) -> Result<RgbImage, ApiError> {
    check_size(width, height)?;
    if rgba.len() != width * height * 4 {
        return Err(ApiError::field(
            "image",
            format!(
                "{} bytes of pixels for a {width}×{height} image: RGBA needs {}",
                rgba.len(),
                width * height * 4
            ),
        ));
    }
    let rgb = rgba
        .chunks_exact(4)
        .flat_map(|px| [px[0], px[1], px[2]])
        .collect();
    Ok(RgbImage { width, height, rgb })
}

/// Fits `image` and pools it `layers` times; `source_name` is the sample's name or "upload".
pub fn pool_rgb(source_name: &str, image: RgbImage, layers: usize) -> Result<Value, ApiError> {
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
            "max": image_json(&from_tensor(&max_image)),
            "avg": image_json(&from_tensor(&avg_image)),
            "mean_abs_difference": diff,
        }));
    }
    Ok(json!({
        "source": { "name": source_name, "width": width, "height": height, "fitted": (fitted.width, fitted.height) != (width, height) },
        "input": image_json(&fitted),
        "layers": out,
    }))
}

/// `{"width", "height", "rgb"}` with the bytes in standard base64.
pub fn image_json(image: &RgbImage) -> Value {
    json!({ "width": image.width, "height": image.height, "rgb": STANDARD.encode(&image.rgb) })
}

/// The shortest side fitting keeps (or the image's own, if smaller): a long thin image is
/// squeezed along its length only, so its thin side still survives a few layers.
pub const FIT_KEEPS_SIDE: usize = 16;

/// Averages an image down so its longest side is at most [`FIT_SIDE`], keeping its aspect
/// except that no side shrinks below [`FIT_KEEPS_SIDE`].
fn fit(image: RgbImage) -> Result<RgbImage, ApiError> {
    let longest = image.width.max(image.height);
    if longest <= FIT_SIDE {
        return Ok(image);
    }
    let scaled = |side: usize| {
        (side * FIT_SIDE)
            .div_ceil(longest)
            .max(side.min(FIT_KEEPS_SIDE))
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn request(layers: usize, sample: Option<&str>, size: Option<(usize, usize)>) -> ImageRequest {
        ImageRequest {
            layers,
            sample: sample.map(String::from),
            width: size.map(|s| s.0),
            height: size.map(|s| s.1),
        }
    }

    #[test]
    fn sample_through_four_layers_halves_each_time() {
        let v = pool_request(request(4, Some("stars"), None), &[]).unwrap();
        let sides: Vec<_> = v["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["width"].clone())
            .collect();
        assert_eq!(sides, vec![json!(48), json!(24), json!(12), json!(6)]);
        let rgb = STANDARD
            .decode(v["layers"][0]["max"]["rgb"].as_str().unwrap())
            .unwrap();
        assert_eq!(rgb.len(), 48 * 48 * 3);
        // Stars are isolated bright pixels: max keeps them, average dims them.
        assert!(v["layers"][0]["mean_abs_difference"].as_f64().unwrap() > 1.0);
    }

    #[test]
    fn uploaded_pixels_are_fitted_and_pooled() {
        let rgba: Vec<u8> = [200, 200, 200, 255].repeat(300 * 150);
        let v = pool_request(request(1, None, Some((300, 150))), &rgba).unwrap();
        assert_eq!(v["source"]["width"], json!(300));
        assert_eq!(
            (v["input"]["width"].clone(), v["input"]["height"].clone()),
            (json!(128), json!(64))
        );
        assert_eq!(v["layers"][0]["width"], json!(64));
        assert_eq!(v["layers"][0]["mean_abs_difference"], json!(0.0));
    }

    #[test]
    fn a_long_thin_image_fits_and_pools_once() {
        // 300×7 fits to 128×7 (the thin side is kept): two layers leave 32×1.
        let rgba: Vec<u8> = [10, 20, 30, 255].repeat(300 * 7);
        let v = pool_request(request(2, None, Some((300, 7))), &rgba).unwrap();
        assert_eq!(v["input"]["height"], json!(7));
        assert_eq!(v["layers"][1]["height"], json!(1));
        assert_eq!(v["layers"][1]["width"], json!(32));
        let e = pool_request(request(3, None, Some((300, 7))), &rgba).unwrap_err();
        assert!(e.message.contains("at least 8 pixels"), "{}", e.message);
    }

    #[test]
    fn bad_images_and_layer_counts_are_refused() {
        let e = pool_request(request(1, None, Some((2, 2))), &[0; 15]).unwrap_err();
        assert!(e.message.contains("RGBA needs 16"), "{}", e.message);
        let e = pool_request(request(5, Some("cat"), None), &[]).unwrap_err();
        assert!(e.message.contains("choose 1 to 4"), "{}", e.message);
        let e = pool_request(request(3, None, Some((4, 4))), &[0; 64]).unwrap_err();
        assert!(e.message.contains("at least 8 pixels"), "{}", e.message);
        let e = pool_request(request(1, None, Some((5000, 1))), &[]).unwrap_err();
        assert!(e.message.contains("1 to 4096 pixels"), "{}", e.message);
        assert_eq!(
            pool_request(request(1, Some("dog"), None), &[])
                .unwrap_err()
                .status,
            404
        );
        let e = pool_request(request(1, None, None), &[]).unwrap_err();
        assert!(e.message.contains("no image"), "{}", e.message);
    }
}
