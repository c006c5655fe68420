//! The Windows build under Wine: `pejling.exe` (cross-compiled for
//! x86_64-pc-windows-gnu) starts as a double-click would start it, prints what to do
//! next with its æøå intact, serves its pages, runs a real WebSocket session whose
//! answers are acknowledged, stops on Ctrl-C, and after a restart on the same data file
//! lets the same facilitator link in and still has every answer.
//!
//! Runs when `PEJLING_WINDOWS_EXE` names the .exe (CI builds it: `.ci/run`); needs
//! `wine` and `x86_64-w64-mingw32-gcc` (Debian: `wine64`, `gcc-mingw-w64-x86-64`). Wine 8
//! (Debian 12's) lacks `bcryptprimitives.dll`, which every Windows 10 and 11 has and
//! Rust's standard library takes random bytes from; the test builds a stand-in from
//! `tests/wine/bcryptprimitives.c` next to the .exe (never shipped).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use pejling_tests::{Facilitator, Participant, http_request};
use pejling_wire::{Action, Answer};

/// The .exe to test, and a folder with it and the stand-in DLL; `None` (the test says it
/// is skipped) when the .exe or the tools are missing.
fn prepared() -> Option<(PathBuf, tempfile::TempDir)> {
    let Some(exe) = std::env::var_os("PEJLING_WINDOWS_EXE").map(PathBuf::from) else {
        eprintln!("skipped: set PEJLING_WINDOWS_EXE to a pejling.exe to test it under Wine");
        return None;
    };
    let have = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if !have("wine") || !have("x86_64-w64-mingw32-gcc") {
        eprintln!("skipped: wine and x86_64-w64-mingw32-gcc are needed");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&exe, dir.path().join("pejling.exe")).expect("copy the .exe");
    let shim = Path::new(env!("CARGO_MANIFEST_DIR")).join("wine/bcryptprimitives.c");
    let built = Command::new("x86_64-w64-mingw32-gcc")
        .args(["-shared", "-O2", "-o"])
        .arg(dir.path().join("bcryptprimitives.dll"))
        .arg(shim)
        .arg("-ladvapi32")
        .status()
        .expect("run x86_64-w64-mingw32-gcc");
    assert!(built.success(), "the stand-in DLL builds");
    Some((dir.path().join("pejling.exe"), dir))
}

/// A Wine prefix of the test's own, so nothing of the machine's is touched.
fn wine(prefix: &Path) -> Command {
    let mut command = Command::new("wine");
    command
        .env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env("PEJLING_NO_BROWSER", "1");
    command
}

/// Starts the .exe with no `--host-token`, as Explorer would (but on a free port and a
/// given data file); returns it, its address, the facilitator's token and what it
/// printed before "Luk dette vindue".
fn start(exe: &Path, prefix: &Path, data: &str) -> (Child, SocketAddr, String, String) {
    let mut child = wine(prefix)
        .arg(exe)
        .args([
            "serve",
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
            "--data",
            data,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start wine");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = String::new();
    let mut token = None;
    let mut addr = None;
    for line in lines.by_ref() {
        let line = line.expect("the .exe prints UTF-8");
        if let Some((_, after)) = line.split_once("#token=") {
            token = Some(after.trim().to_string());
        }
        if let Some(found) = line.trim().strip_prefix("Lytter på:") {
            addr = Some(found.trim().parse::<SocketAddr>().unwrap());
        }
        let last = line.starts_with("Luk dette vindue");
        printed.push_str(&line);
        printed.push('\n');
        if last {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    let addr = addr.unwrap_or_else(|| panic!("no address in:\n{printed}"));
    let token = token.unwrap_or_else(|| panic!("no facilitator link in:\n{printed}"));
    (child, addr, token, printed)
}

/// Ctrl-C, as a person presses it in the console window (Wine turns SIGINT into a
/// console control event); waits for the .exe to end.
fn press_ctrl_c(child: &mut Child) -> std::process::ExitStatus {
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    for _ in 0..300 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    panic!("pejling.exe did not stop on Ctrl-C within 30 s");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_windows_build_runs_a_session_under_wine_and_keeps_it_across_a_restart() {
    let Some((exe, dir)) = prepared() else {
        return;
    };
    let prefix = dir.path().join("wineprefix");
    // The data file as a Windows path (Wine maps Z: to the root).
    let data = format!("Z:{}", dir.path().join("data.db").display()).replace('/', "\\");
    let (mut child, addr, token, printed) =
        tokio::task::block_in_place(|| start(&exe, &prefix, &data));
    assert!(printed.contains("Sådan kommer I i gang"), "{printed}");
    assert!(printed.contains("skolens wifi"), "{printed}");
    assert!(printed.contains("Spørgesæt:"), "{printed}");

    for path in ["/healthz", "/host", "/", "/app/phone.js"] {
        let (status, _) = http_request(
            addr,
            &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert!(status.starts_with("HTTP/1.1 200"), "{path}: {status}");
    }

    let mut facilitator = Facilitator::connect_with(addr, &token).await;
    let state = facilitator
        .create("7-klasse-alkohol", "7.a på Windows")
        .await;
    let question = state.questions[0].id.clone();
    let mut pupils = Vec::new();
    for _ in 0..3 {
        pupils.push(Participant::join(addr, &state.session.code, None).await.0);
    }
    facilitator.control(Action::Open).await;
    for (i, pupil) in pupils.iter_mut().enumerate() {
        pupil.wait_question(&question).await;
        pupil
            .answer(
                &question,
                Answer::Choice {
                    option: u32::from(i == 0),
                },
            )
            .await;
    }
    facilitator.tally_answered(&question, 3).await;
    drop(pupils);
    drop(facilitator);

    let status = tokio::task::block_in_place(|| press_ctrl_c(&mut child));
    assert!(status.success(), "a clean stop on Ctrl-C: {status}");

    // Started again on the same data file: the same facilitator link, every answer.
    let (mut child, addr, token_again, _) =
        tokio::task::block_in_place(|| start(&exe, &prefix, &data));
    assert_eq!(
        token_again, token,
        "the facilitator's token survives a restart"
    );
    let mut facilitator = Facilitator::connect_with(addr, &token).await;
    let (_, tally) = facilitator.snapshot(&state.session.id).await;
    assert_eq!(tally.participants, 3);
    assert_eq!(
        tally
            .question
            .as_ref()
            .map(|q| (q.question_id.clone(), q.answered)),
        Some((question, 3))
    );
    drop(facilitator);
    tokio::task::block_in_place(|| press_ctrl_c(&mut child));
    // Wine's own server for this prefix ends with it.
    let _ = Command::new("wineserver")
        .arg("-k")
        .env("WINEPREFIX", &prefix)
        .status();
}
