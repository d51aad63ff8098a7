"""Every function against torch.nn.functional on seeded random geometry: forward, indices
and backward (torch.autograd), in both layouts and every float dtype."""

import random

import ml_dtypes
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import poolkit

SEEDS = range(40)
DTYPES = [np.float32, np.float64, np.float16, ml_dtypes.bfloat16]


def to_torch(x):
    if x.dtype == ml_dtypes.bfloat16:
        return torch.from_numpy(x.astype(np.float32)).to(torch.bfloat16)
    return torch.from_numpy(np.ascontiguousarray(x))


def to_numpy(t, dtype):
    t = t.detach()
    return (t.float() if t.dtype == torch.bfloat16 else t).numpy().astype(dtype)


def nhwc(x):
    return np.ascontiguousarray(np.moveaxis(x, 1, -1))


def nchw(x):
    return np.moveaxis(x, -1, 1)


def tolerance(dtype):
    return {np.float64: 1e-12, np.float32: 1e-5, np.float16: 2e-3}.get(dtype, 2e-2)


def geometry(rng, rank, with_padding=True):
    kernel = [rng.randint(1, 3) for _ in range(rank)]
    stride = [rng.randint(1, 3) for _ in range(rank)]
    padding = [rng.randint(0, k // 2) for k in kernel] if with_padding else [0] * rank
    spatial = [rng.randint(k, 7) for k in kernel]
    return kernel, stride, padding, spatial


def data(rng, shape, dtype, positive=False):
    x = np.random.default_rng(rng.randrange(2**32)).uniform(-4, 4, size=shape)
    return (np.abs(x) if positive else x).astype(dtype)


def check(ours, theirs, dtype):
    np.testing.assert_allclose(ours.astype(np.float64), theirs.astype(np.float64), rtol=tolerance(dtype), atol=tolerance(dtype))


def run_both(fn_ours, fn_torch, x, layout, dtype, **kw):
    """Forward and backward of one function in poolkit and in torch; returns nothing, asserts."""
    t = to_torch(x).requires_grad_(True)
    y_t = fn_torch(t)
    y_t = y_t[0] if isinstance(y_t, tuple) else y_t
    dy = data(random.Random(1), y_t.shape, dtype)
    y_t.backward(to_torch(dy))
    x_in = nhwc(x) if layout == "nhwc" else x
    y = fn_ours(x_in, layout=layout, **kw)
    y = y[0] if isinstance(y, tuple) else y
    check(nchw(y) if layout == "nhwc" else y, to_numpy(y_t, dtype), dtype)
    return t.grad, dy, x_in


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_max_avg_lp_forward_backward(seed, rank):
    rng = random.Random(seed * 10 + rank)
    dtype = rng.choice(DTYPES)
    layout = rng.choice(["nchw", "nhwc"])
    kernel, stride, padding, spatial = geometry(rng, rank)
    ceil = rng.random() < 0.4
    x = data(rng, [2, 3] + spatial, dtype)
    name = f"{rank}d"

    # Max, with indices, and both backward routes.
    torch_max = lambda t: getattr(F, "max_pool" + name)(t, kernel, stride, padding, 1, ceil)  # noqa: E731
    grad, dy, x_in = run_both(getattr(poolkit, "max_pool" + name), torch_max, x, layout, dtype,
                              kernel_size=kernel, stride=stride, padding=padding, ceil_mode=ceil)
    dy_in = nhwc(dy) if layout == "nhwc" else dy
    back = getattr(poolkit, f"max_pool{name}_backward")
    dx = back(dy_in, x_in, kernel, stride, padding, 1, ceil, layout=layout)
    check(nchw(dx) if layout == "nhwc" else dx, to_numpy(grad, dtype), dtype)
    _, idx = getattr(poolkit, "max_pool" + name)(x_in, kernel, stride, padding, 1, ceil, True, layout=layout)
    _, idx_t = getattr(F, "max_pool" + name)(to_torch(x), kernel, stride, padding, 1, ceil, True)
    np.testing.assert_array_equal(nchw(idx) if layout == "nhwc" else idx, idx_t.numpy())
    dx = back(dy_in, x_in, kernel, stride, padding, 1, ceil, indices=idx, layout=layout)
    check(nchw(dx) if layout == "nhwc" else dx, to_numpy(grad, dtype), dtype)

    # Average, with count_include_pad and (2-D, 3-D) divisor_override.
    include = rng.random() < 0.5
    divisor = rng.choice([None, 3]) if rank > 1 else None
    extra = {"divisor_override": divisor} if divisor else {}
    if not (rank == 3 and dtype in (np.float16, ml_dtypes.bfloat16)):  # torch lacks these
        torch_avg = lambda t: getattr(F, "avg_pool" + name)(t, kernel, stride, padding, ceil, include, **extra)  # noqa: E731
        grad, dy, x_in = run_both(getattr(poolkit, "avg_pool" + name), torch_avg, x, layout, dtype,
                                  kernel_size=kernel, stride=stride, padding=padding, ceil_mode=ceil,
                                  count_include_pad=include, divisor_override=divisor)
        dy_in = nhwc(dy) if layout == "nhwc" else dy
        dx = getattr(poolkit, f"avg_pool{name}_backward")(dy_in, x_in, kernel, stride, padding, ceil, include, divisor, layout=layout)
        check(nchw(dx) if layout == "nhwc" else dx, to_numpy(grad, dtype), dtype)

    # Lp on positive inputs, windows inside the input (PyTorch's partial windows differ).
    if dtype in (np.float32, np.float64):
        p = rng.choice([1.0, 2.0, 3.0])
        xp = data(rng, [2, 3] + spatial, dtype, positive=True) + dtype(0.5)
        k_lp = kernel[0] if rank == 1 else kernel
        s_lp = stride[0] if rank == 1 else stride
        torch_lp = lambda t: getattr(F, "lp_pool" + name)(t, p, k_lp, s_lp, False)  # noqa: E731
        grad, dy, x_in = run_both(getattr(poolkit, "lp_pool" + name), torch_lp, xp, layout, dtype,
                                  norm_type=p, kernel_size=kernel, stride=stride)
        dy_in = nhwc(dy) if layout == "nhwc" else dy
        dx = getattr(poolkit, f"lp_pool{name}_backward")(dy_in, x_in, p, kernel, stride, layout=layout)
        check(nchw(dx) if layout == "nhwc" else dx, to_numpy(grad, dtype), dtype)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_adaptive_global_and_unpool(seed, rank):
    rng = random.Random(1000 + seed * 10 + rank)
    dtype = rng.choice([np.float32, np.float64])
    layout = rng.choice(["nchw", "nhwc"])
    spatial = [rng.randint(1, 9) for _ in range(rank)]
    out_size = [rng.randint(1, s + 2) for s in spatial]
    x = data(rng, [2, 3] + spatial, dtype)
    name = f"{rank}d"
    for kind in ("max", "avg"):
        torch_fn = lambda t: getattr(F, f"adaptive_{kind}_pool{name}")(t, out_size)  # noqa: E731
        grad, dy, x_in = run_both(getattr(poolkit, f"adaptive_{kind}_pool{name}"), torch_fn, x, layout, dtype,
                                  output_size=out_size)
        dy_in = nhwc(dy) if layout == "nhwc" else dy
        dx = getattr(poolkit, f"adaptive_{kind}_pool{name}_backward")(dy_in, x_in, out_size, layout=layout)
        check(nchw(dx) if layout == "nhwc" else dx, to_numpy(grad, dtype), dtype)
        torch_global = lambda t: getattr(F, f"adaptive_{kind}_pool{name}")(t, 1)  # noqa: E731
        run_both(getattr(poolkit, f"global_{kind}_pool"), torch_global, x, layout, dtype)

    # Unpooling what max pooling returned, with and without the source's size.
    kernel, stride, padding, spatial = geometry(rng, rank)
    src = data(rng, [2, 3] + spatial, dtype)
    y_t, idx_t = getattr(F, "max_pool" + name)(to_torch(src), kernel, stride, padding, return_indices=True)
    default = [(o - 1) * s - 2 * p + k for o, s, p, k in zip(y_t.shape[2:], stride, padding, kernel)]
    size = spatial if rng.random() < 0.5 or default != spatial else None
    want = getattr(F, "max_unpool" + name)(y_t, idx_t, kernel, stride, padding, output_size=size)
    y, idx = y_t.numpy(), idx_t.numpy()
    got = getattr(poolkit, "max_unpool" + name)(nhwc(y) if layout == "nhwc" else y,
                                                nhwc(idx) if layout == "nhwc" else idx,
                                                kernel, stride, padding, size, layout=layout)
    np.testing.assert_array_equal(nchw(got) if layout == "nhwc" else got, want.numpy())
    dy = data(rng, want.shape, dtype)
    dx = getattr(poolkit, f"max_unpool{name}_backward")(dy, idx, kernel, stride, padding, size)
    t = y_t.clone().requires_grad_(True)
    getattr(F, "max_unpool" + name)(t, idx_t, kernel, stride, padding, output_size=size).backward(torch.from_numpy(dy))
    np.testing.assert_array_equal(dx, t.grad.numpy())


def test_integer_max_matches_torch():
    rng = np.random.default_rng(5)
    for dtype in (np.uint8, np.int8):
        info = np.iinfo(dtype)
        x = rng.integers(info.min, info.max + 1, size=(2, 3, 9, 7)).astype(dtype)
        y, idx = poolkit.max_pool2d(x, 3, 2, 1, return_indices=True)
        y_t, idx_t = F.max_pool2d(torch.from_numpy(x), 3, 2, 1, return_indices=True)
        np.testing.assert_array_equal(y, y_t.numpy())
        np.testing.assert_array_equal(idx, idx_t.numpy())


def test_unbatched_input_keeps_its_rank():
    x = np.arange(2 * 6 * 6, dtype=np.float32).reshape(2, 6, 6)
    y = poolkit.max_pool2d(x, 2)
    np.testing.assert_array_equal(y, F.max_pool2d(torch.from_numpy(x), 2).numpy())
    assert y.shape == (2, 3, 3)


def test_max_roi_pool_matches_onnx_runtime():
    """RoI pooling has no PyTorch core peer: ONNX Runtime's MaxRoiPool (opset 21) is the oracle."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 3, 9, 11)).astype(np.float32)
    rois = np.array([[0, 1.5, 2.25, 8.0, 7.5], [1, 0, 0, 20, 20], [1, 4.2, 3.3, 4.9, 3.4]], np.float32)
    node = helper.make_node("MaxRoiPool", ["X", "R"], ["Y"], pooled_shape=[3, 2], spatial_scale=0.5)
    graph = helper.make_graph([node], "roi", [helper.make_tensor_value_info("X", TensorProto.FLOAT, x.shape),
                                              helper.make_tensor_value_info("R", TensorProto.FLOAT, rois.shape)],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"X": x, "R": rois})[0]
    got = poolkit.max_roi_pool(x, rois, (3, 2), 0.5)
    np.testing.assert_array_equal(got, want)
    last = poolkit.max_roi_pool(nhwc(x), rois, (3, 2), 0.5, layout="nhwc")
    np.testing.assert_array_equal(nchw(last), want)
    dy = np.ones_like(got)
    dx = poolkit.max_roi_pool_backward(dy, x, rois, (3, 2), 0.5)
    # Each non-empty bin (inputs are never exactly 0) sends its 1 to an input equal to its max.
    assert dx.shape == x.shape and dx.sum() == np.count_nonzero(got)
    assert set(x[dx > 0].tolist()) <= set(got.ravel().tolist())
