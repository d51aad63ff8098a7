"""From Python arguments to a native plan, and from a plan to numpy results: the one place
that turns torch-style arguments (kernel_size, stride=None, padding, ...) and poolkit's
extras (pads, auto_pad, layout) into the library's geometry, and allocates outputs."""

import numpy as np

from . import _checks as checks
from ._native import Plan, Roi, Unpool

# Plans of recent calls, by their arguments followed by the input shape: a repeated call (a
# training loop's) skips the argument checks and the planning. Only plain calls are kept (no
# `out`, no `threads`, batched input); the native call still checks every array it is given.
PLANS = {}
_MAX_PLANS = 512


def cached(key, x, out, threads):
    """The (plan, output shape) of an earlier identical call, or None."""
    if out is not None or threads is not None:
        return None
    try:
        return PLANS.get(key + (x.shape,))
    except (TypeError, AttributeError):  # unhashable arguments, or not an array
        return None


def run_cached(hit, x, return_indices=False, index_format="torch", storage_order=0):
    """Runs a cached plan on `x`, into fresh arrays."""
    plan, shape = hit
    y = np.empty(shape, x.dtype)
    if not return_indices:
        plan.forward(x, y, None)
        return y
    idx = np.empty(shape, np.int64)
    plan.forward_with_indices(x, y, idx, index_format, storage_order, None)
    return y, idx


def remember(key, x, plan, unbatched):
    if unbatched:
        return
    try:
        entry = key + (x.shape,)
        hash(entry)
    except TypeError:
        return
    if len(PLANS) >= _MAX_PLANS:
        PLANS.clear()
    PLANS[entry] = (plan, tuple(plan.output_shape))


def _stride(stride, kernel, rank):
    if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0):
        return kernel
    return checks.sizes(stride, rank, "stride", 1)


def _pads(padding, pads, auto_pad, rank):
    """Explicit begin-then-end pads (PyTorch's symmetric padding or ONNX's pads), or None
    when auto_pad decides."""
    if auto_pad is not None:
        if pads is not None or padding not in (0, None):
            raise ValueError("give padding (or pads) or auto_pad, not both")
        return None
    if pads is not None:
        if padding not in (0, None):
            raise ValueError("give padding (symmetric) or pads (begin then end), not both")
        return checks.sizes(pads, 2 * rank, "pads")
    symmetric = checks.sizes(0 if padding is None else padding, rank, "padding")
    return symmetric + symmetric


def window_plan(op, x, rank, kernel_size, stride, padding, dilation, ceil_mode, layout, pads=None,
                auto_pad=None, count_include_pad=True, divisor_override=None, p=None):
    """The plan of a sliding-window pooling of batched `x`."""
    kernel = checks.sizes(kernel_size, rank, "kernel_size", 1)
    if divisor_override is not None and (isinstance(divisor_override, bool) or not isinstance(divisor_override, (int, np.integer))):
        raise TypeError(f"divisor_override={divisor_override!r}: give a whole number or None")
    if divisor_override is not None and not 0 <= divisor_override < 2**63:
        raise ValueError(f"divisor_override={divisor_override}: the divisor must be positive")
    if p is not None:
        p = _norm(p)
    return Plan(
        op,
        list(x.shape),
        layout,
        kernel=kernel,
        stride=_stride(stride, kernel, rank),
        dilation=checks.sizes(dilation, rank, "dilation", 1),
        pads=_pads(padding, pads, auto_pad, rank),
        auto_pad=None if auto_pad is None else str(auto_pad),
        ceil_mode=bool(ceil_mode),
        count_include_pad=bool(count_include_pad),
        divisor_override=None if divisor_override is None else int(divisor_override),
        p=p,
    )


def _norm(p):
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"norm_type={p!r}: give a number")
    return float(p)


def adaptive_plan(op, x, rank, output_size, layout):
    """The plan of an adaptive pooling; a None entry of output_size keeps that axis."""
    spatial = x.shape[2:] if layout == "nchw" else x.shape[1:-1]
    if output_size is None:
        raise TypeError("output_size is required")
    if isinstance(output_size, (list, tuple)):
        if len(output_size) == 1 and rank > 1:
            output_size = list(output_size) * rank
        output_size = [spatial[a] if v is None else v for a, v in enumerate(output_size)] if len(output_size) == rank else output_size
    return Plan(op, list(x.shape), layout, output_size=checks.sizes(output_size, rank, "output_size", 1))


def global_plan(op, x, layout, p=None):
    return Plan(op, list(x.shape), layout, p=None if p is None else _norm(p))


def unpool_plan(x, rank, kernel_size, stride, padding, output_size, layout):
    kernel = checks.sizes(kernel_size, rank, "kernel_size", 1)
    if output_size is not None:
        output_size = list(output_size)
        if len(output_size) in (rank + 1, rank + 2):
            output_size = output_size[-rank:] if layout == "nchw" else output_size[-rank - 1:-1]
        output_size = checks.sizes(output_size, rank, "output_size", 1)
    symmetric = checks.sizes(padding, rank, "padding")
    return Unpool(list(x.shape), layout, kernel, stride=_stride(stride, kernel, rank),
                  pads=symmetric + symmetric, output_size=output_size)


def roi_plan(x, rois, pooled_shape, spatial_scale, layout):
    if isinstance(spatial_scale, bool) or not isinstance(spatial_scale, (int, float, np.integer, np.floating)):
        raise TypeError(f"spatial_scale={spatial_scale!r}: give a number")
    return Roi(list(x.shape), list(rois.shape), layout, checks.sizes(pooled_shape, 2, "pooled_shape", 1),
               float(spatial_scale))


def forward(plan, x, unbatched, out, threads, return_indices=False, index_format="torch", storage_order=0):
    """Runs a pooling plan on batched `x`; drops the batch axis again where it was added."""
    shape = tuple(plan.output_shape)
    y = checks.output(out, shape[1:] if unbatched else shape, x.dtype, [x])
    target = y[np.newaxis] if unbatched else y
    threads = checks.threads_of(threads)
    checks.storage_order_of(storage_order)
    if not return_indices:
        plan.forward(x, target, threads)
        return y
    idx = np.empty(target.shape, dtype=np.int64)
    plan.forward_with_indices(x, target, idx, index_format, storage_order, threads)
    return y, (idx[0] if unbatched else idx)


def backward(plan, x, unbatched, grad_output, out, threads, indices=None, index_format="torch", storage_order=0):
    """The gradient with respect to batched `x` for `grad_output` (batched like `x`)."""
    checks.same_dtype(checks.array(grad_output, "grad_output"), x, "grad_output")
    dy = grad_output[np.newaxis] if unbatched else grad_output
    dx = checks.output(out, x.shape[1:] if unbatched else x.shape, x.dtype, [x, grad_output] + ([] if indices is None else [indices]))
    target = dx[np.newaxis] if unbatched else dx
    threads = checks.threads_of(threads)
    checks.storage_order_of(storage_order)
    if indices is None:
        plan.backward(x, dy, target, threads)
    else:
        idx = checks.indices_array(indices)
        plan.backward_from_indices(dy, idx[np.newaxis] if unbatched else idx, target, index_format, storage_order, threads)
    return dx
