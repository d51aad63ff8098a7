//! Memory-only loops for the benchmark's ceilings, in each way the kernels move bytes:
//! scalar, vector (AVX2) and vector with non-temporal stores. The benchmark takes the best
//! of them as a ceiling, so that no kernel can honestly pass it.

/// How a probe loop moves its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProbeWay {
    /// One element at a time (the compiler may still vectorise), plain stores.
    Scalar,
    /// AVX2 loads and plain stores.
    Vector,
    /// AVX2 loads and non-temporal stores (for loops that store).
    VectorStream,
}

impl ProbeWay {
    /// The name in reports: `scalar`, `vector`, `vector-stream`.
    pub fn name(self) -> &'static str {
        match self {
            ProbeWay::Scalar => "scalar",
            ProbeWay::Vector => "vector",
            ProbeWay::VectorStream => "vector-stream",
        }
    }

    /// The ways this CPU can run, `stores` for loops that store.
    pub fn available(stores: bool) -> Vec<ProbeWay> {
        let mut ways = vec![ProbeWay::Scalar];
        if avx2() {
            ways.push(ProbeWay::Vector);
            if stores {
                ways.push(ProbeWay::VectorStream);
            }
        }
        ways
    }
}

fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::arch::is_x86_feature_detected!("avx2");
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// The sum of `src` (read-only traffic).
pub fn probe_sum(src: &[f32], way: ProbeWay) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if way != ProbeWay::Scalar && avx2() {
        // SAFETY: AVX2 was just detected.
        return unsafe { super::x86::probe::sum(src) };
    }
    let _ = way;
    // Sixteen independent lanes, so that the loop is bound by memory, not latency.
    let mut acc = [0f32; 16];
    let mut blocks = src.chunks_exact(16);
    for block in &mut blocks {
        for (a, &v) in acc.iter_mut().zip(block) {
            *a += v;
        }
    }
    acc.iter().sum::<f32>() + blocks.remainder().iter().sum::<f32>()
}

/// `dst = src` (read 1, write 1).
pub fn probe_copy(src: &[f32], dst: &mut [f32], way: ProbeWay) {
    #[cfg(target_arch = "x86_64")]
    if way != ProbeWay::Scalar && avx2() {
        // SAFETY: AVX2 was just detected.
        return unsafe { super::x86::probe::copy(src, dst, way == ProbeWay::VectorStream) };
    }
    let _ = way;
    let n = src.len().min(dst.len());
    dst[..n].copy_from_slice(&src[..n]);
}

/// `dst[j] = max(src[4j..4j + 4])` (read 4, write 1).
pub fn probe_max4(src: &[f32], dst: &mut [f32], way: ProbeWay) {
    #[cfg(target_arch = "x86_64")]
    if way != ProbeWay::Scalar && avx2() {
        // SAFETY: AVX2 was just detected.
        return unsafe { super::x86::probe::max4(src, dst, way == ProbeWay::VectorStream) };
    }
    let _ = way;
    for (o, four) in dst.iter_mut().zip(src.chunks_exact(4)) {
        *o = four[0].max(four[1]).max(four[2].max(four[3]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_computes_the_same_values() {
        // Odd lengths and an offset start exercise the aligned heads and the tails.
        let src: Vec<f32> = (0..4 * 1003 + 3).map(|i| ((i * 37) % 101) as f32).collect();
        let src = &src[1..];
        let mut want_max = vec![0f32; src.len() / 4];
        probe_max4(src, &mut want_max, ProbeWay::Scalar);
        for way in ProbeWay::available(true) {
            let mut copy = vec![0f32; src.len() + 1];
            probe_copy(src, &mut copy[1..], way);
            assert_eq!(&copy[1..], src, "{}", way.name());
            let mut max = vec![0f32; src.len() / 4 + 1];
            probe_max4(src, &mut max[1..], way);
            assert_eq!(&max[1..], &want_max[..], "{}", way.name());
            // Whole numbers whose sums stay below 2^24: exact in any order.
            let exact: f32 = src.iter().sum();
            assert_eq!(probe_sum(src, way), exact, "{}", way.name());
        }
    }
}
