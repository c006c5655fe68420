//! Limits that keep one device on the classroom Wi-Fi from locking others out: open
//! connections per client address, join codes that find nothing (guessing), and new
//! participants per address; timeouts for HTTP headers and silent WebSockets. Counts live
//! in memory only and are never stored. Each limit is logged the first time it is hit,
//! not per event. The values (`Limits::default`) are far above what a class, a school
//! hall of 2,000 or the load benchmark's 10,000 phones (spread over loopback addresses)
//! need; `docs/protocol.md` lists them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
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
                "a WebSocket was silent for {} s and was closed (the device left)",
                limits.ping_timeout.as_secs()
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
                "an HTTP connection sent no complete request within {} s and was closed",
                limits.header_timeout.as_secs()
            ),
        }
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

/// Per-address counts and buckets, in memory.
pub struct Guard {
    limits: Limits,
    /// Most open connections in all (the open-files limit less the reserve).
    max_connections: u64,
    /// `limits.read_*` as a bucket rate (one byte regained per interval).
    read_rate: Rate,
    open: Mutex<(u64, HashMap<IpAddr, Entry>)>,
    logged: [AtomicBool; Limit::ALL],
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
    address: IpAddr,
    read: Bucket,
}

impl Slot {
    /// Counts `bytes` just read from the connection; `false` when it is over its byte
    /// rate and must be closed.
    pub fn read(&mut self, bytes: usize) -> bool {
        self.read.refill(self.guard.read_rate, Instant::now());
        self.read.tokens -= bytes as f64;
        if self.read.tokens < 0.0 {
            self.guard.hit(Limit::ReadRate, Some(self.address));
            return false;
        }
        true
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let now = Instant::now();
        let mut open = self.guard.open.lock().expect("limits lock");
        open.0 -= 1;
        if let Some(entry) = open.1.get_mut(&self.key) {
            entry.connections -= 1;
            if entry.connections == 0
                && entry
                    .unknown_codes
                    .is_full(self.guard.limits.unknown_codes, now)
                && entry
                    .new_participants
                    .is_full(self.guard.limits.new_participants, now)
            {
                open.1.remove(&self.key);
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
            open: Mutex::new((0, HashMap::new())),
            logged: Default::default(),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Says in the log that `limit` was hit, the first time only.
    pub fn hit(&self, limit: Limit, address: Option<IpAddr>) {
        if !self.logged[limit as usize].swap(true, Ordering::Relaxed) {
            let from = address
                .map(|a| format!(" (first from {a})"))
                .unwrap_or_default();
            tracing::warn!(
                "limit reached{from}: {}; this is logged once",
                limit.describe(&self.limits)
            );
        }
    }

    /// A slot for a new connection from `address`, or `None` when it must be refused.
    pub fn connect(self: &std::sync::Arc<Self>, address: IpAddr) -> Option<Slot> {
        let key = address_key(address);
        let now = Instant::now();
        let refused = {
            let mut open = self.open.lock().expect("limits lock");
            if open.0 >= self.max_connections {
                Some(Limit::Connections)
            } else {
                let entry = open.1.entry(key).or_insert_with(|| self.new_entry(now));
                if entry.connections >= self.limits.connections_per_address {
                    Some(Limit::ConnectionsPerAddress)
                } else {
                    entry.connections += 1;
                    open.0 += 1;
                    None
                }
            }
        };
        match refused {
            Some(limit) => {
                self.hit(limit, Some(address));
                None
            }
            None => Some(Slot {
                guard: self.clone(),
                key,
                address,
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
        let Some(entry) = open.1.get_mut(&address_key(address)) else {
            return true;
        };
        let bucket = bucket(entry);
        bucket.refill(rate, now);
        bucket.tokens >= 1.0
    }

    fn charge(&self, address: IpAddr, bucket: fn(&mut Entry) -> &mut Bucket, rate: Rate) {
        let now = Instant::now();
        let mut open = self.open.lock().expect("limits lock");
        let entry = open
            .1
            .entry(address_key(address))
            .or_insert_with(|| self.new_entry(now));
        let bucket = bucket(entry);
        bucket.refill(rate, now);
        // At most one event of debt, so a limited address is let in again after one
        // interval, however long it kept trying.
        bucket.tokens = (bucket.tokens - 1.0).max(-1.0);
    }

    /// Open connections in all.
    pub fn open_connections(&self) -> u64 {
        self.open.lock().expect("limits lock").0
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
}
