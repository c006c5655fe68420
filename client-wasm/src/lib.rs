//! pejling's browser client, compiled to WebAssembly and embedded in the server binary:
//! the phone page, the projector screen and the facilitator console in one module; the
//! page's `data-page` attribute says which one runs.
//!
//! The logic (`phone`, `bars`, `i18n`) is plain Rust with no browser dependency and is
//! tested natively; `web` holds the DOM and WebSocket glue and is compiled for wasm32
//! only. Messages are the shared wire types (`pejling-wire`), so client and server cannot
//! disagree.

pub mod bars;
pub mod i18n;
pub mod phone;
pub mod screen;

#[cfg(target_arch = "wasm32")]
mod web;
