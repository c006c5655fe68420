//! pejling's domain, as plain Rust with no I/O: the question-set format and its checker
//! ([`questions`]), counting answers ([`counts`]), one running session as a state machine
//! ([`engine`]: events in, state and effects out), the social-norms results ([`results`]), parent-evening pooling
//! ([`pooling`]), the overview across sessions ([`overview`]), what the projector may show ([`reveal`]) and the chart model
//! ([`chart`]). The server (`pejling`) owns every socket, file and database and drives
//! this crate; `ARCHITECTURE.md` maps both.

pub mod chart;
pub mod counts;
pub mod engine;
pub mod exchange;
pub mod followup;
pub mod overview;
pub mod pooling;
pub mod questions;
pub mod results;
pub mod reveal;
