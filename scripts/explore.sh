#!/usr/bin/env bash
# Builds and opens the explorer: the static page with the library compiled to WebAssembly
# (scripts/build-web.sh, which installs its toolchain on a fresh machine), then
# `poolkit explore`, which embeds and serves that same page. Arguments go to `poolkit explore`
# (`--port 7878 --host 127.0.0.1 --open`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/build-web.sh
export POOLKIT_EXPLORER_WASM="$root/target/web/site/poolkit_explorer.wasm"
exec cargo run --release --locked -p poolkit-cli -- explore "$@"
