"""poolkit's pooling registered with PyTorch as custom operators (torch.library): one
operator for the reductions without indices, one for max pooling with indices, one for
unpooling, each with a fake (shape-only) implementation and an autograd formula whose
backward is itself a custom operator."""

from typing import List, Optional, Tuple

import numpy as np
import torch
from torch import Tensor

from .. import _native
from . import _convert as cv


def _plan(x_shape, last, op, kernel, stride, pads, dilation, ceil_mode, count_include_pad, divisor_override,
          p, output_size):
    shape = [x_shape[0], *x_shape[2:], x_shape[1]] if last else list(x_shape)
    windowed = op in ("max", "avg", "lp")
    return _native.Plan(
        op, shape, "nhwc" if last else "nchw",
        kernel=kernel if windowed else None,
        stride=stride if windowed else None,
        dilation=dilation if windowed else None,
        pads=pads if windowed else None,
        ceil_mode=ceil_mode, count_include_pad=count_include_pad,
        divisor_override=divisor_override, p=p if op in ("lp", "global_lp") else None,
        output_size=output_size if op.startswith("adaptive") else None,
    )


def _input(x):
    last = cv.channels_last(x)
    a = cv.as_array(x)
    return (cv.to_last(a) if last else a), last


@torch.library.custom_op("poolkit::pool", mutates_args=(), device_types="cpu")
def pool(x: Tensor, op: str, kernel: List[int], stride: List[int], pads: List[int], dilation: List[int],
         ceil_mode: bool, count_include_pad: bool, divisor_override: Optional[int], p: float,
         output_size: List[int]) -> Tensor:
    a, last = _input(x)
    plan = _plan(x.shape, last, op, kernel, stride, pads, dilation, ceil_mode, count_include_pad,
                 divisor_override, p, output_size)
    y, out = cv.empty(cv.logical_shape(plan.output_shape, last), x, last)
    plan.forward(a, out, None)
    return y


def _fake(x, shape, dtype=None):
    """A fake result of `shape`, stored as the real kernel stores it (channels last for a
    channels-last input)."""
    t = x.new_empty(shape, dtype=dtype or x.dtype)
    return t.contiguous(memory_format=_format(x, True)) if cv.channels_last(x) else t


@pool.register_fake
def _(x, op, kernel, stride, pads, dilation, ceil_mode, count_include_pad, divisor_override, p, output_size):
    plan = _plan(x.shape, False, op, kernel, stride, pads, dilation, ceil_mode, count_include_pad,
                 divisor_override, p, output_size)
    return _fake(x, plan.output_shape)


@torch.library.custom_op("poolkit::pool_backward", mutates_args=(), device_types="cpu")
def pool_backward(grad_output: Tensor, x: Tensor, op: str, kernel: List[int], stride: List[int], pads: List[int],
                  dilation: List[int], ceil_mode: bool, count_include_pad: bool, divisor_override: Optional[int],
                  p: float, output_size: List[int]) -> Tensor:
    a, last = _input(x)
    dy = cv.as_array(grad_output.contiguous(memory_format=_format(x, last)))
    plan = _plan(x.shape, last, op, kernel, stride, pads, dilation, ceil_mode, count_include_pad,
                 divisor_override, p, output_size)
    dx, out = cv.empty(list(x.shape), x, last)
    plan.backward(a, cv.to_last(dy) if last else dy, out, None)
    return dx


@pool_backward.register_fake
def _(grad_output, x, *geometry):
    return torch.empty_like(x)


def _format(x, last):
    if not last:
        return torch.contiguous_format
    return torch.channels_last if x.dim() == 4 else torch.channels_last_3d


def _pool_setup(ctx, inputs, output):
    ctx.save_for_backward(inputs[0])
    ctx.geometry = inputs[1:]


def _pool_grad(ctx, grad):
    (x,) = ctx.saved_tensors
    return (pool_backward(grad, x, *ctx.geometry),) + (None,) * len(ctx.geometry)


pool.register_autograd(_pool_grad, setup_context=_pool_setup)


@torch.library.custom_op("poolkit::max_pool", mutates_args=(), device_types="cpu")
def max_pool(x: Tensor, op: str, kernel: List[int], stride: List[int], pads: List[int], dilation: List[int],
             ceil_mode: bool, output_size: List[int]) -> Tuple[Tensor, Tensor]:
    a, last = _input(x)
    plan = _plan(x.shape, last, op, kernel, stride, pads, dilation, ceil_mode, True, None, 2.0, output_size)
    shape = cv.logical_shape(plan.output_shape, last)
    y, out = cv.empty(shape, x, last)
    idx = torch.empty(shape, dtype=torch.int64, memory_format=_format(x, last))
    idx_np = cv.as_array(idx)
    plan.forward_with_indices(a, out, cv.to_last(idx_np) if last else idx_np, "torch", 0, None)
    return y, idx


@max_pool.register_fake
def _(x, op, kernel, stride, pads, dilation, ceil_mode, output_size):
    plan = _plan(x.shape, False, op, kernel, stride, pads, dilation, ceil_mode, True, None, 2.0, output_size)
    return _fake(x, plan.output_shape), _fake(x, plan.output_shape, torch.int64)


@torch.library.custom_op("poolkit::max_pool_backward", mutates_args=(), device_types="cpu")
def max_pool_backward(grad_output: Tensor, x: Tensor, indices: Tensor, op: str, kernel: List[int],
                      stride: List[int], pads: List[int], dilation: List[int], ceil_mode: bool,
                      output_size: List[int]) -> Tensor:
    _, last = _input(x)
    fmt = _format(x, last)
    dy = cv.as_array(grad_output.contiguous(memory_format=fmt))
    idx = cv.as_array(indices.contiguous(memory_format=fmt))
    plan = _plan(x.shape, last, op, kernel, stride, pads, dilation, ceil_mode, True, None, 2.0, output_size)
    dx, out = cv.empty(list(x.shape), x, last)
    if last:
        dy, idx = cv.to_last(dy), cv.to_last(idx)
    plan.backward_from_indices(dy, idx, out, "torch", 0, None)
    return dx


@max_pool_backward.register_fake
def _(grad_output, x, indices, *geometry):
    return torch.empty_like(x)


def _max_setup(ctx, inputs, output):
    ctx.save_for_backward(inputs[0], output[1])
    ctx.geometry = inputs[1:]


def _max_grad(ctx, grad, _grad_indices):
    x, idx = ctx.saved_tensors
    return (max_pool_backward(grad, x, idx, *ctx.geometry),) + (None,) * len(ctx.geometry)


max_pool.register_autograd(_max_grad, setup_context=_max_setup)


def _unpool_plan(x, kernel, stride, pads, output_size):
    return _native.Unpool(list(x.shape), "nchw", kernel, stride=stride, pads=pads,
                          output_size=output_size or None)


@torch.library.custom_op("poolkit::max_unpool", mutates_args=(), device_types="cpu")
def max_unpool(x: Tensor, indices: Tensor, kernel: List[int], stride: List[int], pads: List[int],
               output_size: List[int]) -> Tensor:
    plan = _unpool_plan(x, kernel, stride, pads, output_size)
    y = torch.empty(plan.output_shape, dtype=x.dtype)
    plan.forward(cv.as_array(x), cv.as_array(indices), cv.as_array(y), "torch", 0)
    return y


@max_unpool.register_fake
def _(x, indices, kernel, stride, pads, output_size):
    return x.new_empty(_unpool_plan(x, kernel, stride, pads, output_size).output_shape)


@torch.library.custom_op("poolkit::max_unpool_backward", mutates_args=(), device_types="cpu")
def max_unpool_backward(grad_output: Tensor, indices: Tensor, kernel: List[int], stride: List[int],
                        pads: List[int], output_size: List[int]) -> Tensor:
    plan = _unpool_plan(indices, kernel, stride, pads, output_size)
    dx = torch.empty(indices.shape, dtype=grad_output.dtype)
    plan.backward(cv.as_array(grad_output.contiguous()), cv.as_array(indices), cv.as_array(dx), "torch", 0)
    return dx


@max_unpool_backward.register_fake
def _(grad_output, indices, kernel, stride, pads, output_size):
    return grad_output.new_empty(indices.shape)


def _unpool_setup(ctx, inputs, output):
    ctx.save_for_backward(inputs[1])
    ctx.geometry = inputs[2:]


def _unpool_grad(ctx, grad):
    (idx,) = ctx.saved_tensors
    return (max_unpool_backward(grad, idx, *ctx.geometry), None) + (None,) * len(ctx.geometry)


max_unpool.register_autograd(_unpool_grad, setup_context=_unpool_setup)

assert np  # numpy arrays are what the native module reads and writes
