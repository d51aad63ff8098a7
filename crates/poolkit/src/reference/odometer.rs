//! Row-major iteration over every multi-index of a shape, the reference loops' only tool.

/// Calls `f` with every multi-index of `shape`, last axis fastest. Nothing if any extent is 0.
pub fn for_each_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
    if shape.contains(&0) {
        return;
    }
    let mut idx = vec![0; shape.len()];
    loop {
        f(&idx);
        let mut axis = shape.len();
        loop {
            if axis == 0 {
                return;
            }
            axis -= 1;
            idx[axis] += 1;
            if idx[axis] < shape[axis] {
                break;
            }
            idx[axis] = 0;
        }
    }
}

/// Every `(n, c)` plane in order. Iterates `batch * channels` times, so an empty channel
/// axis costs nothing however large the batch (a valid plan keeps that product in range).
pub fn planes(batch: usize, channels: usize) -> impl Iterator<Item = (usize, usize)> {
    let count = batch.checked_mul(channels).unwrap_or(0);
    (0..count).map(move |i| (i / channels, i % channels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visits_row_major() {
        let mut seen = Vec::new();
        for_each_index(&[2, 3], |i| seen.push(i.to_vec()));
        assert_eq!(seen.len(), 6);
        assert_eq!(seen[1], vec![0, 1]);
        assert_eq!(seen[3], vec![1, 0]);
        let mut none = 0;
        for_each_index(&[2, 0], |_| none += 1);
        assert_eq!(none, 0);
        let mut scalar = 0;
        for_each_index(&[], |_| scalar += 1);
        assert_eq!(scalar, 1);
    }
}
