//! The state every connection shares: the running sessions ([`Hub`]), the facilitator's
//! host token (as a hash), connection ids, the per-address limits and the shutdown
//! signal. The network edges (`http.rs`, `ws.rs`, `clicker.rs`) take an `Arc<App>`; the
//! composition root (`server.rs`) builds it and depends on them, never the reverse.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::hub::Hub;
use crate::limits::Guard;

/// State shared by every connection.
pub struct App {
    pub hub: Hub,
    /// Base of join links and QR codes.
    pub public_url: String,
    host_token_hash: [u8; 32],
    next_conn: AtomicU64,
    shutdown: watch::Receiver<bool>,
    /// Per-address counts and the limits they are held to.
    pub guard: Arc<Guard>,
}

impl App {
    pub fn new(
        hub: Hub,
        public_url: String,
        host_token: &str,
        guard: Arc<Guard>,
        shutdown: watch::Receiver<bool>,
    ) -> App {
        App {
            hub,
            public_url,
            host_token_hash: Sha256::digest(host_token.as_bytes()).into(),
            next_conn: AtomicU64::new(1),
            shutdown,
            guard,
        }
    }

    pub fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// Compares hashes, so the comparison takes the same time wherever the texts differ.
    pub fn is_host_token(&self, token: &str) -> bool {
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        hash == self.host_token_hash
    }

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }
}
