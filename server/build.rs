//! Builds the browser client and prepares every web asset for embedding:
//!
//! 1. adds the `wasm32-unknown-unknown` target with rustup if it is missing;
//! 2. compiles `client-wasm` for it (release, size-optimised) with a nested cargo in its
//!    own target folder, so it never waits on the outer build's lock — twice: the phone
//!    page alone (feature `phone`) and the staff pages (feature `staff`);
//! 3. runs wasm-bindgen (as a library) to produce each ES module and `.wasm`
//!    (`app/phone.js`, `app/phone_bg.wasm`, `app/staff.js`, `app/staff_bg.wasm`);
//! 4. copies them with `server/assets/*` to `$OUT_DIR/web` and writes gzip and brotli
//!    versions of each, which `http.rs` embeds with rust-embed and serves by
//!    `Accept-Encoding`.
//!
//! No step fetches anything but crates and the rustup target; no manual step is needed
//! after a fresh clone.

use std::env;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-unknown-unknown";

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().expect("workspace root").to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    for path in [
        "client-wasm/src",
        "client-wasm/Cargo.toml",
        "wire/src",
        "wire/Cargo.toml",
        "server/assets",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }

    ensure_wasm_target();
    let web = out_dir.join("web");
    let _ = fs::remove_dir_all(&web);
    fs::create_dir_all(web.join("app")).unwrap();
    // Two modules: the phone page alone (what a class downloads over the school's Wi-Fi)
    // and the staff pages (projector screen and console). Built one after the other in
    // the same target folder, so the dependencies are compiled once.
    for module in ["phone", "staff"] {
        let wasm = build_client(&root, module);
        wasm_bindgen_cli_support::Bindgen::new()
            .input_path(&wasm)
            .out_name(module)
            .web(true)
            .expect("wasm-bindgen web mode")
            .typescript(false)
            .debug(false)
            .generate(web.join("app"))
            .unwrap_or_else(|e| panic!("wasm-bindgen failed: {e}"));
    }
    for entry in fs::read_dir(manifest_dir.join("assets")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let destination = if name.ends_with(".html") {
            web.join(&name)
        } else {
            web.join("app").join(&name)
        };
        fs::copy(&path, destination).unwrap();
    }
    compress_all(&web);
}

fn ensure_wasm_target() {
    let sysroot = Command::new(env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let installed = sysroot.is_some_and(|sysroot| {
        Path::new(&sysroot)
            .join("lib/rustlib")
            .join(WASM_TARGET)
            .exists()
    });
    if installed {
        return;
    }
    let status = Command::new("rustup")
        .args(["target", "add", WASM_TARGET])
        .status();
    match status {
        Ok(status) if status.success() => {}
        _ => panic!(
            "the browser client needs the {WASM_TARGET} target; install it with `rustup target add {WASM_TARGET}`"
        ),
    }
}

/// Compiles the client with only `feature` and returns a copy of the `.wasm` that the
/// next build (with another feature) will not overwrite.
fn build_client(root: &Path, feature: &str) -> PathBuf {
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("client-wasm");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["build", "-p", "pejling-client", "--lib", "--release"])
        .args(["--no-default-features", "--features", feature])
        .args(["--target", WASM_TARGET])
        .arg("--target-dir")
        .arg(&target_dir)
        // Small over fast: the phone page's download is what a class waits for.
        .args(["--config", "profile.release.opt-level=\"z\""])
        .args(["--config", "profile.release.lto=true"])
        .args(["--config", "profile.release.codegen-units=1"])
        .args(["--config", "profile.release.panic=\"abort\""])
        .args(["--config", "profile.release.strip=true"]);
    // The outer build's flags and wrappers (e.g. clippy's) are for the host, not for
    // the client.
    for variable in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
    ] {
        command.env_remove(variable);
    }
    let status = command.status().expect("run cargo for the browser client");
    assert!(status.success(), "building the browser client failed");
    let built = target_dir
        .join(WASM_TARGET)
        .join("release")
        .join("pejling_client.wasm");
    let copy = target_dir.join(format!("pejling_client_{feature}.wasm"));
    fs::copy(&built, &copy).expect("copy the browser module");
    copy
}

fn compress_all(dir: &Path) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            compress_all(&path);
            continue;
        }
        let data = fs::read(&path).unwrap();
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gzip.write_all(&data).unwrap();
        fs::write(with_suffix(&path, "gz"), gzip.finish().unwrap()).unwrap();
        let mut brotli_data = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut data.as_slice(), &mut brotli_data, &params).unwrap();
        fs::write(with_suffix(&path, "br"), brotli_data).unwrap();
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap().to_os_string();
    name.push(".");
    name.push(suffix);
    path.with_file_name(name)
}
