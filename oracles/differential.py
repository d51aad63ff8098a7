"""Differential suite: poolkit's command line against real PyTorch and real ONNX Runtime.

Runs the fixed corpus (every disagreement found so far) and a fresh seeded batch of random
cases: every operator and flag, 1-3 spatial axes, both layouts, float and integer types,
forward, indices and both backward routes (recomputed, and through saved indices). Fails
on any disagreement that no rule in known.py explains; each rule names a section of
docs/semantics.md. The seed is printed first, so a failing run replays exactly.

    python oracles/differential.py --poolkit target/debug/poolkit [--seed S] [--cases N]
"""

import argparse
import json
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

import cases as gen
import peers
from compare import mismatches, scale_of
from known import Disagreement, check_documented
from poolkit_cli import Crash, Poolkit

HERE = Path(__file__).resolve().parent
MAX_FORWARD = ("max", "adaptive_max", "global_max")


def _peer(call, *args):
    """A peer's outputs, {'error': ...} when it refused, None when it does not apply."""
    try:
        return call(*args)
    except peers.NotApplicable:
        return None
    except peers.Refused as e:
        return {"error": str(e)}


def _judge(case, peer, x, ours, theirs, scale, names=None):
    """The disagreements between two result dicts (outputs, or {'error': message})."""
    if theirs is None or "error" in theirs:
        # A peer's refusal of what poolkit computes is no disagreement: poolkit may be the
        # more general (asymmetric pads, dilated averages, any output size).
        return []
    if "error" in ours:
        return [Disagreement(case, peer, "refusal", x, ours["error"], "a result", None, ours, theirs)]
    found = []
    for name, value in theirs.items():
        label = (names or {}).get(name, name)
        grad_scale = 4.0 if name == "dx" else scale
        mask = mismatches(case, name, ours[name], value, grad_scale)
        if isinstance(mask, str) or mask.any():
            found.append(Disagreement(case, peer, label, x, ours[name], value, mask, ours))
    return found


def _shape_check(case, pk, x, ours):
    """`poolkit shape --explain` must agree with `poolkit apply`: the same shape, or a refusal."""
    said = pk.shape(case)
    if ("error" in said) == ("error" in ours) and ("error" in ours or said["shape"] == list(ours["y"].shape)):
        return []
    got = said.get("error") or said["shape"]
    want = ours.get("error") or list(ours["y"].shape)
    return [Disagreement(case, "poolkit shape", "shape", x, str(got), str(want), f"shape says {got}, apply {want}", ours)]


def run_case(case, binary):
    """Runs one case: (peers compared, disagreements)."""
    with tempfile.TemporaryDirectory(prefix="poolkit-diff-") as folder:
        pk = Poolkit(binary, Path(folder))
        x = gen.input_data(case)
        side = None
        if case["op"] == "unpool":
            x, side = peers.unpool_inputs(case, x)
        if case["op"] == "roi_max":
            side = {"rois": np.array(case["rois"], gen.np_dtype(case["dtype"]))}
        scale = scale_of(x)
        compared, found = set(), []

        ours = pk.forward(case, x, side)
        if case["op"] not in ("unpool", "roi_max"):
            found += _shape_check(case, pk, x, ours)
        torch_fw = _peer(peers.torch_forward, case, x, side)
        if torch_fw is not None:
            compared.add("PyTorch")
            found += _judge(case, "PyTorch", x, ours, torch_fw, scale)
        if case["op"] == "unpool":
            onnx_case = dict(case, index_format="onnx")
            onnx_side = peers.onnx_side(case, side, list(x.shape))
            ours_onnx = pk.forward(onnx_case, x, dict(onnx_side, indices=onnx_side["onnx_indices"]))
            theirs = _peer(peers.ort_forward, onnx_case, x, onnx_side)
            if theirs is not None:
                compared.add("ONNX Runtime")
                found += _judge(onnx_case, "ONNX Runtime", x, ours_onnx, theirs, scale)
        else:
            theirs = _peer(peers.ort_forward, case, x, side)
            if theirs is not None:
                compared.add("ONNX Runtime")
                found += _judge(case, "ONNX Runtime", x, ours, theirs, scale)

        both_computed = "error" not in ours and torch_fw is not None and "error" not in torch_fw
        if both_computed and x.dtype.kind not in "ui":
            dy = gen.grad_output(case, ours["y"].shape)
            theirs = _peer(peers.torch_backward, case, x, dy, side)
            found += _judge(case, "PyTorch", x, pk.backward(case, x, dy, side), theirs, scale)
            if case["op"] in MAX_FORWARD:
                routed = pk.backward(case, x, dy, side, through_indices=True)
                found += _judge(case, "PyTorch", x, routed, theirs, scale, {"dx": "dx through indices"})
        return compared, found


def _show(d):
    lines = [f"  {d.peer}, {d.name}: case {json.dumps(d.case)}"]
    if d.name == "refusal":
        lines.append(f"    poolkit refused: {d.ours}")
    elif isinstance(d.mask, str):
        lines.append(f"    {d.mask}")
    else:
        where = np.argwhere(d.mask)[:4]
        for w in where:
            w = tuple(w)
            lines.append(f"    at {list(map(int, w))}: poolkit {d.ours[w]!r}, {d.peer} {d.theirs[w]!r}")
        lines.append(f"    {int(d.mask.sum())} of {d.mask.size} elements differ")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--poolkit", required=True, help="the poolkit binary")
    ap.add_argument("--seed", type=int, help="random seed (default: a fresh one, printed)")
    ap.add_argument("--cases", type=int, default=1200, help="random cases besides the corpus")
    ap.add_argument("--case", help="run one case given as JSON (replay)")
    args = ap.parse_args()

    missing = check_documented((HERE.parent / "docs" / "semantics.md").read_text())
    if missing:
        sys.exit(f"differential: docs/semantics.md does not document {', '.join(missing)}")
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    if args.case:
        todo = [json.loads(args.case)]
    else:
        print(f"differential: seed {seed} (replay with --seed {seed})", flush=True)
        rng = gen.random.Random(seed)
        corpus = json.loads((HERE / "corpus.json").read_text())["cases"]
        todo = corpus + [gen.random_case(rng) for _ in range(args.cases)]

    counts = {"PyTorch": 0, "ONNX Runtime": 0}
    explained, undocumented, crashes = {}, [], []
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(run_case, case, args.poolkit) for case in todo]
        for case, future in zip(todo, futures):
            try:
                compared, found = future.result()
            except Crash as e:
                crashes.append(f"  case {json.dumps(case)}\n    {e}")
                continue
            for peer in compared:
                counts[peer] += 1
            for d in found:
                rule = d.explanation()
                if rule:
                    explained[rule] = explained.get(rule, 0) + 1
                else:
                    undocumented.append(d)

    for d in undocumented[:12]:
        print(_show(d))
    for c in crashes[:12]:
        print(c)
    if explained:
        print("documented differences seen: " + ", ".join(f"{k} {v}" for k, v in sorted(explained.items())))
    print(
        f"differential: {counts['PyTorch']} cases vs PyTorch, {counts['ONNX Runtime']} vs ONNX Runtime, "
        f"{len(undocumented)} undocumented disagreements" + (f", {len(crashes)} crashes" if crashes else "")
    )
    if undocumented or crashes:
        print(f"differential: failed; replay with --seed {seed}, or one case with --case '<json>'")
        sys.exit(1)


if __name__ == "__main__":
    main()
