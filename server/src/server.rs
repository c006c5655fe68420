//! Start-up and shutdown: opens the data file, resumes stored sessions, loads the question
//! library, binds the listener and serves HTTP and WebSocket until told to stop. The
//! binary and the tests both start the server through [`start`].

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::serve::ListenerExt;
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::hub::{Hub, random_token};
use crate::library::{FileReport, Library};
use crate::store::{Store, StoreHandle, StoreThread};

/// Everything `pejling serve` can be told.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: IpAddr,
    pub port: u16,
    pub data: PathBuf,
    pub questions: Option<PathBuf>,
    /// Base of join links; `None` means `http://<LAN address>:<port>`.
    pub public_url: Option<String>,
    /// `None` means a random token.
    pub host_token: Option<String>,
    /// When results are shown and how findings are named (`docs/results.md`).
    pub thresholds: crate::results::Thresholds,
    /// Clicker bridges to run (`--clicker`).
    pub clickers: Vec<crate::clicker::ClickerSpec>,
}

/// State shared by every connection.
pub struct App {
    pub hub: Hub,
    /// Base of join links and QR codes.
    pub public_url: String,
    host_token_hash: [u8; 32],
    next_conn: AtomicU64,
    shutdown: watch::Receiver<bool>,
}

impl App {
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

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "port {port} on {bind} is already in use (is pejling already running?); choose another with --port"
    )]
    PortInUse { bind: IpAddr, port: u16 },
    #[error("cannot listen on {bind}:{port}: {source}")]
    Bind {
        bind: IpAddr,
        port: u16,
        source: std::io::Error,
    },
    #[error("cannot create the data folder {path}: {source}")]
    DataFolder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the data file {path}: {source}")]
    Data {
        path: PathBuf,
        source: crate::store::StoreError,
    },
    #[error("the host token must be at least 8 characters")]
    WeakHostToken,
    #[error(
        "cannot start the clicker bridge listener (is the port taken? choose another with --clicker tcp:PORT): {source}"
    )]
    Clicker { source: std::io::Error },
}

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub host_token: String,
    pub public_url: String,
    pub data: PathBuf,
    /// Question files that were left out, with their problems.
    pub library_reports: Vec<FileReport>,
    pub n_sets: usize,
    pub resumed_sessions: usize,
    /// Where `--clicker tcp` listens (loopback).
    pub clicker_addrs: Vec<SocketAddr>,
    shutdown: watch::Sender<bool>,
    serve: JoinHandle<std::io::Result<()>>,
    store_thread: StoreThread,
}

impl Running {
    /// Stops serving, closes every connection and session, and waits until the last
    /// write is committed and the data file is closed.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.serve.await;
        let thread = self.store_thread;
        let joined = tokio::task::spawn_blocking(move || thread.join());
        if tokio::time::timeout(Duration::from_secs(10), joined)
            .await
            .is_err()
        {
            tracing::warn!("the storage thread did not stop within 10 s");
        }
    }

    /// Runs until Ctrl-C, then stops cleanly.
    pub async fn run_until_ctrl_c(self) {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("stopping");
        self.stop().await;
    }
}

pub async fn start(config: Config) -> Result<Running, StartError> {
    let host_token = match config.host_token.clone() {
        Some(token) if token.len() < 8 => return Err(StartError::WeakHostToken),
        Some(token) => token,
        None => random_token(16),
    };
    if let Some(parent) = config.data.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|source| StartError::DataFolder {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let listener =
        listen(SocketAddr::new(config.bind, config.port)).map_err(|source| {
            match source.kind() {
                std::io::ErrorKind::AddrInUse => StartError::PortInUse {
                    bind: config.bind,
                    port: config.port,
                },
                _ => StartError::Bind {
                    bind: config.bind,
                    port: config.port,
                    source,
                },
            }
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        bind: config.bind,
        port: config.port,
        source,
    })?;

    let data_error = |source| StartError::Data {
        path: config.data.clone(),
        source,
    };
    let store = Store::open(&config.data).map_err(data_error)?;
    let stored_sessions = store.load_running().map_err(data_error)?;
    let (store_handle, store_thread) = StoreHandle::start(store);

    let (library, library_reports): (Library, _) = Library::load(config.questions.as_deref());
    let n_sets = library.len();
    let public_url = config
        .public_url
        .clone()
        .map(|url| url.trim_end_matches('/').to_string())
        .unwrap_or_else(|| default_public_url(config.bind, addr.port()));
    let (shutdown_sender, shutdown) = watch::channel(false);
    let hub = Hub::new(
        library,
        store_handle,
        public_url.clone(),
        config.thresholds,
        shutdown.clone(),
    );
    let resumed_sessions = stored_sessions.len();
    for stored in stored_sessions {
        // The newest running session is the one clicker bridges follow at first.
        let session = hub.resume(stored).await;
        hub.set_active(&session);
    }
    let app = Arc::new(App {
        hub,
        public_url: public_url.clone(),
        host_token_hash: Sha256::digest(host_token.as_bytes()).into(),
        next_conn: AtomicU64::new(1),
        shutdown: shutdown.clone(),
    });

    let clicker_addrs = crate::clicker::start(app.clone(), &config.clickers)
        .await
        .map_err(|source| StartError::Clicker { source })?;
    let router = crate::http::router(app);
    let mut stop = shutdown.clone();
    // Every message is small and wanted now: without TCP_NODELAY a message written while
    // the previous one is unacknowledged waits for the phone's delayed ACK (up to 40 ms).
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {error}");
        }
    });
    let serve = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop.changed().await;
            })
            .await
    });
    Ok(Running {
        addr,
        host_token,
        public_url,
        data: config.data,
        library_reports,
        n_sets,
        resumed_sessions,
        clicker_addrs,
        shutdown: shutdown_sender,
        serve,
        store_thread,
    })
}

/// The address phones on the same network reach: the bound address if it is a specific
/// one, else the machine's LAN address, else loopback.
fn default_public_url(bind: IpAddr, port: u16) -> String {
    let host = if !bind.is_unspecified() {
        bind
    } else {
        local_ip_address::local_ip().unwrap_or(IpAddr::from([127, 0, 0, 1]))
    };
    match host {
        IpAddr::V6(v6) => format!("http://[{v6}]:{port}"),
        IpAddr::V4(v4) => format!("http://{v4}:{port}"),
    }
}

/// Most connections waiting to be accepted. The usual default of 128 overflows when a
/// whole hall scans the QR code at once, and a dropped SYN costs a phone a second.
const LISTEN_BACKLOG: u32 = 4096;

fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As std's and tokio's `bind` do on Unix: a restarted server may take its port back
    // while old connections linger in TIME_WAIT.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}
