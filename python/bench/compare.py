"""poolkit's Python functions beside torch.nn.functional, in one process, on the named
shapes of `poolkit bench` (VGG, ResNet stem, Inception, global pooling, the seed's grid),
both layouts: medians of several timed runs, and their ratio. Both sides allocate their
result, as a model's forward pass does. Writes a markdown table to standard output.

    python python/bench/compare.py [--runs 7] [--threads 2]
"""

import argparse
import os
import platform
import statistics
import time

import ml_dtypes
import numpy as np
import torch
import torch.nn.functional as F

import poolkit

VGG = (32, 64, 112, 112)


def cases():
    """(name, layout, dtype, input shape NCHW, poolkit call, torch call)."""
    out = []
    for layout in ("nchw", "nhwc"):
        out += [
            ("VGG max 2×2/s2", layout, "float32", VGG, lambda x, l: poolkit.max_pool2d(x, 2, layout=l),
             lambda t: F.max_pool2d(t, 2)),
            ("VGG avg 2×2/s2", layout, "float32", VGG, lambda x, l: poolkit.avg_pool2d(x, 2, layout=l),
             lambda t: F.avg_pool2d(t, 2)),
            ("ResNet stem max 3×3/s2/p1", layout, "float32", VGG,
             lambda x, l: poolkit.max_pool2d(x, 3, 2, 1, layout=l), lambda t: F.max_pool2d(t, 3, 2, 1)),
            ("Inception avg 3×3/s1/p1", layout, "float32", (32, 192, 28, 28),
             lambda x, l: poolkit.avg_pool2d(x, 3, 1, 1, layout=l), lambda t: F.avg_pool2d(t, 3, 1, 1)),
            ("global avg [32,2048,7,7]", layout, "float32", (32, 2048, 7, 7),
             lambda x, l: poolkit.global_avg_pool(x, layout=l), lambda t: F.adaptive_avg_pool2d(t, 1)),
            ("global max [32,2048,7,7]", layout, "float32", (32, 2048, 7, 7),
             lambda x, l: poolkit.global_max_pool(x, layout=l), lambda t: F.adaptive_max_pool2d(t, 1)),
            ("global avg [32,64,112,112]", layout, "float32", VGG,
             lambda x, l: poolkit.global_avg_pool(x, layout=l), lambda t: F.adaptive_avg_pool2d(t, 1)),
            ("global max [32,64,112,112]", layout, "float32", VGG,
             lambda x, l: poolkit.global_max_pool(x, layout=l), lambda t: F.adaptive_max_pool2d(t, 1)),
        ]
    out.append(("VGG max 2×2/s2 with indices", "nchw", "float32", VGG,
                lambda x, l: poolkit.max_pool2d(x, 2, return_indices=True),
                lambda t: F.max_pool2d(t, 2, return_indices=True)))
    for dtype in ("float16", "bfloat16", "uint8"):
        out.append((f"VGG max 2×2/s2 {dtype}", "nchw", dtype, VGG, lambda x, l: poolkit.max_pool2d(x, 2),
                    lambda t: F.max_pool2d(t, 2)))
    out.append(("seed 6×6 max 2×2/s2", "nchw", "float32", (1, 1, 6, 6), lambda x, l: poolkit.max_pool2d(x, 2),
                lambda t: F.max_pool2d(t, 2)))
    out.append(("seed 6×6 avg 2×2/s2", "nchw", "float32", (1, 1, 6, 6), lambda x, l: poolkit.avg_pool2d(x, 2),
                lambda t: F.avg_pool2d(t, 2)))
    return out


def inputs(shape, dtype, layout):
    x = np.random.default_rng(0).uniform(-100, 100, size=shape)
    if dtype == "uint8":
        x = np.abs(x)
    np_dtype = ml_dtypes.bfloat16 if dtype == "bfloat16" else np.dtype(dtype)
    a = x.astype(np_dtype)
    t = torch.from_numpy(x.astype(np.float32)).to(getattr(torch, dtype))
    if layout == "nhwc":
        a = np.ascontiguousarray(np.moveaxis(a, 1, -1))
        t = t.contiguous(memory_format=torch.channels_last)
    return a, t


def median_seconds(call, runs, min_time=0.05):
    """Median over `runs` runs of the mean time per call, each run long enough to time."""
    call()
    start, reps = time.perf_counter(), 0
    while time.perf_counter() - start < min_time / 5:
        call()
        reps += 1
    reps = max(1, reps * 5)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(reps):
            call()
        times.append((time.perf_counter() - t0) / reps)
    return statistics.median(times)


def show(seconds):
    return f"{seconds * 1e3:.2f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.2f} µs"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.environ.setdefault("POOLKIT_THREADS", str(args.threads))
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(f"poolkit {poolkit.__version__}, PyTorch {torch.__version__}, numpy {np.__version__}, "
          f"Python {platform.python_version()}; {cpu}, {os.cpu_count()} cores; {args.threads} threads each; "
          f"medians of {args.runs} runs\n")
    print("| case | layout | poolkit | PyTorch | × PyTorch |")
    print("|---|---|---|---|---|")
    for name, layout, dtype, shape, ours, theirs in cases():
        a, t = inputs(shape, dtype, layout)
        mine = median_seconds(lambda: ours(a, layout), args.runs)
        peer = median_seconds(lambda: theirs(t), args.runs)
        print(f"| {name} | {layout.upper()} | {show(mine)} | {show(peer)} | {peer / mine:.1f}× |", flush=True)


if __name__ == "__main__":
    main()
