#!/usr/bin/env bash
# Fetches the official ONNX backend test cases for the pooling operators into
# .cache/onnx-data/ (git-ignored), for crates/poolkit/tests/onnx_conformance.rs.
#
# onnx 1.22.0 is the last wheel that ships its backend test data as .pb files. The data
# is Apache-2.0; it is fetched, never committed. Running the script again does nothing
# once the cases are in place.
set -euo pipefail

readonly ONNX_VERSION="1.22.0"
readonly EXPECTED_CASES=69
readonly DATA_PREFIX="onnx/backend/test/data/"
# Case folders: node/test_*pool* (which includes test_maxunpool*), and the PyTorch-derived
# *Pool* / *maxpool* cases.
readonly CASE_PATTERN='^onnx/backend/test/data/(node/test_[^/]*pool[^/]*|pytorch-(converted|operator)/[^/]*(Pool|maxpool)[^/]*)/'

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$repo_root/.cache/onnx-data"

count_cases() {
    # Number of case folders holding a model under $1.
    find "$1" -mindepth 3 -maxdepth 3 -name model.onnx 2>/dev/null | wc -l
}

if [[ -d "$dest" && "$(count_cases "$dest")" -eq "$EXPECTED_CASES" ]]; then
    echo "ONNX pooling cases already in .cache/onnx-data ($EXPECTED_CASES cases)"
    exit 0
fi

for tool in python3 unzip; do
    command -v "$tool" >/dev/null || { echo "error: $tool is needed to fetch the ONNX test data" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The test data is the same in every platform's wheel; naming one platform makes the
# download independent of the local Python and CPU.
python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --platform manylinux_2_28_x86_64 --python-version 3.11 --implementation cp \
    "onnx==$ONNX_VERSION" -d "$work/wheel"
wheel="$(find "$work/wheel" -name "onnx-$ONNX_VERSION-*.whl" | head -n 1)"
[[ -n "$wheel" ]] || { echo "error: pip left no onnx $ONNX_VERSION wheel" >&2; exit 1; }

mapfile -t members < <(unzip -Z1 "$wheel" | grep -E "$CASE_PATTERN" | grep -v '/$')
cases="$(printf '%s\n' "${members[@]}" | cut -d/ -f5,6 | sort -u | wc -l)"
if [[ "$cases" -ne "$EXPECTED_CASES" ]]; then
    echo "error: onnx $ONNX_VERSION holds $cases pooling case folders, expected $EXPECTED_CASES" >&2
    exit 1
fi

unzip -q "$wheel" "${members[@]}" -d "$work/unpacked"
staged="$work/unpacked/$DATA_PREFIX"
got="$(count_cases "$staged")"
if [[ "$got" -ne "$EXPECTED_CASES" ]]; then
    echo "error: unpacked $got case folders with a model.onnx, expected $EXPECTED_CASES" >&2
    exit 1
fi

# Replace any partial earlier attempt in one step.
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$staged" "$dest"
echo "fetched $EXPECTED_CASES ONNX pooling cases into .cache/onnx-data"
