#!/usr/bin/env bash
# The differential suite against real PyTorch and real ONNX Runtime (oracles/).
#
# Installs the pinned oracles into a virtual environment cached outside the clone,
# $HOME/.cache/poolkit/oracles (rebuilt only when oracles/requirements.txt changes), then
# runs oracles/differential.py on the poolkit binary that `cargo test` already built.
#
# Usage: scripts/oracles.sh [--seed S] [--cases N] [--case JSON]
#   POOLKIT_BIN   the binary to test [default: target/debug/poolkit, built if missing]
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/python-env.sh

bin="${POOLKIT_BIN:-}"
if [[ -z "$bin" ]]; then
    target_dir="$(cargo metadata --no-deps --format-version 1 \
        | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
    bin="$target_dir/debug/poolkit"
    [[ -x "$bin" ]] || cargo build --locked --quiet -p poolkit-cli
fi
exec "$venv/bin/python" oracles/differential.py --poolkit "$bin" "$@"
