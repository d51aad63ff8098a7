"""Runs a case through the `poolkit` command line: .npy files in, .npy files out.

The suite drives the real binary, so every case also checks the command line's flags, its
.npy reading and writing (bfloat16 included) and both layouts. Tensors are handed over in
the case's layout and returned in logical [N, C, spatial...] order.
"""

import subprocess
from pathlib import Path

import ml_dtypes  # noqa: F401  (registers bfloat16, which poolkit's .npy files name)
import numpy as np


class Crash(Exception):
    """poolkit ended in a way no input may cause: a panic, a signal, a hang."""


def to_layout(x, layout):
    return np.ascontiguousarray(np.moveaxis(x, 1, -1)) if layout == "nhwc" else x


def from_layout(x, layout):
    return np.ascontiguousarray(np.moveaxis(x, -1, 1)) if layout == "nhwc" else x


def _sizes(values):
    return ",".join(str(v) for v in values)


def geometry_flags(case, for_shape=False):
    """The command-line flags that state the case's operator and geometry (for `apply`, or
    for `shape`, which names its layout by letters and has no index flags)."""
    op = case["op"]
    flags = ["--op", op.replace("_", "-")]
    if not for_shape:
        flags += ["--layout", case["layout"]]
    if "kernel" in case:
        flags += ["--kernel", _sizes(case["kernel"]), "--stride", _sizes(case["stride"])]
        if op != "unpool":
            flags += ["--dilation", _sizes(case["dilation"])]
    if "pads" in case:
        flags += ["--pads", _sizes(case["pads"])]
    if "auto_pad" in case:
        flags += ["--auto-pad", case["auto_pad"].replace("_", "-")]
    if case.get("ceil_mode"):
        flags.append("--ceil-mode")
    if case.get("count_include_pad"):
        flags.append("--count-include-pad")
    if case.get("divisor_override"):
        flags += ["--divisor-override", str(case["divisor_override"])]
    if "p" in case:
        flags += ["--p", repr(case["p"])]
    if "output_size" in case:
        flags += ["--output-size", _sizes(case["output_size"])]
    if op in ("max", "adaptive_max", "global_max", "unpool") and not for_shape:
        flags += ["--index-format", case.get("index_format", "torch")]
        if "storage_order" in case:
            flags += ["--storage-order", str(case["storage_order"])]
    if op == "roi_max":
        flags += ["--pooled-shape", _sizes(case["pooled_shape"])]
        flags += ["--spatial-scale", repr(case["spatial_scale"])]
    return flags


class Poolkit:
    """One binary, one scratch folder per case."""

    def __init__(self, binary, folder: Path):
        self.binary = str(binary)
        self.folder = folder
        self.calls = 0

    def _save(self, name, array):
        path = self.folder / name
        np.save(path, array)
        return str(path)

    def _run(self, args):
        self.calls += 1
        try:
            done = subprocess.run(
                [self.binary, "apply", *args, "--force", "--quiet"],
                capture_output=True,
                text=True,
                timeout=60,
            )
        except subprocess.TimeoutExpired as hang:
            raise Crash(f"poolkit {' '.join(args)} ran past 60 s") from hang
        if done.returncode == 2:
            return done.stderr.strip()
        if done.returncode != 0:
            raise Crash(f"poolkit {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
        return None

    def shape(self, case):
        """`poolkit shape --explain` of the case's input: the output shape in logical order,
        or {'error': message}."""
        logical, layout = case["shape"], case["layout"]
        spatial = "dhw"[3 - (len(logical) - 2):]
        if layout == "nhwc":
            dims, letters = [logical[0], *logical[2:], logical[1]], "n" + spatial + "c"
        else:
            dims, letters = logical, "nc" + spatial
        self.calls += 1
        done = subprocess.run(
            [self.binary, "shape", _sizes(dims), "--layout", letters, *geometry_flags(case, True), "--explain"],
            capture_output=True, text=True, timeout=60,
        )
        if done.returncode == 2:
            return {"error": done.stderr.strip()}
        if done.returncode != 0:
            raise Crash(f"poolkit shape exited {done.returncode}: {done.stderr.strip()}")
        out = [int(v) for v in done.stdout.strip().splitlines()[-1].strip("[]").split(",")]
        return {"shape": [out[0], out[-1], *out[1:-1]] if layout == "nhwc" else out}

    def _load(self, name, layout):
        return from_layout(np.load(self.folder / name), layout)

    def _side_args(self, case, side):
        """Unpooling's indices and output shape, RoI pooling's boxes, as files and flags."""
        if case["op"] == "unpool":
            args = ["--indices", self._save("uidx.npy", to_layout(side["indices"], case["layout"]))]
            if side.get("output_shape"):
                args += ["--output-shape", _sizes(side["output_shape"])]
            return args
        if case["op"] == "roi_max":
            return ["--rois", self._save("rois.npy", side["rois"])]
        return []

    def forward(self, case, x, side=None):
        """Runs the case on `x`: {'y', 'indices'?} or {'error': message}.

        `side` holds the extra inputs: unpooling's indices, RoI pooling's boxes."""
        layout = case["layout"]
        args = [self._save("x.npy", to_layout(x, layout)), "-o", str(self.folder / "y.npy")]
        args += geometry_flags(case)
        wants_indices = case["op"] in ("max", "adaptive_max", "global_max")
        if wants_indices:
            args += ["--indices", str(self.folder / "idx.npy")]
        args += self._side_args(case, side)
        error = self._run(args)
        if error is not None:
            return {"error": error}
        out = {"y": self._load("y.npy", layout)}
        if wants_indices:
            out["indices"] = self._load("idx.npy", layout)
        return out

    def backward(self, case, x, dy, side=None, through_indices=False):
        """The input gradient for upstream gradient `dy`: by recomputing the forward pass, or
        (max pooling) through the indices the forward call wrote."""
        layout = case["layout"]
        args = [self._save("x.npy", to_layout(x, layout))]
        args += ["--grad-output", self._save("dy.npy", to_layout(dy, layout))]
        args += ["--grad-input", str(self.folder / "dx.npy")]
        args += geometry_flags(case)
        if through_indices:
            args += ["--indices", str(self.folder / "idx.npy")]
        args += self._side_args(case, side)
        error = self._run(args)
        if error is not None:
            return {"error": error}
        return {"dx": self._load("dx.npy", layout)}
