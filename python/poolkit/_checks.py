"""Argument checks shared by every function: Python values become the plain lists of sizes
the native plans take, and anything else is a TypeError or ValueError naming the argument
and the rule, before the library is reached."""

import numbers
import operator

import numpy as np

POOLED_DTYPES = ("float32", "float64", "float16", "bfloat16", "uint8", "int8", "uint16")
LAYOUTS = ("nchw", "nhwc")


def sizes(value, rank, name, minimum=0):
    """`value` as a list of `rank` whole numbers: one number for every axis, or one each."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} is a bool: give a whole number or a sequence of {rank}")
    if isinstance(value, numbers.Integral):
        items = [value] * rank
    elif isinstance(value, (list, tuple, np.ndarray)):
        items = list(value)
        if len(items) == 1 and rank > 1:
            items = items * rank
        if len(items) != rank:
            raise ValueError(f"{name}={tuple(items)} has {len(items)} entries: give one or {rank}")
    else:
        raise TypeError(f"{name} is {type(value).__name__}: give a whole number or a sequence of {rank}")
    out = []
    for item in items:
        if isinstance(item, (bool, np.bool_)):
            raise TypeError(f"{name} holds a bool: sizes are whole numbers")
        try:
            n = operator.index(item)
        except TypeError:
            raise TypeError(f"{name} holds {item!r}: sizes are whole numbers") from None
        if n < minimum:
            raise ValueError(f"{name}={tuple(items)}: every entry must be at least {minimum}")
        if n >= 2**63:
            raise ValueError(f"{name}={tuple(items)}: {n} is larger than any extent poolkit indexes")
        out.append(n)
    return out


def array(value, name):
    """`value` itself when it is a numpy array of a pooled dtype."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} is {type(value).__name__}: poolkit pools numpy arrays (poolkit.torch takes tensors)")
    if not value.dtype.isnative:
        raise ValueError(
            f"{name} has dtype {value.dtype.str}, not in this machine's byte order: convert it with "
            ".astype(dtype.newbyteorder('='))"
        )
    if value.dtype.name not in POOLED_DTYPES:
        raise TypeError(
            f"{name} has dtype {value.dtype.name}: poolkit pools " + ", ".join(POOLED_DTYPES)
        )
    return value


def batched(value, rank, name, layout):
    """`value` with a batch axis: an unbatched [C, spatial...] array gains one. Also says
    whether it was added, so the result can lose it again."""
    if layout not in LAYOUTS:
        raise ValueError(f'layout={layout!r}: give "nchw" (channels first) or "nhwc" (channels last)')
    if value.ndim == rank + 1:
        return value[np.newaxis], True
    if value.ndim != rank + 2:
        raise ValueError(
            f"{name} has shape {value.shape}: {rank}-D pooling takes [N, C, {rank} spatial axes] "
            f"or [C, {rank} spatial axes] ({rank + 2} or {rank + 1} dimensions)"
        )
    return value, False


def output(out, shape, dtype, inputs, name="out"):
    """A fresh C-contiguous array of `shape`, or the caller's `out` once it is checked to be
    writable, contiguous, of that shape and dtype, and apart from every input."""
    if out is None:
        return np.empty(shape, dtype=dtype)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} is {type(out).__name__}: give a numpy array")
    if tuple(out.shape) != tuple(shape) or out.dtype != dtype:
        raise ValueError(f"{name} has shape {out.shape} and dtype {out.dtype}: this call writes {tuple(shape)} of {dtype}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError(f"{name} must be a writable, C-contiguous array")
    for other in inputs:
        if np.may_share_memory(out, other):
            raise ValueError(f"{name} shares memory with an input: give a separate array")
    return out


def same_dtype(value, reference, name):
    """`value` when its dtype is `reference`'s (a gradient has its tensor's dtype)."""
    if value.dtype != reference.dtype:
        raise TypeError(f"{name} has dtype {value.dtype.name} but the input has {reference.dtype.name}")
    return value


def indices_array(value, name="indices"):
    """`value` when it is an int64 numpy array, as max pooling writes indices."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} is {type(value).__name__}: give the int64 numpy array max pooling returned")
    if value.dtype != np.int64:
        raise TypeError(f"{name} has dtype {value.dtype.name}: indices are int64")
    return value


def threads_of(threads):
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or not 1 <= threads < 2**31:
        raise ValueError(f"threads={threads!r}: give a whole number from 1 to 2^31 - 1")
    return int(threads)


def storage_order_of(order):
    """ONNX's storage order: 0 (row major) or 1 (column major)."""
    if isinstance(order, bool) or order not in (0, 1):
        raise ValueError(f"storage_order={order!r}: ONNX storage orders are 0 (row major) and 1 (column major)")
    return int(order)
