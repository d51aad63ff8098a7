#!/usr/bin/env bash
# Load test of the explorer: starts the release `poolkit explore` on a free port of
# 127.0.0.1, drives POST /api/explore with valid requests from CLIENTS clients for SECONDS
# seconds (the load example stops by itself), then reports requests/s, p50/p99 latency, the
# error count and the server's resident memory (VmRSS from /proc) before and after.
#
# Fails when any request fails, or when the server's memory grew by more than
# MAX_GROWTH_KIB (default 65536 KiB = 64 MiB) across the run.
#
# Usage: scripts/load-test.sh [CLIENTS] [SECONDS]   (default 32 clients, 20 s)
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-32}
seconds=${2:-20}
max_growth_kib=${MAX_GROWTH_KIB:-65536}

cargo build --release --locked -q -p poolkit-cli --bin poolkit
cargo build --release --locked -q -p poolkit-explorer --example load

log=$(mktemp)
target/release/poolkit explore --port 0 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT

url=""
for _ in $(seq 1 100); do
    url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/' "$log" || true)
    [ -n "$url" ] && break
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "load-test: the server did not start:" >&2
    cat "$log" >&2
    exit 1
fi
addr=${url#http://}
addr=${addr%/}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$server/status"; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$server/status"; }

# One warm-up request so that "before" counts the server as it is once serving.
target/release/examples/load --addr "$addr" --clients 1 --seconds 1 --max-requests 1 >/dev/null
before=$(rss_kib)
status=0
target/release/examples/load --addr "$addr" --clients "$clients" --seconds "$seconds" \
    --path /api/explore || status=$?
after=$(rss_kib)
peak=$(hwm_kib)
growth=$((after - before))
echo "load-test: server RSS before ${before} KiB, after ${after} KiB (growth ${growth} KiB, bound ${max_growth_kib} KiB), peak ${peak} KiB"
if [ "$status" -ne 0 ]; then
    echo "load-test: some requests failed" >&2
    exit 1
fi
if [ "$growth" -gt "$max_growth_kib" ]; then
    echo "load-test: the server's memory grew by ${growth} KiB, more than ${max_growth_kib} KiB" >&2
    exit 1
fi
echo "load-test: passed"
