//! pejling's server: question sets, the session engine, storage and the network edge.

pub mod engine;
pub mod library;
pub mod questions;
