"""The documented differences between poolkit and its peers: each has a name that
docs/semantics.md must carry (the suite refuses to start otherwise) and a rule that says
precisely which disagreements it explains. Anything no rule explains fails the suite."""

import numpy as np

from compare import as_f64


def _nan_positions(x):
    return np.isnan(as_f64(x)) if x.dtype.kind == "f" or x.dtype.kind == "V" else np.zeros(x.shape, bool)


def nan_index(d):
    """PyTorch returns the last NaN of a max window (`val > max || isnan(val)`), poolkit the
    first: with two or more NaNs in the input, index and gradient routing may differ, and
    only where the pooled value is NaN (or, for gradients, only at NaN inputs)."""
    if d.peer != "PyTorch" or d.case["op"] not in ("max", "adaptive_max", "global_max"):
        return False
    if _nan_positions(d.x).sum() < 2 or isinstance(d.mask, str):
        return False
    if d.name == "indices":
        return bool(np.isnan(as_f64(d.ours_all["y"]))[d.mask].all())
    if d.name.startswith("dx"):
        return bool(_nan_positions(d.x)[d.mask].all())
    return False


def nan_skipped_by_runtime(d):
    """ONNX Runtime's MaxPool skips a NaN unless it comes first in the window, and its
    MaxRoiPool skips every NaN; poolkit propagates every NaN (PyTorch's rule). Disagreements
    lie only where poolkit gives NaN."""
    if d.peer != "ONNX Runtime" or d.case["op"] not in ("max", "global_max", "roi_max"):
        return False
    if not _nan_positions(d.x).any() or isinstance(d.mask, str):
        return False
    if d.name not in ("y", "indices"):
        return False
    # The outputs where poolkit gives NaN (values or their indices); another rule may
    # explain the rest.
    return np.isnan(as_f64(d.ours_all["y"]))


def runtime_lowest_start(d):
    """ONNX Runtime's MaxPool, GlobalMaxPool and MaxRoiPool start each window at the lowest
    finite float, so a window holding only -inf (or only -inf and the NaNs they skip) gives
    -3.4e38 in float32; poolkit gives the window's maximum, -inf. Explained only where poolkit
    says -inf and Runtime the lowest finite value."""
    if d.peer != "ONNX Runtime" or d.case["op"] not in ("max", "global_max", "roi_max"):
        return False
    if isinstance(d.mask, str) or d.name != "y" or d.theirs.dtype.kind not in "fV":
        return False
    ours, theirs = as_f64(d.ours), as_f64(d.theirs)
    lowest = float(np.finfo(d.theirs.dtype).min)
    return (ours == -np.inf) & (theirs == lowest)


def runtime_zero_sign(d):
    """ONNX Runtime's MaxRoiPool (and, where such a window occurs, MaxPool) can return -0.0
    for a window whose maximum is zero and which holds both +0.0 and -0.0, where poolkit
    keeps the first maximum in window order (PyTorch's rule: +0.0 when it comes first). The
    two are equal numbers; explained only where both sides are zeros of opposite sign and
    the input holds zeros of both signs."""
    if d.peer != "ONNX Runtime" or d.case["op"] not in ("max", "global_max", "roi_max"):
        return False
    if isinstance(d.mask, str) or d.name != "y" or d.theirs.dtype.kind not in "fV":
        return False
    x = as_f64(d.x)
    if not ((x == 0) & np.signbit(x)).any() or not ((x == 0) & ~np.signbit(x)).any():
        return False
    ours, theirs = as_f64(d.ours), as_f64(d.theirs)
    return (ours == 0) & (theirs == 0) & (np.signbit(ours) != np.signbit(theirs))


def lp_torch_sign(d):
    """PyTorch's lp_pool raises x to the p without an absolute value: for odd or fractional
    p a window with a negative input differs from the norm (Σ|x|^p)^(1/p) poolkit computes,
    and its p = 1 gradient is the upstream gradient even at x = 0 (poolkit: sign(x) = 0)."""
    if d.peer != "PyTorch" or d.case["op"] not in ("lp", "global_lp") or d.name == "refusal":
        return False
    p = d.case["p"]
    if p == int(p) and int(p) % 2 == 0:
        return False
    v = as_f64(d.x)
    if (v < 0).any():
        return True
    if d.name.startswith("dx") and not isinstance(d.mask, str):
        return v == 0
    return False


def lp_partial_window(d):
    """PyTorch's lp_pool multiplies the in-bounds mean of x^p by the full kernel size, so a
    ceil-mode window that overhangs the input is scaled up; poolkit sums the taps it has.
    Disagreements lie only at outputs whose window overhangs (for gradients: at inputs such
    a window reads)."""
    if d.peer != "PyTorch" or d.case["op"] != "lp" or isinstance(d.mask, str):
        return False
    if not d.case["ceil_mode"] or d.name == "refusal":
        return False
    case, r = d.case, len(d.case["kernel"])
    grid = d.mask.shape[2:]
    touched = np.zeros(grid, bool)
    for axis in range(r):
        n_in, k, s = case["shape"][2 + axis], case["kernel"][axis], case["stride"][axis]
        outputs = range(len(range(0, n_in, s)) + 1)
        partial = [o for o in outputs if o * s < n_in and o * s + k > n_in]
        if d.name == "y":
            hit = np.array([o in partial for o in range(grid[axis])])
        else:
            hit = np.array([any(o * s <= i for o in partial) for i in range(grid[axis])])
        shape = [1] * r
        shape[axis] = -1
        touched |= hit.reshape(shape)
    return np.broadcast_to(touched, d.mask.shape)


def _runtime_extent(n, k, s, d, pb, pe, ceil):
    """ONNX Runtime's output extent: C++ division, which truncates a negative numerator
    towards zero (the spec's formula floors it), and the ceil-mode drop rule."""
    numerator = n + pb + pe - ((k - 1) * d + 1)
    if not ceil:
        return int(numerator / s) + 1
    out = int(np.ceil(numerator / s)) + 1
    return out - 1 if out > 0 and (out - 1) * s >= n + pb else out


def runtime_no_window(d):
    """Where no window fits, ONNX Runtime truncates the negative numerator of the output-size
    formula towards zero: it returns an empty tensor or one output whose window overhangs the
    input. poolkit refuses, naming the axis and the sizes, as PyTorch does and as the spec's
    floor gives. Explained only when Runtime's shape is exactly the truncating formula's."""
    if d.peer != "ONNX Runtime" or d.name != "refusal" or "no window fits" not in d.ours:
        return False
    case, r = d.case, len(d.case["shape"]) - 2
    if "auto_pad" in case and case["auto_pad"] != "valid":
        return False
    pads = case.get("pads", [0] * 2 * r)
    want = [
        _runtime_extent(case["shape"][2 + a], case["kernel"][a], case["stride"][a], case["dilation"][a],
                        pads[a], pads[r + a], case["ceil_mode"])
        for a in range(r)
    ]
    # The spec's own formula (floor, or ceil then the drop rule) must leave some axis
    # without an output: then poolkit's refusal is the spec's answer, not a mistake.
    spec = [
        _spec_extent(case["shape"][2 + a], case["kernel"][a], case["stride"][a], case["dilation"][a],
                     pads[a], pads[r + a], case["ceil_mode"])
        for a in range(r)
    ]
    return min(spec) <= 0 and list(d.theirs_all["y"].shape[2:]) == [max(w, 0) for w in want]


def _spec_extent(n, k, s, d, pb, pe, ceil):
    """The ONNX spec's and PyTorch's output extent: floor or ceil of a signed quotient."""
    numerator = n + pb + pe - ((k - 1) * d + 1)
    out = (numerator + (s - 1 if ceil else 0)) // s + 1
    return out - 1 if ceil and out > 0 and (out - 1) * s >= n + pb else out


def runtime_same_dilation(d):
    """ONNX Runtime computes SAME_UPPER/SAME_LOWER padding from the undilated kernel, so a
    dilated window gets too little padding and a different output; poolkit follows the spec
    (output ceil(in / stride), padding from the dilated kernel)."""
    return (
        d.peer == "ONNX Runtime"
        and d.case.get("auto_pad", "").startswith("same")
        and any(v > 1 for v in d.case["dilation"])
    )


def runtime_negative_same_pad(d):
    """When the stride exceeds the kernel, SAME's total padding (out-1)*s + span - in can be
    negative: ONNX Runtime then pads by a negative amount (its windows start later), poolkit
    pads by 0, as TensorFlow does. Explained only for cases where some axis has that sign."""
    case = d.case
    if d.peer != "ONNX Runtime" or not case.get("auto_pad", "").startswith("same"):
        return False
    for a, n in enumerate(case["shape"][2:]):
        s, span = case["stride"][a], (case["kernel"][a] - 1) * case["dilation"][a] + 1
        if (-(-n // s) - 1) * s + span - n < 0:
            return True
    return False


def lp_grad_nonfinite(d):
    """Lp gradients of a plane holding inf or NaN: poolkit applies its formula term by term
    (sign(x)·(|x|/norm)^(p-1), so 0 at x = 0 and sign(x) for p = 1); PyTorch's autograd
    multiplies through the infinite or NaN norm and gives NaN or 0 there."""
    if d.peer != "PyTorch" or d.case["op"] not in ("lp", "global_lp") or not d.name.startswith("dx"):
        return False
    if isinstance(d.mask, str):
        return False
    v = as_f64(d.x)
    planes = (~np.isfinite(v)).reshape(v.shape[0], v.shape[1], -1).any(axis=2)
    return np.broadcast_to(planes.reshape(planes.shape + (1,) * (v.ndim - 2)), d.mask.shape)


def unpool_empty_output(d):
    """An inferred unpooled extent of 0 or less: PyTorch returns an empty tensor, poolkit
    refuses, naming the axis and the formula."""
    return d.name == "refusal" and "is not positive" in d.ours and d.theirs_all is not None and any(
        v.size == 0 for v in d.theirs_all.values()
    )


def window_in_padding(d):
    """poolkit refuses a geometry in which some window reads padding alone (dilation can make
    PyTorch's pad <= kernel/2 check pass); PyTorch returns -inf for max and an index outside
    the input. Only that refusal is explained."""
    return d.name == "refusal" and (
        "lies wholly in padding" in d.ours or "no tap inside the input" in d.ours
    )


RULES = {
    "nan-index": nan_index,
    "nan-skipped-by-runtime": nan_skipped_by_runtime,
    "lp-torch-sign": lp_torch_sign,
    "lp-partial-window": lp_partial_window,
    "window-in-padding": window_in_padding,
    "runtime-no-window": runtime_no_window,
    "runtime-same-dilation": runtime_same_dilation,
    "runtime-negative-same-pad": runtime_negative_same_pad,
    "runtime-lowest-start": runtime_lowest_start,
    "runtime-zero-sign": runtime_zero_sign,
    "lp-grad-nonfinite": lp_grad_nonfinite,
    "unpool-empty-output": unpool_empty_output,
}


class Disagreement:
    """One output of one case on which poolkit and a peer differ."""

    def __init__(self, case, peer, name, x, ours, theirs, mask, ours_all, theirs_all=None):
        self.case, self.peer, self.name, self.x = case, peer, name, x
        self.ours, self.theirs, self.mask, self.ours_all = ours, theirs, mask, ours_all
        self.theirs_all = theirs_all

    def explanation(self):
        """The name of the documented difference that explains this (names joined by '+'
        when several rules each explain part of the differing elements), or None.

        A rule answers True (it explains the whole disagreement) or a mask of the elements
        it explains."""
        covered, names = None, []
        for name, rule in RULES.items():
            if self.name == "refusal" and rule not in (window_in_padding, runtime_no_window, unpool_empty_output):
                continue
            verdict = rule(self)
            if verdict is True:
                return name
            if isinstance(verdict, np.ndarray) and not isinstance(self.mask, str):
                new = verdict & self.mask if covered is None else verdict & self.mask & ~covered
                if new.any():
                    names.append(name)
                    covered = new if covered is None else covered | new
        if covered is not None and covered[self.mask].all():
            return "+".join(names)
        return None


def check_documented(semantics_text):
    """The rule names missing from docs/semantics.md."""
    return [name for name in RULES if f"`{name}`" not in semantics_text]
