//! Fuzz target: any bytes given to the image reader (PNG, JPEG, TIFF, BMP, WebP, GIF) are
//! either refused with an error or decoded into a `[1, H, W, C]` tensor within the pixel
//! limit. Images whose header claims more pixels than the limit (decompression bombs) are
//! refused before decoding, so memory stays bounded whatever the header says.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolkit_cli::{any_tensor::AnyTensor, imageio};

/// Far below the command line's default (`--max-pixels 100000000`) so that every accepted
/// image decodes within the fuzzer's memory limit.
const MAX_PIXELS: u64 = 1 << 22;

fuzz_target!(|data: &[u8]| {
    let Ok(tensor) = imageio::decode_bytes(data, MAX_PIXELS) else {
        return;
    };
    let &[1, h, w, c] = tensor.shape() else {
        panic!("image tensor of shape {:?}", tensor.shape());
    };
    assert!(
        (h * w) as u64 <= MAX_PIXELS,
        "{h}×{w} decoded above the limit"
    );
    assert!((1..=4).contains(&c), "{c} channels");
    // What was read writes back losslessly (PNG for integers, TIFF for floats) and reads
    // back the same.
    let format = match tensor {
        AnyTensor::F32(_) => image::ImageFormat::Tiff,
        _ => image::ImageFormat::Png,
    };
    if h == 0 || w == 0 || (matches!(tensor, AnyTensor::F32(_)) && c < 3) {
        return;
    }
    let mut bytes = std::io::Cursor::new(Vec::new());
    imageio::write(&tensor, format, &mut bytes).expect("a decoded image can be written");
    let again = imageio::decode_bytes(bytes.get_ref(), MAX_PIXELS).expect("re-read");
    assert_eq!(again.shape(), tensor.shape());
    if let (AnyTensor::F32(a), AnyTensor::F32(b)) = (&again, &tensor) {
        let bits =
            |t: &poolkit::Tensor<f32>| t.data().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(a), bits(b));
    } else {
        assert_eq!(again, tensor);
    }
});
