#!/usr/bin/env bash
# Builds the explorer as a static web page computed in the browser: the explorer's answers
# (crates/poolkit-explorer-api, with the poolkit library) compiled to WebAssembly, beside the
# page's files. Writes, under target/web/ (or the folder given as $1):
#   site/                    a folder any static host can serve (index.html, scripts, styles,
#                            poolkit_explorer.wasm)
#   poolkit-explorer.html    one self-contained file (WebAssembly embedded) that works from
#                            file:// by double-click, offline
# and prints `export POOLKIT_EXPLORER_WASM=...`, which makes `poolkit explore` embed and serve
# the same build. Installs what it needs on a fresh machine: Debian's rustc-web, cargo-web,
# rust-web-src and lld (rustup here has no wasm32 standard library; these build it with
# -Zbuild-std), and esbuild from npm (cached outside the clone).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${1:-$root/target/web}"
source scripts/npm-cache.sh

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ ! -x /usr/bin/cargo ] || [ ! -x /usr/bin/rustc ] || ! command -v wasm-ld >/dev/null \
    || [ ! -d /usr/lib/rustlib/src/rust/library ]; then
    echo "==> installing Debian's WebAssembly Rust toolchain (rustc-web cargo-web rust-web-src lld)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc-web cargo-web rust-web-src lld
fi

echo "==> the explorer's answers as WebAssembly ($(/usr/bin/rustc --version))"
# A clean environment for Debian's cargo: nothing of rustup's toolchain may leak in.
env -u RUSTUP_TOOLCHAIN -u CARGO -u RUSTC_WRAPPER -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS \
    RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld \
    /usr/bin/cargo build --locked --quiet --profile wasm --target wasm32-unknown-unknown \
    -Zbuild-std=std,panic_abort -p poolkit-wasm --target-dir "$root/target/wasm"
wasm="$root/target/wasm/wasm32-unknown-unknown/wasm/poolkit_wasm.wasm"

echo "==> the page"
assets="$root/crates/poolkit-explorer/assets"
staging="$(mktemp -d "${out%/}.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging/site"
cp -R "$assets/." "$staging/site/"
cp "$wasm" "$staging/site/poolkit_explorer.wasm"
npm_packages "$root/crates/poolkit-explorer/web"
node "$root/crates/poolkit-explorer/web/single-file.mjs" "$staging/site" "$staging/poolkit-explorer.html"
# Nothing half-written is left in place: the new build replaces the old one whole.
rm -rf "$out"
mv "$staging" "$out"
trap - EXIT
echo "==> $out/site/ and $out/poolkit-explorer.html"
echo "wasm: $(wc -c < "$out/site/poolkit_explorer.wasm") bytes, $(gzip -9c "$out/site/poolkit_explorer.wasm" | wc -c) gzipped"
echo "export POOLKIT_EXPLORER_WASM=$out/site/poolkit_explorer.wasm"
