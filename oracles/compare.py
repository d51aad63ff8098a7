"""How poolkit's outputs are held against a peer's: bit for bit where the result is a choice
(max values, indices, unpooling, max gradients in exact arithmetic), within a stated
tolerance where it is a sum whose order the peers do not fix (averages, Lp, their
gradients)."""

import ml_dtypes
import numpy as np

# Relative tolerance per element type for sums: two units in the last place of the type,
# scaled by the largest magnitude in play (a sum's rounding error is relative to its terms).
ULP = {
    "float64": 2.0**-52,
    "float32": 2.0**-23,
    "float16": 2.0**-10,
    "bfloat16": 2.0**-7,
}


def as_f64(a):
    if a.dtype == ml_dtypes.bfloat16:
        a = a.astype(np.float32)
    return np.asarray(a, dtype=np.float64)


def is_exact(case, name):
    """True when output `name` of this case must match bit for bit."""
    op = case["op"]
    if name == "indices":
        return True
    if op in ("max", "global_max", "adaptive_max", "unpool", "roi_max"):
        # Max gradients add a few multiples of 1/8: exact except in bfloat16's 8 bits.
        return name == "y" or case["dtype"] != "bfloat16"
    return case["dtype"] in ("uint8", "int8", "uint16")


def mismatches(case, name, ours, theirs, scale):
    """Boolean mask of the elements that disagree, or a string when the shapes differ."""
    if ours.shape != theirs.shape:
        return f"shape {list(ours.shape)} against {list(theirs.shape)}"
    if name == "indices":
        return np.asarray(ours, np.int64) != np.asarray(theirs, np.int64)
    a, b = as_f64(ours), as_f64(theirs)
    both_nan = np.isnan(a) & np.isnan(b)
    if is_exact(case, name):
        same = (a == b) & (np.signbit(a) == np.signbit(b))
    else:
        ulp = ULP[case["dtype"]]
        size = np.maximum(np.abs(b), scale)
        with np.errstate(invalid="ignore"):
            same = (a == b) | (np.abs(a - b) <= 4 * ulp * size)
    return ~(same | both_nan)


def scale_of(x):
    """The largest finite magnitude in the input (0 if none)."""
    v = as_f64(x)
    finite = v[np.isfinite(v)]
    return float(np.abs(finite).max()) if finite.size else 0.0
