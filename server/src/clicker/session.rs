//! One bridge linked to the session it follows: it watches the session like a projector
//! screen to announce the open question, and turns each device's votes into answers on a
//! connection of the device's own, acknowledged once stored.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use pejling_core::engine::{ConnId, Event, Staff};
use pejling_wire::{BridgeStatus, ErrorCode, Phase, ServerMessage};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::codec::{Decoder, LinesCodec, LinesCodecError};

use super::bridge::{self, AckStatus, FromBridge, LineError, OpenQuestion, ToBridge, Vote};
use crate::app::App;
use crate::hub::{OUTBOX_CAPACITY, Outbox, SessionHandle};

const PING_EVERY: Duration = Duration::from_secs(5);

/// Which of the bridge's connections a message from the session is for.
#[derive(Debug, Clone)]
enum Target {
    /// The bridge's watching connection (session state, tallies).
    Watch,
    /// One device's connection.
    Device(String),
}

type Inbound = (Target, ServerMessage);

#[derive(Default)]
struct Device {
    conn: Option<ConnId>,
    welcomed: bool,
    /// The question number and highest sequence number handled, with its outcome.
    last: Option<(u32, u32, AckStatus)>,
    /// The vote waiting for its acknowledgement.
    pending: Option<Vote>,
    /// The newest vote that arrived while one was pending.
    queued: Option<Vote>,
}

struct Bridge {
    app: Arc<App>,
    origin: String,
    hello: Option<(String, Option<String>)>,
    pinned_code: Option<String>,
    session: Option<SessionHandle>,
    watch_conn: ConnId,
    inbound: mpsc::Sender<Inbound>,
    open: Option<(OpenQuestion, String)>,
    /// False from attaching to a session until its first state arrived: until then the
    /// bridge does not know what is open, so votes wait in `early` (a receiver that says
    /// HELLO again after a restart sends its queued votes right behind it).
    synced: bool,
    early: Vec<Vote>,
    devices: HashMap<String, Device>,
    bad_lines: u32,
    out: Vec<ToBridge>,
}

/// Most votes kept while a bridge waits for its session's first state.
const MAX_EARLY_VOTES: usize = 1024;

/// Runs one bridge until its input ends or the server shuts down.
pub async fn run<R, W>(app: Arc<App>, origin: String, mut reader: R, mut writer: W)
where
    R: AsyncRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send,
{
    let (inbound, mut inbound_rx) = mpsc::channel::<Inbound>(OUTBOX_CAPACITY);
    let mut bridge = Bridge {
        watch_conn: app.next_conn_id(),
        app: app.clone(),
        origin,
        hello: None,
        pinned_code: None,
        session: None,
        inbound,
        open: None,
        synced: false,
        early: Vec::new(),
        devices: HashMap::new(),
        bad_lines: 0,
        out: Vec::new(),
    };
    let mut active = app.hub.active();
    let mut shutdown = app.shutdown_signal();
    let mut codec = LinesCodec::new_with_max_length(bridge::MAX_LINE);
    let mut buffer = BytesMut::with_capacity(1024);
    let mut ping = tokio::time::interval(PING_EVERY);
    let mut ping_n = 0u64;
    'connection: loop {
        tokio::select! {
            read = reader.read_buf(&mut buffer) => {
                match read {
                    Ok(0) | Err(_) => break,
                    Ok(_) => loop {
                        match codec.decode(&mut buffer) {
                            Ok(Some(line)) if bridge::looks_like_http(&line) => {
                                // A web page in the laptop's browser posting to the bridge
                                // port (it listens on loopback only): never a bridge.
                                tracing::warn!("an HTTP request reached the clicker bridge port; closed");
                                break 'connection;
                            }
                            Ok(Some(line)) => bridge.line(&line).await,
                            Ok(None) => break,
                            Err(LinesCodecError::MaxLineLengthExceeded) => bridge.bad(LineError {
                                code: "TOOLONG",
                                text: format!("lines are at most {} bytes", bridge::MAX_LINE),
                            }),
                            Err(LinesCodecError::Io(_)) => bridge.bad(LineError {
                                code: "BINARY",
                                text: "lines are UTF-8 text".to_string(),
                            }),
                        }
                    },
                }
            }
            Some(message) = inbound_rx.recv() => bridge.inbound(message),
            changed = active.changed(), if bridge.pinned_code.is_none() && bridge.hello.is_some() => {
                if changed.is_err() {
                    break;
                }
                let session = active.borrow_and_update().clone();
                bridge.follow(session);
            }
            _ = ping.tick() => {
                ping_n += 1;
                bridge.out.push(ToBridge::Ping(ping_n));
            }
            _ = shutdown.changed() => break,
        }
        if !bridge.out.is_empty() {
            let mut text = String::new();
            for line in bridge.out.drain(..) {
                text.push_str(&line.to_string());
                text.push('\n');
            }
            if writer.write_all(text.as_bytes()).await.is_err() || writer.flush().await.is_err() {
                break;
            }
        }
    }
    bridge.detach();
}

impl Bridge {
    fn family(&self) -> &str {
        self.hello
            .as_ref()
            .map_or("x", |(family, _)| family.as_str())
    }

    fn status(&self) -> BridgeStatus {
        let name = match &self.hello {
            Some((family, Some(name))) => format!("{family} {name} ({})", self.origin),
            Some((family, None)) => format!("{family} ({})", self.origin),
            None => self.origin.clone(),
        };
        BridgeStatus {
            name,
            devices: self.devices.values().filter(|d| d.conn.is_some()).count() as u32,
            bad_lines: self.bad_lines,
        }
    }

    fn report(&self) {
        if let Some(session) = &self.session {
            // A snapshot: if the session's queue is full, the next report says the same.
            session.offer(Event::Bridge {
                conn: self.watch_conn,
                status: Some(self.status()),
            });
        }
    }

    fn bad(&mut self, error: LineError) {
        self.bad_lines += 1;
        tracing::debug!(origin = %self.origin, "bad bridge line: {} {}", error.code, error.text);
        self.out.push(ToBridge::Err(error));
        self.report();
    }

    async fn line(&mut self, line: &str) {
        match bridge::parse(line) {
            Err(error) => self.bad(error),
            Ok(FromBridge::Pong(_)) => {}
            Ok(FromBridge::Hello { family, name, code }) => {
                self.hello = Some((family, name));
                let session = match &code {
                    Some(code) => {
                        let session = self.app.hub.by_code(code).await.ok().flatten();
                        if session.is_none() {
                            self.bad(LineError {
                                code: "SESSION",
                                text: "no running session has that join code".to_string(),
                            });
                            return;
                        }
                        self.pinned_code = Some(code.clone());
                        session
                    }
                    None => {
                        self.pinned_code = None;
                        self.app.hub.active().borrow().clone()
                    }
                };
                self.follow(session);
            }
            Ok(FromBridge::Vote(vote)) => {
                if self.hello.is_none() {
                    self.bad(LineError {
                        code: "HELLO",
                        text: "say PJ1 HELLO <family> first".to_string(),
                    });
                    return;
                }
                if self.session.is_some() && !self.synced {
                    if self.early.len() < MAX_EARLY_VOTES {
                        self.early.push(vote);
                    } else {
                        self.ack(&vote.device, vote.seq, AckStatus::Closed);
                    }
                    return;
                }
                self.vote(vote);
            }
        }
    }

    /// Attaches to `session` (leaving the previous one) and tells the bridge.
    fn follow(&mut self, session: Option<SessionHandle>) {
        if self.session.as_ref().map(|s| &s.id) == session.as_ref().map(|s| &s.id)
            && self.session.is_some()
        {
            return;
        }
        self.detach();
        self.out.push(ToBridge::Welcome {
            code: session.as_ref().map(|s| s.code.to_string()),
        });
        let Some(session) = session else {
            self.out.push(ToBridge::Closed);
            return;
        };
        // `OPEN` or `CLOSED` follows with the session's first state.
        self.synced = false;
        let outbox = Outbox::forwarding(self.inbound.clone(), Target::Watch);
        session.connect(self.watch_conn, outbox, None);
        session.event(Event::Watch {
            conn: self.watch_conn,
            staff: Staff::Screen,
        });
        self.session = Some(session);
        self.report();
    }

    fn detach(&mut self) {
        // Votes meant for the session being left: the devices retry on the next one.
        for vote in std::mem::take(&mut self.early) {
            self.ack(&vote.device, vote.seq, AckStatus::Closed);
        }
        if let Some(session) = self.session.take() {
            for device in self.devices.values() {
                if let Some(conn) = device.conn {
                    session.event(Event::Leave { conn });
                }
            }
            session.event(Event::Bridge {
                conn: self.watch_conn,
                status: None,
            });
            session.event(Event::Leave {
                conn: self.watch_conn,
            });
        }
        self.watch_conn = self.app.next_conn_id();
        self.open = None;
        for device in self.devices.values_mut() {
            device.conn = None;
            device.welcomed = false;
            device.pending = None;
            device.queued = None;
        }
    }

    fn ack(&mut self, device: &str, seq: u32, status: AckStatus) {
        self.out.push(ToBridge::Ack {
            device: device.to_string(),
            seq,
            status,
        });
    }

    fn vote(&mut self, vote: Vote) {
        let id = format!("{}:{}", self.family(), vote.device);
        let device = self.devices.entry(id.clone()).or_default();
        // Retries and stale copies: a sequence number at or below the highest one
        // handled for this question changes nothing.
        if let Some((question, seq, status)) = device.last
            && question == vote.question
            && vote.seq <= seq
        {
            let reply = if vote.seq == seq && status != AckStatus::Ok {
                status
            } else {
                AckStatus::Duplicate
            };
            self.ack(&vote.device, vote.seq, reply);
            return;
        }
        if let Some(pending) = &device.pending {
            if pending.seq == vote.seq && pending.question == vote.question {
                return; // the acknowledgement is on its way
            }
            // One vote in flight per device; of the votes waiting, the newest is kept and
            // the other is answered as a duplicate.
            let (keep, superseded) = match device.queued.take() {
                Some(queued) if queued.seq > vote.seq => (queued, Some(vote)),
                Some(queued) => (vote, Some(queued)),
                None => (vote, None),
            };
            device.queued = Some(keep);
            if let Some(old) = superseded {
                self.ack(&old.device, old.seq, AckStatus::Duplicate);
            }
            return;
        }
        self.submit(id, vote);
    }

    fn submit(&mut self, id: String, vote: Vote) {
        let open = self
            .open
            .as_ref()
            .filter(|(open, _)| open.number == vote.question);
        let Some((open, question_id)) = open else {
            return self.finish(&id, vote, AckStatus::Closed);
        };
        let Some(answer) = open.answer(vote.answer) else {
            return self.finish(&id, vote, AckStatus::Invalid);
        };
        let question_id = question_id.clone();
        let Some(session) = self.session.clone() else {
            return self.finish(&id, vote, AckStatus::Closed);
        };
        let device = self.devices.get_mut(&id).expect("device exists");
        device.pending = Some(vote);
        match device.conn {
            Some(conn) if device.welcomed => session.event(Event::Submit {
                conn,
                question_id,
                answer,
            }),
            Some(_) => {} // joining; the vote is sent on the welcome
            None => {
                let conn = self.app.next_conn_id();
                device.conn = Some(conn);
                let outbox = Outbox::forwarding(self.inbound.clone(), Target::Device(id.clone()));
                session.connect(conn, outbox, None);
                // The same device is the same participant in this session, also after a
                // restart: its token is derived from the session, the device id and the
                // server key, so no phone can present it.
                let token = self.app.hub.secrets.clicker_token(&session.id, &id);
                session.event(Event::Join {
                    conn,
                    token: Some(token.clone()),
                    fresh_token: token,
                    clicker: true,
                    may_create: true,
                });
                self.report();
            }
        }
    }

    /// Records the outcome of `vote` and sends the next queued vote of the device.
    fn finish(&mut self, id: &str, vote: Vote, status: AckStatus) {
        self.ack(&vote.device, vote.seq, status);
        let device = self.devices.get_mut(id).expect("device exists");
        device.pending = None;
        let newer = match device.last {
            Some((question, seq, _)) => question != vote.question || vote.seq > seq,
            None => true,
        };
        if newer {
            device.last = Some((vote.question, vote.seq, status));
        }
        if let Some(next) = device.queued.take() {
            self.vote(next);
        }
    }

    fn inbound(&mut self, (target, message): Inbound) {
        match target {
            Target::Watch => {
                if let ServerMessage::SessionState(state) = message {
                    let open = match (state.phase, &state.current) {
                        (Phase::Open, Some(view)) => {
                            Some((OpenQuestion::of(view), view.id.clone()))
                        }
                        _ => None,
                    };
                    if !self.synced
                        || open.as_ref().map(|(o, _)| o) != self.open.as_ref().map(|(o, _)| o)
                    {
                        self.out.push(match &open {
                            Some((question, _)) => ToBridge::Open(question.clone()),
                            None => ToBridge::Closed,
                        });
                    }
                    self.open = open;
                    if !self.synced {
                        self.synced = true;
                        for vote in std::mem::take(&mut self.early) {
                            self.vote(vote);
                        }
                    }
                }
            }
            Target::Device(id) => self.device_message(id, message),
        }
    }

    fn device_message(&mut self, id: String, message: ServerMessage) {
        let Some(device) = self.devices.get_mut(&id) else {
            return;
        };
        match message {
            ServerMessage::Welcome { .. } => {
                device.welcomed = true;
                if let Some(vote) = device.pending.take() {
                    self.submit(id, vote);
                }
            }
            ServerMessage::AnswerAccepted { .. } => {
                if let Some(vote) = device.pending.take() {
                    self.finish(&id, vote, AckStatus::Ok);
                }
            }
            ServerMessage::Error { code, message } => {
                if !device.welcomed {
                    // The device's place in the session could not be stored: forget the
                    // connection, so its next vote joins afresh.
                    if let (Some(session), Some(conn)) = (&self.session, device.conn.take()) {
                        session.event(Event::Leave { conn });
                    }
                }
                let Some(vote) = device.pending.take() else {
                    return;
                };
                match code {
                    ErrorCode::QuestionNotOpen | ErrorCode::SessionEnded => {
                        self.finish(&id, vote, AckStatus::Closed)
                    }
                    ErrorCode::InvalidAnswer | ErrorCode::UnknownQuestion => {
                        self.finish(&id, vote, AckStatus::Invalid)
                    }
                    _ => {
                        // Not stored (e.g. the disk failed): no acknowledgement, so the
                        // device tries again.
                        // Which device is not logged: nothing about one participant is.
                        tracing::warn!("a clicker vote was not stored: {message}");
                    }
                }
            }
            _ => {}
        }
    }
}
