//! Start-up and shutdown: opens the data file, resumes stored sessions, loads the question
//! library, binds the listener and serves HTTP and WebSocket until told to stop. The
//! binary and the tests both start the server through [`start`].

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::App;
use crate::hub::Hub;
use crate::library::FileReport;
use crate::limits::{Guard, Limit, Limits};
use crate::secrets::Secrets;
use crate::shelf::Shelf;
use crate::store::{Store, StoreHandle, StoreThread};

/// Everything `pejling serve` can be told.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: IpAddr,
    pub port: u16,
    pub data: PathBuf,
    /// The user's own question sets (`--questions`); `None` means the data file's folder's
    /// `sets/`. The console's editor saves sets there.
    pub questions: Option<PathBuf>,
    /// Base of join links; `None` means `http://<LAN address>:<port>`.
    pub public_url: Option<String>,
    /// `None` means a random token.
    pub host_token: Option<String>,
    /// When results are shown and how findings are named (`docs/results.md`).
    pub thresholds: pejling_core::results::Thresholds,
    /// Clicker bridges to run (`--clicker`).
    pub clickers: Vec<crate::clicker::ClickerSpec>,
    /// Timeouts and per-address limits (`docs/protocol.md`, "Limits").
    pub limits: Limits,
    /// If `port` is taken, listen on a free one instead (the default port, started with
    /// no `--port`, e.g. by a double-click); an explicit port that is taken is an error.
    pub port_fallback: bool,
}

/// The folder of the user's own sets: `--questions`, or `sets/` beside the data file.
pub fn sets_folder(config: &Config) -> PathBuf {
    config.questions.clone().unwrap_or_else(|| {
        config
            .data
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join("sets")
    })
}

/// Ports tried after a taken default port, before any free one: near it, so the address
/// is easy to read out (8081 is left to the clicker bridge, `--clicker tcp`).
const FALLBACK_PORTS: std::ops::RangeInclusive<u16> = 8082..=8099;

/// Binds `config.port`, or with `port_fallback` the first free of [`FALLBACK_PORTS`] and
/// then any free port, when it is taken.
fn listen_on(config: &Config) -> Result<tokio::net::TcpListener, StartError> {
    let error = |port: u16, source: std::io::Error| match source.kind() {
        std::io::ErrorKind::AddrInUse => StartError::PortInUse {
            bind: config.bind,
            port,
        },
        _ => StartError::Bind {
            bind: config.bind,
            port,
            source,
        },
    };
    match listen(SocketAddr::new(config.bind, config.port)) {
        Err(source) if config.port_fallback && source.kind() == std::io::ErrorKind::AddrInUse => {
            tracing::info!("port {} is taken; looking for a free one", config.port);
            FALLBACK_PORTS
                .chain(std::iter::once(0))
                .find_map(|port| listen(SocketAddr::new(config.bind, port)).ok())
                .ok_or_else(|| error(config.port, source))
        }
        result => result.map_err(|source| error(config.port, source)),
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
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretsError),
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
    /// The folder of the user's own sets (`--questions`, or `sets/` beside the data file).
    pub sets_folder: PathBuf,
    pub resumed_sessions: usize,
    /// Where `--clicker tcp` listens (loopback).
    pub clicker_addrs: Vec<SocketAddr>,
    shutdown: watch::Sender<bool>,
    serve: JoinHandle<()>,
    store_thread: StoreThread,
}

impl Running {
    /// Stops serving, closes every connection and session, and waits until the last
    /// write is committed and the data file is closed. Returns `false` if the storage
    /// thread did not stop within 10 s (something still held the store).
    pub async fn stop(self) -> bool {
        let _ = self.shutdown.send(true);
        let _ = self.serve.await;
        let thread = self.store_thread;
        let joined = tokio::task::spawn_blocking(move || thread.join());
        let stopped = tokio::time::timeout(Duration::from_secs(10), joined)
            .await
            .is_ok();
        if !stopped {
            tracing::warn!("the storage thread did not stop within 10 s");
        }
        stopped
    }

    /// Runs until Ctrl-C, then stops cleanly.
    pub async fn run_until_ctrl_c(self) {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("stopping");
        let _ = self.stop().await;
    }
}

pub async fn start(config: Config) -> Result<Running, StartError> {
    if config
        .host_token
        .as_ref()
        .is_some_and(|token| token.len() < 8)
    {
        return Err(StartError::WeakHostToken);
    }
    if let Some(parent) = config.data.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|source| StartError::DataFolder {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let secrets = Arc::new(Secrets::load_or_create(&Secrets::path_for(&config.data))?);
    // The key file's host token unless one is given: the same at every start, so a
    // restarted server lets the open console back in.
    let host_token = config
        .host_token
        .clone()
        .unwrap_or_else(|| secrets.host_token().to_string());
    let listener = listen_on(&config)?;
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

    let sets_folder = sets_folder(&config);
    let (shelf, library_reports) = Shelf::open(sets_folder.clone());
    let n_sets = shelf.library().len();
    let public_url = config
        .public_url
        .clone()
        .map(|url| url.trim_end_matches('/').to_string())
        .unwrap_or_else(|| default_public_url(config.bind, addr.port()));
    // Windows has no open-files limit of this kind for sockets.
    #[cfg(unix)]
    let open_files = rlimit::getrlimit(rlimit::Resource::NOFILE)
        .ok()
        .map(|(soft, _)| soft)
        .filter(|&soft| soft != rlimit::INFINITY);
    #[cfg(not(unix))]
    let open_files = None;
    let guard = Arc::new(Guard::new(config.limits.clone(), open_files));
    let (shutdown_sender, shutdown) = watch::channel(false);
    let hub = Hub::new(
        shelf,
        store_handle,
        public_url.clone(),
        config.thresholds,
        guard.clone(),
        secrets,
        shutdown.clone(),
    );
    let resumed_sessions = stored_sessions.len();
    let mut rehearsals = Vec::new();
    for stored in stored_sessions {
        let rehearsal = stored.meta.rehearsal;
        // The newest running session is the one clicker bridges follow at first.
        let session = hub.resume(stored).await;
        hub.set_active(&session);
        if rehearsal {
            rehearsals.push(session);
        }
    }
    let app = Arc::new(App::new(
        hub,
        public_url.clone(),
        &host_token,
        guard.clone(),
        shutdown.clone(),
    ));

    // A rehearsal resumed mid-lesson gets its simulated pupils back.
    for session in rehearsals {
        crate::rehearsal::start(app.clone(), session);
    }
    let clicker_addrs = crate::clicker::start(app.clone(), &config.clickers)
        .await
        .map_err(|source| StartError::Clicker { source })?;
    let router = crate::http::router(app);
    tokio::spawn(sweep(guard.clone(), shutdown.clone()));
    let serve = tokio::spawn(serve_http(listener, router, guard, shutdown.clone()));
    Ok(Running {
        addr,
        host_token,
        public_url,
        data: config.data,
        library_reports,
        n_sets,
        sets_folder,
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

/// Forgets addresses whose budgets have refilled and logs how often limits were hit,
/// every [`Limits::sweep_interval`], until shutdown.
async fn sweep(guard: Arc<Guard>, mut shutdown: watch::Receiver<bool>) {
    let every = guard.limits().sweep_interval;
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                guard.sweep();
                give_memory_back();
            }
            _ = shutdown.changed() => return,
        }
    }
}

/// Returns freed memory to the system. glibc's allocator keeps what a thread freed in
/// that thread's arena for reuse and gives little of it back on its own, so after a
/// hall has gone home, sessions have left memory or a year's overview was computed, the
/// process would stay at its peak; a trim once a sweep (a few milliseconds) brings it
/// back near its baseline (`docs/performance.md`, *Memory*).
fn give_memory_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Accepts connections and serves HTTP/1 on each, upgrading to WebSocket where asked.
/// Each connection takes a slot from the [`Guard`] (refused when its address holds too
/// many or the open-files reserve is reached) and keeps it for as long as the socket is
/// open, WebSocket included. Headers must arrive within the header timeout, which also
/// closes an idle keep-alive connection. On shutdown it stops accepting, lets each
/// connection finish its request, and returns once all have (5 s at most).
async fn serve_http(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    guard: Arc<Guard>,
    mut shutdown: watch::Receiver<bool>,
) {
    let connections = tokio_util::task::TaskTracker::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(guard.limits().header_timeout);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors (or a connection reset before it was
                    // accepted): wait a moment rather than spin.
                    tracing::debug!("accept failed: {error}");
                    guard.hit(Limit::Connections);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let Some(slot) = guard.connect(peer.ip()) else {
            continue;
        };
        // Every message is small and wanted now: without TCP_NODELAY a message written
        // while the previous one is unacknowledged waits for the phone's delayed ACK.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {error}");
        }
        let unmetered = crate::limits::Unmetered::default();
        let io = hyper_util::rt::TokioIo::new(Counted {
            stream,
            slot,
            unmetered: unmetered.clone(),
        });
        let router = router.clone();
        let service = hyper::service::service_fn(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                request.extensions_mut().insert(unmetered.clone());
                tower::ServiceExt::oneshot(router.clone(), request)
            },
        );
        let connection = builder.serve_connection(io, service).with_upgrades();
        let mut stop = shutdown.clone();
        let guard = guard.clone();
        connections.spawn(async move {
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                _ = stop.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                if error.is_timeout() {
                    guard.hit(Limit::HeaderTimeout);
                }
                // Not the peer's address: nothing in the log may say which device did what.
                tracing::debug!("connection ended: {error}");
            }
        });
    }
    drop(listener);
    connections.close();
    let _ = tokio::time::timeout(Duration::from_secs(5), connections.wait()).await;
}

/// A client's socket together with its [`Guard`] slot, so the slot is given back only
/// when the socket closes, also after an upgrade to WebSocket.
struct Counted {
    stream: tokio::net::TcpStream,
    slot: crate::limits::Slot,
    /// Set while the host uploads a large file (`limits::Unmetered`).
    unmetered: crate::limits::Unmetered,
}

impl tokio::io::AsyncRead for Counted {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let polled = std::pin::Pin::new(&mut this.stream).poll_read(cx, buf);
        if let std::task::Poll::Ready(Ok(())) = polled
            && !this.unmetered.is_on()
            && !this.slot.read(buf.filled().len() - before)
        {
            // Over its byte rate (a flood no message count sees): end the connection.
            return std::task::Poll::Ready(Err(std::io::Error::other(
                "the connection sent too much, too fast",
            )));
        }
        polled
    }
}

impl tokio::io::AsyncWrite for Counted {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
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
