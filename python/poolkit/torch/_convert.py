"""CPU tensors seen as numpy arrays and back, without copying: the bridge between
PyTorch's tensors and the numpy functions, channels-last memory included."""

import ml_dtypes
import numpy as np
import torch


def as_array(t):
    """A numpy view of CPU tensor `t` (bfloat16 through ml_dtypes)."""
    if t.device.type != "cpu":
        raise ValueError(f"a tensor on {t.device}: poolkit computes on the CPU; move it with .cpu()")
    t = t.detach()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return t.numpy()


def channels_last(t):
    """True when `t` (batched, 2 or 3 spatial axes) is stored channels last and not also
    channels first (a 1x1 map is both): then the channels-last kernels read it in order."""
    if t.dim() == 4:
        fmt = torch.channels_last
    elif t.dim() == 5:
        fmt = torch.channels_last_3d
    else:
        return False
    return t.is_contiguous(memory_format=fmt) and not t.is_contiguous()


def to_last(a):
    """The channels-last ([N, spatial..., C]) view of a logical [N, C, spatial...] array."""
    return np.moveaxis(a, 1, -1)


def empty(shape, like, last):
    """A fresh tensor of logical shape `shape` with `like`'s dtype, stored channels last when
    `last`, and the numpy array poolkit writes it through ([N, spatial..., C] when last)."""
    if last:
        fmt = torch.channels_last if len(shape) == 4 else torch.channels_last_3d
        t = torch.empty(shape, dtype=like.dtype, memory_format=fmt)
        return t, to_last(as_array(t))
    t = torch.empty(shape, dtype=like.dtype)
    return t, as_array(t)


def logical_shape(shape, last):
    """The logical [N, C, spatial...] shape of a plan's output shape."""
    return [shape[0], shape[-1], *shape[1:-1]] if last else list(shape)
