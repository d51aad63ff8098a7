//! Embeds the explorer's WebAssembly build when there is one: `scripts/build-web.sh` builds
//! it and names the file in `POOLKIT_EXPLORER_WASM`, and `poolkit explore` then serves the
//! same page the static build is, computing in the browser. Without it the page asks this
//! server's JSON API instead (the same answers, computed here).

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=POOLKIT_EXPLORER_WASM");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target = out.join("poolkit_explorer.wasm");
    let bytes = match std::env::var_os("POOLKIT_EXPLORER_WASM") {
        Some(path) if !path.is_empty() => {
            let path = Path::new(&path);
            println!("cargo:rerun-if-changed={}", path.display());
            let bytes = std::fs::read(path)
                .unwrap_or_else(|e| panic!("POOLKIT_EXPLORER_WASM={}: {e}", path.display()));
            assert!(
                bytes.starts_with(b"\0asm"),
                "POOLKIT_EXPLORER_WASM={} is not a WebAssembly module",
                path.display()
            );
            bytes
        }
        _ => Vec::new(),
    };
    std::fs::write(&target, bytes).expect("OUT_DIR is writable");
}
