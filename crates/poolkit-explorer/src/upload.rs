//! Image files over HTTP: an uploaded PNG or JPEG decoded on the server (at most two at once),
//! then pooled by `poolkit-explorer-api` like the browser's own pixels, and the sample images
//! as PNG files.

use crate::api::error_response;
use crate::http::{Request, Response};
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder, ImageReader, Limits};
use poolkit_explorer_api::images::{check_layers, check_size, named_sample, pool_rgb, MAX_SIDE};
use poolkit_explorer_api::samples::RgbImage;
use poolkit_explorer_api::ApiError;
use serde_json::Value;
use std::io::Cursor;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

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

/// `POST /api/image?layers=N[&sample=NAME]`, the body an image file unless a sample is named;
/// or a JSON body, `{"layers", "sample"}`, as the page's engine sends it.
pub fn pool_image(request: &Request) -> Result<Value, ApiError> {
    let json = request.header("content-type");
    if json.is_some_and(|kind| kind.starts_with("application/json")) {
        return poolkit_explorer_api::call("image", &request.body, &[]);
    }
    let layers = check_layers(request.query_param("layers").unwrap_or("2"))?;
    if let Some(name) = request.query_param("sample") {
        if !request.body.is_empty() {
            return Err(ApiError::bad_request(
                "send either a sample name or an image file, not both",
            ));
        }
        return pool_rgb(name, named_sample(name)?, layers);
    }
    // Uploads can be large: at most MAX_IMAGE_WORK are decoded and pooled at once.
    let _turn = IMAGE_WORK.enter_within(WORK_WAIT)?;
    pool_rgb("upload", decode(request)?, layers)
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
    check_size(width as usize, height as usize)?;
    let mut reader = open()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE as u32);
    limits.max_image_height = Some(MAX_SIDE as u32);
    limits.max_alloc = Some(128 * 1024 * 1024);
    reader.limits(limits);
    let rgb = reader.decode().map_err(unreadable)?.to_rgb8();
    Ok(RgbImage {
        width: rgb.width() as usize,
        height: rgb.height() as usize,
        rgb: rgb.into_raw(),
    })
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

/// `GET /api/samples/NAME.png`.
pub fn sample_png(file: &str) -> Response {
    let name = file.strip_suffix(".png").unwrap_or(file);
    match named_sample(name).and_then(|image| encode_png(&image)) {
        Ok(bytes) => Response::asset("image/png", &bytes),
        Err(e) => error_response(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
    fn uploaded_png_is_decoded_and_pooled_as_its_pixels_are() {
        let big = RgbImage {
            width: 300,
            height: 150,
            rgb: (0..300 * 150 * 3).map(|i| (i % 251) as u8).collect(),
        };
        let v = pool_image(&image_request("layers=1", encode_png(&big).unwrap())).unwrap();
        assert_eq!(v, pool_rgb("upload", big, 1).unwrap());
        assert_eq!(v["input"]["width"], json!(128));
    }

    #[test]
    fn bad_uploads_are_refused() {
        let e = pool_image(&image_request("layers=1", b"not an image".to_vec())).unwrap_err();
        assert!(e.message.contains("not a PNG or JPEG"), "{}", e.message);
        let e = pool_image(&image_request("sample=cat&layers=5", Vec::new())).unwrap_err();
        assert!(e.message.contains("choose 1 to 4"), "{}", e.message);
        assert_eq!(
            pool_image(&image_request("sample=dog", Vec::new()))
                .unwrap_err()
                .status,
            404
        );
    }

    #[test]
    fn sample_png_is_served_and_unknown_is_404() {
        let ok = sample_png("cat.png");
        assert_eq!((ok.status, ok.content_type), (200, "image/png"));
        assert_eq!(&ok.body[1..4], b"PNG");
        assert_eq!(sample_png("dog.png").status, 404);
    }
}
