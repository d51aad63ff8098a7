"""Seeded random pooling cases for the differential suite, and their input data.

A case is a plain dict (JSON-serialisable, so a failure prints a case that replays): the
operator, the logical [N, C, spatial...] shape, the element type, poolkit's layout, every
geometry flag, and a data seed. Cases are drawn over every operator and flag that poolkit
and at least one peer share; the peers decide for themselves what they accept.
"""

import random

import ml_dtypes
import numpy as np

FLOATS = ["float32", "float64", "float16", "bfloat16"]
INTEGERS = ["uint8", "int8", "uint16"]
WINDOW_OPS = ["max", "avg", "lp"]
OPS = WINDOW_OPS * 4 + [
    "global_max",
    "global_avg",
    "global_lp",
    "adaptive_max",
    "adaptive_avg",
    "adaptive_max",
    "adaptive_avg",
    "unpool",
    "unpool",
    "roi_max",
]


def np_dtype(name):
    """numpy's dtype for a case's element type name."""
    return np.dtype(ml_dtypes.bfloat16) if name == "bfloat16" else np.dtype(name)


def random_case(rng: random.Random):
    """One case drawn from `rng`."""
    op = rng.choice(OPS)
    rank = 2 if op == "roi_max" else rng.choice([1, 2, 2, 3])
    spatial = [rng.randint(1, 9 if rank < 3 else 6) for _ in range(rank)]
    case = {
        "op": op,
        "shape": [rng.randint(1, 2), rng.randint(1, 3)] + spatial,
        "dtype": rng.choice(FLOATS * 3 + INTEGERS) if op in ("max", "global_max", "adaptive_max") else rng.choice(FLOATS),
        "layout": rng.choice(["nchw", "nhwc"]),
        "values": rng.choice(["ints", "floats", "floats", "special"]),
        "seed": rng.randrange(2**31),
    }
    if op in WINDOW_OPS or op == "unpool":
        case["kernel"] = [rng.randint(1, 4) for _ in range(rank)]
        case["stride"] = [rng.randint(1, 4) for _ in range(rank)]
        case["dilation"] = [rng.choice([1, 1, 1, 2, 3]) for _ in range(rank)]
        case["ceil_mode"] = rng.random() < 0.4
        mode = rng.random()
        if mode < 0.15 and op != "unpool":
            case["auto_pad"] = rng.choice(["same_upper", "same_lower", "valid"])
        elif mode < 0.55:
            pads = [rng.randint(0, 2) for _ in range(rank)]
            case["pads"] = pads + (pads if rng.random() < 0.7 else [rng.randint(0, 2) for _ in range(rank)])
        if op == "avg":
            case["count_include_pad"] = rng.random() < 0.5
            if rng.random() < 0.2:
                case["divisor_override"] = rng.randint(1, 9)
        if op == "lp":
            case["p"] = rng.choice([1.0, 2.0, 2.0, 3.0, 4.0])
        if op == "unpool":
            # Unpooling inverts a max pooling of these spatial extents; the pooled tensor
            # and its indices come from PyTorch's max pooling (see peers.unpool_inputs).
            case["dilation"] = [1] * rank
            case["ceil_mode"] = False
            case.pop("auto_pad", None)
            pads = [rng.randint(0, k // 2) for k in case["kernel"]]
            case["pads"] = pads + pads
            case["explicit_output"] = rng.random() < 0.4
            for a, k in enumerate(case["kernel"]):
                case["shape"][2 + a] = max(case["shape"][2 + a], k)
    if op == "max" or op == "adaptive_max" or op == "global_max":
        case["index_format"] = rng.choice(["torch", "onnx"])
        if case["index_format"] == "onnx":
            case["storage_order"] = rng.choice([0, 1])
    if op == "global_lp":
        case["p"] = rng.choice([1.0, 2.0, 3.0])
    if op.startswith("adaptive"):
        case["output_size"] = [rng.randint(1, d + 2) for d in spatial]
    if op == "roi_max":
        case["dtype"] = rng.choice(["float32", "float64"])
        case["layout"] = "nchw"
        case["pooled_shape"] = [rng.randint(1, 3), rng.randint(1, 3)]
        case["spatial_scale"] = rng.choice([1.0, 0.5, 0.25])
        n, (h, w) = case["shape"][0], spatial
        s = case["spatial_scale"]
        rois = []
        for _ in range(rng.randint(1, 3)):
            x1, x2 = sorted(rng.uniform(0, (w + 1) / s) for _ in range(2))
            y1, y2 = sorted(rng.uniform(0, (h + 1) / s) for _ in range(2))
            rois.append([float(rng.randrange(n)), round(x1, 2), round(y1, 2), round(x2, 2), round(y2, 2)])
        case["rois"] = rois
    return case


def input_data(case):
    """The case's input tensor, logical [N, C, spatial...] order, in its element type."""
    rs = np.random.default_rng(case["seed"])
    shape = case["shape"]
    dtype = np_dtype(case["dtype"])
    if case["dtype"] in INTEGERS:
        info = np.iinfo(dtype)
        lo, hi = (info.min, info.max) if case["values"] != "ints" else (max(info.min, -3), 4)
        return rs.integers(lo, int(hi) + 1, size=shape).astype(dtype)
    if case["values"] == "ints":
        x = rs.integers(-4, 5, size=shape).astype(np.float64)
    else:
        x = rs.uniform(-10, 10, size=shape)
    if case["op"] in ("lp", "global_lp") and case["seed"] % 2 == 0:
        x = np.abs(x)
    if case["values"] == "special" and x.size:
        flat = x.reshape(-1)
        for value in [np.nan, np.inf, -np.inf, -0.0, 0.0, np.nan]:
            flat[rs.integers(flat.size)] = value
    return x.astype(dtype)


def grad_output(case, shape):
    """An upstream gradient of `shape`: multiples of 1/8 in [-4, 4], so that sums of a few
    of them are exact in every float type and max gradients compare bit for bit."""
    rs = np.random.default_rng(case["seed"] + 1)
    return (rs.integers(-32, 33, size=shape) / 8.0).astype(np_dtype(case["dtype"]))
