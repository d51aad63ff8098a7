//! The named shapes the benchmark runs: pooling layers of real networks (VGG, ResNet,
//! Inception, global average pooling heads), the seed's 6×6 grid and ONNX's large window.

use super::ceilings::Ceiling;
use crate::element::DType;
use crate::geometry::{Padding, PoolSpec, WindowSpec};
use crate::tensor::Layout;

/// What a benchmark case computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Max,
    Avg,
    /// Max pooling that also writes argmax indices (PyTorch convention).
    MaxWithIndices,
    GlobalAvg,
    GlobalMax,
    /// Gradient of max pooling scattered through saved indices.
    MaxBackwardFromIndices,
    /// Gradient of max pooling, recomputing the argmax from the input.
    MaxBackwardRecompute,
    AvgBackward,
}

impl Op {
    /// The operation's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Op::Max => "max",
            Op::Avg => "avg",
            Op::MaxWithIndices => "max_with_indices",
            Op::GlobalAvg => "global_avg",
            Op::GlobalMax => "global_max",
            Op::MaxBackwardFromIndices => "max_from_indices",
            Op::MaxBackwardRecompute => "max_recompute",
            Op::AvgBackward => "avg",
        }
    }

    /// `forward` or `backward`.
    pub fn direction(self) -> &'static str {
        match self {
            Op::MaxBackwardFromIndices | Op::MaxBackwardRecompute | Op::AvgBackward => "backward",
            _ => "forward",
        }
    }

    fn is_max(self) -> bool {
        matches!(
            self,
            Op::Max
                | Op::MaxWithIndices
                | Op::GlobalMax
                | Op::MaxBackwardFromIndices
                | Op::MaxBackwardRecompute
        )
    }
}

/// How the case calls the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// Into a reused output buffer (`*_into`).
    Into,
    /// Through the allocating call, a fresh output each time, as most users call it.
    Alloc,
    /// Through a `PreparedPool` made once, into a reused buffer: what a caller that pools
    /// many tensors of one shape pays per call.
    Prepared,
}

/// One named benchmark case.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchCase {
    /// A unique name, e.g. `vgg-max-2x2s2-nchw`: what `--filter` matches.
    pub name: String,
    pub op: Op,
    pub batch: usize,
    pub channels: usize,
    pub spatial: Vec<usize>,
    pub layout: Layout,
    /// Empty for global pooling.
    pub kernel: Vec<usize>,
    pub stride: Vec<usize>,
    pub dilation: Vec<usize>,
    /// ONNX order: every begin, then every end.
    pub pads: Vec<usize>,
    pub dtype: DType,
    pub call: Call,
    /// The memory ceiling this case is measured against.
    pub ceiling: Ceiling,
    /// Also time the reference implementation (extrapolated from a crop of the input).
    pub compare_reference: bool,
}

impl BenchCase {
    /// The full input shape in the case's layout.
    pub fn shape(&self) -> Vec<usize> {
        self.layout
            .full_shape(self.batch, self.channels, &self.spatial)
    }

    /// The pooling spec of the case.
    pub fn spec(&self) -> PoolSpec {
        let rank = self.kernel.len();
        let window = WindowSpec::new(&self.kernel)
            .strides(&self.stride)
            .dilations(&self.dilation)
            .padding(Padding::Explicit {
                begin: self.pads[..rank.min(self.pads.len())].to_vec(),
                end: self.pads[rank.min(self.pads.len())..].to_vec(),
            });
        match self.op {
            Op::GlobalAvg => PoolSpec::global_avg(),
            Op::GlobalMax => PoolSpec::global_max(),
            op if op.is_max() => PoolSpec::max(window),
            _ => PoolSpec::avg(window),
        }
    }

    /// Layout name: `nchw` or `nhwc`.
    pub fn layout_name(&self) -> &'static str {
        match self.layout {
            Layout::ChannelsFirst => "nchw",
            Layout::ChannelsLast => "nhwc",
        }
    }
}

struct Window {
    kernel: [usize; 2],
    stride: [usize; 2],
    dilation: [usize; 2],
    pad: usize,
}

const TWO_BY_TWO: Window = Window {
    kernel: [2, 2],
    stride: [2, 2],
    dilation: [1, 1],
    pad: 0,
};

#[allow(clippy::too_many_arguments)]
fn case(
    tag: &str,
    op: Op,
    nchw: [usize; 4],
    layout: Layout,
    w: Option<&Window>,
    dtype: DType,
    call: Call,
    ceiling: Ceiling,
) -> BenchCase {
    let [batch, channels, h, wd] = nchw;
    let mut c = BenchCase {
        name: String::new(),
        op,
        batch,
        channels,
        spatial: vec![h, wd],
        layout,
        kernel: w.map_or(vec![], |w| w.kernel.to_vec()),
        stride: w.map_or(vec![], |w| w.stride.to_vec()),
        dilation: w.map_or(vec![], |w| w.dilation.to_vec()),
        pads: w.map_or(vec![], |w| vec![w.pad; 4]),
        dtype,
        call,
        ceiling,
        compare_reference: false,
    };
    let call_tag = match call {
        Call::Into => "",
        Call::Alloc => "-alloc",
        Call::Prepared => "-prepared",
    };
    let dtype_tag = if dtype == DType::F32 {
        String::new()
    } else {
        format!("-{}", dtype.name())
    };
    c.name = format!(
        "{tag}-{}-{}{}{}{}",
        op.direction(),
        op.name(),
        dtype_tag,
        call_tag,
        format_args!("-{}", c.layout_name())
    );
    c
}

/// Every named case, in the order a full run reports them.
pub fn named_cases() -> Vec<BenchCase> {
    use Layout::{ChannelsFirst as Cf, ChannelsLast as Cl};
    use {Call::*, Ceiling::*, DType::*};
    let vgg = [32, 64, 112, 112];
    let stem = Window {
        kernel: [3, 3],
        stride: [2, 2],
        dilation: [1, 1],
        pad: 1,
    };
    let inception = Window {
        kernel: [3, 3],
        stride: [1, 1],
        dilation: [1, 1],
        pad: 1,
    };
    let large = Window {
        kernel: [60, 80],
        stride: [1, 1],
        dilation: [10, 10],
        pad: 0,
    };
    let mut cases = Vec::new();
    for layout in [Cf, Cl] {
        cases.push(case(
            "vgg-2x2s2",
            Op::Max,
            vgg,
            layout,
            Some(&TWO_BY_TWO),
            F32,
            Into,
            Read4Write1,
        ));
        cases.push(case(
            "vgg-2x2s2",
            Op::Avg,
            vgg,
            layout,
            Some(&TWO_BY_TWO),
            F32,
            Into,
            Read4Write1,
        ));
    }
    cases.push(case(
        "vgg-2x2s2",
        Op::Max,
        vgg,
        Cf,
        Some(&TWO_BY_TWO),
        F32,
        Alloc,
        Read4Write1,
    ));
    cases.push(case(
        "vgg-2x2s2",
        Op::MaxWithIndices,
        vgg,
        Cf,
        Some(&TWO_BY_TWO),
        F32,
        Into,
        Read4Write1,
    ));
    for dtype in [F16, BF16, U8] {
        cases.push(case(
            "vgg-2x2s2",
            Op::Max,
            vgg,
            Cf,
            Some(&TWO_BY_TWO),
            dtype,
            Into,
            Read4Write1,
        ));
    }
    for layout in [Cf, Cl] {
        cases.push(case(
            "resnet-stem-3x3s2p1",
            Op::Max,
            vgg,
            layout,
            Some(&stem),
            F32,
            Into,
            Read4Write1,
        ));
    }
    for layout in [Cf, Cl] {
        let shape = [32, 192, 28, 28];
        cases.push(case(
            "inception-3x3s1p1",
            Op::Avg,
            shape,
            layout,
            Some(&inception),
            F32,
            Into,
            Copy,
        ));
    }
    for (tag, shape) in [("gap-2048x7x7", [32, 2048, 7, 7]), ("gap-64x112x112", vgg)] {
        for layout in [Cf, Cl] {
            cases.push(case(
                tag,
                Op::GlobalAvg,
                shape,
                layout,
                Option::None,
                F32,
                Into,
                ReadOnly,
            ));
            cases.push(case(
                tag,
                Op::GlobalMax,
                shape,
                layout,
                Option::None,
                F32,
                Into,
                ReadOnly,
            ));
        }
    }
    for (op, call) in [(Op::Max, Alloc), (Op::Avg, Alloc), (Op::Max, Prepared)] {
        let grid = [1, 1, 6, 6];
        let two = Some(&TWO_BY_TWO);
        cases.push(case("seed-6x6-2x2s2", op, grid, Cf, two, F32, call, None));
    }
    for op in [Op::Max, Op::Avg] {
        let mut c = case(
            "large-60x80d10",
            op,
            [1, 1, 1000, 1000],
            Cf,
            Some(&large),
            F32,
            Into,
            None,
        );
        c.compare_reference = true;
        cases.push(c);
    }
    // Backward reads the small gradient and writes the large one: copy-bound.
    // From indices: as most users call it (a fresh gradient each time, whose page faults
    // and zeroing count), and into a reused buffer (the kernel alone).
    for call in [Alloc, Into] {
        cases.push(case(
            "vgg-2x2s2",
            Op::MaxBackwardFromIndices,
            vgg,
            Cf,
            Some(&TWO_BY_TWO),
            F32,
            call,
            Copy,
        ));
    }
    for op in [Op::MaxBackwardRecompute, Op::AvgBackward] {
        cases.push(case(
            "vgg-2x2s2",
            op,
            vgg,
            Cf,
            Some(&TWO_BY_TWO),
            F32,
            Into,
            Copy,
        ));
    }
    cases
}
