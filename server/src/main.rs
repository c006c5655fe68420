//! The `pejling` binary: parses the command line and wires the library together.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// pejling: a local classroom clicker and social-norms polling server.
///
/// Pupils and parents answer anonymously from their phones; the projector shows the
/// group's real numbers next to its guesses. Everything runs on this machine; no
/// internet, no accounts.
#[derive(Parser, Debug)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Options for `serve`, which runs when no subcommand is given.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Validate question-set files; prints `path:line:col: message` per problem and
    /// exits 1 if any file has problems.
    Check {
        /// Files or folders of `*.toml` question sets.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// List the sessions stored in the data file.
    Sessions {
        /// The data file [default: pejling.db in the user's data folder].
        #[arg(long, value_name = "PATH")]
        data: Option<PathBuf>,
    },
    /// Simulated clicker devices for demos and tests: connects to a running server's
    /// bridge port (`pejling serve --clicker tcp`) and answers every question it sees
    /// opened, losing, duplicating and reordering messages as a radio might.
    SimulateClickers {
        /// The server's bridge port.
        #[arg(long, default_value = "127.0.0.1:8081")]
        connect: std::net::SocketAddr,
        /// Number of devices.
        #[arg(long, default_value_t = 30)]
        devices: usize,
        /// Probability (0-1) that a vote or an acknowledgement is lost.
        #[arg(long, default_value_t = 0.1)]
        loss: f64,
        /// Probability (0-1) that a vote is sent twice.
        #[arg(long, default_value_t = 0.05)]
        duplicate: f64,
        /// Probability (0-1) that a vote arrives after a later one.
        #[arg(long, default_value_t = 0.05)]
        reorder: f64,
        /// Probability (0-1) that a device changes its answer once.
        #[arg(long, default_value_t = 0.2)]
        change: f64,
        /// Seed of the random choices, so a run can be repeated.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Stop after this many questions (0: until the server goes away).
        #[arg(long, default_value_t = 0)]
        questions: usize,
    },
    /// Export a session's aggregates: a printable HTML report with charts, a CSV of
    /// figures, or one PNG chart per question. Results below the anonymity minimum are
    /// left out; no individual answer is ever exported.
    Export {
        /// The session's id or join code (see `pejling sessions`).
        session: String,
        /// What to write.
        #[arg(long, value_enum, default_value = "html")]
        format: ExportFormat,
        /// How the CSV is written: `danish` for Danish Excel (semicolons, decimal commas,
        /// a UTF-8 byte-order mark) or `international` (commas, decimal points); the
        /// columns are the same.
        #[arg(long, value_enum, default_value = "danish")]
        csv: CsvFormat,
        /// The folder to write into (created if missing).
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
        /// The data file [default: pejling.db in the user's data folder].
        #[arg(long, value_name = "PATH")]
        data: Option<PathBuf>,
        /// Answers a question needs before its results are exported, for sets without
        /// their own `min_answers` [default: what the session was run with].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
        min_answers: Option<u32>,
    },
}

/// `pejling export --format`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    Html,
    Csv,
    Png,
}

/// `pejling export --csv`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum CsvFormat {
    Danish,
    International,
}

fn export_format(format: ExportFormat, csv: CsvFormat) -> pejling::export::Format {
    use pejling::report::CsvStyle;
    match format {
        ExportFormat::Html => pejling::export::Format::Html,
        ExportFormat::Csv => pejling::export::Format::Csv(match csv {
            CsvFormat::Danish => CsvStyle::Danish,
            CsvFormat::International => CsvStyle::International,
        }),
        ExportFormat::Png => pejling::export::Format::Png,
    }
}

#[derive(Args, Debug, Clone)]
struct ServeArgs {
    /// Address to listen on; 0.0.0.0 lets phones on the same network reach the server.
    #[arg(long, default_value = "0.0.0.0")]
    bind: IpAddr,
    /// Port to listen on [default: 8080, or a free one near it if 8080 is taken]; 0
    /// picks a free one. A port given here that is taken is an error.
    #[arg(long)]
    port: Option<u16>,
    /// The data file, created on first start [default: pejling.db in the user's data
    /// folder].
    #[arg(long, value_name = "PATH")]
    data: Option<PathBuf>,
    /// The folder of your own question sets (`*.toml`) beside the built-in library, where
    /// the console's editor saves them; a set with the id of a built-in set replaces it
    /// [default: `sets/` beside the data file].
    #[arg(long, value_name = "DIR")]
    questions: Option<PathBuf>,
    /// Base URL used in join links and QR codes [default: http://<LAN address>:<port>].
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// The facilitator's token (at least 8 characters) [default: the one in the key file
    /// beside the data file, made at the first start and kept].
    #[arg(
        long,
        env = "PEJLING_HOST_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    host_token: Option<String>,
    /// Answers a question needs (abstentions not counted) before any result of it is
    /// shown, sent to a screen or exported; a set's own `min_answers` takes precedence.
    #[arg(long, value_name = "N", default_value_t = pejling_core::results::DEFAULT_MIN_ANSWERS,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    min_answers: u32,
    /// A gap between perceived and actual share of at most this many percentage points
    /// is named "social overensstemmelse".
    #[arg(long, value_name = "PP", default_value_t = 10.0)]
    agreement_pp: f64,
    /// Clicker receivers (repeatable): `serial` finds a micro:bit receiver by its USB ids,
    /// `serial:/dev/ttyACM0` uses that port, `tcp[:PORT]` listens on 127.0.0.1 (default
    /// port 8081) for bridge programs, `exec:"COMMAND"` runs a bridge program and talks
    /// to it on its stdin/stdout. See docs/protocol.md, "Bridge protocol".
    #[arg(long = "clicker", value_name = "SPEC")]
    clickers: Vec<pejling::clicker::ClickerSpec>,
    /// Open connections (pages and WebSockets) one client address may hold. Raise it when
    /// many phones reach the server through one address (a hosted server behind a
    /// school's NAT).
    #[arg(long, value_name = "N", default_value_t = pejling::limits::Limits::default().connections_per_address,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_connections_per_address: u32,
    /// Join codes matching no running session, and wrong host or screen tokens (on the
    /// WebSocket and every staff HTTP route), that one client address may try per minute
    /// (guessing).
    #[arg(long, value_name = "N", default_value_t = pejling::limits::Limits::default().unknown_codes.burst,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_unknown_codes: u32,
    /// New participants one client address may add at once; one more every 5 minutes.
    #[arg(long, value_name = "N", default_value_t = pejling::limits::Limits::default().new_participants.burst,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_new_participants: u32,
    /// Timings for tests and the soak benchmark (hidden: no one else needs them), in
    /// milliseconds: how often sockets are pinged, after how much silence one is closed,
    /// how long a request's headers may take, how often forgotten addresses are swept and
    /// limit counts logged, and how long an unused session stays in memory.
    #[arg(long, value_name = "MS", hide = true)]
    ping_interval_ms: Option<u64>,
    #[arg(long, value_name = "MS", hide = true)]
    ping_timeout_ms: Option<u64>,
    #[arg(long, value_name = "MS", hide = true)]
    header_timeout_ms: Option<u64>,
    #[arg(long, value_name = "MS", hide = true)]
    sweep_interval_ms: Option<u64>,
    #[arg(long, value_name = "MS", hide = true)]
    session_idle_ms: Option<u64>,
    /// Do not open the facilitator page in the default browser at start.
    #[arg(long, env = "PEJLING_NO_BROWSER", value_parser = clap::builder::BoolishValueParser::new())]
    no_browser: bool,
}

/// The port of `pejling serve` without `--port`.
const DEFAULT_PORT: u16 = 8080;

fn default_data_file() -> PathBuf {
    directories::ProjectDirs::from("dk", "pejling", "pejling")
        .map(|dirs| dirs.data_dir().join("pejling.db"))
        .unwrap_or_else(|| PathBuf::from("pejling.db"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Check { paths }) => check(&paths),
        Some(Command::Sessions { data }) => sessions(data.unwrap_or_else(default_data_file)),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::SimulateClickers {
            connect,
            devices,
            loss,
            duplicate,
            reorder,
            change,
            seed,
            questions,
        }) => simulate_clickers(
            connect,
            pejling::clicker::simulate::Options {
                devices,
                loss,
                duplicate,
                reorder,
                change,
                seed,
                questions,
            },
        ),
        Some(Command::Export {
            session,
            format,
            csv,
            out,
            data,
            min_answers,
        }) => export(
            data.unwrap_or_else(default_data_file),
            &session,
            export_format(format, csv),
            &out,
            min_answers,
        ),
        None => {
            // Started with no arguments, as a double-click in Explorer starts it: if it
            // cannot run, keep the window open until the message is read.
            let double_clicked = std::env::args_os().len() == 1;
            let code = serve(cli.serve);
            if double_clicked && code != ExitCode::SUCCESS {
                wait_for_enter();
            }
            code
        }
    }
}

/// Waits for Enter when a person is at the console, so a window that would close with the
/// program stays open until its last message is read.
fn wait_for_enter() {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprintln!("Tryk Enter for at lukke vinduet.");
        let _ = std::io::stdin().read_line(&mut String::new());
    }
}

fn check(paths: &[PathBuf]) -> ExitCode {
    let reports = pejling::library::check_paths(paths);
    if reports.is_empty() {
        return ExitCode::SUCCESS;
    }
    for line in reports.iter().flat_map(|report| report.lines()) {
        println!("{line}");
    }
    ExitCode::FAILURE
}

fn simulate_clickers(
    connect: std::net::SocketAddr,
    options: pejling::clicker::simulate::Options,
) -> ExitCode {
    for (name, p) in [
        ("--loss", options.loss),
        ("--duplicate", options.duplicate),
        ("--reorder", options.reorder),
        ("--change", options.change),
    ] {
        if !(0.0..1.0).contains(&p) {
            eprintln!("pejling: {name} must be at least 0 and below 1, found {p}");
            return ExitCode::FAILURE;
        }
    }
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async move {
        let (done, mut finished) = tokio::sync::mpsc::unbounded_channel();
        let printer = tokio::spawn(async move {
            while let Some(truth) = finished.recv().await {
                let truth: pejling::clicker::simulate::QuestionTruth = truth;
                let counts: Vec<String> = truth
                    .counts()
                    .iter()
                    .map(|(answer, n)| format!("{answer}={n}"))
                    .collect();
                println!(
                    "question {}: {} devices answered ({}); votes sent {}, lost {}, duplicated {}, reordered {}, retries {}, acks lost {}",
                    truth.number,
                    truth.answers.len(),
                    counts.join(" "),
                    truth.votes_sent,
                    truth.votes_lost,
                    truth.votes_duplicated,
                    truth.votes_reordered,
                    truth.retries,
                    truth.acks_lost
                );
            }
        });
        println!(
            "{} simulated clickers → {connect}; waiting for questions (Ctrl-C stops)",
            options.devices
        );
        let result = pejling::clicker::simulate::run(connect, options, Some(done)).await;
        let _ = printer.await;
        match result {
            Ok(_) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("pejling: cannot reach the bridge port {connect}: {error} (start the server with --clicker tcp)");
                ExitCode::FAILURE
            }
        }
    })
}

fn export(
    data: PathBuf,
    session: &str,
    format: pejling::export::Format,
    out: &std::path::Path,
    min_answers: Option<u32>,
) -> ExitCode {
    if !data.exists() {
        eprintln!("pejling: no data file at {}", data.display());
        return ExitCode::FAILURE;
    }
    let result = pejling::store::Store::open(&data)
        .map_err(|error| format!("cannot open {}: {error}", data.display()))
        .and_then(|store| {
            let stored = store
                .find(session)
                .map_err(|error| error.to_string())?
                .ok_or_else(|| {
                    format!(
                        "no session with id or code \"{session}\" in {}; `pejling sessions` lists them",
                        data.display()
                    )
                })?;
            pejling::report::exportable(&stored).map_err(|refused| refused.to_string())?;
            // A parents' session: the linked pupil sessions.
            let linked = store
                .load_linked(&stored.links)
                .map_err(|error| error.to_string())?;
            // The thresholds the session was run with, so this report names the same
            // patterns as the console's.
            let mut thresholds = stored.thresholds.unwrap_or_default();
            if let Some(min_answers) = min_answers {
                thresholds.min_answers = min_answers;
            }
            // A follow-up: the earlier session it compares with.
            let earlier = match &stored.meta.follow_up_of {
                Some(id) => store.load(id).map_err(|error| error.to_string())?,
                None => None,
            };
            let report = pejling::report::SessionReport::new(stored.clone(), linked, thresholds);
            let report = match &earlier {
                Some(before) => {
                    report.with_follow_up(before, &stored, &jiff::tz::TimeZone::system())
                }
                None => report,
            };
            pejling::export::write(&report, format, out).map_err(|error| error.to_string())
        });
    match result {
        Ok(files) => {
            for file in files {
                println!("{}", file.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("pejling: {error}");
            ExitCode::FAILURE
        }
    }
}

fn sessions(data: PathBuf) -> ExitCode {
    if !data.exists() {
        eprintln!("pejling: no data file at {}", data.display());
        return ExitCode::FAILURE;
    }
    let store = match pejling::store::Store::open(&data) {
        Ok(store) => store,
        Err(error) => {
            eprintln!("pejling: cannot open {}: {error}", data.display());
            return ExitCode::FAILURE;
        }
    };
    let sessions = match store.list_sessions() {
        Ok(sessions) => sessions,
        Err(error) => {
            eprintln!("pejling: cannot read sessions: {error}");
            return ExitCode::FAILURE;
        }
    };
    if sessions.is_empty() {
        println!("no sessions stored in {}", data.display());
        return ExitCode::SUCCESS;
    }
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    println!(
        "{:<16}  {:<16}  {:<8}  {:>12}  {:<24}  name",
        "id", "date (UTC)", "phase", "participants", "set"
    );
    for session in sessions {
        let date = time::OffsetDateTime::from_unix_timestamp(session.created_at)
            .ok()
            .and_then(|date| date.format(&format).ok())
            .unwrap_or_else(|| session.created_at.to_string());
        let phase = serde_json::to_value(session.phase)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        println!(
            "{:<16}  {:<16}  {:<8}  {:>12}  {:<24}  {}",
            session.id,
            date,
            phase,
            session.participants,
            session.set_id,
            // The label, else class and school, else the join code.
            pejling_core::engine::session_name(
                session.label.as_deref(),
                &session.description,
                &session.code
            )
        );
    }
    ExitCode::SUCCESS
}

/// What to do next, in Danish, for the consultant in front of the laptop.
fn next_steps(url: &str, opened: bool) -> String {
    let console = if opened {
        "Facilitator-siden er åbnet i din browser."
    } else {
        "Åbn linket ud for «Facilitator» ovenfor i din browser."
    };
    format!(
        "\nSådan kommer I i gang:\n  \
         1. {console}\n  \
         2. Eleverne åbner {url}/ på deres telefon eller scanner QR-koden på skærmen.\n     \
            Telefonerne skal være på samme netværk som denne computer: skolens wifi\n     \
            eller computerens mobile hotspot.\n  \
         3. Kan telefonerne ikke komme ind? Spørger Windows Firewall, så tillad pejling på\n     \
            private netværk. Tjek at telefonen er på samme wifi eller hotspot som\n     \
            computeren, og at adressen i telefonens browser starter med {url}.\n\n\
         Luk dette vindue for at stoppe pejling (eller tryk Ctrl-C).\n"
    )
}

/// Opens the facilitator page in the default browser, over loopback when the server
/// listens there; says whether it could.
fn open_console(running: &pejling::Running) -> bool {
    let base = if running.addr.ip().is_unspecified() || running.addr.ip().is_loopback() {
        format!("http://127.0.0.1:{}", running.addr.port())
    } else {
        running.public_url.clone()
    };
    match webbrowser::open(&format!("{base}/host#token={}", running.host_token)) {
        Ok(()) => true,
        Err(error) => {
            tracing::info!("could not open a browser: {error}");
            false
        }
    }
}

/// A hidden option's milliseconds (at least 1), or the default.
fn ms_or(ms: Option<u64>, default: std::time::Duration) -> std::time::Duration {
    ms.map_or(default, |ms| std::time::Duration::from_millis(ms.max(1)))
}

fn serve(args: ServeArgs) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "pejling=info".into()),
        )
        .with_writer(std::io::stderr)
        // Colours only where they show as colours: a terminal, and not Windows' console,
        // which prints the escape codes unless told otherwise.
        .with_ansi(cfg!(not(windows)) && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    // Every phone is an open socket. The usual soft limit of 1,024 open files would refuse
    // a big hall, so raise it to the hard limit the system allows (docs/performance.md).
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!("open-files limit: {limit}"),
        Err(error) => tracing::warn!("could not raise the open-files limit: {error}"),
    }
    if !(0.0..=100.0).contains(&args.agreement_pp) {
        eprintln!(
            "pejling: --agreement-pp must be between 0 and 100, found {}",
            args.agreement_pp
        );
        return ExitCode::FAILURE;
    }
    let config = pejling::Config {
        bind: args.bind,
        port: args.port.unwrap_or(DEFAULT_PORT),
        port_fallback: args.port.is_none(),
        data: args.data.unwrap_or_else(default_data_file),
        questions: args.questions,
        public_url: args.public_url,
        host_token: args.host_token,
        thresholds: pejling_core::results::Thresholds {
            min_answers: args.min_answers,
            agreement_pp: args.agreement_pp,
            ..pejling_core::results::Thresholds::default()
        },
        clickers: args.clickers,
        limits: {
            let defaults = pejling::limits::Limits::default();
            pejling::limits::Limits {
                connections_per_address: args.max_connections_per_address,
                unknown_codes: pejling::limits::Rate::new(
                    args.max_unknown_codes,
                    std::time::Duration::from_secs(60) / args.max_unknown_codes,
                ),
                new_participants: pejling::limits::Rate::new(
                    args.max_new_participants,
                    defaults.new_participants.every,
                ),
                ping_interval: ms_or(args.ping_interval_ms, defaults.ping_interval),
                ping_timeout: ms_or(args.ping_timeout_ms, defaults.ping_timeout),
                header_timeout: ms_or(args.header_timeout_ms, defaults.header_timeout),
                sweep_interval: ms_or(args.sweep_interval_ms, defaults.sweep_interval),
                session_idle: ms_or(args.session_idle_ms, defaults.session_idle),
                ..defaults
            }
        },
    };
    let no_browser = args.no_browser;
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async move {
        let running = match pejling::start(config).await {
            Ok(running) => running,
            Err(error) => {
                eprintln!("pejling: {error}");
                return ExitCode::FAILURE;
            }
        };
        for line in running.library_reports.iter().flat_map(|r| r.lines()) {
            eprintln!("advarsel (warning), spørgesæt udeladt (question set left out): {line}");
        }
        let url = &running.public_url;
        let banner = format!(
            "pejling {version} kører (is running)\n  \
             Facilitator:   {url}/host#token={token}\n  \
             Deltagere:     {url}/  (join code shown per session)\n  \
             Lytter på:     {addr}\n  \
             Data:          {data}\n  \
             Spørgesæt:     {sets} · egne i (own sets in) {folder}\n  \
             Genoptagne sessioner (resumed sessions): {resumed}\n",
            version = env!("CARGO_PKG_VERSION"),
            token = running.host_token,
            addr = running.addr,
            data = running.data.display(),
            sets = running.n_sets,
            folder = running.sets_folder.display(),
            resumed = running.resumed_sessions,
        );
        // A closed stdout (the terminal went away) must not stop a class session, so a
        // failed write is ignored rather than allowed to panic as println! would.
        let mut banner = banner;
        for addr in &running.clicker_addrs {
            banner.push_str(&format!(
                "  Clickere:      bro (bridge) på tcp {addr}, protokol PJ1\n"
            ));
        }
        let opened = !no_browser && open_console(&running);
        banner.push_str(&next_steps(url, opened));
        let mut stdout = std::io::stdout();
        let _ = stdout
            .write_all(banner.as_bytes())
            .and_then(|()| stdout.flush());
        running.run_until_ctrl_c().await;
        ExitCode::SUCCESS
    })
}
