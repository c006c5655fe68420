//! pejling's server: question sets, the session engine, storage and the network edge.
//! `ARCHITECTURE.md` maps the modules and their invariants.

pub mod app;
pub mod bridge;
pub mod charts;
pub mod clicker;
pub mod http;
pub mod hub;
pub mod library;
pub mod limits;
pub mod report;
pub mod secrets;
pub mod server;
pub mod simulate;
pub mod store;
pub mod ws;

pub use server::{Config, Running, StartError, start};
