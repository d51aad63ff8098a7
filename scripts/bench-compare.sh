#!/usr/bin/env bash
# Runs scripts/bench-compare.py in its own virtual environment under .cache/: numpy,
# onnx and ONNX Runtime always; PyTorch too unless POOLKIT_BENCH_TORCH=0 (its wheels are
# large), and only if it installs. Writes docs/benchmarks.md. Arguments go to the script.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.cache/bench-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check numpy onnx onnxruntime
if [ "${POOLKIT_BENCH_TORCH:-1}" != 0 ] && ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check torch \
        || echo "bench-compare: PyTorch did not install; comparing without it" >&2
fi
exec "$venv/bin/python" scripts/bench-compare.py "$@"
