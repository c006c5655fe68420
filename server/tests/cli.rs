//! The `pejling` binary as a user runs it: `check`, `sessions`, a clear error when the
//! port is taken, and durability across `kill -9`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pejling_wire::{Action, Answer, ClientMessage, PROTOCOL_VERSION, Phase, ServerMessage};
use tokio_tungstenite::tungstenite::Message;

/// The binary, never opening a browser (tests run where people work).
fn pejling() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pejling"));
    command.env("PEJLING_NO_BROWSER", "1");
    command
}

fn repo_questions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../questions")
}

#[test]
fn check_accepts_the_question_library() {
    let output = pejling()
        .arg("check")
        .arg(repo_questions())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    assert!(output.status.success());
}

#[test]
fn check_reports_path_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "format = 1\nid = \"broken\"\ntitle = \"Broken\"\nlanguage = \"da\"\naudience = \"pupils\"\ngrades = [\"7\"]\n\n[[questions]]\nid = \"a\"\nkind = \"choice\"\ntext = \"Har du?\"\noptions = [\"Ja\", \"\"]\n\n[[questions]]\nid = \"a\"\nkind = \"percent\"\ntext = \"Hvor mange?\"\nperceives = { question = \"missing\", options = [0] }\n",
    )
    .unwrap();
    let syntax = dir.path().join("syntax.toml");
    std::fs::write(&syntax, "format = 1\nid = \"x\"\ntitle = \n").unwrap();
    let output = pejling()
        .arg("check")
        .arg(&broken)
        .arg(&syntax)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let b = broken.display();
    let s = syntax.display();
    let lines: Vec<String> = stdout.lines().map(String::from).collect();
    assert_eq!(
        lines,
        [
            format!("{b}:12:18: an entry of options must not be empty"),
            format!("{b}:15:6: duplicate question id \"a\", first defined at line 9, column 6"),
            format!("{b}:18:26: perceives unknown question id \"missing\""),
            format!("{s}:3:9: string values must be quoted, expected literal string"),
        ],
        "{stdout}"
    );
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let output = pejling()
        .args([
            "serve",
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--data",
        ])
        .arg(dir.path().join("data.db"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("port {port} on 127.0.0.1 is already in use")),
        "{stderr}"
    );
    assert!(stderr.contains("--port"), "{stderr}");
}

/// Started without `--port` (as a double-click starts it), a taken 8080 is no error: the
/// server listens on a free port near it and says where.
#[test]
fn a_taken_default_port_falls_back_to_a_free_one() {
    // Taken by this test, or already by something else on this machine.
    let _taken = std::net::TcpListener::bind("127.0.0.1:8080");
    assert!(
        std::net::TcpListener::bind("127.0.0.1:8080").is_err(),
        "port 8080 is taken"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut child = pejling()
        .args([
            "serve",
            "--bind",
            "127.0.0.1",
            "--host-token",
            "cli-test-token",
            "--max-new-participants",
            "1000",
            "--data",
        ])
        .arg(dir.path().join("data.db"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let addr: SocketAddr = loop {
        let line = lines.next().expect("server prints its address").unwrap();
        printed.push(line.clone());
        if let Some(addr) = line.trim().strip_prefix("Lytter på:") {
            break addr.trim().parse().unwrap();
        }
    };
    // The rest of the banner: what to do next, in Danish.
    for line in lines.by_ref() {
        let line = line.unwrap();
        let last = line.starts_with("Luk dette vindue");
        printed.push(line);
        if last {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    assert_ne!(addr.port(), 8080);
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let banner = printed.join("\n");
    assert!(banner.contains("Sådan kommer I i gang"), "{banner}");
    assert!(
        banner.contains(&format!("Eleverne åbner http://127.0.0.1:{}/", addr.port())),
        "{banner}"
    );
    assert!(banner.contains("samme netværk"), "{banner}");
    assert!(banner.contains("Windows Firewall"), "{banner}");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Starts `pejling serve` and reads the address it prints.
fn serve(data: &Path) -> (Child, SocketAddr) {
    serve_with(data, &[])
}

/// `serve` with more options.
fn serve_with(data: &Path, options: &[&str]) -> (Child, SocketAddr) {
    let mut child = pejling()
        .args([
            "serve",
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
            "--host-token",
            "cli-test-token",
        ])
        .args(options)
        .arg("--data")
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().expect("server prints its address").unwrap();
        if let Some(addr) = line.trim().strip_prefix("Lytter på:") {
            break addr.trim().parse().unwrap();
        }
    };
    // Keep reading so the server never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr)
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(addr: SocketAddr, hello: ClientMessage) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    send(&mut ws, &hello).await;
    ws
}

async fn send(ws: &mut Ws, message: &ClientMessage) {
    ws.send(Message::text(serde_json::to_string(message).unwrap()))
        .await
        .unwrap();
}

async fn recv_until<T>(ws: &mut Ws, mut pick: impl FnMut(ServerMessage) -> Option<T>) -> T {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("message within the timeout")
            .unwrap()
            .unwrap();
        if let Message::Text(text) = frame
            && let Some(found) = pick(serde_json::from_str(text.as_str()).unwrap())
        {
            return found;
        }
    }
}

/// Creates a session of the 7th-grade set and returns it.
async fn create_session(facilitator: &mut Ws, label: &str) -> pejling_wire::SessionInfo {
    send(
        facilitator,
        &ClientMessage::CreateSession {
            set_id: "7-klasse-alkohol".into(),
            label: Some(label.into()),
            description: Default::default(),
            linked_sessions: Vec::new(),
            rehearsal: false,
            follow_up_of: None,
        },
    )
    .await;
    recv_until(facilitator, |m| match m {
        ServerMessage::SessionState(state) => Some(state.session),
        _ => None,
    })
    .await
}

/// Waits for the welcome; an error instead fails the test with its code and message.
async fn welcomed(ws: &mut Ws) {
    recv_until(ws, |m| match m {
        ServerMessage::Welcome { .. } => Some(()),
        ServerMessage::Error { code, message } => panic!("{code:?}: {message}"),
        _ => None,
    })
    .await
}

fn host() -> ClientMessage {
    ClientMessage::Host {
        version: PROTOCOL_VERSION,
        host_token: "cli-test-token".into(),
    }
}

#[tokio::test]
async fn acknowledged_answers_survive_kill_9_and_sessions_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.db");
    let (mut child, addr) = serve(&data);

    let mut facilitator = connect(addr, host()).await;
    let session = create_session(&mut facilitator, "7.a kill").await;
    // Open the first question, then move to the second (a non-sensitive percent estimate).
    for action in [Action::Open, Action::Next] {
        send(&mut facilitator, &ClientMessage::Control { action }).await;
    }
    let question_id = recv_until(&mut facilitator, |m| match m {
        ServerMessage::SessionState(state) if state.current.as_ref()?.index == 1 => {
            Some(state.current?.id)
        }
        _ => None,
    })
    .await;

    let mut tokens = Vec::new();
    for value in [10u32, 20, 30, 40, 50] {
        let mut device = connect(
            addr,
            ClientMessage::Join {
                version: PROTOCOL_VERSION,
                code: session.code.clone(),
                token: None,
            },
        )
        .await;
        let token = recv_until(&mut device, |m| match m {
            ServerMessage::Welcome { token, .. } => token,
            _ => None,
        })
        .await;
        send(
            &mut device,
            &ClientMessage::SubmitAnswer {
                question_id: question_id.clone(),
                answer: Answer::Percent { value },
            },
        )
        .await;
        recv_until(&mut device, |m| match m {
            ServerMessage::AnswerAccepted { .. } => Some(()),
            ServerMessage::Error { code, message } => panic!("{code:?}: {message}"),
            _ => None,
        })
        .await;
        tokens.push(token);
    }

    // SIGKILL: no shutdown code runs. Every acknowledged answer must be on disk.
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, addr) = serve(&data);
    let mut facilitator = connect(addr, host()).await;
    send(
        &mut facilitator,
        &ClientMessage::AttachSession {
            session_id: session.id.clone(),
        },
    )
    .await;
    // The estimates show once revealed (the first step of the comparison).
    send(
        &mut facilitator,
        &ClientMessage::Control {
            action: Action::Reveal,
        },
    )
    .await;
    let tally = recv_until(&mut facilitator, |m| match m {
        ServerMessage::Tally(tally)
            if tally.question.as_ref().is_some_and(|q| q.result.is_some()) =>
        {
            Some(tally.clone())
        }
        _ => None,
    })
    .await;
    assert_eq!(tally.participants, 5);
    let question = tally.question.unwrap();
    assert_eq!(question.answered, 5);
    let Some(pejling_wire::TallyResult {
        distribution: pejling_wire::Distribution::Percent { mean, median, .. },
        ..
    }) = question.result
    else {
        panic!("percent result")
    };
    assert_eq!((mean, median), (Some(30.0), Some(30.0)));

    let mut device = connect(
        addr,
        ClientMessage::Join {
            version: PROTOCOL_VERSION,
            code: session.code.clone(),
            token: Some(tokens[0].clone()),
        },
    )
    .await;
    let state = recv_until(&mut device, |m| match m {
        ServerMessage::State(state) => Some(state),
        _ => None,
    })
    .await;
    assert!(state.answered, "the device resumes as itself");
    child.kill().unwrap();
    child.wait().unwrap();

    let output = pejling()
        .arg("sessions")
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let row = stdout
        .lines()
        .find(|line| line.contains(&session.id))
        .expect("session listed");
    assert!(
        row.contains("7-klasse-alkohol") && row.contains("7.a kill"),
        "{row}"
    );
    assert!(
        row.split_whitespace().any(|field| field == "5"),
        "participants: {row}"
    );

    // Export by join code (lower case as typed) into a new folder.
    let out = dir.path().join("rapport");
    for format in ["html", "csv", "png"] {
        let output = pejling()
            .args([
                "export",
                &session.code.to_lowercase(),
                "--format",
                format,
                "--out",
            ])
            .arg(&out)
            .arg("--data")
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let printed = String::from_utf8_lossy(&output.stdout);
        assert!(printed.lines().count() >= 1, "prints the files written");
    }
    let files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let csv_name = files.iter().find(|f| f.ends_with(".csv")).expect("a CSV");
    let csv = std::fs::read_to_string(out.join(csv_name)).unwrap();
    // The five estimates 10..50: mean 30, and the set's share question has no answers.
    // Written for Danish Excel by default: a byte-order mark, semicolons, decimal commas.
    assert!(csv.starts_with('\u{feff}'), "{csv}");
    assert!(csv.contains(&format!(";{question_id};")), "{csv}");
    assert!(csv.contains("mean;;30,00"), "{csv}");
    let international = dir.path().join("international");
    let output = pejling()
        .args([
            "export",
            &session.id,
            "--format",
            "csv",
            "--csv",
            "international",
        ])
        .arg("--out")
        .arg(&international)
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(output.status.success());
    let csv_file = std::fs::read_dir(&international)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let international = std::fs::read_to_string(csv_file.path()).unwrap();
    assert!(international.contains("mean,,30.00"), "{international}");
    assert!(files.iter().any(|f| f.ends_with(".html")));
    assert!(
        files.iter().filter(|f| f.ends_with(".png")).count() >= 2,
        "{files:?}"
    );
    for token in &tokens {
        assert!(!csv.contains(token.as_str()));
    }

    let output = pejling()
        .args(["export", "NOSUCH", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no session with id or code \"NOSUCH\""),
        "{stderr}"
    );
}

/// The micro:bit programs are MicroPython, flashed by hand; here they are at least
/// compiled by CPython so a syntax error cannot ship (they run on the device only).
#[test]
fn microbit_programs_compile() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../clickers/microbit");
    let out = tempfile::tempdir().unwrap();
    for program in ["receiver.py", "voter.py"] {
        let source = dir.join(program);
        let status = Command::new("python3")
            .args(["-c", "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)"])
            .arg(&source)
            .arg(out.path().join(format!("{program}c")))
            .status();
        match status {
            Ok(status) => assert!(status.success(), "{program} does not compile"),
            Err(_) if std::env::var_os("CI").is_none() => {
                eprintln!("skipped: python3 is not installed");
                return;
            }
            Err(error) => panic!("python3 is needed in CI: {error}"),
        }
    }
}

/// `simulate-clickers` refuses impossible probabilities and an unreachable port with a
/// clear message.
#[test]
fn simulate_clickers_explains_bad_options() {
    let output = pejling()
        .args(["simulate-clickers", "--loss", "1.5"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--loss must be at least 0 and below 1, found 1.5"),
        "{stderr}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let output = pejling()
        .args([
            "simulate-clickers",
            "--connect",
            &format!("127.0.0.1:{port}"),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("start the server with --clicker tcp"),
        "{stderr}"
    );
}

/// Starts the binary as a double-click would (no `--host-token`) and returns the child,
/// its address and the host token in the facilitator link it prints.
fn serve_without_token(data: &Path) -> (Child, SocketAddr, String) {
    let mut child = pejling()
        .args(["serve", "--bind", "127.0.0.1", "--port", "0", "--data"])
        .arg(data)
        .env_remove("PEJLING_HOST_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut token = None;
    let addr = loop {
        let line = lines.next().expect("server prints its address").unwrap();
        if let Some((_, after)) = line.split_once("#token=") {
            token = Some(after.trim().to_string());
        }
        if let Some(addr) = line.trim().strip_prefix("Lytter på:") {
            break addr.trim().parse().unwrap();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr, token.expect("the facilitator link is printed"))
}

fn files_contain(dir: &Path, needle: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("data.db"))
        })
        .filter(|path| {
            let bytes = std::fs::read(path).unwrap_or_default();
            bytes
                .windows(needle.len())
                .any(|window| window == needle.as_bytes())
        })
        .collect()
}

#[tokio::test]
async fn a_restart_keeps_the_facilitator_link_and_the_data_file_holds_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.db");
    let (mut child, addr, token) = serve_without_token(&data);
    let host = |token: &str| ClientMessage::Host {
        version: PROTOCOL_VERSION,
        host_token: token.to_string(),
    };
    let mut facilitator = connect(addr, host(&token)).await;
    let session = create_session(&mut facilitator, "7.a").await;
    let screen_token = session
        .screen_token
        .clone()
        .expect("the facilitator gets it");
    child.kill().unwrap();
    child.wait().unwrap();

    // The laptop restarts: the same link is printed and the open console gets back in.
    let (mut child, addr, again) = serve_without_token(&data);
    assert_eq!(
        again, token,
        "the facilitator's token is kept per data file"
    );
    let mut console = connect(addr, host(&token)).await;
    welcomed(&mut console).await;
    // The projector's link still works after the restart.
    let mut screen = connect(
        addr,
        ClientMessage::Watch {
            version: PROTOCOL_VERSION,
            code: session.code.clone(),
            token: screen_token.clone(),
        },
    )
    .await;
    welcomed(&mut screen).await;
    child.kill().unwrap();
    child.wait().unwrap();
    // Neither secret is in the data file (nor its journal).
    assert_eq!(files_contain(dir.path(), &token), Vec::<PathBuf>::new());
    assert_eq!(
        files_contain(dir.path(), &screen_token),
        Vec::<PathBuf>::new()
    );
    assert!(
        dir.path().join("data.key").exists(),
        "the key file is beside it"
    );
}

#[test]
fn check_of_one_file_uses_the_references_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("references.toml"),
        "format = 1\n\n[[references]]\nid = \"egen-1\"\nvalue = 12.0\nunit = \"%\"\nmeasures = \"m\"\npopulation = \"p\"\nyear = 2024\nsurvey = \"Vores egen måling\"\n",
    )
    .unwrap();
    let set = dir.path().join("egen.toml");
    std::fs::write(
        &set,
        "format = 1\nid = \"egen\"\ntitle = \"Egen\"\nlanguage = \"da\"\naudience = \"pupils\"\ngrades = [\"7\"]\n\n[[questions]]\nid = \"own\"\nkind = \"choice\"\ntext = \"Har du?\"\noptions = [\"Ja\", \"Nej\"]\nreferences = [\"egen-1\"]\n",
    )
    .unwrap();
    let output = pejling().arg("check").arg(&set).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    assert!(output.status.success());
}

#[test]
fn check_of_the_library_as_a_shell_glob_reads_each_file_once() {
    // As a person types it in the repository: the shell expands `questions/*.toml`, which
    // names references.toml as well as the sets it is found beside.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    assert!(root.join("questions/references.toml").is_file());
    let output = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" check questions/*.toml")
        .arg(env!("CARGO_BIN_EXE_pejling"))
        .current_dir(&root)
        .env("PEJLING_NO_BROWSER", "1")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    assert!(output.status.success(), "{output:?}");
}

/// Reads a socket to its end (answering pings, as a phone does): the close frame's code,
/// or `None` when it ended without one.
async fn close_code(mut ws: Ws) -> Option<u16> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            None | Some(Err(_)) => return None,
        }
    }
}

/// Kills the server if a test fails before stopping it.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn ctrl_c_closes_every_connection_with_1001() {
    // Classes at once, each with its screen and phones: a session that ends at the stop
    // lets go of its connections, which must not read as "fell behind" (1013).
    const CLASSES: usize = 8;
    const PHONES: usize = 30;
    let dir = tempfile::tempdir().unwrap();
    let (child, addr) = serve_with(
        &dir.path().join("data.db"),
        &[
            "--max-new-participants",
            "1000",
            "--max-connections-per-address",
            "1000",
        ],
    );
    let mut child = KillOnDrop(child);
    let mut facilitator = connect(addr, host()).await;
    // Every other socket is read from its welcome on, until it closes.
    let mut closes = Vec::new();
    for class in 0..CLASSES {
        let session = create_session(&mut facilitator, &format!("7.{class} ctrl-c")).await;
        // Something is going on: the first question is open.
        send(
            &mut facilitator,
            &ClientMessage::Control {
                action: Action::Open,
            },
        )
        .await;
        recv_until(&mut facilitator, |m| match m {
            ServerMessage::SessionState(state) if state.phase == Phase::Open => Some(()),
            _ => None,
        })
        .await;
        let mut hellos = vec![(
            format!("screen {class}"),
            ClientMessage::Watch {
                version: PROTOCOL_VERSION,
                code: session.code.clone(),
                token: session.screen_token.clone().unwrap(),
            },
        )];
        for phone in 0..PHONES {
            let join = ClientMessage::Join {
                version: PROTOCOL_VERSION,
                code: session.code.clone(),
                token: None,
            };
            hellos.push((format!("phone {class}.{phone}"), join));
        }
        for (who, hello) in hellos {
            let mut ws = connect(addr, hello).await;
            welcomed(&mut ws).await;
            closes.push((who, tokio::spawn(close_code(ws))));
        }
    }
    // The facilitator (on the last class) has seen its phones join.
    let joined = recv_until(&mut facilitator, |m| match m {
        ServerMessage::Tally(tally) if tally.connected == PHONES as u32 => Some(()),
        _ => None,
    });
    tokio::time::timeout(Duration::from_secs(60), joined)
        .await
        .expect("the last class's phones are counted");
    closes.push(("facilitator".into(), tokio::spawn(close_code(facilitator))));
    let status = Command::new("kill")
        .args(["-INT", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut by_code = std::collections::BTreeMap::<Option<u16>, Vec<String>>::new();
    let mut all = Vec::new();
    for (who, close) in closes {
        let code = tokio::time::timeout(Duration::from_secs(20), close)
            .await
            .expect("the server closes within the timeout")
            .unwrap();
        by_code.entry(code).or_default().push(who.clone());
        all.push(who);
    }
    assert_eq!(by_code, [(Some(1001), all)].into_iter().collect());
    // And the server stops by itself.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = child.0.try_wait().unwrap() {
            break exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server stops after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit}");
}

/// Starts `pejling serve` with its log (stderr, at debug level) appended to `log`, the
/// limits small and the timings short (hidden options), and returns its address.
fn serve_logging(data: &Path, log: &Path) -> (Child, SocketAddr) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut child = pejling()
        .args([
            "serve",
            "--bind",
            "0.0.0.0",
            "--port",
            "0",
            "--host-token",
            "cli-test-token",
            "--max-connections-per-address",
            "3",
            "--max-unknown-codes",
            "2",
            "--max-new-participants",
            "1",
            "--ping-interval-ms",
            "100",
            "--ping-timeout-ms",
            "300",
            "--header-timeout-ms",
            "300",
            "--sweep-interval-ms",
            "200",
            "--data",
        ])
        .arg(data)
        .env("RUST_LOG", "pejling=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let port: u16 = loop {
        let line = lines.next().expect("server prints its address").unwrap();
        if let Some(addr) = line.trim().strip_prefix("Lytter på:") {
            break addr.trim().parse::<SocketAddr>().unwrap().port();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    (child, SocketAddr::from(([127, 0, 0, 1], port)))
}

/// A device of its own on the loopback network (127.34.0.x), as a phone on the Wi-Fi.
fn device(n: u8) -> std::net::IpAddr {
    std::net::Ipv4Addr::new(127, 34, 0, n).into()
}

async fn tcp_from(addr: SocketAddr, from: std::net::IpAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    socket.connect(addr).await.unwrap()
}

async fn ws_from(addr: SocketAddr, from: std::net::IpAddr, hello: ClientMessage) -> Ws {
    let stream = tcp_from(addr, from).await;
    let (mut ws, _) = tokio_tungstenite::client_async(
        format!("ws://{addr}/ws"),
        tokio_tungstenite::MaybeTlsStream::Plain(stream),
    )
    .await
    .unwrap();
    send(&mut ws, &hello).await;
    ws
}

fn join(code: &str, token: Option<String>) -> ClientMessage {
    ClientMessage::Join {
        version: PROTOCOL_VERSION,
        code: code.to_string(),
        token,
    }
}

/// Waits until the log holds `text` (the server writes it when the event happened).
async fn log_shows(log: &Path, text: &str) {
    let waited = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if std::fs::read_to_string(log)
                .unwrap_or_default()
                .contains(text)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "the log never showed {text:?}:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// Reads until the server ends the connection.
async fn closed(stream: &mut tokio::net::TcpStream) {
    use tokio::io::AsyncReadExt;
    let mut buffer = [0u8; 1024];
    let read = async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("the server closes the connection");
}

/// Issue 24: a phone that leaves the Wi-Fi, every per-device limit hit and a restart
/// leave no client address and no token in the log; the log says which limit and how
/// often.
#[tokio::test]
async fn the_log_names_no_device_after_a_silent_phone_every_limit_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.db");
    let log = dir.path().join("pejling.log");
    let (mut child, addr) = serve_logging(&data, &log);
    let mut facilitator = connect(addr, host()).await;
    let session = create_session(&mut facilitator, "7.a log").await;
    let screen_token = session
        .screen_token
        .clone()
        .expect("the facilitator gets it");
    let mut tokens: Vec<String> = Vec::new();

    // A phone joins, then leaves the Wi-Fi: it reads nothing more, so it never answers
    // the server's pings.
    let mut phone = ws_from(addr, device(113), join(&session.code, None)).await;
    tokens.push(
        recv_until(&mut phone, |m| match m {
            ServerMessage::Welcome { token, .. } => token,
            _ => None,
        })
        .await,
    );
    log_shows(&log, "was silent for").await;
    drop(phone);

    // Join codes that match nothing, over and over (counted after the first report).
    let mut guesser = ws_from(addr, device(114), join("NOSUCH", None)).await;
    for _ in 0..5 {
        send(&mut guesser, &join("NOSUCH", None)).await;
    }
    recv_until(&mut guesser, |m| match m {
        ServerMessage::Error { code, .. } => {
            (code == pejling_wire::ErrorCode::RateLimited).then_some(())
        }
        _ => None,
    })
    .await;
    log_shows(&log, "tried 2 join codes or tokens").await;
    log_shows(&log, "\"unknown join codes or tokens\" reached").await;

    // Too many new participants from one device.
    let mut first = ws_from(addr, device(115), join(&session.code, None)).await;
    tokens.push(
        recv_until(&mut first, |m| match m {
            ServerMessage::Welcome { token, .. } => token,
            _ => None,
        })
        .await,
    );
    let _second = ws_from(addr, device(115), join(&session.code, None)).await;
    log_shows(&log, "joined as 1 new participants").await;

    // Too many connections from one device.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(tcp_from(addr, device(116)).await);
    }
    log_shows(&log, "reached 3 open connections").await;
    drop(held);

    // A message over 8 KiB, a flood of messages, a connection that sends no request and
    // one that sends too much too fast.
    let mut big = ws_from(addr, device(117), join(&session.code, None)).await;
    let _ = big.send(Message::text("x".repeat(9 * 1024))).await;
    log_shows(&log, "over 8 KiB").await;
    let mut flood = ws_from(addr, device(118), join("NOSUCH", None)).await;
    for _ in 0..400 {
        if flood
            .send(Message::text(r#"{"type":"ping","nonce":1}"#))
            .await
            .is_err()
        {
            break;
        }
    }
    log_shows(&log, "far over the rate limit").await;
    let mut quiet = tcp_from(addr, device(119)).await;
    closed(&mut quiet).await;
    log_shows(&log, "sent no complete request").await;
    // Messages under 8 KiB each, within the message rate's burst, but far over the
    // byte rate.
    let mut heavy = ws_from(addr, device(120), join("NOSUCH", None)).await;
    for _ in 0..60 {
        if heavy
            .send(Message::text("y".repeat(7 * 1024)))
            .await
            .is_err()
        {
            break;
        }
    }
    log_shows(&log, "KiB/s on average").await;

    // A restart; the phone that left comes back with its token.
    child.kill().unwrap();
    child.wait().unwrap();
    let (mut child, addr) = serve_logging(&data, &log);
    let mut back = ws_from(
        addr,
        device(113),
        join(&session.code, Some(tokens[0].clone())),
    )
    .await;
    welcomed(&mut back).await;
    let mut screen = ws_from(
        addr,
        device(121),
        ClientMessage::Watch {
            version: PROTOCOL_VERSION,
            code: session.code.clone(),
            token: screen_token.clone(),
        },
    )
    .await;
    welcomed(&mut screen).await;
    drop(back);
    log_shows(&log, "was silent for").await;
    child.kill().unwrap();
    child.wait().unwrap();

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains("127.34."),
        "a device's address is in the log:\n{text}"
    );
    assert_eq!(tokens.len(), 2, "both phones got a token");
    for secret in tokens
        .iter()
        .chain([&screen_token, &"cli-test-token".to_string()])
    {
        assert!(
            !text.contains(secret.as_str()),
            "a token is in the log:\n{text}"
        );
    }
}
