//! Limits that keep one device on the classroom Wi-Fi from locking others out: open
//! connections per client address, join codes that find nothing (guessing), and new
//! participants per address; timeouts for HTTP headers and silent WebSockets. Counts live
//! in memory only and are never stored, and an address's counts are forgotten once its
//! budgets have refilled ([`Guard::sweep`]). The log says which limit was hit and how
//! often, never by whom: no address, no token (the anonymity promise). The values (`Limits::default`) are far above what a class, a school
//! hall of 2,000 or the load benchmark's 10,000 phones (spread over loopback addresses)
//! need; `docs/protocol.md` lists them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A token bucket's size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Events allowed at once.
    pub burst: u32,
    /// One event is regained per this interval.
    pub every: Duration,
}

impl Rate {
    pub const fn new(burst: u32, every: Duration) -> Rate {
        Rate { burst, every }
    }
}

/// Policy values (`pejling serve --help` names the options that change them).
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// The server pings every WebSocket this often.
    pub ping_interval: Duration,
    /// A WebSocket from which nothing (not even a pong) arrives for this long is closed;
    /// its participant no longer counts as connected.
    pub ping_timeout: Duration,
    /// An HTTP request's headers must arrive within this time, and an idle connection
    /// that never became a WebSocket is closed after it.
    pub header_timeout: Duration,
    /// Open connections (pages and WebSockets) per client address.
    pub connections_per_address: u32,
    /// Join codes that match no running session, and wrong host or screen tokens, per
    /// client address (guesses).
    pub unknown_codes: Rate,
    /// New participants per client address (rejoining with a token is free).
    pub new_participants: Rate,
    /// File descriptors kept free for the data file, logs and the facilitator: new
    /// connections are refused before the process's open-files limit is reached.
    pub fd_reserve: u64,
    /// Bytes a connection may send per second on average, and at once. Catches what no
    /// message count sees, e.g. a flood of empty WebSocket continuation frames; a phone
    /// sends a few hundred bytes per answer.
    pub read_bytes_per_second: u32,
    pub read_burst_bytes: u32,
    /// How often addresses whose budgets have refilled are forgotten and the limits hit
    /// since the last report are logged with their counts.
    pub sweep_interval: Duration,
    /// A session with no connection, no one holding it and no command for this long
    /// stops and leaves memory; it is brought back from the data file when asked
    /// (`hub.rs`).
    pub session_idle: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            ping_interval: Duration::from_secs(15),
            ping_timeout: Duration::from_secs(45),
            header_timeout: Duration::from_secs(10),
            connections_per_address: 64,
            // 20 a minute: finding one running session's code among 22^6 takes years.
            unknown_codes: Rate::new(20, Duration::from_secs(3)),
            // A family's phone, a teacher's test tabs: 10 at once, then one per 5 minutes.
            new_participants: Rate::new(10, Duration::from_secs(300)),
            fd_reserve: 128,
            read_bytes_per_second: 64 * 1024,
            read_burst_bytes: 256 * 1024,
            sweep_interval: Duration::from_secs(60),
            session_idle: Duration::from_secs(300),
        }
    }
}

/// Which limit was hit (for the log and the error a client gets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    ConnectionsPerAddress,
    Connections,
    UnknownCodes,
    NewParticipants,
    PingTimeout,
    HeaderTimeout,
    ReadRate,
    Flood,
    TooBig,
}

impl Limit {
    const ALL: usize = 9;
    const EVERY: [Limit; Limit::ALL] = [
        Limit::ConnectionsPerAddress,
        Limit::Connections,
        Limit::UnknownCodes,
        Limit::NewParticipants,
        Limit::PingTimeout,
        Limit::HeaderTimeout,
        Limit::ReadRate,
        Limit::Flood,
        Limit::TooBig,
    ];

    /// A short name for the counts logged after the first hit.
    fn name(self) -> &'static str {
        match self {
            Limit::ConnectionsPerAddress => "connections per address",
            Limit::Connections => "open files",
            Limit::UnknownCodes => "unknown join codes or tokens",
            Limit::NewParticipants => "new participants per address",
            Limit::PingTimeout => "ping timeout",
            Limit::HeaderTimeout => "header timeout",
            Limit::ReadRate => "bytes per second",
            Limit::Flood => "messages per second",
            Limit::TooBig => "message size",
        }
    }

    fn describe(self, limits: &Limits) -> String {
        match self {
            Limit::ConnectionsPerAddress => format!(
                "a client address reached {} open connections; further ones are refused \
                 (--max-connections-per-address)",
                limits.connections_per_address
            ),
            Limit::Connections => {
                "the open-files limit is nearly reached; new connections are refused".into()
            }
            Limit::UnknownCodes => format!(
                "a client address tried {} join codes or tokens that match nothing; it must \
                 wait (--max-unknown-codes)",
                limits.unknown_codes.burst
            ),
            Limit::NewParticipants => format!(
                "a client address joined as {} new participants; further new participants \
                 from it must wait (--max-new-participants)",
                limits.new_participants.burst
            ),
            Limit::PingTimeout => format!(
                "a WebSocket was silent for {} and was closed (the device left)",
                human(limits.ping_timeout)
            ),
            Limit::ReadRate => format!(
                "a connection sent more than {} KiB/s on average and was closed",
                limits.read_bytes_per_second / 1024
            ),
            Limit::Flood => {
                "a WebSocket sent messages far over the rate limit and was closed (1008)".into()
            }
            Limit::TooBig => "a WebSocket sent a message over 8 KiB and was closed (1009)".into(),
            Limit::HeaderTimeout => format!(
                "an HTTP connection sent no complete request within {} and was closed",
                human(limits.header_timeout)
            ),
        }
    }
}

/// A timing as the log writes it: whole seconds, or milliseconds below one.
fn human(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{} s", duration.as_secs())
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Bucket {
        Bucket {
            tokens: f64::from(rate.burst),
            last: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let regained = now.duration_since(self.last).as_secs_f64() / rate.every.as_secs_f64();
        self.tokens = (self.tokens + regained).min(f64::from(rate.burst));
        self.last = now;
    }

    fn is_full(&self, rate: Rate, now: Instant) -> bool {
        let mut copy = *self;
        copy.refill(rate, now);
        copy.tokens >= f64::from(rate.burst)
    }
}

struct Entry {
    connections: u32,
    unknown_codes: Bucket,
    new_participants: Bucket,
}

/// Most addresses remembered at once. Far above a hall (every phone one entry while it
/// is connected and for minutes after); reached only by a device that takes many IPv6
/// addresses, whose every address has a budget of its own anyway, so forgetting some of
/// its addresses early lets it do nothing it could not do before.
pub const MAX_ADDRESSES: usize = 65_536;

/// The per-address map with the count of open connections in all.
#[derive(Default)]
struct Open {
    connections: u64,
    addresses: HashMap<IpAddr, Entry>,
}

/// Per-address counts and buckets, in memory.
pub struct Guard {
    limits: Limits,
    /// Most open connections in all (the open-files limit less the reserve).
    max_connections: u64,
    /// `limits.read_*` as a bucket rate (one byte regained per interval).
    read_rate: Rate,
    open: Mutex<Open>,
    /// Whether each limit has been logged, and its hits since the last report.
    logged: [AtomicBool; Limit::ALL],
    hits: [AtomicU64; Limit::ALL],
}

/// A connection's exemption from its byte rate, for one request: a route that takes a
/// large upload from the host (an exchange file) turns it on once the host token is
/// checked ([`Unmetered::lift`]) and it is off again when the request is done. Every
/// request carries its connection's handle in its extensions.
#[derive(Clone, Default)]
pub struct Unmetered(std::sync::Arc<AtomicBool>);

impl Unmetered {
    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Lifts the byte rate until the returned guard is dropped.
    pub fn lift(&self) -> Lifted {
        self.0.store(true, Ordering::Relaxed);
        Lifted(self.0.clone())
    }
}

/// While held, a connection's byte rate is lifted ([`Unmetered::lift`]).
pub struct Lifted(std::sync::Arc<AtomicBool>);

impl Drop for Lifted {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

/// Held while a connection is open; gives its slot back when dropped. Also meters what
/// the connection sends ([`Slot::read`]).
pub struct Slot {
    guard: std::sync::Arc<Guard>,
    key: IpAddr,
    read: Bucket,
}

impl Slot {
    /// Counts `bytes` just read from the connection; `false` when it is over its byte
    /// rate and must be closed.
    pub fn read(&mut self, bytes: usize) -> bool {
        self.read.refill(self.guard.read_rate, Instant::now());
        self.read.tokens -= bytes as f64;
        if self.read.tokens < 0.0 {
            self.guard.hit(Limit::ReadRate);
            return false;
        }
        true
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let now = Instant::now();
        let mut open = self.guard.open.lock().expect("limits lock");
        open.connections -= 1;
        if let Some(entry) = open.addresses.get_mut(&self.key) {
            entry.connections -= 1;
            if self.guard.forgettable(entry, now) {
                open.addresses.remove(&self.key);
            }
        }
    }
}

/// The key an address is counted under: the address itself (an IPv4-mapped IPv6 address
/// is its IPv4 address). Not the IPv6 /64: on a school's Wi-Fi every phone shares the
/// network's /64, so counting by it would treat a whole class as one device. A device
/// that takes many IPv6 addresses gets a budget per address; the open-files reserve
/// still holds.
pub fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(address),
    }
}

impl Guard {
    /// `open_files` is the process's open-files limit (`None`: unknown, no global cap).
    pub fn new(limits: Limits, open_files: Option<u64>) -> Guard {
        let max_connections = open_files
            .map(|n| n.saturating_sub(limits.fd_reserve).max(1))
            .unwrap_or(u64::MAX);
        Guard {
            read_rate: Rate::new(
                limits.read_burst_bytes,
                Duration::from_secs(1) / limits.read_bytes_per_second.max(1),
            ),
            limits,
            max_connections,
            open: Mutex::default(),
            logged: Default::default(),
            hits: Default::default(),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Notes that `limit` was hit: the first time in the log at once, later hits as a
    /// count per [`Limits::sweep_interval`] ([`Guard::sweep`]). Never who hit it: an
    /// address in the log would say which device did what.
    pub fn hit(&self, limit: Limit) {
        if self.logged[limit as usize].swap(true, Ordering::Relaxed) {
            self.hits[limit as usize].fetch_add(1, Ordering::Relaxed);
            return;
        }
        let text = format!(
            "limit reached: {}; further hits are counted and logged every {}",
            limit.describe(&self.limits),
            human(self.limits.sweep_interval)
        );
        // A phone that leaves the Wi-Fi is not misbehaving.
        if limit == Limit::PingTimeout {
            tracing::info!("{text}");
        } else {
            tracing::warn!("{text}");
        }
    }

    /// Forgets the addresses with no open connection whose budgets have refilled (such an
    /// entry is the same as none), gives the map's memory back, and logs how often each
    /// limit was hit since the last sweep. Run every [`Limits::sweep_interval`].
    pub fn sweep(&self) {
        {
            let mut open = self.open.lock().expect("limits lock");
            self.forget(&mut open, Instant::now());
        }
        for limit in Limit::EVERY {
            let hits = self.hits[limit as usize].swap(0, Ordering::Relaxed);
            if hits > 0 {
                tracing::info!(
                    "limit \"{}\" reached {hits} more times since the last report",
                    limit.name()
                );
            }
        }
    }

    /// Addresses remembered now (for tests and the soak benchmark).
    pub fn remembered_addresses(&self) -> usize {
        self.open.lock().expect("limits lock").addresses.len()
    }

    fn forgettable(&self, entry: &Entry, now: Instant) -> bool {
        entry.connections == 0
            && entry.unknown_codes.is_full(self.limits.unknown_codes, now)
            && entry
                .new_participants
                .is_full(self.limits.new_participants, now)
    }

    fn forget(&self, open: &mut Open, now: Instant) {
        open.addresses
            .retain(|_, entry| !self.forgettable(entry, now));
        // A map keeps its largest size unless told: after a hall has gone home it should
        // not hold room for every phone.
        if open.addresses.capacity() > 2 * open.addresses.len() + 64 {
            open.addresses.shrink_to_fit();
        }
    }

    /// The entry of `key`, made if missing. At [`MAX_ADDRESSES`] the map is swept first
    /// and, if that is not enough, addresses without an open connection are forgotten
    /// early until a quarter of the room is free.
    fn entry<'a>(&self, open: &'a mut Open, key: IpAddr, now: Instant) -> &'a mut Entry {
        if !open.addresses.contains_key(&key) && open.addresses.len() >= MAX_ADDRESSES {
            self.forget(open, now);
            let mut excess = open.addresses.len().saturating_sub(MAX_ADDRESSES * 3 / 4);
            open.addresses.retain(|_, entry| {
                if excess > 0 && entry.connections == 0 {
                    excess -= 1;
                    return false;
                }
                true
            });
        }
        open.addresses
            .entry(key)
            .or_insert_with(|| self.new_entry(now))
    }

    /// A slot for a new connection from `address`, or `None` when it must be refused.
    pub fn connect(self: &std::sync::Arc<Self>, address: IpAddr) -> Option<Slot> {
        let key = address_key(address);
        let now = Instant::now();
        let refused = {
            let mut open = self.open.lock().expect("limits lock");
            if open.connections >= self.max_connections {
                Some(Limit::Connections)
            } else {
                let entry = self.entry(&mut open, key, now);
                if entry.connections >= self.limits.connections_per_address {
                    Some(Limit::ConnectionsPerAddress)
                } else {
                    entry.connections += 1;
                    open.connections += 1;
                    None
                }
            }
        };
        match refused {
            Some(limit) => {
                self.hit(limit);
                None
            }
            None => Some(Slot {
                guard: self.clone(),
                key,
                read: Bucket {
                    tokens: f64::from(self.limits.read_burst_bytes),
                    last: now,
                },
            }),
        }
    }

    fn new_entry(&self, now: Instant) -> Entry {
        Entry {
            connections: 0,
            unknown_codes: Bucket::full(self.limits.unknown_codes, now),
            new_participants: Bucket::full(self.limits.new_participants, now),
        }
    }

    /// Whether `address` may make another guess (a join code, a host or screen token);
    /// call [`Guard::wrong_guess`] when it matched nothing.
    pub fn may_guess(&self, address: IpAddr) -> bool {
        self.peek(
            address,
            |entry| &mut entry.unknown_codes,
            self.limits.unknown_codes,
        )
    }

    /// Charges `address` for a join code or token that matched nothing.
    pub fn wrong_guess(&self, address: IpAddr) {
        self.charge(
            address,
            |entry| &mut entry.unknown_codes,
            self.limits.unknown_codes,
        );
    }

    /// Whether `address` may add another new participant.
    pub fn may_add_participant(&self, address: IpAddr) -> bool {
        self.peek(
            address,
            |entry| &mut entry.new_participants,
            self.limits.new_participants,
        )
    }

    /// Charges `address` for a participant it added.
    pub fn participant_added(&self, address: IpAddr) {
        self.charge(
            address,
            |entry| &mut entry.new_participants,
            self.limits.new_participants,
        );
    }

    fn peek(&self, address: IpAddr, bucket: fn(&mut Entry) -> &mut Bucket, rate: Rate) -> bool {
        let now = Instant::now();
        let mut open = self.open.lock().expect("limits lock");
        let Some(entry) = open.addresses.get_mut(&address_key(address)) else {
            return true;
        };
        let bucket = bucket(entry);
        bucket.refill(rate, now);
        bucket.tokens >= 1.0
    }

    fn charge(&self, address: IpAddr, bucket: fn(&mut Entry) -> &mut Bucket, rate: Rate) {
        let now = Instant::now();
        let mut open = self.open.lock().expect("limits lock");
        let entry = self.entry(&mut open, address_key(address), now);
        let bucket = bucket(entry);
        bucket.refill(rate, now);
        // At most one event of debt, so a limited address is let in again after one
        // interval, however long it kept trying.
        bucket.tokens = (bucket.tokens - 1.0).max(-1.0);
    }

    /// Open connections in all.
    pub fn open_connections(&self) -> u64 {
        self.open.lock().expect("limits lock").connections
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn connections_are_counted_per_address_and_given_back() {
        let guard = Arc::new(Guard::new(
            Limits {
                connections_per_address: 2,
                ..Limits::default()
            },
            None,
        ));
        let a = guard.connect(ip("10.0.0.1")).expect("first");
        let _b = guard.connect(ip("10.0.0.1")).expect("second");
        assert!(guard.connect(ip("10.0.0.1")).is_none(), "third is refused");
        let _other = guard.connect(ip("10.0.0.2")).expect("another address");
        drop(a);
        assert!(guard.connect(ip("10.0.0.1")).is_some(), "a slot came back");
        assert_eq!(guard.open_connections(), 2);
    }

    #[test]
    fn a_connection_over_its_byte_rate_is_told_to_close() {
        let guard = Arc::new(Guard::new(
            Limits {
                read_burst_bytes: 1000,
                read_bytes_per_second: 1,
                ..Limits::default()
            },
            None,
        ));
        let mut slot = guard.connect(ip("10.0.0.1")).expect("slot");
        assert!(slot.read(600));
        assert!(slot.read(400));
        assert!(!slot.read(10), "the burst is spent");
    }

    #[test]
    fn the_open_files_limit_keeps_a_reserve() {
        let guard = Arc::new(Guard::new(
            Limits {
                fd_reserve: 100,
                ..Limits::default()
            },
            Some(103),
        ));
        let held: Vec<Slot> = (0..3)
            .map(|i| guard.connect(ip(&format!("10.0.0.{i}"))).expect("slot"))
            .collect();
        assert!(guard.connect(ip("10.0.0.9")).is_none());
        assert_eq!(held.len(), 3);
    }

    #[test]
    fn ipv6_addresses_count_one_by_one_and_mapped_ones_as_ipv4() {
        // Phones on one Wi-Fi share its /64: they must not share a budget.
        assert_ne!(
            address_key(ip("2001:db8:1:2:aaaa::1")),
            address_key(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_eq!(address_key(ip("::ffff:10.0.0.1")), ip("10.0.0.1"));
    }

    #[test]
    fn unknown_codes_run_out_and_other_addresses_are_not_charged() {
        let guard = Guard::new(
            Limits {
                unknown_codes: Rate::new(3, Duration::from_secs(3600)),
                ..Limits::default()
            },
            None,
        );
        for _ in 0..3 {
            assert!(guard.may_guess(ip("10.0.0.1")));
            guard.wrong_guess(ip("10.0.0.1"));
        }
        assert!(!guard.may_guess(ip("10.0.0.1")));
        assert!(guard.may_guess(ip("10.0.0.2")));
        assert!(
            guard.may_add_participant(ip("10.0.0.1")),
            "separate budgets"
        );
    }

    #[test]
    fn an_address_is_forgotten_once_its_budgets_have_refilled() {
        let slow = Guard::new(
            Limits {
                new_participants: Rate::new(2, Duration::from_secs(3600)),
                ..Limits::default()
            },
            None,
        );
        slow.participant_added(ip("10.0.0.1"));
        slow.sweep();
        assert_eq!(slow.remembered_addresses(), 1, "its budget is not full yet");
        let fast = Guard::new(
            Limits {
                new_participants: Rate::new(2, Duration::from_nanos(1)),
                ..Limits::default()
            },
            None,
        );
        fast.participant_added(ip("10.0.0.1"));
        fast.sweep();
        assert_eq!(fast.remembered_addresses(), 0, "a full budget is no entry");
    }

    #[test]
    fn the_addresses_remembered_are_bounded() {
        let guard = Guard::new(
            Limits {
                unknown_codes: Rate::new(3, Duration::from_secs(3600)),
                ..Limits::default()
            },
            None,
        );
        for n in 0..(MAX_ADDRESSES as u32 + 10) {
            guard.wrong_guess(IpAddr::V6(std::net::Ipv6Addr::from(n as u128 + 1)));
        }
        assert!(guard.remembered_addresses() <= MAX_ADDRESSES);
        // The newest address is charged, not forgotten.
        let newest = IpAddr::V6(std::net::Ipv6Addr::from(MAX_ADDRESSES as u128 + 10));
        guard.wrong_guess(newest);
        guard.wrong_guess(newest);
        guard.wrong_guess(newest);
        assert!(!guard.may_guess(newest));
    }
}
