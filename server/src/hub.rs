//! Running sessions: one tokio task per session owns its [`Engine`], turns the engine's
//! effects into WebSocket messages and storage jobs, and sends tallies to staff: the
//! first change after a quiet spell at once, later ones coalesced over
//! [`tally_interval`] (10 ms for a class, up to [`TALLY_INTERVAL`] for a hall). The
//! [`Hub`] finds sessions by id and join code and creates new ones.
//!
//! Memory is bounded: a session that nobody uses (no connection, no handle held outside
//! the registry, nothing being stored, no command for `Limits::session_idle`) stops
//! and leaves the registry; everything it knew is in the data file, so asking for it by
//! id or join code brings it back as a restart would. Its command queue holds
//! [`SESSION_QUEUE`] commands; see [`SessionHandle`] for who does what when it is full.
//!
//! Fan-out is O(connections of the session): a lifecycle change serialises the
//! participant state twice (answered or not) and hands each participant connection a
//! cheap clone; answers are never broadcast. A connection whose outbox is full (a stalled
//! device) is dropped rather than allowed to hold the session up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use pejling_wire::{Description, ServerMessage};
use rand::Rng;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use pejling_core::engine::{ConnId, Effect, Engine, Event, NotStored, SessionMeta, SessionRecord};
use pejling_core::pooling::groups_for;

use crate::limits::Guard;
use crate::secrets::random_token;
use crate::shelf::Shelf;
use crate::store::{NewSession, StoreError, StoreHandle};
use pejling_core::results::Thresholds;

/// Longest time between two tallies sent to staff (at least ten a second while answers
/// come in), reached from 2,000 participants on.
pub const TALLY_INTERVAL: Duration = Duration::from_millis(100);
/// Shortest time between two tallies sent to staff, for a small class.
pub const MIN_TALLY_INTERVAL: Duration = Duration::from_millis(10);

/// How long changes are coalesced before the next tally to staff: 50 µs per participant
/// between [`MIN_TALLY_INTERVAL`] and [`TALLY_INTERVAL`]. A class of 25 sees its last
/// answer within 10 ms of it being stored; 10,000 phones still cost at most ten tallies
/// a second (a tally is O(options) to build, but each one is serialised and drawn by
/// every staff page).
pub fn tally_interval(participants: usize) -> Duration {
    let participants = u32::try_from(participants).unwrap_or(u32::MAX);
    Duration::from_micros(50)
        .saturating_mul(participants)
        .clamp(MIN_TALLY_INTERVAL, TALLY_INTERVAL)
}

/// Pause before a failed progress write is tried again.
pub const STORE_RETRY: Duration = Duration::from_secs(1);

/// Messages queued per connection before it counts as stalled.
pub const OUTBOX_CAPACITY: usize = 256;

/// Commands a session queues before a WebSocket's command is refused (the connection is
/// closed with 1013 and reconnects). Far above what a hall sends at once: 10,000 phones
/// answering together are 10,000 commands, and the session works through them in
/// milliseconds; the bound is for a flood, so that one cannot grow memory without end.
pub const SESSION_QUEUE: usize = 16_384;

/// Join codes use letters and digits that cannot be mistaken for one another on a
/// projector or typed wrongly on a phone (no 0/O, 1/I/L, 2/Z, 5/S, 8/B, 6/G).
pub const JOIN_CODE_ALPHABET: &[u8] = b"ACDEFHJKMNPRTUVWXY3479";
pub const JOIN_CODE_LEN: usize = 6;

/// A server message as JSON text, serialised once and shared by every connection it goes
/// to (a clone is a reference count). Always valid UTF-8. One pointer wide, so a
/// connection's outbox (a block of 32 slots, allocated when it is made) costs 256 bytes,
/// not a kilobyte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(Arc<Bytes>);

impl Text {
    pub fn encode(message: &ServerMessage) -> Text {
        Text(Arc::new(Bytes::from(
            serde_json::to_string(message).expect("server messages serialize"),
        )))
    }

    /// The text's bytes, shared (no copy).
    pub fn bytes(&self) -> Bytes {
        Bytes::clone(&self.0)
    }
}

/// Where a session queues one connection's messages. A WebSocket takes them as text, as
/// they go on the wire; a clicker device or bridge (in-process) takes the messages
/// themselves, with no JSON in between.
#[derive(Debug, Clone)]
pub enum Outbox {
    Socket(mpsc::Sender<Text>),
    Typed(mpsc::Sender<ServerMessage>),
}

impl Outbox {
    /// The outbox of an in-process connection (a clicker device or bridge, a rehearsal
    /// pupil): its messages arrive on `inbound` tagged with `tag`, so one task reads all
    /// of its connections. Each connection keeps a queue of its own, so a full one is that
    /// connection's, as with a socket; the forwarding ends when the session drops it.
    pub fn forwarding<T: Clone + Send + 'static>(
        inbound: mpsc::Sender<(T, ServerMessage)>,
        tag: T,
    ) -> Outbox {
        let (outbox, mut queued) = mpsc::channel::<ServerMessage>(OUTBOX_CAPACITY);
        tokio::spawn(async move {
            while let Some(message) = queued.recv().await {
                if inbound.send((tag.clone(), message)).await.is_err() {
                    break;
                }
            }
        });
        Outbox::Typed(outbox)
    }
}

/// A message on its way to one or more connections: serialised at most once, and only if
/// a WebSocket is among them.
struct Parcel {
    message: ServerMessage,
    text: Option<Text>,
}

impl Parcel {
    fn new(message: ServerMessage) -> Self {
        Parcel {
            message,
            text: None,
        }
    }

    fn text(&mut self) -> Text {
        self.text
            .get_or_insert_with(|| Text::encode(&self.message))
            .clone()
    }
}

pub fn random_join_code() -> String {
    let mut rng = rand::rng();
    (0..JOIN_CODE_LEN)
        .map(|_| JOIN_CODE_ALPHABET[rng.random_range(0..JOIN_CODE_ALPHABET.len())] as char)
        .collect()
}

/// Normalises what a person typed as a join code (`pejling_wire::normalize_join_code`,
/// shared with the client so a phone keeps its token under the same code).
pub fn normalize_code(code: &str) -> String {
    pejling_wire::normalize_join_code(code)
}

pub enum SessionCmd {
    /// Registers a connection's outbox; sent before the connection's first event.
    Connect {
        conn: ConnId,
        outbox: Outbox,
        /// The client's address (`None` for a clicker device), charged for each new
        /// participant it adds.
        origin: Option<std::net::IpAddr>,
    },
    Event(Event),
    /// A write to store again (after [`STORE_RETRY`]).
    Retry(pejling_core::engine::Write),
    /// The screen's chart of a question (`None`: unknown or not revealed).
    Chart {
        question_id: String,
        reply: oneshot::Sender<Option<pejling_core::chart::Chart>>,
    },
}

/// A cheap handle to a running session. Holding one keeps the session in memory (it is
/// not idle while anyone outside the registry holds its handle).
///
/// The session's queue is bounded ([`SESSION_QUEUE`]); what a sender does when it is full:
/// a WebSocket's command ([`SessionHandle::try_event`]) is refused and the connection is
/// closed with 1013 (try again), so neither the session nor the socket's reader waits;
/// a connection's last command (`Leave`) waits for room ([`SessionHandle::leave`]), in
/// the ending connection's own task, so the session always learns who left; in-process
/// connections (clicker bridges and devices, rehearsal pupils), whose traffic their own
/// rules bound (one vote in flight per device, 25 pupils), never lose a command: one
/// that finds the queue full is handed to a task that waits for room
/// ([`SessionHandle::event`]); a bridge's status is dropped instead (the next one says
/// the same, [`SessionHandle::offer`]); a chart request is answered `503`
/// ([`SessionHandle::chart`]). Storage results take a queue of their own, which holds at
/// most one entry per write in flight, so an answer is never lost between the store and
/// the session.
#[derive(Clone)]
pub struct SessionHandle {
    pub id: Arc<str>,
    pub code: Arc<str>,
    pub screen_token: Arc<str>,
    commands: mpsc::Sender<SessionCmd>,
}

/// The session's queue is full (or the session has stopped, at shutdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl SessionHandle {
    /// Registers a WebSocket's outbox if there is room (see [`SessionHandle`]).
    pub fn try_connect(
        &self,
        conn: ConnId,
        outbox: Outbox,
        origin: Option<std::net::IpAddr>,
    ) -> Result<(), Busy> {
        self.commands
            .try_send(SessionCmd::Connect {
                conn,
                outbox,
                origin,
            })
            .map_err(|_| Busy)
    }

    /// Queues a WebSocket's event if there is room (see [`SessionHandle`]).
    pub fn try_event(&self, event: Event) -> Result<(), Busy> {
        self.commands
            .try_send(SessionCmd::Event(event))
            .map_err(|_| Busy)
    }

    /// A connection's last event: waits for room, so the session always forgets it.
    pub async fn leave(&self, conn: ConnId) {
        let _ = self
            .commands
            .send(SessionCmd::Event(Event::Leave { conn }))
            .await;
    }

    /// Registers an in-process connection's outbox; never lost (see [`SessionHandle`]).
    pub fn connect(&self, conn: ConnId, outbox: Outbox, origin: Option<std::net::IpAddr>) {
        self.queue(SessionCmd::Connect {
            conn,
            outbox,
            origin,
        });
    }

    /// Queues an in-process connection's event; never lost (see [`SessionHandle`]).
    pub fn event(&self, event: Event) {
        self.queue(SessionCmd::Event(event));
    }

    /// Queues an event only if there is room now: for snapshots such as a bridge's
    /// status, which the next one repeats.
    pub fn offer(&self, event: Event) {
        let _ = self.commands.try_send(SessionCmd::Event(event));
    }

    fn queue(&self, command: SessionCmd) {
        if let Err(mpsc::error::TrySendError::Full(command)) = self.commands.try_send(command) {
            // The caller must not wait; a task does, holding the handle (so the session
            // is not idle) until there is room.
            let commands = self.commands.clone();
            tokio::spawn(async move {
                let _ = commands.send(command).await;
            });
        }
    }

    /// The chart the screen shows for `question_id` (drawn by the caller, off the
    /// session task): `Ok(None)` for an unknown or unrevealed question, `Err(Busy)` when
    /// the session's queue is full.
    pub async fn chart(
        &self,
        question_id: &str,
    ) -> Result<Option<pejling_core::chart::Chart>, Busy> {
        let (reply, response) = oneshot::channel();
        self.commands
            .try_send(SessionCmd::Chart {
                question_id: question_id.to_string(),
                reply,
            })
            .map_err(|_| Busy)?;
        Ok(response.await.ok().flatten())
    }
}

/// What a session needs to leave the registry when it is idle.
#[derive(Clone)]
struct Retire {
    registry: std::sync::Weak<Mutex<Registry>>,
    idle: Duration,
}

/// Starts the task that runs one session.
fn spawn_session(
    engine: Engine,
    store: StoreHandle,
    guard: Arc<Guard>,
    shutdown: watch::Receiver<bool>,
    retire: Retire,
) -> SessionHandle {
    let (commands, receiver) = mpsc::channel(SESSION_QUEUE);
    let (internal, internal_receiver) = mpsc::unbounded_channel();
    let meta = engine.meta();
    let handle = SessionHandle {
        id: meta.id.as_str().into(),
        code: meta.code.as_str().into(),
        screen_token: meta.screen_token.as_str().into(),
        commands: commands.clone(),
    };
    let actor = SessionActor {
        session_id: handle.id.clone(),
        engine,
        store,
        outboxes: HashMap::new(),
        origins: HashMap::new(),
        guard,
        internal,
        in_flight: 0,
        retire,
        tally_dirty: false,
        last_tally: Instant::now() - TALLY_INTERVAL,
    };
    tokio::spawn(actor.run(receiver, internal_receiver, shutdown));
    handle
}

struct SessionActor {
    session_id: Arc<str>,
    engine: Engine,
    store: StoreHandle,
    outboxes: HashMap<ConnId, Outbox>,
    /// Client addresses of connections that came over the network.
    origins: HashMap<ConnId, std::net::IpAddr>,
    guard: Arc<Guard>,
    /// Storage results and retries come back on a queue of their own: unbounded, but it
    /// holds at most one entry per write in flight ([`SessionActor::in_flight`]).
    internal: mpsc::UnboundedSender<SessionCmd>,
    /// Writes sent to the store (or waiting to be sent again) whose result has not come
    /// back; a session with any is not idle.
    in_flight: usize,
    retire: Retire,
    tally_dirty: bool,
    last_tally: Instant,
}

impl SessionActor {
    async fn run(
        mut self,
        mut commands: mpsc::Receiver<SessionCmd>,
        mut internal: mpsc::UnboundedReceiver<SessionCmd>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut last_active = Instant::now();
        loop {
            // After a quiet spell `next_tally` has passed, so the first change goes out at
            // once (leading edge); changes within the interval wait for its end.
            let next_tally = self.last_tally + tally_interval(self.engine.participant_count());
            let idle = self.outboxes.is_empty() && self.in_flight == 0 && !self.tally_dirty;
            tokio::select! {
                // The actor holds a sender of `internal`, so it never ends.
                Some(command) = internal.recv() => {
                    last_active = Instant::now();
                    self.command(command);
                }
                command = commands.recv() => match command {
                    None => break,
                    Some(command) => {
                        // A chart request is a look, not a use: the screen that asks
                        // holds the session by its connection anyway.
                        if !matches!(command, SessionCmd::Chart { .. }) {
                            last_active = Instant::now();
                        }
                        self.command(command);
                    }
                },
                _ = tokio::time::sleep_until(next_tally), if self.tally_dirty => {
                    self.send_tally();
                }
                _ = tokio::time::sleep_until(last_active + self.retire.idle), if idle => {
                    if self.retire(&commands) {
                        break;
                    }
                    last_active = Instant::now();
                }
                _ = shutdown.changed() => break,
            }
        }
    }

    fn command(&mut self, command: SessionCmd) {
        match command {
            SessionCmd::Connect {
                conn,
                outbox,
                origin,
            } => {
                self.outboxes.insert(conn, outbox);
                if let Some(origin) = origin {
                    self.origins.insert(conn, origin);
                }
            }
            SessionCmd::Event(event) => {
                if let Event::Stored { .. } = &event {
                    self.in_flight -= 1;
                }
                self.handle(event);
            }
            SessionCmd::Retry(write) => {
                self.in_flight -= 1;
                let stalled = self.apply(vec![Effect::Store(write)]);
                for conn in stalled {
                    self.handle(Event::Leave { conn });
                }
            }
            SessionCmd::Chart { question_id, reply } => {
                let _ = reply.send(self.engine.screen_chart(&question_id));
            }
        }
    }

    /// Leaves the registry if no one holds the session: only the registry holds its
    /// handle and nothing is queued. Checked under the registry's lock, which every
    /// lookup takes, so no one can pick the handle up meanwhile; a later lookup brings
    /// the session back from the data file. An ended session gives its join code up (as
    /// after a restart); one that has not ended keeps it, so the code still finds it.
    fn retire(&self, commands: &mpsc::Receiver<SessionCmd>) -> bool {
        let Some(registry) = self.retire.registry.upgrade() else {
            return false;
        };
        let mut registry = registry.lock().expect("registry lock");
        if commands.sender_strong_count() > 1 || !commands.is_empty() {
            return false;
        }
        registry.by_id.remove(self.session_id.as_ref());
        let code = &self.engine.meta().code;
        if self.engine.is_ended()
            && registry.id_by_code.get(code).map(String::as_str) == Some(self.session_id.as_ref())
        {
            registry.id_by_code.remove(code);
        }
        // Maps keep their largest size unless told: a day of many sessions would
        // otherwise keep room for all of them.
        if registry.by_id.capacity() > 2 * registry.by_id.len() + 64 {
            registry.by_id.shrink_to_fit();
        }
        if registry.id_by_code.capacity() > 2 * registry.id_by_code.len() + 64 {
            registry.id_by_code.shrink_to_fit();
        }
        tracing::debug!("an idle session left memory");
        true
    }

    fn handle(&mut self, event: Event) {
        let mut pending = vec![event];
        while let Some(event) = pending.pop() {
            if let Event::Leave { conn } = &event {
                self.outboxes.remove(conn);
                self.origins.remove(conn);
            }
            let effects = self.engine.handle(event);
            let stalled = self.apply(effects);
            pending.extend(stalled.into_iter().map(|conn| Event::Leave { conn }));
        }
    }

    /// Carries out effects; returns connections that could not take a message.
    fn apply(&mut self, effects: Vec<Effect>) -> Vec<ConnId> {
        let mut stalled = Vec::new();
        for effect in effects {
            match effect {
                Effect::Send { conn, message } => {
                    self.deliver(conn, &mut Parcel::new(message), &mut stalled);
                }
                Effect::ToParticipants {
                    unanswered,
                    answered,
                    answered_conns,
                } => {
                    let mut unanswered = Parcel::new(*unanswered);
                    let mut answered = Parcel::new(*answered);
                    let conns: Vec<ConnId> = self.engine.participant_conns().collect();
                    for conn in conns {
                        let parcel = if answered_conns.contains(&conn) {
                            &mut answered
                        } else {
                            &mut unanswered
                        };
                        self.deliver(conn, parcel, &mut stalled);
                    }
                }
                Effect::ToStaff(message) => self.send_staff(message, &mut stalled),
                Effect::TallyChanged => self.tally_dirty = true,
                Effect::StoreLater(write) => {
                    // After a pause, as a failed write's completion would arrive: the
                    // engine is handed the write back and stores it (again).
                    self.in_flight += 1;
                    let sender = self.internal.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(STORE_RETRY).await;
                        let _ = sender.send(SessionCmd::Retry(write));
                    });
                }
                Effect::Store(write) => {
                    if let pejling_core::engine::Write::Participant {
                        conn,
                        clicker: false,
                        ..
                    } = &write
                        && let Some(origin) = self.origins.get(conn)
                    {
                        self.guard.participant_added(*origin);
                    }
                    self.in_flight += 1;
                    let sender = self.internal.clone();
                    self.store.write(
                        self.session_id.clone(),
                        write,
                        Box::new(move |write, result| {
                            // The store has logged why; the engine needs only the outcome.
                            let result = result.map_err(|_| NotStored);
                            let _ = sender.send(SessionCmd::Event(Event::Stored { write, result }));
                        }),
                    );
                }
            }
        }
        stalled
    }

    fn send_staff(&mut self, message: ServerMessage, stalled: &mut Vec<ConnId>) {
        let mut parcel = Parcel::new(message);
        let conns: Vec<ConnId> = self.engine.staff_conns().collect();
        for conn in conns {
            self.deliver(conn, &mut parcel, stalled);
        }
    }

    fn deliver(&mut self, conn: ConnId, parcel: &mut Parcel, stalled: &mut Vec<ConnId>) {
        let Some(outbox) = self.outboxes.get(&conn) else {
            return;
        };
        // Closed is not stalled: the connection is closing; its Leave event is on the way.
        let full = match outbox {
            Outbox::Socket(sender) => matches!(
                sender.try_send(parcel.text()),
                Err(mpsc::error::TrySendError::Full(_))
            ),
            Outbox::Typed(sender) => matches!(
                sender.try_send(parcel.message.clone()),
                Err(mpsc::error::TrySendError::Full(_))
            ),
        };
        if full {
            tracing::warn!(conn, "connection stalled; dropping it");
            self.outboxes.remove(&conn);
            stalled.push(conn);
        }
    }

    fn send_tally(&mut self) {
        self.tally_dirty = false;
        self.last_tally = Instant::now();
        let mut stalled = Vec::new();
        self.send_staff(ServerMessage::Tally(self.engine.tally()), &mut stalled);
        for conn in stalled {
            self.handle(Event::Leave { conn });
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("unknown question set \"{0}\"")]
    UnknownSet(String),
    #[error("the label is longer than {MAX_LABEL_CHARS} characters")]
    LabelTooLong,
    #[error(
        "the description's {} is longer than {} characters",
        .0.code(),
        pejling_wire::MAX_DESCRIPTION_CHARS
    )]
    DescriptionTooLong(pejling_wire::DescriptionField),
    #[error("could not store the new session")]
    Store(#[source] StoreError),
    /// A link that cannot be made; the text says why and what to do.
    #[error("{0}")]
    Link(String),
    /// A follow-up that cannot be one; the text says why.
    #[error("{0}")]
    FollowUp(String),
}

/// Most pupil sessions one parents' session may be linked to.
pub const MAX_LINKS: usize = 20;

pub const MAX_LABEL_CHARS: usize = 120;

#[derive(Default)]
struct Registry {
    by_id: HashMap<String, SessionHandle>,
    id_by_code: HashMap<String, String>,
}

/// All running sessions.
pub struct Hub {
    /// The question library and the user's sets folder it is read from.
    pub shelf: Shelf,
    pub store: StoreHandle,
    /// Base of join links, e.g. `http://192.168.1.20:8080`.
    pub public_url: String,
    /// The server's result thresholds (`--min-answers`, `--agreement-pp`).
    pub thresholds: Thresholds,
    registry: Arc<Mutex<Registry>>,
    shutdown: watch::Receiver<bool>,
    guard: Arc<Guard>,
    /// The key file's secrets: screen and clicker tokens are derived from them.
    pub secrets: Arc<crate::secrets::Secrets>,
    /// The session the facilitator last created or attached to; clicker bridges follow it.
    active: watch::Sender<Option<SessionHandle>>,
}

impl Hub {
    pub fn new(
        shelf: Shelf,
        store: StoreHandle,
        public_url: String,
        thresholds: Thresholds,
        guard: Arc<Guard>,
        secrets: Arc<crate::secrets::Secrets>,
        shutdown: watch::Receiver<bool>,
    ) -> Hub {
        Hub {
            shelf,
            store,
            public_url,
            thresholds,
            registry: Arc::default(),
            shutdown,
            guard,
            secrets,
            active: watch::Sender::new(None),
        }
    }

    /// Makes `session` the one clicker bridges follow.
    pub fn set_active(&self, session: &SessionHandle) {
        self.active.send_if_modified(|active| {
            let changed = active.as_ref().map(|a| &a.id) != Some(&session.id);
            *active = Some(session.clone());
            changed
        });
    }

    pub fn active(&self) -> watch::Receiver<Option<SessionHandle>> {
        self.active.subscribe()
    }

    /// Brings a stored session back to life.
    pub async fn resume(&self, stored: SessionRecord) -> SessionHandle {
        let engine = self.restore(stored).await;
        self.register(engine)
    }

    /// An engine for a stored session, with its linked pupil sessions' counts.
    async fn restore(&self, mut stored: SessionRecord) -> Engine {
        stored.meta.screen_token = self.secrets.screen_token(&stored.meta.id);
        let links = stored.links.clone();
        let thresholds = stored.thresholds.unwrap_or(self.thresholds);
        let mut engine = Engine::from_record(stored);
        engine.set_thresholds(thresholds);
        if !links.is_empty() {
            match self.store.load_linked(links).await {
                Ok(linked) => engine.set_linked(groups_for(engine.set(), linked)),
                Err(error) => tracing::warn!("linked sessions not loaded: {error}"),
            }
        }
        engine
    }

    /// The stored pupil sessions `links` names, checked for a parents' set: each must
    /// exist, have ended, and use a pupils' set that `set` cites.
    async fn linked_sessions(
        &self,
        set: &pejling_core::questions::QuestionSet,
        links: &[String],
    ) -> Result<Vec<SessionRecord>, CreateError> {
        if links.is_empty() {
            return Ok(Vec::new());
        }
        if set.audience != pejling_wire::Audience::Parents {
            return Err(CreateError::Link(format!(
                "only a parents' set can be linked to pupil sessions; \"{}\" is a pupils' set",
                set.id
            )));
        }
        if links.len() > MAX_LINKS {
            return Err(CreateError::Link(format!(
                "a session can be linked to at most {MAX_LINKS} pupil sessions"
            )));
        }
        let cited: Vec<&str> = set
            .questions
            .iter()
            .filter_map(|q| q.perceives.as_ref()?.set.as_deref())
            .collect();
        let mut sessions = Vec::new();
        for id in links {
            let stored = self
                .store
                .load(id.clone())
                .await
                .map_err(CreateError::Store)?
                .ok_or_else(|| CreateError::Link(format!("no session \"{id}\" to link")))?;
            let name = stored.meta.name();
            if stored.meta.rehearsal {
                return Err(CreateError::Link(format!(
                    "\"{name}\" is a rehearsal with simulated pupils; link real classes only"
                )));
            }
            if stored.set.audience != pejling_wire::Audience::Pupils {
                return Err(CreateError::Link(format!(
                    "\"{name}\" is not a pupils' session"
                )));
            }
            if !cited.contains(&stored.set.id.as_str()) {
                return Err(CreateError::Link(format!(
                    "\"{name}\" used the set \"{}\", which \"{}\" does not ask about",
                    stored.set.id, set.id
                )));
            }
            if !stored.progress.ended {
                return Err(CreateError::Link(format!(
                    "\"{name}\" has not ended; end it in the console first, so its numbers are final"
                )));
            }
            sessions.push(stored);
        }
        Ok(sessions)
    }

    fn spawn(&self, mut engine: Engine) -> SessionHandle {
        engine.set_join_url(format!("{}/j/{}", self.public_url, engine.meta().code));
        spawn_session(
            engine,
            self.store.clone(),
            self.guard.clone(),
            self.shutdown.clone(),
            Retire {
                registry: Arc::downgrade(&self.registry),
                idle: self.guard.limits().session_idle,
            },
        )
    }

    fn register(&self, engine: Engine) -> SessionHandle {
        let handle = self.spawn(engine);
        let mut registry = self.registry.lock().expect("registry lock");
        registry
            .id_by_code
            .insert(handle.code.to_string(), handle.id.to_string());
        registry.by_id.insert(handle.id.to_string(), handle.clone());
        handle
    }

    /// The session with join code `code`: a running one, or one that has not ended and
    /// left memory while idle, brought back from the data file. An ended session's code
    /// finds it only while it is in memory (after a restart, never).
    pub async fn by_code(&self, code: &str) -> Result<Option<SessionHandle>, StoreError> {
        let id = {
            let registry = self.registry.lock().expect("registry lock");
            let Some(id) = registry.id_by_code.get(&normalize_code(code)) else {
                return Ok(None);
            };
            if let Some(handle) = registry.by_id.get(id) {
                return Ok(Some(handle.clone()));
            }
            id.clone()
        };
        self.by_id(&id).await
    }

    /// Sessions in memory (for the soak benchmark's figures and tests).
    pub fn sessions_in_memory(&self) -> usize {
        self.registry.lock().expect("registry lock").by_id.len()
    }

    /// A running session only: never brings a stored one back (for routes anyone may
    /// call, such as the projector's charts).
    pub fn running_by_id(&self, id: &str) -> Option<SessionHandle> {
        self.registry
            .lock()
            .expect("registry lock")
            .by_id
            .get(id)
            .cloned()
    }

    /// A running session, or a stored one brought back (e.g. an ended session the
    /// facilitator wants to look at again).
    pub async fn by_id(&self, id: &str) -> Result<Option<SessionHandle>, StoreError> {
        if let Some(handle) = self.registry.lock().expect("registry lock").by_id.get(id) {
            return Ok(Some(handle.clone()));
        }
        let Some(stored) = self.store.load(id.to_string()).await? else {
            return Ok(None);
        };
        let engine = self.restore(stored).await;
        // Checked and registered under one lock, after the last await: two requests that
        // both loaded the session start one actor, and both get it.
        let mut registry = self.registry.lock().expect("registry lock");
        if let Some(handle) = registry.by_id.get(id) {
            return Ok(Some(handle.clone()));
        }
        // An ended session keeps its id but does not take its join code back from a
        // running session that may use it now.
        let handle = self.spawn(engine);
        registry.by_id.insert(handle.id.to_string(), handle.clone());
        Ok(Some(handle))
    }

    /// Whether `earlier` can be followed up by a session of `set`: an earlier pupils'
    /// session, not a rehearsal, whose set shares a percent pair's question ids.
    async fn check_follow_up(
        &self,
        set: &pejling_core::questions::QuestionSet,
        earlier: &str,
        rehearsal: bool,
    ) -> Result<(), CreateError> {
        let refuse = |why: &str| Err(CreateError::FollowUp(why.to_string()));
        if rehearsal {
            return refuse("a rehearsal is not a follow-up of a class");
        }
        if set.audience != pejling_wire::Audience::Pupils {
            return refuse("only a pupils' session can follow up a class");
        }
        let Some(record) = self
            .store
            .load(earlier.to_string())
            .await
            .map_err(CreateError::Store)?
        else {
            return Err(CreateError::FollowUp(format!(
                "no session \"{}\" to follow up",
                earlier.chars().take(40).collect::<String>()
            )));
        };
        if record.meta.rehearsal {
            return refuse("a rehearsal cannot be followed up");
        }
        if record.set.audience != pejling_wire::Audience::Pupils {
            return refuse("only a pupils' session can be followed up");
        }
        if !pejling_core::followup::share_a_pair(&record.set, set) {
            return refuse(
                "the two sets have no question pair in common (the same question ids), so there is nothing to compare",
            );
        }
        Ok(())
    }

    /// Creates a session; a `rehearsal` is marked as such (its simulated pupils are the
    /// caller's to start, `rehearsal.rs`) and cannot be linked to pupil sessions. The
    /// description is stored cleaned, each value in an earlier value's spelling when it
    /// is the same but for case and spaces (`store.rs`).
    pub async fn create(
        &self,
        set_id: &str,
        label: Option<String>,
        description: Description,
        links: Vec<String>,
        rehearsal: bool,
        follow_up_of: Option<String>,
    ) -> Result<SessionHandle, CreateError> {
        let library = self.shelf.library();
        let entry = library
            .get(set_id)
            .ok_or_else(|| CreateError::UnknownSet(set_id.to_string()))?;
        if let Some(earlier) = &follow_up_of {
            self.check_follow_up(&entry.set, earlier, rehearsal).await?;
        }
        if rehearsal && !links.is_empty() {
            return Err(CreateError::Link(
                "a rehearsal cannot be linked to pupil sessions".to_string(),
            ));
        }
        let mut links = links;
        links.sort();
        links.dedup();
        let linked = self.linked_sessions(&entry.set, &links).await?;
        let label = label
            .map(|label| label.trim().to_string())
            .filter(|label| !label.is_empty());
        if label
            .as_ref()
            .is_some_and(|label| label.chars().count() > MAX_LABEL_CHARS)
        {
            return Err(CreateError::LabelTooLong);
        }
        let description = description.cleaned();
        if let Some(field) = description.too_long() {
            return Err(CreateError::DescriptionTooLong(field));
        }
        let code = {
            let registry = self.registry.lock().expect("registry lock");
            loop {
                let code = random_join_code();
                if !registry.id_by_code.contains_key(&code) {
                    break code;
                }
            }
        };
        let id = random_token(8);
        let mut meta = SessionMeta {
            screen_token: self.secrets.screen_token(&id),
            id,
            code,
            label,
            description,
            created_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
            rehearsal,
            follow_up_of,
        };
        meta.description = self
            .store
            .create_session(NewSession {
                meta: meta.clone(),
                set: entry.set.clone(),
                source: entry.source.clone(),
                links,
                thresholds: self.thresholds,
            })
            .await
            .map_err(CreateError::Store)?;
        let mut engine = Engine::new(meta, entry.set.clone());
        engine.set_thresholds(self.thresholds);
        engine.set_linked(groups_for(&entry.set, linked));
        Ok(self.register(engine))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_codes_use_only_unambiguous_characters() {
        for _ in 0..200 {
            let code = random_join_code();
            assert_eq!(code.len(), JOIN_CODE_LEN);
            assert!(
                code.bytes().all(|b| JOIN_CODE_ALPHABET.contains(&b)),
                "{code}"
            );
        }
        for ambiguous in [
            "0", "O", "1", "I", "L", "2", "Z", "5", "S", "8", "B", "6", "G",
        ] {
            assert!(!JOIN_CODE_ALPHABET.contains(&ambiguous.as_bytes()[0]));
        }
    }

    #[test]
    fn typed_codes_are_normalised() {
        assert_eq!(normalize_code(" k7m-xpa "), "K7MXPA");
    }

    fn hub(store: StoreHandle, shutdown: watch::Receiver<bool>) -> Hub {
        Hub::new(
            // A folder that does not exist: the built-in sets only.
            Shelf::open(std::path::PathBuf::from("/nonexistent/pejling-sets")).0,
            store,
            "http://test".into(),
            Thresholds::default(),
            Arc::new(Guard::new(crate::limits::Limits::default(), None)),
            Arc::new(crate::secrets::Secrets::ephemeral()),
            shutdown,
        )
    }

    #[tokio::test]
    async fn two_requests_for_a_stored_session_bring_back_one_actor() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&dir.path().join("p.db")).unwrap();
        let (store, _thread) = StoreHandle::start(store);
        let (_running, shutdown) = watch::channel(false);
        // A finished pupils' session and a parents' session linked to it: bringing the
        // parents' session back awaits the linked session's counts.
        let first = hub(store.clone(), shutdown.clone());
        let pupils = first
            .create(
                "7-klasse-alkohol",
                None,
                Description::default(),
                Vec::new(),
                false,
                None,
            )
            .await
            .unwrap();
        pupils.event(Event::Watch {
            conn: 1,
            staff: pejling_core::engine::Staff::Facilitator,
        });
        pupils.event(Event::Control {
            conn: 1,
            action: pejling_wire::Action::End,
        });
        while !store
            .load(pupils.id.to_string())
            .await
            .unwrap()
            .unwrap()
            .progress
            .ended
        {
            tokio::task::yield_now().await;
        }
        let parents = first
            .create(
                "foraeldre-7-klasse",
                None,
                Description::default(),
                vec![pupils.id.to_string()],
                false,
                None,
            )
            .await
            .unwrap();
        // After a restart (an empty registry), two requests at once.
        let second = hub(store.clone(), shutdown.clone());
        let (a, b) = tokio::join!(second.by_id(&parents.id), second.by_id(&parents.id));
        let (a, b) = (a.unwrap().unwrap(), b.unwrap().unwrap());
        assert!(
            a.commands.same_channel(&b.commands),
            "one actor for one session"
        );
    }

    #[test]
    fn tallies_are_coalesced_longer_the_bigger_the_session() {
        assert_eq!(tally_interval(0), MIN_TALLY_INTERVAL);
        assert_eq!(tally_interval(25), MIN_TALLY_INTERVAL);
        assert_eq!(tally_interval(500), Duration::from_millis(25));
        assert_eq!(tally_interval(2_000), TALLY_INTERVAL);
        assert_eq!(tally_interval(10_000), TALLY_INTERVAL);
        assert_eq!(tally_interval(usize::MAX), TALLY_INTERVAL);
    }

    #[test]
    fn tokens_carry_at_least_128_bits() {
        let token = random_token(16);
        assert_eq!(token.len(), 32);
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(token, random_token(16));
    }
}
