"""The outside oracles: real PyTorch (forward and autograd backward) and real ONNX Runtime.

Each peer says for itself what it accepts: `NotApplicable` when it has no such operator,
flag or element type (nothing to compare), `Refused` when it was asked and rejected the
input (compared with poolkit's own refusal). Nothing here computes a pooling result by hand.
"""

import ml_dtypes
import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper

torch.set_num_threads(1)
ort.set_default_logger_severity(4)


class NotApplicable(Exception):
    """The peer has no such operator, flag or element type."""


class Refused(Exception):
    """The peer rejected the input."""


def rank(case):
    return len(case["shape"]) - 2


def _torch_tensor(x):
    if x.dtype == ml_dtypes.bfloat16:
        return torch.from_numpy(x.astype(np.float32)).to(torch.bfloat16)
    return torch.from_numpy(np.array(x))


def _numpy(t, dtype):
    t = t.detach()
    if t.dtype == torch.bfloat16:
        return t.float().numpy().astype(dtype)
    return t.numpy().astype(dtype, copy=False)


def _symmetric_pads(case):
    if "auto_pad" in case:
        raise NotApplicable("PyTorch has no auto_pad")
    r = rank(case)
    pads = case.get("pads", [0] * 2 * r)
    if pads[:r] != pads[r:]:
        raise NotApplicable("PyTorch pads both ends alike")
    return pads[:r]


def _lp_sizes(sizes):
    """lp_pool1d takes a plain int where the others take a list."""
    return sizes[0] if len(sizes) == 1 else sizes


def _torch_op(case, t, side):
    """PyTorch's result for the case: (y, indices or None)."""
    op, r = case["op"], rank(case)
    name = lambda base: getattr(F, f"{base}{r}d")  # noqa: E731
    if op == "max":
        k, s, d = case["kernel"], case["stride"], case["dilation"]
        return name("max_pool")(t, k, s, _symmetric_pads(case), d, case["ceil_mode"], return_indices=True)
    if op == "avg":
        if any(d != 1 for d in case["dilation"]):
            raise NotApplicable("PyTorch's average pooling has no dilation")
        extra = {}
        if case.get("divisor_override"):
            if r == 1:
                raise NotApplicable("avg_pool1d has no divisor_override")
            extra["divisor_override"] = case["divisor_override"]
        pads = _symmetric_pads(case)
        y = name("avg_pool")(t, case["kernel"], case["stride"], pads, case["ceil_mode"], case["count_include_pad"], **extra)
        return y, None
    if op == "lp":
        if any(d != 1 for d in case["dilation"]) or any(_symmetric_pads(case)):
            raise NotApplicable("PyTorch's Lp pooling has no padding or dilation")
        k, s = _lp_sizes(case["kernel"]), _lp_sizes(case["stride"])
        return name("lp_pool")(t, case["p"], k, s, case["ceil_mode"]), None
    if op == "global_max":
        return name("adaptive_max_pool")(t, 1, return_indices=True)
    if op == "global_avg":
        return name("adaptive_avg_pool")(t, 1), None
    if op == "global_lp":
        return name("lp_pool")(t, case["p"], _lp_sizes(case["shape"][2:])), None
    if op == "adaptive_max":
        return name("adaptive_max_pool")(t, case["output_size"], return_indices=True)
    if op == "adaptive_avg":
        return name("adaptive_avg_pool")(t, case["output_size"]), None
    if op == "unpool":
        idx = torch.from_numpy(side["indices"])
        out = side.get("output_shape")
        return name("max_unpool")(t, idx, case["kernel"], case["stride"], _symmetric_pads(case), output_size=out), None
    raise NotApplicable(f"PyTorch has no {op}")


def _torch_run(case, x, side, dy=None):
    t = _torch_tensor(x)
    r = rank(case)
    if case["layout"] == "nhwc" and r in (2, 3):
        t = t.contiguous(memory_format=torch.channels_last if r == 2 else torch.channels_last_3d)
    if dy is not None:
        if not t.is_floating_point():
            raise NotApplicable("no gradient of an integer tensor")
        t.requires_grad_(True)
    try:
        y, idx = _torch_op(case, t, side)
        if dy is None:
            return y, idx
        y.backward(_torch_tensor(dy))
        return t.grad, None
    except (RuntimeError, ValueError) as e:
        if "not implemented for" in str(e):
            raise NotApplicable(str(e)) from e
        raise Refused(str(e).splitlines()[0]) from e


def torch_forward(case, x, side):
    y, idx = _torch_run(case, x, side)
    out = {"y": _numpy(y, x.dtype)}
    if idx is not None and case.get("index_format", "torch") == "torch":
        out["indices"] = idx.numpy()
    return out


def torch_backward(case, x, dy, side):
    dx, _ = _torch_run(case, x, side, dy)
    return {"dx": _numpy(dx, x.dtype)}


def unpool_inputs(case, source):
    """What max unpooling inverts: PyTorch's max pooling of `source` (value, indices in
    PyTorch's convention) and, when the case asks, the source's extents as output size."""
    r = rank(case)
    pads = case["pads"][:r]
    pool = getattr(F, f"max_pool{r}d")
    y, idx = pool(_torch_tensor(source), case["kernel"], case["stride"], pads, return_indices=True)
    side = {"indices": idx.numpy()}
    if case.get("explicit_output"):
        side["output_shape"] = list(source.shape[2:])
    return _numpy(y, source.dtype), side


ONNX_TYPES = {
    "float32": TensorProto.FLOAT,
    "float64": TensorProto.DOUBLE,
    "float16": TensorProto.FLOAT16,
    "uint8": TensorProto.UINT8,
    "int8": TensorProto.INT8,
    "uint16": TensorProto.UINT16,
}


def _window_attrs(case):
    attrs = {"kernel_shape": case["kernel"], "strides": case["stride"], "ceil_mode": int(case["ceil_mode"])}
    if case["op"] != "unpool":
        attrs["dilations"] = case["dilation"]
    if "auto_pad" in case:
        attrs["auto_pad"] = case["auto_pad"].upper()
    elif "pads" in case:
        attrs["pads"] = case["pads"]
    return attrs


def _onnx_node(case, side):
    """The ONNX node, its extra inputs (name, array) and its outputs."""
    op = case["op"]
    if op == "max":
        attrs = _window_attrs(case)
        attrs["storage_order"] = case.get("storage_order", 0)
        return helper.make_node("MaxPool", ["X"], ["Y", "I"], **attrs), [], ["Y", "I"]
    if op == "avg":
        if case.get("divisor_override"):
            raise NotApplicable("ONNX has no divisor_override")
        attrs = _window_attrs(case)
        attrs["count_include_pad"] = int(case["count_include_pad"])
        return helper.make_node("AveragePool", ["X"], ["Y"], **attrs), [], ["Y"]
    if op == "lp":
        attrs = _window_attrs(case)
        attrs["p"] = int(case["p"])
        return helper.make_node("LpPool", ["X"], ["Y"], **attrs), [], ["Y"]
    if op in ("global_max", "global_avg", "global_lp"):
        kind = {"global_max": "GlobalMaxPool", "global_avg": "GlobalAveragePool", "global_lp": "GlobalLpPool"}[op]
        attrs = {"p": int(case["p"])} if op == "global_lp" else {}
        return helper.make_node(kind, ["X"], ["Y"], **attrs), [], ["Y"]
    if op == "unpool":
        attrs = {"kernel_shape": case["kernel"], "strides": case["stride"], "pads": case["pads"]}
        extra = [("I", side["onnx_indices"])]
        inputs = ["X", "I"]
        if side.get("output_shape"):
            extra.append(("S", np.array(side["full_output_shape"], np.int64)))
            inputs.append("S")
        return helper.make_node("MaxUnpool", inputs, ["Y"], **attrs), extra, ["Y"]
    if op == "roi_max":
        attrs = {"pooled_shape": case["pooled_shape"], "spatial_scale": case["spatial_scale"]}
        rois = np.array(side["rois"], dtype=case["dtype"])
        return helper.make_node("MaxRoiPool", ["X", "R"], ["Y"], **attrs), [("R", rois)], ["Y"]
    raise NotApplicable(f"ONNX has no {op}")


def ort_forward(case, x, side):
    if case["dtype"] not in ONNX_TYPES:
        raise NotApplicable(f"no ONNX Runtime feed for {case['dtype']}")
    node, extra, outputs = _onnx_node(case, side)
    elem = ONNX_TYPES[case["dtype"]]
    inputs = [helper.make_tensor_value_info("X", elem, list(x.shape))]
    for name, value in extra:
        etype = TensorProto.INT64 if value.dtype == np.int64 else elem
        inputs.append(helper.make_tensor_value_info(name, etype, list(value.shape)))
    outs = [helper.make_tensor_value_info("Y", elem, None)]
    if "I" in outputs:
        outs.append(helper.make_tensor_value_info("I", TensorProto.INT64, None))
    graph = helper.make_graph([node], "case", inputs, outs)
    # ONNX Runtime registers no MaxRoiPool kernel for opset 22: that operator runs at 21.
    opset = 21 if case["op"] == "roi_max" else 22
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    try:
        session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    except Exception as e:  # ORT reports through its own exception types
        text = str(e)
        if "NOT_IMPLEMENTED" in text or "Could not find an implementation" in text:
            raise NotApplicable(text) from e
        raise Refused(text.splitlines()[0]) from e
    try:
        got = session.run(None, {"X": x, **dict(extra)})
    except Exception as e:
        raise Refused(str(e).splitlines()[0]) from e
    out = {"y": got[0]}
    if len(got) > 1 and case.get("index_format") == "onnx":
        out["indices"] = got[1]
    return out


def onnx_side(case, side, pooled_shape):
    """Unpooling's inputs in ONNX's form: indices flat over the whole tensor."""
    n, c = pooled_shape[:2]
    out_spatial = side.get("output_shape") or [
        (i - 1) * s - 2 * p + k
        for i, s, p, k in zip(pooled_shape[2:], case["stride"], case["pads"][: rank(case)], case["kernel"])
    ]
    plane = int(np.prod(out_spatial))
    offsets = (np.arange(n * c, dtype=np.int64) * plane).reshape([n, c] + [1] * rank(case))
    side = dict(side)
    side["onnx_indices"] = side["indices"] + offsets
    if side.get("output_shape"):
        side["full_output_shape"] = [n, c] + list(side["output_shape"])
    return side


assert onnx  # the onnx package builds the models above
