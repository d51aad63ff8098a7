//! The scalar code of the 2×2/s2 backward windows: the gradient of one row pair's windows
//! (max, average, from corner codes) and the corner codes from flat indices. The portable
//! loops in `backward` and the AVX2 blocks in `x86::backward` (for their leftover windows)
//! both call these, so neither imports the other for them.

use crate::element::Element;
use std::ops::Range;

/// Max pooling's gradient on windows `windows` of the 2×2/s2 row pair `x0`, `x1`: each
/// window's `0.0 + dy` (the reference's accumulator turns -0.0 into 0.0) to its first NaN,
/// else its first maximum in row-major window order; zeros to the other three inputs.
pub(crate) fn max_2x2_windows<T: Element>(
    x0: &[T],
    x1: &[T],
    dy: &[T],
    d0: &mut [T],
    d1: &mut [T],
    windows: Range<usize>,
) {
    for w in windows {
        let window = [x0[2 * w], x0[2 * w + 1], x1[2 * w], x1[2 * w + 1]];
        let mut best = 0;
        for k in 1..4 {
            if window[best].is_nan() {
                break;
            }
            if window[k].is_nan() || window[k] > window[best] {
                best = k;
            }
        }
        let mut out = [T::ZERO; 4];
        out[best] = T::from_f64(0.0 + dy[w].to_f64());
        put_window(d0, d1, w, out);
    }
}

/// Average pooling's gradient on windows `windows` of a 2×2/s2 row pair: the reference's
/// `0.0 + dy / divisor`, rounded once, to all four inputs.
pub(crate) fn avg_2x2_windows<T: Element>(
    dy: &[T],
    d0: &mut [T],
    d1: &mut [T],
    divisor: f64,
    windows: Range<usize>,
) {
    for w in windows {
        let share = T::from_f64(0.0 + dy[w].to_f64() / divisor);
        put_window(d0, d1, w, [share; 4]);
    }
}

/// Max pooling's gradient from corner codes on windows `windows` of a row pair:
/// `0.0 + dy` to the coded input, zeros to the others.
pub(crate) fn scatter_2x2_windows<T: Element>(
    codes: &[u8],
    dy: &[T],
    d0: &mut [T],
    d1: &mut [T],
    windows: Range<usize>,
) {
    for w in windows {
        let mut out = [T::ZERO; 4];
        out[usize::from(codes[w] & 3)] = T::from_f64(0.0 + dy[w].to_f64());
        put_window(d0, d1, w, out);
    }
}

/// Writes window `w`'s four inputs, row-major.
#[inline(always)]
fn put_window<T: Copy>(d0: &mut [T], d1: &mut [T], w: usize, out: [T; 4]) {
    d0[2 * w] = out[0];
    d0[2 * w + 1] = out[1];
    d1[2 * w] = out[2];
    d1[2 * w + 1] = out[3];
}

/// The corner codes of one row of 2×2/s2 windows from their flat indices: window `w`'s
/// top-left input has index `first_corner + 2 w`; its code is 0 (top-left), 1, 2 or 3
/// (bottom-right). Returns false when some index lies outside its own window (its code
/// is then meaningless).
#[inline(always)]
pub(crate) fn corner_codes(idx: &[i64], first_corner: i64, iw: i64, codes: &mut [u8]) -> bool {
    let mut outside = false;
    for (w, (&i, code)) in idx.iter().zip(codes.iter_mut()).enumerate() {
        let delta = i.wrapping_sub(first_corner.wrapping_add(2 * w as i64));
        let top = delta as u64;
        let bottom = delta.wrapping_sub(iw) as u64;
        *code = if top < 2 {
            top as u8
        } else {
            (bottom as u8) | 2
        };
        outside |= (top >= 2) & (bottom >= 2);
    }
    !outside
}
