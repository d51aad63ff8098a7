#!/usr/bin/env bash
# Runs the explorer's browser tests on a fresh machine: installs Debian's Chromium and
# Node.js with apt-get when they are missing, the pinned npm packages with `npm ci` (no
# browser download), builds the static page (scripts/build-web.sh) and the explorer server
# that embeds it, and runs every test with node's own test runner. Exits non-zero if anything fails. Screenshots: target/e2e-screenshots/.
#   UPDATE_DOCS_SCREENSHOT=1 also copies the desktop screenshot to docs/explorer.png.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_install() {
    if [ "$apt_updated" -eq 0 ]; then
        as_root apt-get update -qq
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium_path" ]; then
    echo "==> installing Debian's chromium"
    apt_install chromium
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "==> installing Node.js and npm"
    apt_install nodejs npm
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
    echo "error: Node.js $(node --version) is too old: playwright-core and these tests need Node.js 20 or newer" >&2
    exit 1
fi

echo "==> npm packages (playwright-core and axe-core, pinned by package-lock.json)"
source "$here/../../../scripts/npm-cache.sh"
npm_packages "$here"

root="$(cd "$here/../../.." && pwd)"
# scripts/test.sh builds the page first (its cargo steps embed the same WebAssembly);
# run alone, this script builds it.
if [ ! -f "${POOLKIT_EXPLORER_WASM:-}" ]; then
    echo "==> the static build (scripts/build-web.sh)"
    "$root/scripts/build-web.sh" >/dev/null
    export POOLKIT_EXPLORER_WASM="$root/target/web/site/poolkit_explorer.wasm"
fi
export EXPLORER_WEB="$(dirname "$(dirname "$POOLKIT_EXPLORER_WASM")")"

echo "==> building the explorer server"
cargo build --locked --quiet -p poolkit-explorer --example serve
target_dir="$(cargo metadata --no-deps --format-version 1 \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
export EXPLORER_BIN="$target_dir/debug/examples/serve"
export CHROMIUM_PATH="$chromium_path"

echo "==> browser tests (Chromium $("$chromium_path" --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -1))"
# Every suite against the static build; targets.test.js also opens the single file from
# file:// and the page `poolkit explore` serves, and compares the server's numbers with
# the WebAssembly's.
EXPLORER_TARGET=static node --test --test-concurrency=1 --test-timeout=180000 tests/*.test.js
