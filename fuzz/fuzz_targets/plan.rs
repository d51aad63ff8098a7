//! Fuzz target: any spec and input shape either gives a clear error or a plan whose output
//! shape is exactly what pooling produces — never a panic, never an overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolkit::{
    output_shape_in_format, pool, Layout, Padding, PoolPlan, PoolSpec, TensorView, WindowSpec,
};

/// Reads bytes as small or huge numbers so both everyday and overflowing sizes are tried.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }
    fn size(&mut self) -> usize {
        match self.byte() {
            250 => usize::MAX,
            251 => usize::MAX / 2 + 1,
            252 => 1 << 32,
            253 => u32::MAX as usize,
            b => (b % 12) as usize,
        }
    }
    fn list(&mut self, len: usize) -> Vec<usize> {
        (0..len).map(|_| self.size()).collect()
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let rank = 1 + (b.byte() % 4) as usize; // 4 spatial axes is one too many: must error
    let layout = if b.byte() % 2 == 0 { Layout::ChannelsFirst } else { Layout::ChannelsLast };
    let mut spatial = b.list(rank);
    let (batch, channels) = (b.size(), b.size());
    let kernel = b.list(rank);
    let mut window = WindowSpec::new(&kernel).ceil_mode(b.byte() % 2 == 1);
    if b.byte() % 2 == 0 {
        window = window.strides(&b.list(rank));
    }
    if b.byte() % 2 == 0 {
        window = window.dilations(&b.list(rank));
    }
    window = window.padding(match b.byte() % 5 {
        0 => Padding::SameUpper,
        1 => Padding::SameLower,
        2 => Padding::Valid,
        3 => Padding::symmetric(&b.list(rank)),
        _ => Padding::Explicit { begin: b.list(rank), end: b.list(rank) },
    });
    let spec = match b.byte() % 7 {
        0 => PoolSpec::max(window),
        1 => PoolSpec::avg(window)
            .count_include_pad(b.byte() % 2 == 1)
            .divisor_override(Some(b.size()).filter(|_| b.byte() % 2 == 0)),
        2 => PoolSpec::lp(window, f64::from(b.byte()) / 16.0 - 1.0),
        3 => PoolSpec::global_max(),
        4 => PoolSpec::global_avg(),
        5 => PoolSpec::adaptive_max(&b.list(rank)),
        _ => PoolSpec::adaptive_avg(&b.list(rank)),
    };
    let shape = layout.full_shape(batch, channels, &spatial);
    let Ok(plan) = PoolPlan::new(&spec, &shape, layout) else {
        return;
    };
    // The format-based shape function must agree with the plan.
    let format: String = match layout {
        Layout::ChannelsFirst => "nc".chars().chain("xyz".chars().take(rank)).collect(),
        Layout::ChannelsLast => "n".chars().chain("xyz".chars().take(rank)).chain("c".chars()).collect(),
    };
    assert_eq!(output_shape_in_format(&spec, &shape, &format).unwrap(), plan.output_shape());
    // Run small plans for real: the produced shape is the planned one.
    if plan.input_len() <= 4096 && plan.output_len() <= 4096 {
        spatial.clear();
        let input: Vec<f32> = (0..plan.input_len()).map(|i| (i % 7) as f32 - 3.0).collect();
        let view = TensorView::new(&input, &shape).unwrap();
        let out = pool(&plan, &view).unwrap();
        assert_eq!(out.shape(), plan.output_shape());
    }
});
