//! One WebSocket connection: reads frames, turns them into [`ClientMessage`]s with
//! specific errors for everything malformed, enforces roles and a rate limit, and forwards
//! session events to the session task. Nothing a client sends can end a session or touch
//! a stored answer; the worst it can do is get its own connection closed.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use pejling_wire::{
    CLOSE_MESSAGE_TOO_BIG, CLOSE_POLICY_VIOLATION, CLOSE_TRY_AGAIN, ClientMessage, ErrorCode,
    PROTOCOL_VERSION, Role, ServerMessage,
};
use tokio::sync::mpsc;

use crate::app::App;
use crate::auth::{Guess, guess, guess_with, same_token};
use crate::hub::{CreateError, OUTBOX_CAPACITY, Outbox, SessionHandle, Text};
use crate::limits::Limit;
use crate::secrets::random_token;
use pejling_core::engine::{ConnId, Event, Staff};

/// Messages a connection may send per second on average, and in a burst.
const RATE_PER_SECOND: f64 = 20.0;
const RATE_BURST: f64 = 40.0;
/// How far into debt a connection may go before it is closed. Every message over the
/// limit is dropped and still costs a token, so a sustained flood digs deeper and deeper
/// while a short burst is paid back within seconds.
const FLOOD_DEBT: f64 = 100.0;

/// Token bucket per connection.
struct RateLimit {
    tokens: f64,
    last: Instant,
    warned: bool,
}

enum Verdict {
    Pass,
    /// Dropped; `true` the first time since the last message that passed, when the
    /// client is told.
    Drop(bool),
    Close,
}

impl RateLimit {
    fn new() -> Self {
        RateLimit {
            tokens: RATE_BURST,
            last: Instant::now(),
            warned: false,
        }
    }

    fn check(&mut self) -> Verdict {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * RATE_PER_SECOND).min(RATE_BURST);
        let pass = self.tokens >= 1.0;
        self.tokens -= 1.0;
        if pass {
            self.warned = false;
            Verdict::Pass
        } else if self.tokens < -FLOOD_DEBT {
            Verdict::Close
        } else {
            let first = !self.warned;
            self.warned = true;
            Verdict::Drop(first)
        }
    }
}

/// What this connection is.
enum ConnRole {
    Fresh,
    Participant(SessionHandle),
    Facilitator(Option<SessionHandle>),
    /// A projector screen; `true` when it watched with the host token and may control.
    Screen(SessionHandle, bool),
}

struct Connection {
    app: Arc<App>,
    conn: ConnId,
    /// The client's address, for the per-address limits.
    peer: IpAddr,
    /// What the session queued for this connection. The session holds the only sender
    /// (a new channel per session joined), so when it drops a stalled connection the
    /// channel closes and this connection closes too, and the client reconnects.
    outgoing: Option<mpsc::Receiver<Text>>,
    socket: WebSocket,
    /// False once the socket failed or a close frame went out.
    open: bool,
    role: ConnRole,
}

/// A message the session serialised, as a WebSocket frame.
fn frame(text: Text) -> Message {
    Message::Text(Utf8Bytes::try_from(text.bytes()).expect("a Text is UTF-8"))
}

fn encode(message: &ServerMessage) -> Message {
    frame(Text::encode(message))
}

fn error_message(code: ErrorCode, message: impl Into<String>) -> Message {
    encode(&ServerMessage::Error {
        code,
        message: message.into(),
    })
}

fn close_message(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// The next message the session queued; `None` when the session let go of this
/// connection. Pending forever while the connection belongs to no session.
async fn queued(outgoing: &mut Option<mpsc::Receiver<Text>>) -> Option<Text> {
    match outgoing {
        Some(outgoing) => outgoing.recv().await,
        None => std::future::pending().await,
    }
}

pub async fn serve_socket(socket: WebSocket, app: Arc<App>, peer: IpAddr) {
    let conn = app.next_conn_id();
    let mut shutdown = app.shutdown_signal();
    let (ping_interval, ping_timeout) = {
        let limits = app.guard.limits();
        (limits.ping_interval, limits.ping_timeout)
    };
    let mut connection = Connection {
        app,
        conn,
        peer,
        outgoing: None,
        socket,
        open: true,
        role: ConnRole::Fresh,
    };
    let mut rate = RateLimit::new();
    let mut pings =
        tokio::time::interval_at(tokio::time::Instant::now() + ping_interval, ping_interval);
    pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    // One task per connection reads frames and writes what the session queued: no
    // second task, no lock around a split socket, one wake-up per outgoing burst.
    let shutting_down = shutdown.changed();
    tokio::pin!(shutting_down);
    while connection.open {
        let frame = tokio::select! {
            biased;
            _ = &mut shutting_down => {
                connection.send(close_message(1001, "server shutting down")).await;
                break;
            }
            queued = queued(&mut connection.outgoing) => {
                match queued {
                    Some(message) => connection.write_queued(message).await,
                    None => {
                        // The session let go of this connection: it fell too far behind,
                        // or the server is stopping. A session woken by the stop can end
                        // before this task's own wake-up arrives, so the branch above is
                        // not always first; the flag is set before any session stops.
                        connection.outgoing = None;
                        let close = if *connection.app.shutdown_signal().borrow() {
                            close_message(1001, "server shutting down")
                        } else {
                            close_message(CLOSE_TRY_AGAIN, "fell behind; reconnect")
                        };
                        connection.send(close).await;
                        break;
                    }
                }
                continue;
            }
            _ = pings.tick() => {
                if last_heard.elapsed() >= ping_timeout {
                    // Nothing, not even a pong, for the whole timeout: the device left.
                    connection.app.guard.hit(Limit::PingTimeout);
                    break;
                }
                connection.send(Message::Ping(Default::default())).await;
                continue;
            }
            frame = connection.socket.next() => frame,
        };
        last_heard = Instant::now();
        if let Some(Ok(message)) = &frame
            && !matches!(message, Message::Close(_))
        {
            // Every frame counts against the rate, whatever its kind.
            match rate.check() {
                Verdict::Pass => {}
                Verdict::Drop(first) => {
                    if first {
                        connection
                            .send(error_message(
                                ErrorCode::RateLimited,
                                "too many messages; this one and the next ones are ignored until you slow down",
                            ))
                            .await;
                    }
                    continue;
                }
                Verdict::Close => {
                    connection
                        .close_for(Limit::Flood, CLOSE_POLICY_VIOLATION, "too many messages")
                        .await;
                    // Read on until the client answers the close (or briefly at most):
                    // closing the socket with unread data would reset it before the
                    // client reads the close frame and its code.
                    let drain = async { while let Some(Ok(_)) = connection.socket.next().await {} };
                    let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
                    break;
                }
            }
        }
        match frame {
            None | Some(Ok(Message::Close(_))) => break,
            Some(Err(error)) => {
                // tungstenite reports an oversized frame or message as a capacity error;
                // anything else is a broken connection.
                let message = error.to_string();
                if message.contains("too long") || message.contains("Space limit") {
                    connection
                        .close_for(Limit::TooBig, CLOSE_MESSAGE_TOO_BIG, "message too big")
                        .await;
                }
                tracing::debug!(conn, "websocket read error: {message}");
                break;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(Message::Binary(_))) => {
                connection
                    .send(error_message(
                        ErrorCode::BadJson,
                        "binary frames are not accepted; send JSON as text",
                    ))
                    .await;
            }
            // Boxed: handling a message (creating a session, listing sets, …) needs far
            // more state than waiting for the next frame, and a boxed future is held only
            // while a message is handled, not by every idle connection's task.
            Some(Ok(Message::Text(text))) => Box::pin(connection.handle_text(text.as_str())).await,
        }
    }
    connection.leave().await;
    // A peer that is gone may never take the close frame; do not wait for it long.
    let _ = tokio::time::timeout(Duration::from_secs(1), connection.socket.close()).await;
}

impl Connection {
    /// Writes `first` and everything else the session has queued, with one flush: a
    /// burst (welcome and state, say) costs one system call, not one per message.
    /// Closes the connection for going over `limit` (logged once per server run).
    async fn close_for(&mut self, limit: Limit, code: u16, reason: &'static str) {
        self.app.guard.hit(limit);
        self.send(close_message(code, reason)).await;
    }

    /// A fresh outbox for a session to queue this connection's messages in; whatever an
    /// earlier session queued is dropped with its channel.
    fn new_outbox(&mut self) -> Outbox {
        let (outbox, outgoing) = mpsc::channel::<Text>(OUTBOX_CAPACITY);
        self.outgoing = Some(outgoing);
        Outbox::Socket(outbox)
    }

    async fn write_queued(&mut self, first: Text) {
        self.feed(frame(first)).await;
        self.feed_queued().await;
        self.flush().await;
    }

    /// Sends a reply of the connection's own (an error, a pong, a list), after whatever
    /// the session queued before it, so replies never overtake earlier messages (a pong
    /// is a barrier clients rely on). A client that reads nothing holds only its own
    /// connection, never a session.
    async fn send(&mut self, reply: Message) {
        self.feed_queued().await;
        self.feed(reply).await;
        self.flush().await;
    }

    /// Buffers one message for the socket; after a close frame or a failure nothing more.
    async fn feed(&mut self, message: Message) {
        if !self.open {
            return;
        }
        let closing = matches!(message, Message::Close(_));
        if self.socket.feed(message).await.is_err() || closing {
            self.open = false;
        }
    }

    async fn feed_queued(&mut self) {
        while self.open
            && let Some(outgoing) = &mut self.outgoing
            && let Ok(text) = outgoing.try_recv()
        {
            self.feed(frame(text)).await;
        }
    }

    /// Writes out what was buffered (a close frame too, after which `open` is false).
    async fn flush(&mut self) {
        if self.socket.flush().await.is_err() {
            self.open = false;
        }
    }

    async fn error(&mut self, code: ErrorCode, message: impl Into<String>) {
        self.send(error_message(code, message)).await;
    }

    /// Tells the session this connection left; waits for room in its queue if need be
    /// (only this connection's task waits), so the session always forgets it.
    async fn leave(&mut self) {
        let session = match &self.role {
            ConnRole::Participant(session) | ConnRole::Screen(session, _) => Some(session),
            ConnRole::Facilitator(session) => session.as_ref(),
            ConnRole::Fresh => None,
        };
        // Cloned: the connection (its socket is not `Sync`) is not borrowed across the wait.
        if let Some(session) = session.cloned() {
            session.leave(self.conn).await;
        }
    }

    /// Queues this connection's event in its session; when the session's queue is full
    /// the connection is closed with 1013 (the client reconnects), never waited for.
    async fn forward(&mut self, session: &SessionHandle, event: Event) {
        if session.try_event(event).is_err() {
            self.busy().await;
        }
    }

    /// Closes the connection because its session cannot take more commands now.
    async fn busy(&mut self) {
        self.send(close_message(CLOSE_TRY_AGAIN, "session busy; reconnect"))
            .await;
    }

    async fn handle_text(&mut self, text: &str) {
        // The common case, a well-formed message, is parsed once; anything else takes
        // the slow path below, which says exactly what is wrong.
        if let Ok(message) = serde_json::from_str::<ClientMessage>(text) {
            return self.dispatch(message).await;
        }
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(value) => value,
            Err(error) => {
                return self
                    .error(
                        ErrorCode::BadJson,
                        format!("message is not valid JSON: {error}"),
                    )
                    .await;
            }
        };
        let Some(object) = value.as_object() else {
            return self
                .error(
                    ErrorCode::BadJson,
                    "a message must be a JSON object with a \"type\" field",
                )
                .await;
        };
        let Some(kind) = object.get("type").and_then(|kind| kind.as_str()) else {
            return self
                .error(
                    ErrorCode::UnknownType,
                    "a message needs a \"type\" field naming what it is",
                )
                .await;
        };
        if !ClientMessage::TYPES.contains(&kind) {
            let kind: String = kind.chars().take(40).collect();
            return self
                .error(
                    ErrorCode::UnknownType,
                    format!("unknown message type \"{kind}\""),
                )
                .await;
        }
        let kind = kind.to_string();
        let message: ClientMessage = match serde_json::from_value(value) {
            Ok(message) => message,
            Err(error) => {
                return self
                    .error(ErrorCode::BadMessage, format!("{kind}: {error}"))
                    .await;
            }
        };
        self.dispatch(message).await;
    }

    async fn dispatch(&mut self, message: ClientMessage) {
        if let ClientMessage::Ping { nonce } = message {
            return self.send(encode(&ServerMessage::Pong { nonce })).await;
        }
        if let ClientMessage::Join { version, .. }
        | ClientMessage::Host { version, .. }
        | ClientMessage::Watch { version, .. } = &message
        {
            if !matches!(self.role, ConnRole::Fresh) {
                return self
                    .error(
                        ErrorCode::AlreadyIntroduced,
                        "this connection has already said who it is",
                    )
                    .await;
            }
            if *version != PROTOCOL_VERSION {
                return self
                    .error(
                        ErrorCode::UnsupportedVersion,
                        format!(
                            "protocol version {version} is not supported; this server speaks version {PROTOCOL_VERSION}"
                        ),
                    )
                    .await;
            }
        }
        match (&self.role, message) {
            (ConnRole::Fresh, ClientMessage::Join { code, token, .. }) => {
                let Some(session) = self.find_session(&code).await else {
                    return;
                };
                let may_create = self.app.guard.may_add_participant(self.peer);
                if !may_create {
                    self.app.guard.hit(Limit::NewParticipants);
                }
                let outbox = self.new_outbox();
                if session
                    .try_connect(self.conn, outbox, Some(self.peer))
                    .is_err()
                {
                    return self.busy().await;
                }
                self.role = ConnRole::Participant(session.clone());
                let join = Event::Join {
                    conn: self.conn,
                    token,
                    fresh_token: random_token(16),
                    clicker: false,
                    may_create,
                };
                self.forward(&session, join).await;
            }
            (ConnRole::Fresh, ClientMessage::Host { host_token, .. }) => {
                // A wrong token is a guess, like a code that matches nothing.
                let judged = guess(&self.app.guard, self.peer, || {
                    self.app.is_host_token(&host_token).then_some(())
                });
                if self
                    .judged(judged, ErrorCode::BadToken, "the host token is not right")
                    .await
                    .is_none()
                {
                    return;
                }
                self.role = ConnRole::Facilitator(None);
                self.send(encode(&ServerMessage::Welcome {
                    version: PROTOCOL_VERSION,
                    role: Role::Facilitator,
                    session: None,
                    token: None,
                    controls: false,
                }))
                .await;
            }
            (ConnRole::Fresh, ClientMessage::Watch { code, token, .. }) => {
                let Some(session) = self.find_session(&code).await else {
                    return;
                };
                let judged = guess(&self.app.guard, self.peer, || {
                    if self.app.is_host_token(&token) {
                        Some(true)
                    } else {
                        same_token(&token, &session.screen_token).then_some(false)
                    }
                });
                let Some(host) = self
                    .judged(
                        judged,
                        ErrorCode::BadToken,
                        "the screen token is not right for this session",
                    )
                    .await
                else {
                    return;
                };
                let outbox = self.new_outbox();
                if session
                    .try_connect(self.conn, outbox, Some(self.peer))
                    .is_err()
                {
                    return self.busy().await;
                }
                self.role = ConnRole::Screen(session.clone(), host);
                let watch = Event::Watch {
                    conn: self.conn,
                    staff: if host {
                        Staff::HostScreen
                    } else {
                        Staff::Screen
                    },
                };
                self.forward(&session, watch).await;
            }
            (ConnRole::Fresh, _) => {
                self.error(
                    ErrorCode::NotIntroduced,
                    "say who you are first: send join, host or watch",
                )
                .await
            }
            (
                ConnRole::Participant(session),
                ClientMessage::SubmitAnswer {
                    question_id,
                    answer,
                },
            ) => {
                let session = session.clone();
                let submit = Event::Submit {
                    conn: self.conn,
                    question_id,
                    answer,
                };
                self.forward(&session, submit).await
            }
            (ConnRole::Facilitator(_), ClientMessage::ListSets) => {
                let sets = self.app.hub.shelf.library().summaries();
                self.send(encode(&ServerMessage::Sets { sets })).await
            }
            (ConnRole::Facilitator(_), ClientMessage::ListSessions) => {
                match self.app.hub.store.list_sessions().await {
                    Ok(sessions) => {
                        self.send(encode(&ServerMessage::Sessions { sessions }))
                            .await
                    }
                    Err(error) => {
                        tracing::error!("listing sessions failed: {error}");
                        self.error(ErrorCode::Internal, "could not read the stored sessions")
                            .await
                    }
                }
            }
            (
                ConnRole::Facilitator(_),
                ClientMessage::CreateSession {
                    set_id,
                    label,
                    description,
                    linked_sessions,
                    rehearsal,
                    follow_up_of,
                },
            ) => match (self.app.hub)
                .create(
                    &set_id,
                    label,
                    description,
                    linked_sessions,
                    rehearsal,
                    follow_up_of,
                )
                .await
            {
                Ok(session) => {
                    if rehearsal {
                        crate::rehearsal::start(self.app.clone(), session.clone());
                    }
                    self.attach(session).await
                }
                Err(CreateError::UnknownSet(id)) => {
                    self.error(
                        ErrorCode::UnknownSet,
                        format!("unknown question set \"{}\"", short(&id)),
                    )
                    .await
                }
                Err(error @ (CreateError::LabelTooLong | CreateError::DescriptionTooLong(_))) => {
                    self.error(ErrorCode::BadMessage, error.to_string()).await
                }
                Err(CreateError::Link(message)) => {
                    self.error(ErrorCode::InvalidLink, message).await
                }
                Err(CreateError::FollowUp(message)) => {
                    self.error(ErrorCode::InvalidFollowUp, message).await
                }
                Err(CreateError::Store(error)) => {
                    tracing::error!("creating a session failed: {error}");
                    self.error(ErrorCode::Internal, "could not store the new session")
                        .await
                }
            },
            (ConnRole::Facilitator(_), ClientMessage::AttachSession { session_id }) => {
                match self.app.hub.by_id(&session_id).await {
                    Ok(Some(session)) => self.attach(session).await,
                    Ok(None) => {
                        self.error(
                            ErrorCode::UnknownSession,
                            format!("no session has the id \"{}\"", short(&session_id)),
                        )
                        .await
                    }
                    Err(error) => {
                        tracing::error!("loading a session failed: {error}");
                        self.error(ErrorCode::Internal, "could not load the session")
                            .await
                    }
                }
            }
            (
                ConnRole::Facilitator(Some(session)) | ConnRole::Screen(session, true),
                ClientMessage::Control { action },
            ) => {
                let session = session.clone();
                let control = Event::Control {
                    conn: self.conn,
                    action,
                };
                self.forward(&session, control).await
            }
            (ConnRole::Facilitator(None), ClientMessage::Control { .. }) => {
                self.error(
                    ErrorCode::NoSession,
                    "create or attach to a session before controlling it",
                )
                .await
            }
            (role, message) => {
                let role = match role {
                    ConnRole::Participant(_) => "a participant",
                    ConnRole::Facilitator(_) => "the facilitator",
                    ConnRole::Screen(_, _) => "a screen",
                    ConnRole::Fresh => unreachable!("handled above"),
                };
                let kind = serde_json::to_value(&message)
                    .ok()
                    .and_then(|value| value.get("type").and_then(|t| t.as_str()).map(String::from))
                    .unwrap_or_default();
                self.error(
                    ErrorCode::WrongRole,
                    format!("{role} cannot send \"{kind}\""),
                )
                .await
            }
        }
    }

    /// The running session with join code `code`, or `None` after telling the client
    /// why not. Codes that match nothing are counted per address: an address that
    /// has tried too many must wait, so guessing a code takes years.
    async fn find_session(&mut self, code: &str) -> Option<SessionHandle> {
        // A stored session that left memory is brought back by its code (`Hub::by_code`).
        let judged = match guess_with(&self.app.guard, self.peer, self.app.hub.by_code(code)).await
        {
            Ok(judged) => judged,
            Err(error) => {
                tracing::error!("loading a session failed: {error}");
                self.error(ErrorCode::Internal, "could not load the session")
                    .await;
                return None;
            }
        };
        self.judged(
            judged,
            ErrorCode::UnknownSession,
            format!("no running session has the code \"{}\"", short(code)),
        )
        .await
    }

    /// What a guess matched, or `None` after telling the client why not: `wrong` when it
    /// matched nothing, `rate_limited` when this address must wait (`auth::guess` counts).
    async fn judged<T>(
        &mut self,
        judged: Guess<T>,
        wrong: ErrorCode,
        wrong_text: impl Into<String>,
    ) -> Option<T> {
        match judged {
            Guess::Right(found) => Some(found),
            Guess::Wrong => {
                self.error(wrong, wrong_text).await;
                None
            }
            Guess::Spent => {
                self.error(
                    ErrorCode::RateLimited,
                    "too many join codes or tokens that match nothing were tried from this device; wait a minute and check them",
                )
                .await;
                None
            }
        }
    }

    async fn attach(&mut self, session: SessionHandle) {
        self.leave().await;
        self.role = ConnRole::Facilitator(None);
        self.app.hub.set_active(&session);
        let outbox = self.new_outbox();
        if session
            .try_connect(self.conn, outbox, Some(self.peer))
            .is_err()
        {
            return self.busy().await;
        }
        self.role = ConnRole::Facilitator(Some(session.clone()));
        let watch = Event::Watch {
            conn: self.conn,
            staff: Staff::Facilitator,
        };
        self.forward(&session, watch).await;
    }
}

/// Client-provided text echoed in an error, cut short.
fn short(text: &str) -> String {
    text.chars().take(40).collect()
}
