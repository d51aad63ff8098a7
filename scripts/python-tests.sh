#!/usr/bin/env bash
# Builds the Python package (python/, PyO3 + maturin) into the cached test environment and
# runs its tests with pytest: every function against torch.nn.functional, the argument
# checks, threads, memory.
#
# The extension is built in cargo's dev profile, so the poolkit library that `cargo test`
# already compiled is reused; `pip install ./python` (the README's command) builds release.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/python-env.sh

PATH="$venv/bin:$PATH" MATURIN_PEP517_ARGS="--profile dev" "$venv/bin/pip" install --quiet --disable-pip-version-check \
    --no-build-isolation --no-deps --force-reinstall ./python
# From the repository root, so that `import poolkit` finds the installed package, not the
# source folder (which lacks the compiled module).
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider python/tests "$@"
