//! Which instruction set the fast kernels run on: detected once, forced by `POOLKIT_ISA`
//! or per call through [`ExecOptions`](crate::ExecOptions), refused when the CPU lacks it.

use crate::error::{bail, Result};
use std::sync::OnceLock;

/// An instruction-set variant of the fast kernels.
///
/// The f32 kernels exist once per variant; other element types use the monomorphised
/// scalar loops whatever the variant. A variant is only ever run on a CPU that has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Isa {
    /// Portable loops, one element at a time (every CPU).
    Scalar,
    /// 128-bit SSE2 (every x86_64 CPU).
    Sse2,
    /// 256-bit AVX2.
    Avx2,
    /// 512-bit AVX-512 (foundation subset, `avx512f`).
    Avx512,
}

impl Isa {
    /// Every variant, narrowest first.
    pub const ALL: [Isa; 4] = [Isa::Scalar, Isa::Sse2, Isa::Avx2, Isa::Avx512];

    /// The name `POOLKIT_ISA` and the benchmark use: `scalar`, `sse2`, `avx2`, `avx512`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Sse2 => "sse2",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// Parses a variant name (case-insensitive).
    pub fn parse(name: &str) -> Result<Isa> {
        let wanted = name.trim().to_ascii_lowercase();
        match Isa::ALL.iter().find(|isa| isa.name() == wanted) {
            Some(&isa) => Ok(isa),
            None => bail!(
                InvalidParameter,
                "instruction set {name:?} is unknown: choose one of scalar, sse2, avx2, avx512"
            ),
        }
    }

    /// True when this CPU can run the variant.
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Sse2 => std::arch::is_x86_feature_detected!("sse2"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The variants this CPU can run, narrowest first.
    pub fn supported() -> Vec<Isa> {
        Isa::ALL.into_iter().filter(|i| i.is_supported()).collect()
    }

    /// The variants a test suite runs its kernels on: every one this CPU has. Where
    /// `POOLKIT_REQUIRE_ISA` lists variants (comma-separated names, or `all`), one the CPU
    /// lacks is an error instead of a silent skip, so that a machine meant to test AVX-512
    /// fails loudly when it cannot.
    pub fn to_test() -> Result<Vec<Isa>> {
        let required = std::env::var("POOLKIT_REQUIRE_ISA").unwrap_or_default();
        Isa::to_test_requiring(&required)
    }

    fn to_test_requiring(required: &str) -> Result<Vec<Isa>> {
        let named: Vec<Isa> = match required.trim() {
            "" => Vec::new(),
            "all" => Isa::ALL.to_vec(),
            list => list.split(',').map(Isa::parse).collect::<Result<_>>()?,
        };
        for isa in named {
            isa.require(&format!("POOLKIT_REQUIRE_ISA={required}"))?;
        }
        Ok(Isa::supported())
    }

    /// The widest variant this CPU can run, detected once.
    pub fn detected() -> Isa {
        static DETECTED: OnceLock<Isa> = OnceLock::new();
        *DETECTED.get_or_init(|| {
            Isa::ALL
                .into_iter()
                .rev()
                .find(|i| i.is_supported())
                .unwrap_or(Isa::Scalar)
        })
    }

    /// The variant a call without an explicit choice runs: `POOLKIT_ISA` when set (read
    /// once), else [`Isa::detected`]. Naming a variant the CPU lacks is an error, not a
    /// silent fallback, so that a test or benchmark never measures something else.
    pub fn selected() -> Result<Isa> {
        static SELECTED: OnceLock<Result<Isa>> = OnceLock::new();
        SELECTED
            .get_or_init(|| match std::env::var("POOLKIT_ISA") {
                Ok(value) if !value.trim().is_empty() => {
                    Isa::parse(&value).and_then(|isa| isa.require(&format!("POOLKIT_ISA={value}")))
                }
                _ => Ok(Isa::detected()),
            })
            .clone()
    }

    /// `Ok(self)` when the CPU has this variant, else an error naming what asked for it.
    pub fn require(self, asked_by: &str) -> Result<Isa> {
        if self.is_supported() {
            return Ok(self);
        }
        let have: Vec<&str> = Isa::supported().iter().map(|i| i.name()).collect();
        bail!(
            InvalidParameter,
            "{asked_by}: this CPU lacks the {} instruction set; it can run {}",
            self.name(),
            have.join(", ")
        )
    }
}

impl std::fmt::Display for Isa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_is_refused() {
        for isa in Isa::ALL {
            assert_eq!(Isa::parse(isa.name()).unwrap(), isa);
        }
        assert_eq!(Isa::parse(" AVX2 ").unwrap(), Isa::Avx2);
        let err = Isa::parse("neon2").unwrap_err();
        assert!(err.message().contains("\"neon2\" is unknown"), "{err}");
    }

    #[test]
    fn required_variants_the_cpu_lacks_are_errors() {
        assert_eq!(Isa::to_test_requiring("").unwrap(), Isa::supported());
        assert_eq!(
            Isa::to_test_requiring("scalar, sse2").is_ok(),
            Isa::Sse2.is_supported()
        );
        let all = Isa::to_test_requiring("all");
        assert_eq!(all.is_ok(), Isa::ALL.iter().all(|i| i.is_supported()));
        if let Err(err) = all {
            assert!(err.message().contains("POOLKIT_REQUIRE_ISA=all"), "{err}");
            assert!(err.message().contains("lacks the"), "{err}");
        }
        assert!(Isa::to_test_requiring("avx3").is_err());
    }

    #[test]
    fn scalar_is_always_supported_and_detected_is_supported() {
        assert!(Isa::Scalar.is_supported());
        assert!(Isa::detected().is_supported());
        assert!(Isa::supported().contains(&Isa::detected()));
    }
}
