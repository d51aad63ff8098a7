#!/usr/bin/env bash
# Runs every test poolkit has, on a fresh machine too: installs what the tests need
# (Debian's chromium for the browser tests, npm packages, the ONNX conformance data,
# PyTorch and ONNX Runtime for the differential suite, Debian's WebAssembly Rust toolchain),
# then checks formatting, lints, the Rust test suites and the explorer in a real browser.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "ONNX conformance data (onnx 1.22.0 wheel, pooling cases only)"
scripts/fetch-onnx-data.sh

step "the explorer's static page: the library as WebAssembly (scripts/build-web.sh)"
scripts/build-web.sh
# Every cargo step below builds the explorer with this WebAssembly embedded, so the server
# the browser tests start serves the page the static build is.
export POOLKIT_EXPLORER_WASM="$PWD/target/web/site/poolkit_explorer.wasm"

step "formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests (library, conformance, properties, gradients, CLI, explorer API)"
cargo test --workspace --locked

step "the ONNX conformance line"
cargo test -p poolkit --locked --test onnx_conformance -- --nocapture 2>&1 | grep -E "^ONNX pooling conformance|not passing"

step "differential suite: the command line against real PyTorch and ONNX Runtime"
scripts/oracles.sh --cases 1500

step "the Python package: built into the test environment, tested with pytest"
scripts/python-tests.sh

if [ -x crates/poolkit-explorer/e2e/run.sh ]; then
    step "explorer in headless Chromium"
    crates/poolkit-explorer/e2e/run.sh
fi

step "fuzzing smoke (cargo-fuzz, each target 15 s from its seed corpus)"
scripts/fuzz.sh 15

step "unsafe kernels under AddressSanitizer"
scripts/asan.sh

step "foreign memory (ndarray views) under Miri"
scripts/miri.sh

step "all tests passed"
