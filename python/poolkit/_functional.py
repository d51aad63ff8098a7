"""The numpy functions, named and shaped like torch.nn.functional's: max_pool1d/2d/3d,
avg_pool*, lp_pool*, adaptive_*_pool*, max_unpool*, global pooling, and a backward for
each. Each rank's function is made by one factory, so the three ranks cannot drift apart."""

import re

import numpy as np

from . import _checks as checks
from . import _plans as plans
from ._plans import PLANS

EXAMPLE = """
    Example::

        >>> import numpy as np, poolkit
        >>> x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
        >>> {call}
        {result}
"""

MAX_EXAMPLE = EXAMPLE.format(
    call="poolkit.max_pool2d(x, 2)[0, 0]",
    result="array([[ 5.,  7.],\n               [13., 15.]], dtype=float32)",
)
AVG_EXAMPLE = EXAMPLE.format(
    call="poolkit.avg_pool2d(x, 2)[0, 0]",
    result="array([[ 2.5,  4.5],\n               [10.5, 12.5]], dtype=float32)",
)

EXTRAS = """
    poolkit's extras (keyword-only): ``layout="nchw"|"nhwc"`` (channels first or last),
    ``pads`` (ONNX order, every axis's begin then every axis's end) or
    ``auto_pad="same_upper"|"same_lower"|"valid"`` instead of ``padding``, ``out`` (a
    C-contiguous array of the result's shape and dtype, written in place: no allocation),
    and ``threads``. Any dtype of float32, float64, float16, bfloat16 (ml_dtypes), uint8,
    int8, uint16; C-contiguous, Fortran-order and strided arrays are pooled without a copy.
    A refusal raises ValueError with the library's message; a wrong type raises TypeError.
"""


def _name(rank, stem):
    return f"{stem}{rank}d"


def _example_for(name):
    """A runnable example for the function `name` (doctest checks every one)."""
    lines = ["import numpy as np, poolkit"]
    match = re.fullmatch(r"(max_pool|avg_pool|lp_pool|adaptive_max_pool|adaptive_avg_pool|max_unpool)(\d)d(_backward)?",
                         name)
    if match:
        stem, rank, backward = match.group(1), int(match.group(2)), match.group(3)
        x_shape = (1, 1) + (4,) * rank
        lines.append(f"x = np.arange({4 ** rank}, dtype=np.float32).reshape({x_shape})")
        args = {"lp_pool": "2.0, 2", "adaptive_max_pool": "3", "adaptive_avg_pool": "3"}.get(stem, "2")
        pooled = (1, 1) + ((3,) if stem.startswith("adaptive") else (2,)) * rank
        if stem == "max_unpool":
            lines.append(f"y, i = poolkit.max_pool{rank}d(x, 2, return_indices=True)")
            call, result = (f"{name}(np.ones({x_shape}, np.float32), i, 2)", pooled) if backward else \
                (f"{name}(y, i, 2)", x_shape)
        elif backward:
            call, result = f"{name}(np.ones({pooled}, np.float32), x, {args})", x_shape
        else:
            call, result = f"{name}(x, {args})", pooled
    elif name.startswith("global"):
        call, result = f"{name}(np.ones((2, 3, 5, 5), np.float32))", (2, 3, 1, 1)
        if name.endswith("_backward"):
            call, result = f"{name}(np.ones((2, 3, 1, 1), np.float32), np.ones((2, 3, 5, 5), np.float32))", (2, 3, 5, 5)
    else:
        lines += ["x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)",
                  "rois = np.array([[0, 0, 0, 3, 3]], np.float32)  # batch index, x1, y1, x2, y2"]
        call, result = f"{name}(x, rois, (2, 2))", (1, 1, 2, 2)
        if name.endswith("_backward"):
            call, result = f"{name}(np.ones((1, 1, 2, 2), np.float32), x, rois, (2, 2))", (1, 1, 4, 4)
    body = "".join(f"        >>> {line}\n" for line in lines + [f"poolkit.{call}.shape"])
    return f"\n    Example::\n\n{body}        {result}\n"


def _finish(fn, name, doc):
    fn.__name__ = fn.__qualname__ = name
    if "Example::" not in doc:
        doc = doc.rstrip() + "\n" + _example_for(name)
    fn.__doc__ = doc
    fn.__module__ = "poolkit"
    return fn


def _prepare(input, rank, layout, name="input"):
    return checks.batched(checks.array(input, name), rank, name, layout)


def make_max_pool(rank):
    max_tag = ("max", rank)

    def max_pool(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                 return_indices=False, *, layout="nchw", pads=None, auto_pad=None,
                 index_format="torch", storage_order=0, out=None, threads=None):
        if out is None and threads is None:
            # The hot path of a repeated call: one dictionary lookup, then the native call.
            try:
                plan, shape = PLANS[(max_tag, type(kernel_size), type(stride), type(padding), type(dilation),
                                     kernel_size, stride, padding, dilation, ceil_mode, layout, pads, auto_pad,
                                     input.shape)]
            except (KeyError, TypeError, AttributeError):
                pass
            else:
                y = np.empty(shape, input.dtype)
                if not return_indices:
                    plan.forward(input, y, None)
                    return y
                idx = np.empty(shape, np.int64)
                plan.forward_with_indices(input, y, idx, index_format, storage_order, None)
                return y, idx
        key = (max_tag, type(kernel_size), type(stride), type(padding), type(dilation), kernel_size, stride, padding,
               dilation, ceil_mode, layout, pads, auto_pad)
        x, unbatched = _prepare(input, rank, layout)
        plan = plans.window_plan("max", x, rank, kernel_size, stride, padding, dilation, ceil_mode,
                                 layout, pads, auto_pad)
        plans.remember(key, x, plan, unbatched)
        return plans.forward(plan, x, unbatched, out, threads, return_indices, index_format, storage_order)

    doc = f"""Max pooling over {rank} spatial axes, as ``torch.nn.functional.max_pool{rank}d``.

    Each output is the largest input in its window; ties go to the first in row-major
    window order and a NaN propagates (the first NaN's index). With ``return_indices``
    also returns int64 argmax indices: ``index_format="torch"`` (``h*W + w`` within each
    plane) or ``"onnx"`` (flat over the tensor; ``storage_order`` 1 is column major).
{EXTRAS}{MAX_EXAMPLE if rank == 2 else ""}"""
    return _finish(max_pool, _name(rank, "max_pool"), doc)


def make_avg_pool(rank):
    avg_tag = ("avg", rank)

    def avg_pool(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None, *, dilation=1, layout="nchw", pads=None, auto_pad=None,
                 out=None, threads=None):
        if out is None and threads is None:
            try:
                plan, shape = PLANS[(avg_tag, type(kernel_size), type(stride), type(padding),
                                     type(divisor_override), kernel_size, stride, padding, ceil_mode,
                                     count_include_pad, divisor_override, dilation, layout, pads, auto_pad,
                                     input.shape)]
            except (KeyError, TypeError, AttributeError):
                pass
            else:
                y = np.empty(shape, input.dtype)
                plan.forward(input, y, None)
                return y
        key = (avg_tag, type(kernel_size), type(stride), type(padding), type(divisor_override), kernel_size, stride,
               padding, ceil_mode, count_include_pad, divisor_override, dilation, layout, pads, auto_pad)
        x, unbatched = _prepare(input, rank, layout)
        plan = plans.window_plan("avg", x, rank, kernel_size, stride, padding, dilation, ceil_mode,
                                 layout, pads, auto_pad, count_include_pad, divisor_override)
        plans.remember(key, x, plan, unbatched)
        return plans.forward(plan, x, unbatched, out, threads)

    doc = f"""Average pooling over {rank} spatial axes, as ``torch.nn.functional.avg_pool{rank}d``.

    Sums are taken in float64 and rounded once into the dtype; integer means round half
    to even. ``count_include_pad`` counts padding (never the ceil-mode overhang) in the
    divisor; ``divisor_override`` divides every window by the given number. ``dilation``
    (keyword-only) dilates the window, as ONNX's AveragePool does.
{EXTRAS}{AVG_EXAMPLE if rank == 2 else ""}"""
    return _finish(avg_pool, _name(rank, "avg_pool"), doc)


def make_lp_pool(rank):
    def lp_pool(input, norm_type, kernel_size, stride=None, ceil_mode=False, *, padding=0, dilation=1,
                layout="nchw", pads=None, auto_pad=None, out=None, threads=None):
        key = ("lp", rank, type(kernel_size), norm_type, kernel_size, stride, ceil_mode, padding, dilation, layout,
               pads, auto_pad)
        hit = plans.cached(key, input, out, threads)
        if hit is not None:
            return plans.run_cached(hit, input)
        x, unbatched = _prepare(input, rank, layout)
        plan = plans.window_plan("lp", x, rank, kernel_size, stride, padding, dilation, ceil_mode,
                                 layout, pads, auto_pad, p=norm_type)
        plans.remember(key, x, plan, unbatched)
        return plans.forward(plan, x, unbatched, out, threads)

    doc = f"""Power-average (Lp) pooling over {rank} spatial axes: ``(Σ |x|^p)^(1/p)`` per window.

    Named as ``torch.nn.functional.lp_pool{rank}d`` and computed as ONNX's LpPool: with an
    absolute value, over the window's in-bounds elements. PyTorch differs for negative
    inputs with odd p and for partial ceil-mode windows (docs/semantics.md). ``norm_type``
    is any finite p > 0; float dtypes only.
{EXTRAS}"""
    return _finish(lp_pool, _name(rank, "lp_pool"), doc)


def make_adaptive(rank, kind):
    if kind == "max":
        def adaptive(input, output_size, return_indices=False, *, layout="nchw", index_format="torch",
                     storage_order=0, out=None, threads=None):
            key = ("adaptive_max", rank, type(output_size), output_size, layout)
            hit = plans.cached(key, input, out, threads)
            if hit is not None:
                return plans.run_cached(hit, input, return_indices, index_format, storage_order)
            x, unbatched = _prepare(input, rank, layout)
            plan = plans.adaptive_plan("adaptive_max", x, rank, output_size, layout)
            plans.remember(key, x, plan, unbatched)
            return plans.forward(plan, x, unbatched, out, threads, return_indices, index_format, storage_order)
    else:
        def adaptive(input, output_size, *, layout="nchw", out=None, threads=None):
            key = ("adaptive_avg", rank, type(output_size), output_size, layout)
            hit = plans.cached(key, input, out, threads)
            if hit is not None:
                return plans.run_cached(hit, input)
            x, unbatched = _prepare(input, rank, layout)
            plan = plans.adaptive_plan("adaptive_avg", x, rank, output_size, layout)
            plans.remember(key, x, plan, unbatched)
            return plans.forward(plan, x, unbatched, out, threads)

    doc = f"""Adaptive {kind} pooling over {rank} spatial axes to ``output_size``, as
    ``torch.nn.functional.adaptive_{kind}_pool{rank}d``: output ``i`` covers inputs
    ``[floor(i*in/out), ceil((i+1)*in/out))``. A None in ``output_size`` keeps that axis.
{EXTRAS}"""
    return _finish(adaptive, _name(rank, f"adaptive_{kind}_pool"), doc)


def make_unpool(rank):
    def max_unpool(input, indices, kernel_size, stride=None, padding=0, output_size=None, *,
                   layout="nchw", index_format="torch", storage_order=0, out=None):
        x, unbatched = _prepare(input, rank, layout)
        idx = checks.indices_array(indices)
        idx = idx[None] if unbatched else idx
        plan = plans.unpool_plan(x, rank, kernel_size, stride, padding, output_size, layout)
        shape = tuple(plan.output_shape)
        y = checks.output(out, shape[1:] if unbatched else shape, x.dtype, [x, indices])
        plan.forward(x, idx, y[None] if unbatched else y, index_format, storage_order)
        return y

    doc = f"""Max-unpooling over {rank} spatial axes, as ``torch.nn.functional.max_unpool{rank}d``:
    each input goes to the place its index names, zeros elsewhere. ``output_size`` (the
    spatial extents, or the whole shape) defaults to ``(in-1)*stride - 2*padding + kernel``.
{EXTRAS}"""
    return _finish(max_unpool, _name(rank, "max_unpool"), doc)


def make_backward(forward_name, rank):
    """The backward function of `forward_name` (for example "max_pool2d")."""
    if forward_name.startswith("max_pool"):
        def bwd(grad_output, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, *,
                indices=None, index_format="torch", storage_order=0, layout="nchw", pads=None,
                auto_pad=None, out=None, threads=None):
            x, unbatched = _prepare(input, rank, layout)
            plan = plans.window_plan("max", x, rank, kernel_size, stride, padding, dilation, ceil_mode,
                                     layout, pads, auto_pad)
            return plans.backward(plan, x, unbatched, grad_output, out, threads, indices, index_format, storage_order)
        how = ("by recomputing the forward pass, or with ``indices`` (as max pooling returned "
               "them) by routing through them")
    elif forward_name.startswith("avg_pool"):
        def bwd(grad_output, input, kernel_size, stride=None, padding=0, ceil_mode=False,
                count_include_pad=True, divisor_override=None, *, dilation=1, layout="nchw", pads=None,
                auto_pad=None, out=None, threads=None):
            x, unbatched = _prepare(input, rank, layout)
            plan = plans.window_plan("avg", x, rank, kernel_size, stride, padding, dilation, ceil_mode,
                                     layout, pads, auto_pad, count_include_pad, divisor_override)
            return plans.backward(plan, x, unbatched, grad_output, out, threads)
        how = "each window's gradient shared out by its divisor"
    elif forward_name.startswith("lp_pool"):
        def bwd(grad_output, input, norm_type, kernel_size, stride=None, ceil_mode=False, *, padding=0,
                dilation=1, layout="nchw", pads=None, auto_pad=None, out=None, threads=None):
            x, unbatched = _prepare(input, rank, layout)
            plan = plans.window_plan("lp", x, rank, kernel_size, stride, padding, dilation, ceil_mode,
                                     layout, pads, auto_pad, p=norm_type)
            return plans.backward(plan, x, unbatched, grad_output, out, threads)
        how = "``sign(x)·(|x|/norm)^(p-1)`` times the window's gradient"
    elif forward_name.startswith("adaptive_max"):
        def bwd(grad_output, input, output_size, *, indices=None, index_format="torch", storage_order=0,
                layout="nchw", out=None, threads=None):
            x, unbatched = _prepare(input, rank, layout)
            plan = plans.adaptive_plan("adaptive_max", x, rank, output_size, layout)
            return plans.backward(plan, x, unbatched, grad_output, out, threads, indices, index_format, storage_order)
        how = "to each window's maximum (or through saved ``indices``)"
    elif forward_name.startswith("adaptive_avg"):
        def bwd(grad_output, input, output_size, *, layout="nchw", out=None, threads=None):
            x, unbatched = _prepare(input, rank, layout)
            plan = plans.adaptive_plan("adaptive_avg", x, rank, output_size, layout)
            return plans.backward(plan, x, unbatched, grad_output, out, threads)
        how = "each window's gradient shared out over its inputs"
    else:
        def bwd(grad_output, indices, kernel_size, stride=None, padding=0, output_size=None, *,
                layout="nchw", index_format="torch", storage_order=0, out=None):
            idx = checks.indices_array(indices)
            dy = checks.array(grad_output, "grad_output")
            x_like, unbatched = checks.batched(idx, rank, "indices", layout)
            plan = plans.unpool_plan(x_like, rank, kernel_size, stride, padding, output_size, layout)
            dx = checks.output(out, idx.shape, dy.dtype, [dy, idx])
            plan.backward(dy[None] if unbatched else dy, x_like, dx[None] if unbatched else dx,
                          index_format, storage_order)
            return dx
        how = "``grad_output`` gathered at the indices"
    doc = f"""The gradient of ``{forward_name}`` with respect to its input, for upstream gradient
    ``grad_output``: {how}. Takes the forward call's arguments; returns an array of the
    input's shape and dtype (or fills ``out``). Gradients are accumulated in float64 in
    row-major output order: the same bits on every run and thread count.
"""
    return _finish(bwd, forward_name + "_backward", doc)


def _global(kind):
    op = f"global_{kind}"

    if kind == "max":
        def fn(input, return_indices=False, *, layout="nchw", index_format="torch", storage_order=0,
               out=None, threads=None):
            hit = plans.cached((op, layout), input, out, threads)
            if hit is not None:
                return plans.run_cached(hit, input, return_indices, index_format, storage_order)
            x = _global_input(input)
            plan = plans.global_plan(op, x, layout)
            plans.remember((op, layout), x, plan, False)
            return plans.forward(plan, x, False, out, threads, return_indices, index_format, storage_order)

        def bwd(grad_output, input, *, indices=None, index_format="torch", storage_order=0, layout="nchw",
                out=None, threads=None):
            x = _global_input(input)
            plan = plans.global_plan(op, x, layout)
            return plans.backward(plan, x, False, grad_output, out, threads, indices, index_format, storage_order)
    elif kind == "avg":
        def fn(input, *, layout="nchw", out=None, threads=None):
            hit = plans.cached((op, layout), input, out, threads)
            if hit is not None:
                return plans.run_cached(hit, input)
            x = _global_input(input)
            plan = plans.global_plan(op, x, layout)
            plans.remember((op, layout), x, plan, False)
            return plans.forward(plan, x, False, out, threads)

        def bwd(grad_output, input, *, layout="nchw", out=None, threads=None):
            x = _global_input(input)
            return plans.backward(plans.global_plan(op, x, layout), x, False, grad_output, out, threads)
    else:
        def fn(input, norm_type=2.0, *, layout="nchw", out=None, threads=None):
            x = _global_input(input)
            return plans.forward(plans.global_plan(op, x, layout, norm_type), x, False, out, threads)

        def bwd(grad_output, input, norm_type=2.0, *, layout="nchw", out=None, threads=None):
            x = _global_input(input)
            return plans.backward(plans.global_plan(op, x, layout, norm_type), x, False, grad_output, out, threads)

    doc = f"""Global {kind} pooling: one window over every spatial axis of a batched
    [N, C, spatial...] (or, with ``layout="nhwc"``, [N, spatial..., C]) array, 1 to 3 spatial
    axes; each spatial extent of the result is 1, as in ONNX's Global{kind.capitalize()}Pool.
{EXTRAS}"""
    _finish(fn, f"global_{kind}_pool", doc)
    _finish(bwd, f"global_{kind}_pool_backward",
            f"""The gradient of ``global_{kind}_pool`` with respect to its input, for upstream gradient
    ``grad_output`` (of the pooled shape); returns an array of the input's shape and dtype.
""")
    return fn, bwd


def _roi():
    def max_roi_pool(input, rois, pooled_shape, spatial_scale=1.0, *, layout="nchw", out=None):
        x, boxes = _roi_inputs(input, rois)
        plan = plans.roi_plan(x, boxes, pooled_shape, spatial_scale, layout)
        y = checks.output(out, tuple(plan.output_shape), x.dtype, [x, boxes])
        plan.forward(x, boxes, y)
        return y

    def max_roi_pool_backward(grad_output, input, rois, pooled_shape, spatial_scale=1.0, *, layout="nchw",
                              out=None):
        x, boxes = _roi_inputs(input, rois)
        dy = checks.same_dtype(checks.array(grad_output, "grad_output"), x, "grad_output")
        plan = plans.roi_plan(x, boxes, pooled_shape, spatial_scale, layout)
        dx = checks.output(out, x.shape, x.dtype, [x, boxes, dy])
        plan.backward(x, boxes, dy, dx)
        return dx

    _finish(max_roi_pool, "max_roi_pool", f"""Max RoI pooling, as ONNX's MaxRoiPool (Fast R-CNN): each box of
    ``rois`` ([num_rois, 5] rows of batch index, x1, y1, x2, y2, in the input's dtype) is
    scaled by ``spatial_scale``, rounded, and split into ``pooled_shape`` (height, width)
    bins, each pooled by its maximum (an empty bin gives 0). Returns
    [num_rois, C, pooled_h, pooled_w] (channels last with ``layout="nhwc"``).
{{EXTRAS}}""".replace("{{EXTRAS}}", EXTRAS))
    _finish(max_roi_pool_backward, "max_roi_pool_backward", """The gradient of ``max_roi_pool`` with respect
    to its input: each bin's gradient goes to the input element that was its maximum.
    Takes the forward call's arguments after ``grad_output``; returns the input's shape.
""")
    return max_roi_pool, max_roi_pool_backward


def _roi_inputs(input, rois):
    x = checks.array(input, "input")
    boxes = checks.same_dtype(checks.array(rois, "rois"), x, "rois")
    return x, boxes


def _global_input(input):
    x = checks.array(input, "input")
    if not 3 <= x.ndim <= 5:
        raise ValueError(f"input has shape {x.shape}: global pooling takes [N, C, 1 to 3 spatial axes]")
    return x


def build():
    """Every public function, by name."""
    names = {}
    for rank in (1, 2, 3):
        for fn in (make_max_pool(rank), make_avg_pool(rank), make_lp_pool(rank), make_adaptive(rank, "max"),
                   make_adaptive(rank, "avg"), make_unpool(rank)):
            names[fn.__name__] = fn
            back = make_backward(fn.__name__, rank)
            names[back.__name__] = back
    for fn in _roi():
        names[fn.__name__] = fn
    for kind in ("max", "avg", "lp"):
        fn, bwd = _global(kind)
        names[fn.__name__] = fn
        names[bwd.__name__] = bwd
    return names
