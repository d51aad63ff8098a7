#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 20) with cargo-fuzz (libFuzzer, nightly),
# starting from a copy of the committed seed corpus so the tree stays clean.
# A longer hunt: scripts/fuzz.sh 3600. Crashes land in fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=${*:-$(cd fuzz && cargo +nightly fuzz list)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
summary=()
for target in $targets; do
    mkdir -p "$work/$target"
    cp -r "fuzz/corpus/$target/." "$work/$target/" 2>/dev/null || true
    log="$work/$target.log"
    (cd fuzz && cargo +nightly fuzz run "$target" "$work/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10) 2>&1 | tee "$log" | grep -E 'Done|ERROR|panicked' || true
    if grep -qE 'ERROR: libFuzzer|panicked at|deadly signal' "$log"; then
        echo "fuzz target $target crashed; see fuzz/artifacts/$target/" >&2
        exit 1
    fi
    execs=$(grep -oE 'Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' || echo "?")
    summary+=("$target: $execs executions in ${seconds}s, 0 crashes")
done
printf 'fuzz: %s\n' "${summary[@]}"
