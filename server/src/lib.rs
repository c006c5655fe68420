//! pejling's server: everything with I/O around the domain in `pejling-core` — the
//! data file, the question library on disk, the HTTP and WebSocket edge, clicker bridges,
//! chart drawing, reports and the command line. `ARCHITECTURE.md` maps the modules and
//! their invariants.

pub mod app;
pub mod auth;
pub mod charts;
pub mod clicker;
pub mod editor;
pub mod exchange;
pub mod export;
pub mod http;
pub mod hub;
pub mod library;
pub mod limits;
pub mod overview;
pub mod rehearsal;
pub mod report;
pub mod secrets;
pub mod server;
pub mod shelf;
pub mod store;
pub mod ws;

pub use server::{Config, Running, StartError, start};
