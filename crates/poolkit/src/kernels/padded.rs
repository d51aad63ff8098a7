//! Padded copies of the input rows a channels-first output row reads, so that its border
//! outputs run through the same vector blocks as its interior: for rows short enough
//! (a 28-wide Inception map) that a scalar border would cost as much as the rest.
//!
//! Padding holds `-0.0` for averages (the identity of addition, signed zeros included)
//! and `LOWEST` for max (it never replaces a value; argmax keeps the scalar border, where
//! a padding tie could steal an index). Each copy serves every output row that reads it:
//! row `h` lives in slot `h mod slots`, with enough slots for one window and one stride.

use super::geom::{Kind, Line, Mean};
use crate::element::Element;

/// Copies are kept while they fit this many elements (per thread).
const MAX_ELEMENTS: usize = 1 << 18;

/// A thread's padded row copies for one channels-first job.
pub(crate) struct PaddedRows<T> {
    buffer: Vec<T>,
    tags: Vec<Option<(usize, isize)>>,
    width: usize,
    slots: usize,
    pad_begin: usize,
    input: usize,
    pad: T,
    /// The W axis of a padded copy: no padding left, every output interior.
    pub line: Line,
    /// Per-output W divisor factor, for counted averages.
    counts: Vec<f64>,
    divisors: Vec<f64>,
    /// The vertical factor `divisors` holds reciprocals for.
    divisors_for: Option<f64>,
}

impl<T: Element> PaddedRows<T> {
    /// Copies for a channels-first job (its leading axes `[D, H]`, its W axis, its
    /// reduction, whether it writes indices) with `lanes`-wide blocks, or `None` where they
    /// do not pay.
    pub fn new(
        lead: [Line; 2],
        w: Line,
        kind: Kind,
        with_indices: bool,
        lanes: usize,
    ) -> Option<Self> {
        let [ld, lh] = lead;
        if lanes == 1 || ld.input != 1 || ld.kernel != 1 || with_indices {
            return None;
        }
        if !(w.stride == 1 || w.stride == 2) || w.output < lanes {
            return None;
        }
        let (lo, hi) = w.interior();
        let border = lo + (w.output - hi);
        if border == 0 || border * 16 < w.output {
            return None;
        }
        let width = (w.output - 1) * w.stride + (w.kernel - 1) * w.dilation + 1 + 2 * lanes;
        let slots = (lh.kernel - 1) * lh.dilation + 1 + lh.stride;
        if slots.checked_mul(width)? > MAX_ELEMENTS || w.pad_begin > width {
            return None;
        }
        let pad = match kind {
            Kind::Max => T::LOWEST,
            Kind::Avg(_) => T::from_f64(-0.0),
        };
        let counts = match kind {
            Kind::Avg(Mean::Count { include_pad }) => (0..w.output)
                .map(|o| w.count(o, include_pad) as f64)
                .collect(),
            _ => Vec::new(),
        };
        Some(PaddedRows {
            buffer: vec![pad; slots * width],
            tags: vec![None; slots],
            width,
            slots,
            pad_begin: w.pad_begin,
            input: w.input,
            pad,
            line: Line {
                input: width,
                pad_begin: 0,
                pad_end: 0,
                ..w
            },
            divisors: vec![0.0; counts.len()],
            divisors_for: None,
            counts,
        })
    }

    /// The copies' base pointer; [`PaddedRows::fetch`] gives offsets from it.
    pub fn base(&self) -> *const T {
        self.buffer.as_ptr()
    }

    /// The offset of the padded copy of input row `h` of `plane`, copying it if the slot
    /// holds another row.
    ///
    /// # Safety
    /// `plane_src + h * row_stride` must start a row of `input` readable elements.
    pub unsafe fn fetch(
        &mut self,
        plane: usize,
        h: isize,
        plane_src: *const T,
        row_stride: isize,
    ) -> isize {
        let slot = h as usize % self.slots;
        let start = slot * self.width;
        if self.tags[slot] != Some((plane, h)) {
            let copy = self.input.min(self.width - self.pad_begin);
            let dst = &mut self.buffer[start..start + self.width];
            dst[..self.pad_begin].fill(self.pad);
            // SAFETY: the caller guarantees the row's `input` elements; `copy <= input`.
            let src = unsafe { std::slice::from_raw_parts(plane_src.offset(h * row_stride), copy) };
            dst[self.pad_begin..self.pad_begin + copy].copy_from_slice(src);
            dst[self.pad_begin + copy..].fill(self.pad);
            self.tags[slot] = Some((plane, h));
        }
        start as isize
    }

    /// Per-output divisor reciprocals of a row whose D and H axes count `vfactor`, for
    /// counted averages (factors multiplied in the reference's axis order); else `None`.
    pub fn divisors(&mut self, kind: Kind, vfactor: f64) -> Option<*const f64> {
        match kind {
            Kind::Avg(Mean::Count { .. }) => {
                // Rows share their factor but at the top and bottom borders: divide once.
                if self.divisors_for != Some(vfactor) {
                    for (d, &c) in self.divisors.iter_mut().zip(&self.counts) {
                        *d = 1.0 / (vfactor * c);
                    }
                    self.divisors_for = Some(vfactor);
                }
                Some(self.divisors.as_ptr())
            }
            _ => None,
        }
    }
}
