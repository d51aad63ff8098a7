//! Helpers shared by the integration tests that check the fast paths: the instruction sets
//! to run them on. Each test file that needs it includes this module with `mod common;`.

use poolkit::Isa;

/// Every instruction set this CPU has, each one it lacks named as skipped; where
/// `POOLKIT_REQUIRE_ISA` lists one the CPU lacks, the test fails instead.
pub fn isas() -> Vec<Isa> {
    let isas = Isa::to_test().unwrap_or_else(|e| panic!("{e}"));
    for isa in Isa::ALL.into_iter().filter(|i| !isas.contains(i)) {
        println!("note: skipping {isa}: this CPU lacks it");
    }
    isas
}
