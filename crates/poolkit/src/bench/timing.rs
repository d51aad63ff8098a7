//! Median wall-clock time of a call: calls too short for the clock are timed in batches.

use std::time::{Duration, Instant};

/// Batches last at least this long, so that the clock's resolution does not matter.
const MIN_SAMPLE: Duration = Duration::from_millis(2);

/// Calls slower than this are timed once: the median of slow calls is not worth minutes.
const SLOW_CALL: Duration = Duration::from_secs(1);

/// The median seconds per call of `f` over `runs` samples, after one warm-up call.
pub fn median_seconds(runs: usize, mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    f();
    let warm_up = t.elapsed();
    if warm_up >= SLOW_CALL {
        return warm_up.as_secs_f64();
    }
    let t = Instant::now();
    f();
    let once = t.elapsed().max(Duration::from_nanos(1));
    let batch = if once >= MIN_SAMPLE {
        1
    } else {
        (MIN_SAMPLE.as_nanos() / once.as_nanos()).max(1) as usize
    };
    let mut samples: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            for _ in 0..batch {
                f();
            }
            t.elapsed().as_secs_f64() / batch as f64
        })
        .collect();
    median(&mut samples)
}

/// The median of `samples` (the mean of the middle two for an even count).
pub fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&mut []).is_nan());
    }
}
