#!/usr/bin/env python3
"""Times poolkit beside ONNX Runtime, PyTorch (when installed) and numpy on the same
shapes, in the same run, and writes a markdown table with the ratios.

poolkit runs through its own benchmark engine (the `bench_json` example), which also
measures the machine's memory ceilings; the peers run here on arrays of the same shape,
dtype and layout, with the same thread count. Every GB/s figure uses poolkit's byte count
for the case: (bytes read + bytes written) / median time.

Usage: scripts/bench-compare.sh [--threads N] [--runs N] [--out docs/benchmarks.md]
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

try:
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper
except ImportError:  # pragma: no cover - the shell wrapper installs them
    ort = None

try:
    import torch
    import torch.nn.functional as F
except Exception:  # torch is optional; a broken install counts as absent
    torch = None


def median_seconds(fn, runs, min_sample=0.002):
    """Median seconds per call; short calls are timed in batches."""
    fn()
    t = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t, 1e-9)
    if once > 1.0:
        return once
    batch = max(1, int(min_sample / once))
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        for _ in range(batch):
            fn()
        samples.append((time.perf_counter() - t) / batch)
    return statistics.median(samples)


def bench_binary():
    """Builds the `bench_json` example once and returns its path."""
    subprocess.run(
        ["cargo", "build", "--quiet", "--release", "-p", "poolkit", "--example", "bench_json"],
        check=True,
    )
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    return os.path.join(target, "release", "examples", "bench_json")


def run_poolkit(binary, args, filter_text, ceilings=False):
    """poolkit's results for cases whose name contains `filter_text` (and the ceilings)."""
    cmd = [binary, "--threads", str(args.threads), "--runs", str(args.runs), "--filter", filter_text]
    if not ceilings:
        cmd.append("--no-ceilings")
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True).stdout
    results, found = [], None
    for line in out.splitlines():
        obj = json.loads(line)
        if "ceilings" in obj:
            found = obj["ceilings"]
        else:
            results.append(obj)
    return results, found


def nchw_shape(r):
    s = r["shape"]
    return s if r["layout"] == "nchw" else [s[0], s[3], s[1], s[2]]


def pads_hw(r):
    p = r["pads"]
    return (p[0], p[1], p[2], p[3]) if p else (0, 0, 0, 0)


# --- ONNX Runtime -------------------------------------------------------------------

def onnx_model(r):
    n, c, h, w = nchw_shape(r)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [n, c, h, w])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    op = r["op"]
    if op == "global_avg":
        node = helper.make_node("GlobalAveragePool", ["x"], ["y"])
    elif op == "global_max":
        node = helper.make_node("GlobalMaxPool", ["x"], ["y"])
    else:
        attrs = dict(kernel_shape=r["kernel"], strides=r["stride"], pads=r["pads"])
        if op == "max":
            if any(d != 1 for d in r["dilation"]):
                attrs["dilations"] = r["dilation"]
            node = helper.make_node("MaxPool", ["x"], ["y"], **attrs)
        else:
            if any(d != 1 for d in r["dilation"]):
                attrs["dilations"] = r["dilation"]
            node = helper.make_node("AveragePool", ["x"], ["y"], count_include_pad=0, **attrs)
    graph = helper.make_graph([node], "pool", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
    model.ir_version = 9
    return model.SerializeToString()


def time_onnxruntime(r, x_nchw, threads, runs):
    if ort is None or r["layout"] != "nchw":
        return None
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        sess = ort.InferenceSession(onnx_model(r), opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # an op/attribute this version lacks
        print(f"onnxruntime: {r['name']}: {e}", file=sys.stderr)
        return None
    feed = {"x": x_nchw}
    return median_seconds(lambda: sess.run(None, feed), runs)


# --- PyTorch ------------------------------------------------------------------------

def time_torch(r, x_nchw, threads, runs):
    if torch is None:
        return None
    torch.set_num_threads(threads)
    x = torch.from_numpy(x_nchw)
    if r["layout"] == "nhwc":
        x = x.contiguous(memory_format=torch.channels_last)
    op = r["op"]
    with torch.no_grad():
        if op == "global_avg":
            fn = lambda: F.adaptive_avg_pool2d(x, 1)
        elif op == "global_max":
            fn = lambda: F.adaptive_max_pool2d(x, 1)
        else:
            pt, pl, pb, pr = pads_hw(r)
            if pt != pb or pl != pr:
                return None
            k, s, d = tuple(r["kernel"]), tuple(r["stride"]), tuple(r["dilation"])
            if op == "max":
                fn = lambda: F.max_pool2d(x, k, s, (pt, pl), d)
            else:
                if any(v != 1 for v in d):
                    return None  # avg_pool2d has no dilation
                fn = lambda: F.avg_pool2d(x, k, s, (pt, pl), count_include_pad=False)
        return median_seconds(fn, runs)


# --- numpy --------------------------------------------------------------------------

def time_numpy(r, x, runs):
    """numpy has no pooling: the usual reshape idioms where one exists."""
    op, nhwc = r["op"], r["layout"] == "nhwc"
    if op in ("global_avg", "global_max"):
        axes = (1, 2) if nhwc else (2, 3)
        f = np.mean if op == "global_avg" else np.max
        return median_seconds(lambda: f(x, axis=axes), runs)
    if r["kernel"] == [2, 2] and r["stride"] == [2, 2] and not any(r["pads"]):
        f = np.max if op == "max" else np.mean
        if nhwc:
            n, h, w, c = x.shape
            fn = lambda: f(x.reshape(n, h // 2, 2, w // 2, 2, c), axis=(2, 4))
        else:
            n, c, h, w = x.shape
            fn = lambda: f(x.reshape(n, c, h // 2, 2, w // 2, 2), axis=(3, 5))
        return median_seconds(fn, runs)
    return None


# --- report -------------------------------------------------------------------------

def machine():
    model, cores = platform.processor() or "unknown CPU", os.cpu_count()
    try:
        out = subprocess.run(["lscpu"], stdout=subprocess.PIPE, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
        flags = [f for f in ("avx512f", "avx2", "sse2") if f" {f} " in out]
    except FileNotFoundError:
        flags = []
    return model, cores, flags


def load():
    try:
        return open("/proc/loadavg").read().split()[:3]
    except OSError:
        return ["?", "?", "?"]


def fmt_ms(s):
    if s is None:
        return "-"
    ms = s * 1e3
    return f"{ms * 1e3:.2f} µs" if ms < 0.1 else f"{ms:.3f} ms"


def ratio(peer, ours):
    return "-" if peer is None else f"{peer / ours:.1f}×"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--filter", default=None, help="only poolkit cases whose name contains this")
    ap.add_argument("--out", default="docs/benchmarks.md")
    args = ap.parse_args()

    load_before = load()
    binary = bench_binary()
    # The ceilings first, then each case: poolkit and its peers one after the other, so
    # that they meet the same load on a shared machine.
    _, ceilings = run_poolkit(binary, args, "no case has this name", ceilings=True)
    names = subprocess.run([binary, "--list"], check=True, stdout=subprocess.PIPE,
                           text=True).stdout.split()
    if args.filter:
        names = [n for n in names if args.filter.lower() in n]
    results, rows = [], []
    for name in names:
        found, _ = run_poolkit(binary, args, name)
        r = next((x for x in found if x["name"] == name), None)
        if r is None:
            continue
        results.append(r)
        if r["direction"] != "forward" or r["dtype"] != "f32" or r["op"] not in (
            "max", "avg", "global_avg", "global_max"
        ) or r["call"] == "alloc" and r["ceiling"] != "none":
            rows.append((r, None, None, None))
            print(f"{name}: poolkit {r['median_ms']:.3f} ms", file=sys.stderr)
            continue
        n, c, h, w = nchw_shape(r)
        rng = np.random.default_rng(7)
        x_nchw = (rng.random((n, c, h, w), dtype=np.float32) * 200).astype(np.float32)
        x = np.ascontiguousarray(x_nchw.transpose(0, 2, 3, 1)) if r["layout"] == "nhwc" else x_nchw
        t_ort = time_onnxruntime(r, x_nchw, args.threads, args.runs)
        t_torch = time_torch(r, x_nchw, args.threads, args.runs)
        t_np = time_numpy(r, x, args.runs)
        rows.append((r, t_ort, t_torch, t_np))
        print(f"{name}: poolkit {r['median_ms']:.3f} ms, ort {fmt_ms(t_ort)}, "
              f"torch {fmt_ms(t_torch)}, numpy {fmt_ms(t_np)}", file=sys.stderr)
    load_after = load()

    model, cores, flags = machine()
    versions = [f"numpy {np.__version__}"]
    if ort is not None:
        versions.append(f"onnxruntime {ort.__version__}")
    versions.append(f"torch {torch.__version__}" if torch is not None else "torch: not installed")
    isa = results[0]["isa"] if results else "?"
    lines = [
        "# Benchmarks",
        "",
        "Written by `scripts/bench-compare.sh`: poolkit's own benchmark (`poolkit::bench`, the "
        "engine behind `poolkit bench`) and its peers, in one run, on the same shapes; each "
        "case runs in poolkit and then in every peer before the next case starts.",
        "",
        "## Machine",
        "",
        f"- CPU: {model}, {cores} logical cores ({', '.join(flags) or 'no x86 SIMD flags'}); "
        f"poolkit ran its `{isa}` kernels",
        f"- threads: {args.threads} for every library; median of {args.runs} runs",
        f"- load average before / after: {' '.join(load_before)} / {' '.join(load_after)} "
        "(a busy machine makes every figure noisy)",
        f"- peers: {', '.join(versions)}",
        f"- date: {datetime.date.today().isoformat()}",
        "",
        "## Memory ceilings (same run)",
        "",
    ]
    if ceilings:
        ways = ceilings.get("ways") or ["?", "?", "?"]
        lines += [
            "Each ceiling is the best of the same loop run scalar, with vector loads and plain "
            "stores, and with non-temporal stores; the way that won is in brackets.",
            "",
            f"- read-only (sum a 128 MiB buffer): {ceilings['read_only_gbps']:.1f} GB/s ({ways[0]})",
            f"- copy (read 1, write 1): {ceilings['copy_gbps']:.1f} GB/s ({ways[1]})",
            f"- read-4-write-1 (max of four floats): "
            f"{ceilings['read4_write1_gbps']:.1f} GB/s ({ways[2]})",
        ]
    lines += [
        "",
        "## Results",
        "",
        "GB/s = (bytes read + bytes written) / median time, each element counted once. "
        "% = poolkit's GB/s over the ceiling that bounds the case. ×peer = the peer's time "
        "over poolkit's (above 1: poolkit is faster). `-`: not measured (no such operator, "
        "layout or idiom in that library).",
        "",
        "| case | poolkit | GB/s | % ceiling | ONNX Runtime | ×ORT | PyTorch | ×torch | numpy | ×numpy |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    ceiling_of = {
        "read-only": "read_only_gbps",
        "copy": "copy_gbps",
        "read-4-write-1": "read4_write1_gbps",
    }
    for r, t_ort, t_torch, t_np in rows:
        ours = r["median_ms"] / 1e3
        # The cases ran without their own ceilings: use the ones measured first.
        key = ceiling_of.get(r["ceiling"])
        pct = 100 * r["gbps"] / ceilings[key] if ceilings and key else None
        note = ""
        if r.get("reference_ms"):
            note = f" ({r['reference_ms'] / r['median_ms']:.0f}× the reference)"
        lines.append(
            f"| {r['name']} | {fmt_ms(ours)}{note} | {r['gbps']:.2f} | "
            f"{'-' if pct is None else f'{pct:.0f}%'} | {fmt_ms(t_ort)} | {ratio(t_ort, ours)} | "
            f"{fmt_ms(t_torch)} | {ratio(t_torch, ours)} | {fmt_ms(t_np)} | {ratio(t_np, ours)} |"
        )
    lines.append("")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
