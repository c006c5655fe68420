//! pejling's browser client, compiled to WebAssembly and embedded in the server binary
//! as two modules: the phone page (feature `phone`) and the projector screen with the
//! facilitator console (feature `staff`); the page's `data-page` attribute says which
//! page runs.
//!
//! The logic (`phone`, `screen`, `console`, `editor`, `overview`, `bars`, `i18n`) is plain Rust with no browser
//! dependency and is tested natively with tables of messages; `web` holds the DOM and
//! WebSocket glue, one file per page, and is compiled for wasm32 only. Messages are the shared wire types (`pejling-wire`), so client and server cannot
//! disagree.

pub mod bars;
pub mod console;
pub mod editor;
pub mod i18n;
pub mod overview;
pub mod phone;
pub mod screen;

#[cfg(target_arch = "wasm32")]
mod web;
