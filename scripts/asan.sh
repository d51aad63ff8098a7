#!/usr/bin/env bash
# Runs the fast kernels' unsafe code under AddressSanitizer (nightly, -Zsanitizer=address)
# on small inputs, for every instruction-set variant this CPU has: out-of-bounds reads or
# writes, use after free and leaks abort the run with a report.
#
# kernels_vs_reference forces each variant itself (ExecOptions::isa); the tests that use the
# default dispatch run once per variant through POOLKIT_ISA. Property tests run a reduced
# number of cases (PROPTEST_CASES, default 16) and every run is bounded by `timeout`.
#
# Why ASan and not Miri: Miri interprets one instruction at a time, far too slowly for these
# tests, lacks many AVX2/AVX-512 intrinsics, and cannot call libc's madvise (large outputs);
# it also needs the miri and rust-src components from the Rust distribution server, while
# ASan needs only the nightly toolchain the fuzzers already use.
#
# Usage: scripts/asan.sh [SECONDS_PER_RUN]   (default 600)
set -euo pipefail
cd "$(dirname "$0")/.."
limit=${1:-600}
if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi

isas=(scalar)
flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
for pair in sse2:sse2 avx2:avx2 avx512f:avx512; do
    if grep -qw "${pair%%:*}" <<<"$flags"; then
        isas+=("${pair##*:}")
    fi
done
echo "asan: instruction sets on this CPU: ${isas[*]}"

export RUSTFLAGS="-Zsanitizer=address"
export RUSTDOCFLAGS="-Zsanitizer=address"
# allocator_may_return_null: a refused allocation must reach try_reserve as an error
# (poolkit turns it into ErrorKind::Overflow), not abort inside the sanitizer.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export CARGO_TARGET_DIR=target/asan
export PROPTEST_CASES=${PROPTEST_CASES:-16}
run() {
    local started=$SECONDS
    timeout "$limit" cargo +nightly test --locked -q -p poolkit \
        --target x86_64-unknown-linux-gnu "$@" 2>&1 | grep -vE '^$|^running [0-9]+ tests?$|^\.+$'
    echo "asan: ${*} passed in $((SECONDS - started)) s"
}

run --test kernels_vs_reference
for isa in "${isas[@]}"; do
    POOLKIT_ISA=$isa run --test numbers_that_bite --test backward_kernels_vs_reference --test strided_views
done
echo "asan: no memory errors"
