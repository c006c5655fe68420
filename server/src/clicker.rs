//! Clicker bridges: runs the bridge protocol (`bridge.rs`) over a serial port, a loopback
//! TCP connection or a child process, and feeds votes into the same answer pipeline as
//! phones.
//!
//! A bridge follows the facilitator's active session (the one last created or attached
//! to), or the session whose join code it named in `HELLO`. It watches that session like a
//! projector screen to learn which question is open and announces it (`OPEN` / `CLOSED`).
//! Every clicker device becomes a participant of its own — a virtual connection that
//! joins with a token derived from the session and the device id, so a device is the same
//! participant after a restart — and each vote is a `submit_answer` on that connection.
//! The `ACK OK` is sent only when the engine's `answer_accepted` arrives, i.e. after the
//! answer is committed. Duplicates and retries are recognised by the device's sequence
//! number per question.
//!
//! The transports are here (a loopback TCP listener, a child process) and in `serial.rs`
//! (a serial port, found by its USB ids); the protocol's lines are parsed and formatted in
//! `bridge.rs`, and `session.rs` links one bridge to the session it follows.
//! `simulate.rs` is a simulated classroom of devices for demos, tests and load.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::app::App;

pub mod bridge;
mod serial;
mod session;
pub mod simulate;

pub use serial::{MICROBIT_USB, SERIAL_BAUD, find_microbit};
pub use session::run;

/// Where a bridge comes from (`pejling serve --clicker …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClickerSpec {
    /// A serial port; `None` finds a micro:bit by its USB ids (and waits for one).
    Serial(Option<PathBuf>),
    /// A loopback TCP listener for bridge programs; port 0 picks a free one.
    Tcp(u16),
    /// A child process speaking the protocol on its stdin/stdout.
    Exec(Vec<String>),
}

impl std::str::FromStr for ClickerSpec {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let (kind, rest) = text.split_once(':').unwrap_or((text, ""));
        match kind {
            "serial" if rest.is_empty() => Ok(ClickerSpec::Serial(None)),
            "serial" => Ok(ClickerSpec::Serial(Some(PathBuf::from(rest)))),
            "tcp" if rest.is_empty() => Ok(ClickerSpec::Tcp(DEFAULT_TCP_PORT)),
            "tcp" => rest
                .parse()
                .map(ClickerSpec::Tcp)
                .map_err(|_| format!("\"{rest}\" is not a port number")),
            "exec" => {
                let words = shell_words::split(rest).map_err(|e| e.to_string())?;
                if words.is_empty() {
                    return Err("exec: needs a command, e.g. exec:\"python3 bridge.py\"".into());
                }
                Ok(ClickerSpec::Exec(words))
            }
            _ => Err(format!(
                "\"{text}\": expected serial, serial:PATH, tcp, tcp:PORT or exec:COMMAND"
            )),
        }
    }
}

/// The loopback port of `--clicker tcp`.
pub const DEFAULT_TCP_PORT: u16 = 8081;

/// Starts the bridges of `specs`; returns the TCP listeners' addresses.
pub async fn start(app: Arc<App>, specs: &[ClickerSpec]) -> std::io::Result<Vec<SocketAddr>> {
    let mut addrs = Vec::new();
    for spec in specs {
        match spec {
            ClickerSpec::Serial(path) => {
                tokio::spawn(serial::serial_loop(app.clone(), path.clone()));
            }
            ClickerSpec::Tcp(port) => {
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", *port)).await?;
                addrs.push(listener.local_addr()?);
                let app = app.clone();
                // Ends on shutdown, so it does not hold the App (and with it the data
                // file's writer) after the server stopped.
                let mut shutdown = app.shutdown_signal();
                tokio::spawn(async move {
                    loop {
                        let accepted = tokio::select! {
                            accepted = listener.accept() => accepted,
                            _ = shutdown.changed() => return,
                        };
                        let Ok((stream, peer)) = accepted else {
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            continue;
                        };
                        let (reader, writer) = stream.into_split();
                        let app = app.clone();
                        tokio::spawn(run(app, format!("tcp {peer}"), reader, writer));
                    }
                });
            }
            ClickerSpec::Exec(words) => {
                tokio::spawn(exec_loop(app.clone(), words.clone()));
            }
        }
    }
    Ok(addrs)
}

async fn exec_loop(app: Arc<App>, words: Vec<String>) {
    let mut shutdown = app.shutdown_signal();
    loop {
        let child = tokio::process::Command::new(&words[0])
            .args(&words[1..])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn();
        match child {
            Ok(mut child) => {
                let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
                    return;
                };
                run(app.clone(), format!("exec {}", words[0]), stdout, stdin).await;
                let _ = child.kill().await;
                if *shutdown.borrow() {
                    return;
                }
                tracing::warn!("clicker bridge {} ended; restarting it", words[0]);
            }
            Err(error) => {
                tracing::error!("cannot start clicker bridge {}: {error}", words[0]);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(3)) => {}
            _ = shutdown.changed() => return,
        }
    }
}
