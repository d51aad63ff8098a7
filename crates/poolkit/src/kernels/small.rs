//! Tiny calls (the seed's 6×6 grid, a few hundred window taps): plain loops in window
//! order on the calling thread, for calls with automatic parallelism. The vector kernels' setup (instruction-set dispatch,
//! register constants, thread split) would cost more than such a call's work.

use super::geom::{Kind, Line, Mean, Planes};
use super::lanes::takes_over;
use crate::element::Element;

/// Window taps (outputs × kernel taps) below which a call takes this path.
pub(crate) const MAX_TAPS: usize = 4096;

/// A tiny job: any layout, rank, reduction (max or average) and index convention.
pub(crate) struct Small<'a, T> {
    /// The input planes and the output.
    pub planes: Planes<T>,
    pub lines: &'a [Line; 3],
    pub strides: [isize; 3],
    pub channels_last: bool,
}

impl<T: Element> Small<'_, T> {
    /// Writes every output (and index), exactly as the reference would.
    pub fn run(&self) {
        if self.planes.indices.is_none() && self.is_plain_pair() {
            self.run_pair();
            return;
        }
        let dense = self.lines.iter().all(|l| l.interior() == (0, l.output));
        if dense && self.planes.indices.is_none() {
            self.run_dense();
        } else {
            self.run_general();
        }
    }

    /// True for 2×2/s2 windows, all inside the input, over unit-stride rows of a
    /// channels-first 1- or 2-D view (the seed's grid): the case [`Small::run_pair`] serves.
    fn is_plain_pair(&self) -> bool {
        let [ld, lh, lw] = *self.lines;
        let pair = |l: &Line| {
            l.kernel == 2
                && l.stride == 2
                && l.dilation == 1
                && l.pad_begin == 0
                && 2 * l.output <= l.input
        };
        !self.channels_last && ld == Line::UNIT && pair(&lh) && pair(&lw) && self.strides[2] == 1
    }

    /// 2×2/s2 windows, all inside the input: the four taps in window order, no loops over
    /// the window.
    fn run_pair(&self) {
        let [_, lh, lw] = *self.lines;
        let row_stride = self.strides[1];
        let divisor = match self.planes.kind {
            Kind::Avg(Mean::Override(d)) => d,
            _ => 4.0,
        };
        let mut out = self.planes.out.0;
        for n in 0..self.planes.batch {
            for c in 0..self.planes.channels {
                let plane = self.planes.plane(n, c);
                for oh in 0..lh.output {
                    let top = plane.wrapping_offset(2 * oh as isize * row_stride);
                    let bottom = top.wrapping_offset(row_stride);
                    for ow in 0..lw.output {
                        // SAFETY: dense windows: rows 2oh, 2oh+1 and columns 2ow, 2ow+1 lie
                        // inside the input, which the view guarantees readable; outputs
                        // are written once each, in order, `out` advancing through them.
                        unsafe {
                            let window = [
                                *top.add(2 * ow),
                                *top.add(2 * ow + 1),
                                *bottom.add(2 * ow),
                                *bottom.add(2 * ow + 1),
                            ];
                            let value = match self.planes.kind {
                                Kind::Max if !window.iter().any(|v| v.is_nan()) => {
                                    // No NaN: the first maximum, without branches.
                                    let [a, b, c, d] = window;
                                    let ab = if b > a { b } else { a };
                                    let abc = if c > ab { c } else { ab };
                                    if d > abc {
                                        d
                                    } else {
                                        abc
                                    }
                                }
                                Kind::Max => {
                                    let mut best = window[0];
                                    for &v in &window[1..] {
                                        if takes_over(best, v) {
                                            best = v;
                                        }
                                    }
                                    best
                                }
                                Kind::Avg(_) => {
                                    let sum = window.iter().fold(-0.0f64, |s, v| s + v.to_f64());
                                    T::from_mean(sum, divisor)
                                }
                            };
                            out.write(value);
                            out = out.add(1);
                        }
                    }
                }
            }
        }
    }

    /// Every window inside the input, values only: no clipping, no index arithmetic.
    fn run_dense(&self) {
        let [ld, lh, lw] = *self.lines;
        let [sd, sh, sw] = self.strides;
        let (c_n, od_n, oh_n, ow_n) = (self.planes.channels, ld.output, lh.output, lw.output);
        let divisor = match self.planes.kind {
            Kind::Avg(Mean::Override(d)) => d,
            _ => ld.kernel as f64 * lh.kernel as f64 * lw.kernel as f64,
        };
        let (step_d, step_h, step_w) = (
            ld.dilation as isize * sd,
            lh.dilation as isize * sh,
            lw.dilation as isize * sw,
        );
        let mut at = 0;
        let mut next = |value: T, n: usize, c: usize, spatial: usize| {
            let at = if self.channels_last {
                (n * od_n * oh_n * ow_n + spatial) * c_n + c
            } else {
                let a = at;
                at += 1;
                a
            };
            // SAFETY: `at` is one of the output's elements, each written once.
            unsafe { self.planes.out.0.add(at).write(value) };
        };
        for n in 0..self.planes.batch {
            for c in 0..c_n {
                let plane = self.planes.plane(n, c);
                let mut spatial = 0;
                for od in 0..od_n {
                    for oh in 0..oh_n {
                        let row = plane.wrapping_offset(ld.start(od) * sd + lh.start(oh) * sh);
                        for ow in 0..ow_n {
                            let corner = row.wrapping_offset(lw.start(ow) * sw);
                            let mut best = T::LOWEST;
                            let mut sum = -0.0f64;
                            let mut first = true;
                            'window: for td in 0..ld.kernel {
                                for th in 0..lh.kernel {
                                    let line = corner.wrapping_offset(
                                        td as isize * step_d + th as isize * step_h,
                                    );
                                    for tw in 0..lw.kernel {
                                        // SAFETY: dense: every tap of every window is inside
                                        // the input, which the view guarantees readable.
                                        let v = unsafe { *line.offset(tw as isize * step_w) };
                                        if let Kind::Avg(_) = self.planes.kind {
                                            sum += v.to_f64();
                                        } else if first || takes_over(best, v) {
                                            best = v;
                                            first = false;
                                        } else if best.is_nan() {
                                            break 'window;
                                        }
                                    }
                                }
                            }
                            let value = match self.planes.kind {
                                Kind::Max => best,
                                Kind::Avg(_) => T::from_mean(sum, divisor),
                            };
                            next(value, n, c, spatial);
                            spatial += 1;
                        }
                    }
                }
            }
        }
    }

    /// Any geometry, with clipping and indices.
    fn run_general(&self) {
        let [ld, lh, lw] = *self.lines;
        let [sd, sh, sw] = self.strides;
        let [wd, wh, ww] = self.planes.index_map.weights;
        let (c_n, od_n, oh_n, ow_n) = (self.planes.channels, ld.output, lh.output, lw.output);
        for n in 0..self.planes.batch {
            for c in 0..c_n {
                let plane = self.planes.plane(n, c);
                let plane_offset = self.planes.index_map.plane_offset(n, c, c_n);
                for od in 0..od_n {
                    for oh in 0..oh_n {
                        for ow in 0..ow_n {
                            let ((d0, d1), (h0, h1), (w0, w1)) =
                                (ld.taps_in(od), lh.taps_in(oh), lw.taps_in(ow));
                            let mut best = T::LOWEST;
                            let mut best_index = 0i64;
                            let mut sum = -0.0f64;
                            let mut first = true;
                            'window: for td in d0..d1 {
                                let pd = ld.start(od) + (td * ld.dilation) as isize;
                                for th in h0..h1 {
                                    let ph = lh.start(oh) + (th * lh.dilation) as isize;
                                    for tw in w0..w1 {
                                        let pw = lw.start(ow) + (tw * lw.dilation) as isize;
                                        // SAFETY: `taps_in` keeps every position inside the
                                        // input, which the view guarantees readable.
                                        let v =
                                            unsafe { *plane.offset(pd * sd + ph * sh + pw * sw) };
                                        match self.planes.kind {
                                            Kind::Avg(_) => sum += v.to_f64(),
                                            Kind::Max if first || takes_over(best, v) => {
                                                best = v;
                                                best_index = pd as i64 * wd
                                                    + ph as i64 * wh
                                                    + pw as i64 * ww;
                                                first = false;
                                            }
                                            Kind::Max if best.is_nan() => break 'window,
                                            Kind::Max => {}
                                        }
                                    }
                                }
                            }
                            let value = match self.planes.kind {
                                Kind::Max => best,
                                Kind::Avg(Mean::Override(d)) => T::from_mean(sum, d),
                                Kind::Avg(Mean::Count { include_pad }) => {
                                    let divisor = ld.count(od, include_pad) as f64
                                        * lh.count(oh, include_pad) as f64
                                        * lw.count(ow, include_pad) as f64;
                                    T::from_mean(sum, divisor)
                                }
                            };
                            let spatial = (od * oh_n + oh) * ow_n + ow;
                            let at = if self.channels_last {
                                (n * od_n * oh_n * ow_n + spatial) * c_n + c
                            } else {
                                (n * c_n + c) * od_n * oh_n * ow_n + spatial
                            };
                            // SAFETY: `at` is one of the output's elements, each written once.
                            unsafe {
                                self.planes.out.0.add(at).write(value);
                                if let Some(indices) = self.planes.indices {
                                    indices.0.add(at).write(plane_offset + best_index);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
