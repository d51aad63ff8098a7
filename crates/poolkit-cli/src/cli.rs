//! The command line's grammar, in one place: `--help`, completions and the man page are all
//! generated from these definitions, so they cannot drift apart.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Images larger than this many pixels (width × height) are refused before decoding.
pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;

#[derive(Parser, Debug)]
#[command(
    name = "poolkit",
    version,
    about = "Pooling layers of CNNs from the shell: pool .npy tensors and images, follow shapes \
             through a stack of layers, compare max with average pooling.",
    after_help = "Examples:\n  \
        poolkit apply x.npy -o y.npy --op max --kernel 2,2\n  \
        poolkit apply photo.png -o small.png --op avg --kernel 2\n  \
        poolkit shape 14,14,32 --layout hwc --op max --kernel 2,2 --explain\n  \
        poolkit compare\n\n\
        Exit status: 0 success, 1 some items of a folder failed, 2 usage or input error."
)]
pub struct Cli {
    /// When to colour output: auto colours a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    Apply(Box<ApplyArgs>),
    Shape(ShapeArgs),
    Compare(CompareArgs),
    Explore(ExploreArgs),
    Bench(BenchArgs),
    Completions(CompletionsArgs),
    Man(ManArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The pooling operators, named as on the command line.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Max,
    Avg,
    Lp,
    GlobalMax,
    GlobalAvg,
    GlobalLp,
    AdaptiveMax,
    AdaptiveAvg,
    Unpool,
    RoiMax,
}

impl Op {
    /// The name as typed on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Op::Max => "max",
            Op::Avg => "avg",
            Op::Lp => "lp",
            Op::GlobalMax => "global-max",
            Op::GlobalAvg => "global-avg",
            Op::GlobalLp => "global-lp",
            Op::AdaptiveMax => "adaptive-max",
            Op::AdaptiveAvg => "adaptive-avg",
            Op::Unpool => "unpool",
            Op::RoiMax => "roi-max",
        }
    }

    /// True for the max reductions, which can report argmax indices.
    pub fn is_max(self) -> bool {
        matches!(self, Op::Max | Op::GlobalMax | Op::AdaptiveMax)
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoPad {
    SameUpper,
    SameLower,
    Valid,
}

/// A list of sizes, typed `2,2` (or `2x2`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sizes(pub Vec<usize>);

fn parse_sizes(text: &str) -> Result<Sizes, String> {
    let mut sizes = Vec::new();
    for part in text.split([',', 'x']).map(str::trim) {
        match part.parse::<usize>() {
            Ok(v) => sizes.push(v),
            Err(_) if part.is_empty() => {
                return Err(format!("{text:?} has an empty entry: give sizes like 2,2"))
            }
            Err(_) => {
                return Err(format!(
                    "{part:?} is not a whole number: give sizes like 2,2"
                ))
            }
        }
    }
    Ok(Sizes(sizes))
}

/// A finite float greater than zero.
fn parse_positive_float(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("{text:?} is not a finite number > 0")),
    }
}

/// The operator and its geometry: shared by `apply`, `shape` and each `shape --then` layer.
#[derive(Args, Debug, Clone)]
pub struct OpFlags {
    /// The pooling operator.
    #[arg(long, value_enum)]
    pub op: Op,
    /// Window size per spatial axis (one value applies to every axis).
    #[arg(long, value_name = "K,..", value_parser = parse_sizes, allow_negative_numbers = true)]
    pub kernel: Option<Sizes>,
    /// Step between windows per axis [default: the kernel, as in PyTorch].
    #[arg(long, value_name = "S,..", value_parser = parse_sizes, allow_negative_numbers = true)]
    pub stride: Option<Sizes>,
    /// Distance between window taps per axis [default: 1].
    #[arg(long, value_name = "D,..", value_parser = parse_sizes, allow_negative_numbers = true)]
    pub dilation: Option<Sizes>,
    /// Explicit padding in ONNX order: every axis's begin, then every axis's end.
    #[arg(long, value_name = "B1,..,E1,..", value_parser = parse_sizes, allow_negative_numbers = true, conflicts_with_all = ["padding", "auto_pad"])]
    pub pads: Option<Sizes>,
    /// Symmetric padding per axis (PyTorch's padding).
    #[arg(long, value_name = "P,..", value_parser = parse_sizes, allow_negative_numbers = true, conflicts_with = "auto_pad")]
    pub padding: Option<Sizes>,
    /// ONNX auto_pad: SAME gives ceil(in / stride) outputs.
    #[arg(long, value_enum, value_name = "MODE")]
    pub auto_pad: Option<AutoPad>,
    /// Round the output size up: keep a last, partial window.
    #[arg(long)]
    pub ceil_mode: bool,
    /// avg: count padding in each window's divisor.
    #[arg(long)]
    pub count_include_pad: bool,
    /// avg: divide every window by N (PyTorch's divisor_override).
    #[arg(long, value_name = "N")]
    pub divisor_override: Option<usize>,
    /// lp, global-lp: the norm's order [default: 2].
    #[arg(long, value_name = "P", value_parser = parse_positive_float, allow_negative_numbers = true)]
    pub p: Option<f64>,
    /// adaptive-max, adaptive-avg: output extent per spatial axis.
    #[arg(long, value_name = "O,..", value_parser = parse_sizes, allow_negative_numbers = true)]
    pub output_size: Option<Sizes>,
    /// unpool: the output's spatial extents (or its full shape) [default: inferred].
    #[arg(long, value_name = "SHAPE", value_parser = parse_sizes, allow_negative_numbers = true)]
    pub output_shape: Option<Sizes>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutArg {
    /// Channels first: [N, C, spatial...].
    #[value(alias = "ncl", alias = "ncdhw", alias = "channels-first")]
    Nchw,
    /// Channels last: [N, spatial..., C].
    #[value(alias = "nlc", alias = "ndhwc", alias = "channels-last")]
    Nhwc,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexFormat {
    /// Flat h*W + w within each (n, c) plane.
    Torch,
    /// Flat over the whole tensor (see --storage-order).
    Onnx,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlphaMode {
    /// Pool the alpha channel with max, whatever the operator.
    KeepMax,
    /// Pool the alpha channel with the average, whatever the operator.
    Average,
}

/// Pool a .npy tensor, an image, or a folder of them.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    poolkit apply x.npy -o y.npy --op max --kernel 2,2 --indices idx.npy\n  \
    poolkit apply x.npy -o y.npy --op avg --kernel 3,3 --stride 2,2 --padding 1,1 --count-include-pad\n  \
    poolkit apply y.npy -o x2.npy --op unpool --kernel 2,2 --indices idx.npy\n  \
    poolkit apply x.npy -o r.npy --op roi-max --rois rois.npy --pooled-shape 2,2 --spatial-scale 0.5\n  \
    poolkit apply x.npy --op avg --kernel 2,2 --grad-output dy.npy --grad-input dx.npy\n  \
    poolkit apply photo.png -o small.png --op max --kernel 2\n  \
    poolkit apply photo.png -o pyramid/ --op avg --kernel 2 --repeat 4\n  \
    poolkit apply photos/ -o small/ --recursive --op max --kernel 2 --skip-existing\n\n\
    Images are pooled per channel, as [1, H, W, C]: 8- and 16-bit grey, grey+alpha, RGB and RGBA \
    (PNG, JPEG, TIFF, BMP, WebP, GIF's first frame). Integer averages round half to even. \
    The output format follows the output's extension; a format that cannot hold the pixels \
    (16 bits or alpha in JPEG) is refused rather than converted. GIF holds at most 256 \
    colours. Outputs appear only when complete (written aside, then renamed).")]
pub struct ApplyArgs {
    /// A .npy tensor, an image, or a folder.
    pub input: PathBuf,
    /// The output file, or a folder (ends in / or exists) for a folder input or --repeat levels.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub op: OpFlags,
    /// Memory layout of a .npy tensor (images are always channels-last).
    #[arg(long, value_enum, default_value_t = LayoutArg::Nchw)]
    pub layout: LayoutArg,
    /// Argmax indices (int64 .npy): written by max pooling, read by unpool and by max backward.
    #[arg(long, value_name = "IDX.npy")]
    pub indices: Option<PathBuf>,
    /// How indices count positions.
    #[arg(long, value_enum, default_value_t = IndexFormat::Torch)]
    pub index_format: IndexFormat,
    /// ONNX indices: 0 row-major, 1 column-major spatial order [default: 0].
    #[arg(long, value_name = "0|1", value_parser = clap::value_parser!(u8).range(0..=1))]
    pub storage_order: Option<u8>,
    /// roi-max: [num_rois, 5] rows of (batch_index, x1, y1, x2, y2).
    #[arg(long, value_name = "ROIS.npy")]
    pub rois: Option<PathBuf>,
    /// roi-max: bins per RoI, height,width.
    #[arg(long, value_name = "H,W", value_parser = parse_sizes, allow_negative_numbers = true)]
    pub pooled_shape: Option<Sizes>,
    /// roi-max: scale from RoI coordinates to input coordinates.
    #[arg(long, value_name = "S", value_parser = parse_positive_float, allow_negative_numbers = true)]
    pub spatial_scale: Option<f64>,
    /// Upstream gradient (the output's shape and dtype): computes the input gradient.
    #[arg(long, value_name = "DY.npy", requires = "grad_input")]
    pub grad_output: Option<PathBuf>,
    /// Where the input gradient is written.
    #[arg(long, value_name = "DX.npy", requires = "grad_output")]
    pub grad_input: Option<PathBuf>,
    /// Apply the operator K times; with -o DIR/ every level is written.
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub repeat: u32,
    /// Images: how the alpha channel is pooled [default: like every channel].
    #[arg(long, value_enum)]
    pub alpha: Option<AlphaMode>,
    /// Output extension for folder and level outputs (png, jpg, tiff, bmp, webp, gif, npy)
    /// [default: the input's].
    #[arg(long, value_name = "EXT")]
    pub format: Option<String>,
    /// Folders: descend into subfolders (the tree is mirrored under the output).
    #[arg(short, long)]
    pub recursive: bool,
    /// Folders: files processed at once [default: the number of CPUs].
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    /// Leave outputs that already exist alone (resumes an interrupted run).
    #[arg(long, conflicts_with = "force")]
    pub skip_existing: bool,
    /// Overwrite existing outputs.
    #[arg(short, long)]
    pub force: bool,
    /// No progress bar and no summary.
    #[arg(short, long)]
    pub quiet: bool,
    /// Refuse images of more pixels than this, read from the header before decoding.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_PIXELS)]
    pub max_pixels: u64,
}

/// Print the output shape of a pooling layer, or of a chain of layers.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    poolkit shape 14,14,32 --layout hwc --op max --kernel 2,2\n  \
    poolkit shape 14,14,32 --layout hwc --op max --kernel 2,2 --explain\n  \
    poolkit shape 5,5 --layout hw --op max --kernel 2 --padding 1 --ceil-mode --explain\n  \
    poolkit shape 224,224,3 --layout hwc --op max --kernel 3 --stride 2 --padding 1 \\\n    \
    --then 'max --kernel 2' --then 'adaptive-avg --output-size 1,1'\n\n\
    --layout names each axis with a letter: n batch, c channels, any other letter a spatial \
    axis. Without it, the first two axes are batch and channels.")]
pub struct ShapeArgs {
    /// The input shape, e.g. 14,14,32.
    #[arg(value_parser = parse_sizes, allow_negative_numbers = true, value_name = "SHAPE")]
    pub shape: Sizes,
    /// One letter per axis: n batch, c channels, others spatial (hwc, nchw, ncdhw, ...).
    #[arg(long, value_name = "LETTERS")]
    pub layout: Option<String>,
    #[command(flatten)]
    pub op: OpFlags,
    /// Show each spatial axis's formula with the numbers substituted.
    #[arg(long)]
    pub explain: bool,
    /// A further layer, as its flags: 'max --kernel 2' or '--op avg --kernel 3 --stride 2'.
    #[arg(long, value_name = "LAYER", allow_hyphen_values = true)]
    pub then: Vec<String>,
}

/// Max versus average pooling of one small grid, side by side, with how far apart they are.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    poolkit compare\n  \
    poolkit compare --grid '1,2,3,4;5,6,7,8;9,10,11,12;13,14,15,16'\n  \
    poolkit compare grid.npy --kernel 3 --stride 1 --json\n  \
    poolkit compare icon.png --kernel 4\n\n\
    Without input it uses the 6×6 grid of the Max vs. Average Pooling Explorer. An image is \
    read as grey levels; a .npy must hold one 2-D plane.")]
pub struct CompareArgs {
    /// A .npy grid or an image [default: the explorer's 6×6 grid].
    #[arg(conflicts_with = "grid")]
    pub input: Option<PathBuf>,
    /// Rows separated by ';', values by ','.
    #[arg(long, value_name = "ROWS")]
    pub grid: Option<String>,
    /// Window size (one value applies to both axes).
    #[arg(long, value_name = "K,..", value_parser = parse_sizes, allow_negative_numbers = true, default_value = "2")]
    pub kernel: Sizes,
    /// Step between windows [default: the kernel].
    #[arg(long, value_name = "S,..", value_parser = parse_sizes, allow_negative_numbers = true)]
    pub stride: Option<Sizes>,
    /// Symmetric padding per axis.
    #[arg(long, value_name = "P,..", value_parser = parse_sizes, allow_negative_numbers = true)]
    pub padding: Option<Sizes>,
    /// Print the same content as JSON.
    #[arg(long)]
    pub json: bool,
    /// Refuse images of more pixels than this, read from the header before decoding.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_PIXELS)]
    pub max_pixels: u64,
}

/// Serve the interactive Max vs. Average Pooling Explorer on this machine.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    poolkit explore\n  \
    poolkit explore --open\n  \
    poolkit explore --port 0\n\n\
    Serves until Ctrl-C. It listens on 127.0.0.1 (this machine only) unless --host says \
    otherwise; --port 0 picks a free port.")]
pub struct ExploreArgs {
    /// TCP port to listen on.
    #[arg(long, default_value_t = 7878)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Open the page in the default browser.
    #[arg(long)]
    pub open: bool,
}

/// Time the library on named shapes of real networks, beside this machine's memory ceilings.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    poolkit bench\n  \
    poolkit bench --filter resnet --threads 1\n  \
    poolkit bench --json --no-ceilings > results.jsonl\n\n\
    GB/s is (bytes read + bytes written) / median time; each case is compared with the memory \
    ceiling that bounds it, measured in the same run. --json prints one JSON object per line: \
    the ceilings first, then one per case.")]
pub struct BenchArgs {
    /// Print JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Threads for the pooling calls and the ceiling loops [default: the number of CPUs].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    /// Only cases whose name contains TEXT (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Timed runs per case; the median is reported [default: 7].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub runs: Option<u32>,
    /// Force an instruction set: scalar, sse2, avx2 or avx512 [default: the best this CPU has].
    #[arg(long, value_name = "NAME")]
    pub isa: Option<String>,
    /// Skip measuring the memory ceilings (saves a few seconds).
    #[arg(long)]
    pub no_ceilings: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

/// Print a shell completion script.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    poolkit completions bash > ~/.local/share/bash-completion/completions/poolkit\n  \
    poolkit completions zsh > ~/.zfunc/_poolkit\n  \
    poolkit completions fish > ~/.config/fish/completions/poolkit.fish")]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Print the man page (roff) of poolkit or of one subcommand.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    poolkit man > poolkit.1 && man ./poolkit.1\n  \
    poolkit man apply > poolkit-apply.1")]
pub struct ManArgs {
    /// A subcommand (apply, shape, compare, ...) [default: poolkit itself].
    pub subcommand: Option<String>,
}
