//! `pejling-core` does no I/O, and what it may depend on is how that stays true: this test
//! fails if `cargo tree -p pejling-core` (normal dependencies, every target) lists a crate
//! outside the allow-list below. A crate that opens files or sockets, spawns tasks or
//! talks to a database (tokio, axum, rusqlite, plotters, clap, …) belongs in the server.
//! Adding a crate here is a design decision: say in `ARCHITECTURE.md` why it does no I/O.

use std::collections::BTreeSet;
use std::process::Command;

/// The crates `pejling-core` may depend on, directly or not.
const ALLOWED: &[&str] = &[
    // pejling's own: the domain and the wire types.
    "pejling-core",
    "pejling-wire",
    // Data in and out: serde, and TOML for question sets.
    "serde",
    "serde_core",
    "serde_derive",
    "serde_spanned",
    "toml",
    "toml_datetime",
    "toml_parser",
    "toml_writer",
    "winnow",
    // Editing a set's file in place, keeping its comments and layout (the console's
    // editor): `toml_edit` and its ordered map.
    "toml_edit",
    "indexmap",
    "hashbrown",
    "equivalent",
    // SHA-256 of participant tokens (pure computation; `libc` only for CPU feature
    // detection).
    "sha2",
    "digest",
    "block-buffer",
    "crypto-common",
    "generic-array",
    "typenum",
    "cpufeatures",
    "libc",
    "cfg-if",
    // Error types.
    "thiserror",
    "thiserror-impl",
    // Derive macros' compile-time helpers.
    "proc-macro2",
    "quote",
    "syn",
    "unicode-ident",
];

#[test]
fn core_depends_only_on_crates_that_do_no_io() {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--package",
            "pejling-core",
            "--edges",
            "normal",
            "--target",
            "all",
            "--prefix",
            "none",
            "--format",
            "{p}",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo tree");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "cargo tree failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let crates: BTreeSet<&str> = stdout
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(
        crates.contains("pejling-core") && crates.contains("serde"),
        "cargo tree listed no crates:\n{stdout}"
    );
    let outside: Vec<&str> = crates
        .iter()
        .copied()
        .filter(|name| !ALLOWED.contains(name))
        .collect();
    assert!(
        outside.is_empty(),
        "pejling-core depends on crates outside its allow-list: {outside:?}. The domain does no \
         I/O; move the code that needs them to the server, or, if they do no I/O, add them to \
         ALLOWED in core/tests/dependencies.rs and say why in ARCHITECTURE.md."
    );
}
