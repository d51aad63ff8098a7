#!/usr/bin/env bash
# Runs the library's views of foreign memory (the ndarray interop) under Miri, which reports
# undefined behaviour that tests cannot see: a slice over memory another live view writes.
# The kernels run under AddressSanitizer instead (scripts/asan.sh says why). Installs the
# nightly toolchain's miri and rust-src components when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly miri --version >/dev/null 2>&1; then
    rustup component add --toolchain nightly miri rust-src
fi
cargo +nightly miri test --locked -q -p poolkit --lib interop
