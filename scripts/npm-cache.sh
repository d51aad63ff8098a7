# Sourced by scripts that need npm packages: `npm_packages DIR` installs DIR's package-lock.json
# with `npm ci` into a folder outside the clone, keyed by the lock file, so that a fresh clone
# (CI's) reuses it, and links DIR/node_modules to it. Installs Node.js with apt-get if missing.

npm_packages() {
    local dir="$1"
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        echo "==> installing Node.js and npm"
        if [ "$(id -u)" -eq 0 ]; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
        else
            sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
        fi
    fi
    local lock cache staging
    lock="$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -c1-16)"
    cache="${POOLKIT_CACHE:-$HOME/.cache/poolkit}/npm-$(basename "$dir")-$lock"
    if [ ! -d "$cache/node_modules" ]; then
        mkdir -p "$(dirname "$cache")"
        staging="$(mktemp -d "$cache.XXXXXX")"
        cp "$dir/package.json" "$dir/package-lock.json" "$staging/"
        (cd "$staging" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
        rm -rf "$cache"
        mv "$staging" "$cache"
    fi
    if [ -d "$dir/node_modules" ] && [ ! -L "$dir/node_modules" ]; then
        rm -rf "$dir/node_modules"
    fi
    ln -sfn "$cache/node_modules" "$dir/node_modules"
}
