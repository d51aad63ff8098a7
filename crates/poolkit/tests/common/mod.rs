//! Helpers shared by the integration tests that check the fast paths: the instruction sets
//! to run them on. Each test file that needs it includes this module with `mod common;`.

use poolkit::Isa;

/// Every instruction set this CPU has; each one it lacks is named as skipped.
pub fn isas() -> Vec<Isa> {
    Isa::ALL
        .into_iter()
        .filter(|isa| {
            let ok = isa.is_supported();
            if !ok {
                println!("note: skipping {isa}: this CPU lacks it");
            }
            ok
        })
        .collect()
}
