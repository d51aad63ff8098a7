//! The page's files, embedded in the binary so that running the explorer needs nothing
//! but the binary: no npm step, nothing loaded from outside.

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $file:literal, $type:expr) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_bytes!(concat!("../assets/", $file)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file the page loads.
pub const ASSETS: &[Asset] = &[
    asset!("/", "index.html", "text/html; charset=utf-8"),
    asset!("/style.css", "style.css", "text/css; charset=utf-8"),
    asset!("/favicon.svg", "favicon.svg", "image/svg+xml"),
    asset!("/js/main.js", "js/main.js", JS),
    asset!("/js/api.js", "js/api.js", JS),
    asset!("/js/format.js", "js/format.js", JS),
    asset!("/js/grid.js", "js/grid.js", JS),
    asset!("/js/state.js", "js/state.js", JS),
    asset!("/js/settings-form.js", "js/settings-form.js", JS),
    asset!("/js/views/explore.js", "js/views/explore.js", JS),
    asset!("/js/views/shift.js", "js/views/shift.js", JS),
    asset!("/js/views/gradient.js", "js/views/gradient.js", JS),
    asset!("/js/views/conv.js", "js/views/conv.js", JS),
    asset!("/js/views/images.js", "js/views/images.js", JS),
    asset!("/js/views/checkpoint.js", "js/views/checkpoint.js", JS),
    asset!("/js/views/stepper.js", "js/views/stepper.js", JS),
    asset!("/js/views/chain.js", "js/views/chain.js", JS),
    asset!("/js/views/tools.js", "js/views/tools.js", JS),
];

/// The library compiled to WebAssembly, when the build embedded it (see `build.rs`); empty
/// otherwise, and the page then computes through this server's API.
static WASM: Asset = Asset {
    path: "/poolkit_explorer.wasm",
    content_type: "application/wasm",
    body: include_bytes!(concat!(env!("OUT_DIR"), "/poolkit_explorer.wasm")),
};

/// Whether this binary serves the page's WebAssembly build.
pub fn has_wasm() -> bool {
    !WASM.body.is_empty()
}

/// The asset served at `path` (`/index.html` is `/`).
pub fn find(path: &str) -> Option<&'static Asset> {
    let path = if path == "/index.html" { "/" } else { path };
    if path == WASM.path {
        return has_wasm().then_some(&WASM);
    }
    ASSETS.iter().find(|a| a.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_script_the_page_imports_is_embedded() {
        // Each `from './x.js'` / `src="/x"` in the embedded files must resolve to an asset,
        // or the page would fail to load in the browser.
        for asset in ASSETS
            .iter()
            .filter(|a| a.path.ends_with(".js") || a.path == "/")
        {
            let text = std::str::from_utf8(asset.body).unwrap();
            let dir = asset.path.rsplit_once('/').map_or("", |(d, _)| d);
            for piece in text.split("from '").skip(1) {
                let target = piece.split('\'').next().unwrap();
                let resolved = resolve(dir, target);
                assert!(
                    find(&resolved).is_some(),
                    "{} imports {target} ({resolved}), not embedded",
                    asset.path
                );
            }
        }
        for link in ["/style.css", "/favicon.svg", "/js/main.js"] {
            assert!(find(link).is_some(), "{link}");
        }
    }

    fn resolve(dir: &str, target: &str) -> String {
        let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
        for piece in target.split('/') {
            match piece {
                "." => {}
                ".." => {
                    parts.pop();
                }
                p => parts.push(p),
            }
        }
        format!("/{}", parts.join("/"))
    }
}
