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

venv="${POOLKIT_CACHE:-$HOME/.cache/poolkit}/oracles"
want="$(sha256sum oracles/requirements.txt | cut -d' ' -f1)"
if [[ "$(cat "$venv/.requirements" 2>/dev/null || true)" != "$want" ]]; then
    echo "oracles: installing PyTorch, ONNX Runtime and numpy into $venv (once)"
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    fi
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r oracles/requirements.txt
    echo "$want" >"$venv/.requirements"
fi

bin="${POOLKIT_BIN:-}"
if [[ -z "$bin" ]]; then
    target_dir="$(cargo metadata --no-deps --format-version 1 \
        | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
    bin="$target_dir/debug/poolkit"
    [[ -x "$bin" ]] || cargo build --locked --quiet -p poolkit-cli
fi
exec "$venv/bin/python" oracles/differential.py --poolkit "$bin" "$@"
