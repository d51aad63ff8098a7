"""poolkit for PyTorch: the pooling functions of ``torch.nn.functional`` computed by the
poolkit library on CPU tensors, without copying them, differentiable (registered as
custom operators with autograd formulas), and ``poolkit.torch.nn`` modules.

    >>> import torch, poolkit.torch as pt
    >>> x = torch.randn(8, 64, 112, 112, requires_grad=True)
    >>> pt.max_pool2d(x, 3, 2, 1).sum().backward()

Only this submodule imports torch; ``import poolkit`` does not need it.
"""

import torch

from .. import _checks as checks
from . import _ops

__all__ = []


def _batched(input, rank):
    if not isinstance(input, torch.Tensor):
        raise TypeError(f"input is {type(input).__name__}: poolkit.torch takes tensors (poolkit takes numpy arrays)")
    if input.dim() == rank + 1:
        return input.unsqueeze(0), True
    if input.dim() != rank + 2:
        raise ValueError(f"input has shape {tuple(input.shape)}: {rank}-D pooling takes {rank + 1} or {rank + 2} dimensions")
    return input, False


def _window(rank, kernel_size, stride, padding, dilation):
    kernel = checks.sizes(kernel_size, rank, "kernel_size", 1)
    empty = stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)
    stride = kernel if empty else checks.sizes(stride, rank, "stride", 1)
    pad = checks.sizes(padding, rank, "padding")
    return kernel, stride, pad + pad, checks.sizes(dilation, rank, "dilation", 1)


def _publish(fn, name, doc):
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    fn.__module__ = "poolkit.torch"
    globals()[name] = fn
    __all__.append(name)


def _define(rank):
    d = f"{rank}d"

    def max_pool(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
        x, unbatched = _batched(input, rank)
        geometry = _window(rank, kernel_size, stride, padding, dilation)
        y, idx = _ops.max_pool(x, "max", *geometry, bool(ceil_mode), [])
        if unbatched:
            y, idx = y.squeeze(0), idx.squeeze(0)
        return (y, idx) if return_indices else y

    def avg_pool(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        x, unbatched = _batched(input, rank)
        geometry = _window(rank, kernel_size, stride, padding, 1)
        y = _ops.pool(x, "avg", *geometry, bool(ceil_mode), bool(count_include_pad), divisor_override, 2.0, [])
        return y.squeeze(0) if unbatched else y

    def lp_pool(input, norm_type, kernel_size, stride=None, ceil_mode=False):
        x, unbatched = _batched(input, rank)
        geometry = _window(rank, kernel_size, stride, 0, 1)
        y = _ops.pool(x, "lp", *geometry, bool(ceil_mode), True, None, float(norm_type), [])
        return y.squeeze(0) if unbatched else y

    def adaptive_max_pool(input, output_size, return_indices=False):
        x, unbatched = _batched(input, rank)
        size = _output_size(x, rank, output_size)
        y, idx = _ops.max_pool(x, "adaptive_max", [], [], [], [], False, size)
        if unbatched:
            y, idx = y.squeeze(0), idx.squeeze(0)
        return (y, idx) if return_indices else y

    def adaptive_avg_pool(input, output_size):
        x, unbatched = _batched(input, rank)
        y = _ops.pool(x, "adaptive_avg", [], [], [], [], False, True, None, 2.0, _output_size(x, rank, output_size))
        return y.squeeze(0) if unbatched else y

    def max_unpool(input, indices, kernel_size, stride=None, padding=0, output_size=None):
        x, unbatched = _batched(input, rank)
        idx = indices.unsqueeze(0) if unbatched else indices
        kernel, stride, pads, _ = _window(rank, kernel_size, stride, padding, 1)
        size = [] if output_size is None else checks.sizes(list(output_size)[-rank:], rank, "output_size", 1)
        y = _ops.max_unpool(x.contiguous(), idx.contiguous(), kernel, stride, pads, size)
        return y.squeeze(0) if unbatched else y

    for fn, stem in [(max_pool, "max_pool"), (avg_pool, "avg_pool"), (lp_pool, "lp_pool"),
                     (adaptive_max_pool, "adaptive_max_pool"), (adaptive_avg_pool, "adaptive_avg_pool"),
                     (max_unpool, "max_unpool")]:
        _publish(fn, stem + d, f"``torch.nn.functional.{stem}{d}``, computed by poolkit (CPU tensors, "
                               f"differentiable). See ``poolkit.{stem}{d}`` for the semantics.")


def _output_size(x, rank, output_size):
    spatial = list(x.shape[2:])
    if isinstance(output_size, (list, tuple)):
        output_size = list(output_size) * (rank if len(output_size) == 1 else 1)
        output_size = [spatial[a] if v is None else v for a, v in enumerate(output_size)]
    return checks.sizes(output_size, rank, "output_size", 1)


for _rank in (1, 2, 3):
    _define(_rank)

from . import nn  # noqa: E402  (the modules wrap the functions above)

__all__.append("nn")
