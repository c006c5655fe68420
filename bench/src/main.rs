//! `pejling-load`: a load benchmark for a whole school hall on one laptop.
//!
//! Starts the server as a child process (this same binary in server mode) on loopback with
//! a fresh data file, connects N simulated participants over real WebSockets, and runs:
//! all join; the facilitator opens a single-choice question; everyone answers; then a
//! second question where everyone changes the answer twice. It prints the figures and a
//! last line of `key=value` pairs (see `docs/performance.md`). `--soak-seconds S` adds a
//! phase where every participant keeps changing its answer for S seconds while the
//! server's memory is sampled.
//!
//! *lost* counts acknowledged answers missing from the database or from the
//! facilitator's final tally; *duplicated* counts answers counted more than once (rows
//! or tally counts beyond one per participant). The benchmark is a program, not a test:
//! it asserts nothing about time.
//!
//! `server` runs and measures the server child, `phone` is one simulated phone (and the
//! WebSocket helpers the facilitator shares), `run` is the scenario and its checks.

mod memory;
mod overview;
mod phone;
mod run;
mod server;

use std::path::PathBuf;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Load benchmark: N simulated participants against a local pejling server")]
struct Args {
    /// Simulated participants (phones) to connect.
    #[arg(long, default_value_t = 2000)]
    participants: usize,
    /// Simulated clicker devices beside the phones, voting through the server's loopback
    /// bridge port (`pejling simulate-clickers`, with a little loss, duplication and
    /// reordering); each answers both questions once.
    #[arg(long, default_value_t = 0)]
    clickers: usize,
    /// After the two questions, every participant keeps changing its answer for this many
    /// seconds while the server's memory is sampled every 5 s.
    #[arg(long, default_value_t = 0)]
    soak_seconds: u64,
    /// Connections opened at the same time while joining.
    #[arg(long, default_value_t = 500)]
    connect_concurrency: usize,
    /// The first question's answers are spread uniformly over this many milliseconds
    /// after it opens, as people tap (0: everyone at once).
    #[arg(long, default_value_t = 0)]
    answer_spread_ms: u64,
    /// Joins are spread uniformly over this many milliseconds (0: as fast as the
    /// connection limit lets them).
    #[arg(long, default_value_t = 0)]
    join_spread_ms: u64,
    /// Instead of the hall: a coordinator's laptop with this many consultants' school
    /// years imported (170 sessions each); measures the overview, the period report, a
    /// one-month overview and a class of 25 answering beside them (`overview.rs`).
    #[arg(long)]
    overview: Option<usize>,
    /// With `--overview`: requests timed per kind of request.
    #[arg(long, default_value_t = 50)]
    requests: usize,
    /// With `--overview`: seconds the class answers alone, and again beside the
    /// coordinator.
    #[arg(long, default_value_t = 20)]
    class_seconds: u64,
    /// Instead of the hall: run `--sessions` short sessions and connections from
    /// `--addresses` distinct addresses, and print the server's memory before, at its
    /// peak, after, and after the idle wait (`docs/performance.md`, *Memory*).
    #[arg(long)]
    memory_soak: bool,
    /// Sessions created, joined by three phones, answered and ended (`--memory-soak`).
    #[arg(long, default_value_t = 2000)]
    sessions: usize,
    /// Distinct client addresses that each connect and try a join code
    /// (`--memory-soak`).
    #[arg(long, default_value_t = 100_000)]
    addresses: usize,
    /// Rounds of sessions, addresses and idle wait in one server run (`--memory-soak`):
    /// memory after the second round against the first shows whether runs add up.
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Internal: run as the server child process.
    #[arg(long, hide = true)]
    internal_serve: Option<PathBuf>,
    /// Internal: the server child runs with the memory soak's short timings.
    #[arg(long, hide = true)]
    internal_memory: bool,
}

fn main() {
    let args = Args::parse();
    // 10,000 sockets on each side need more than the usual 1,024 open files.
    let nofile = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0);
    if let Some(dir) = args.internal_serve {
        let limits = if args.internal_memory {
            memory::limits()
        } else {
            // The server's own defaults: the simulated phones each have their own address.
            pejling::limits::Limits::default()
        };
        return server::serve_child(&dir, args.clickers > 0, limits);
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    if let Some(years) = args.overview {
        return runtime.block_on(overview::run(years, args.requests, args.class_seconds));
    }
    if args.memory_soak {
        return runtime.block_on(memory::run(
            args.sessions,
            args.addresses,
            args.rounds.max(1),
        ));
    }
    runtime.block_on(run::run(args, nofile));
}
