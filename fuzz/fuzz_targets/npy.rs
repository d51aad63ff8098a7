//! Fuzz target: any bytes given to the `.npy` reader are either refused with an error or
//! decoded into a tensor that survives a write and a second read bit for bit — never a
//! panic, an overflow, or an allocation larger than the file justifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolkit_cli::npy;

fuzz_target!(|data: &[u8]| {
    let Ok(tensor) = npy::decode(data) else {
        return;
    };
    // The reader checks the data length against the shape, so the tensor is never larger
    // than the file.
    assert!(tensor.shape().iter().product::<usize>() <= data.len());
    let written = npy::encode(&tensor);
    let again = npy::decode(&written).expect("what poolkit writes, it reads back");
    // Bytes, not values: NaN payloads must survive too.
    assert_eq!(npy::encode(&again), written);
});
