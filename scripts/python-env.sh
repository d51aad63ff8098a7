# Sourced by the scripts that run Python: sets $venv to the test environment (PyTorch, ONNX
# Runtime, numpy, maturin, pytest, pinned by oracles/requirements.txt), cached outside the
# clone in $HOME/.cache/poolkit/oracles and rebuilt only when the requirements change.
venv="${POOLKIT_CACHE:-$HOME/.cache/poolkit}/oracles"
want="$(sha256sum oracles/requirements.txt | cut -d' ' -f1)"
if [[ "$(cat "$venv/.requirements" 2>/dev/null || true)" != "$want" ]]; then
    echo "python-env: installing PyTorch, ONNX Runtime, numpy, maturin and pytest into $venv (once)"
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    fi
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r oracles/requirements.txt
    echo "$want" >"$venv/.requirements"
fi

