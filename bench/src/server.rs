//! The server child process: the library's server on loopback with a fresh data file,
//! started as this same binary in server mode so that its memory and CPU are its own, and
//! read from `/proc` while the run goes on.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The facilitator's token the server child is started with.
pub const HOST_TOKEN: &str = "load-benchmark-host-token";

/// The server child: the library's `start` on loopback, printing its address.
pub fn serve_child(dir: &Path, clickers: bool, limits: pejling::limits::Limits) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let running = pejling::start(pejling::Config {
            port_fallback: false,
            bind: [127, 0, 0, 1].into(),
            port: 0,
            data: dir.join("load.db"),
            questions: Some(dir.join("questions")),
            public_url: None,
            host_token: Some(HOST_TOKEN.to_string()),
            thresholds: pejling_core::results::Thresholds::default(),
            limits,
            clickers: if clickers {
                vec![pejling::clicker::ClickerSpec::Tcp(0)]
            } else {
                Vec::new()
            },
        })
        .await
        .expect("server starts");
        for bridge in &running.clicker_addrs {
            println!("BRIDGE={bridge}");
        }
        println!("ADDR={}", running.addr);
        running.run_until_ctrl_c().await;
    });
}

/// The running server child: its process, its address and its clicker bridge port (with
/// `--clickers`).
pub struct ServerProcess {
    pub child: Child,
    pub addr: SocketAddr,
    pub bridge: Option<SocketAddr>,
}

impl ServerProcess {
    pub fn start(dir: &Path, clickers: usize) -> ServerProcess {
        ServerProcess::spawn(dir, clickers, false)
    }

    /// The server child with the memory soak's short timings (`memory.rs`).
    pub fn start_for_memory(dir: &Path) -> ServerProcess {
        ServerProcess::spawn(dir, 0, true)
    }

    fn spawn(dir: &Path, clickers: usize, memory: bool) -> ServerProcess {
        let mut child = Command::new(std::env::current_exe().expect("own path"))
            .arg("--internal-serve")
            .arg(dir)
            .args(["--clickers", &clickers.to_string()])
            .args(memory.then_some("--internal-memory"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the server");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut bridge = None;
        let addr = loop {
            let line = lines
                .next()
                .expect("server prints its address")
                .expect("read");
            if let Some(addr) = line.strip_prefix("BRIDGE=") {
                bridge = Some(addr.parse().expect("an address"));
            }
            if let Some(addr) = line.strip_prefix("ADDR=") {
                break addr.parse().expect("an address");
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        ServerProcess {
            child,
            addr,
            bridge,
        }
    }

    /// Peak resident memory (VmHWM) and current (VmRSS), in MB.
    pub fn memory_mb(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0)
        };
        (field("VmHWM:"), field("VmRSS:"))
    }

    /// User plus system CPU time so far, in seconds.
    pub fn cpu_s(&self) -> f64 {
        Cpu::of(self.child.id()).total()
    }

    /// Stops the server with Ctrl-C (SIGINT) so it closes the data file cleanly.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// A process's CPU time so far, in seconds, from `/proc/PID/stat`.
#[derive(Clone, Copy, Default)]
pub struct Cpu {
    user: f64,
    system: f64,
}

impl Cpu {
    fn of(pid: u32) -> Cpu {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Fields after the parenthesised command name; utime and stime are the 14th and
        // 15th fields of the line, in clock ticks (100 per second on Linux).
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        Cpu {
            user: ticks(11) / 100.0,
            system: ticks(12) / 100.0,
        }
    }

    fn total(self) -> f64 {
        self.user + self.system
    }

    pub fn since(self, earlier: Cpu) -> Cpu {
        Cpu {
            user: self.user - earlier.user,
            system: self.system - earlier.system,
        }
    }
}

impl std::fmt::Display for Cpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.2} s ({:.2} user, {:.2} system)",
            self.total(),
            self.user,
            self.system
        )
    }
}

/// CPU of the server and of the load generator at a point of the run.
#[derive(Clone, Copy, Default)]
pub struct CpuMark {
    pub server: Cpu,
    pub generator: Cpu,
}

impl CpuMark {
    pub fn now(server: &ServerProcess) -> CpuMark {
        CpuMark {
            server: Cpu::of(server.child.id()),
            generator: Cpu::of(std::process::id()),
        }
    }
}
