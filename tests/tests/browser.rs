//! Real-browser tests: headless Chromium driven over chromedriver (fantoccini). The
//! facilitator starts a session in the console, three phones join through the join URL
//! and answer, the projector screen counts and shows the chart after reveal, a phone page
//! survives a server restart and is counted once, and axe-core finds no serious or
//! critical accessibility problems on the phone page. Screenshots go to
//! `target/screenshots/`.
//!
//! `.ci/run` installs Debian's `chromium` and `chromium-driver` and axe-core (npm) into
//! `target/npm`. Without chromedriver the test says so and passes only outside CI, so a
//! fresh clone's `cargo test` works on a machine without a browser.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client as Browser, ClientBuilder, Locator};
use pejling_tests::wire::{Phase, ServerMessage};
use pejling_tests::{Facilitator, HOST_TOKEN};

use crate::ALL_KINDS;

const WAIT: Duration = Duration::from_secs(30);

fn workspace_target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

struct Chromedriver {
    process: Child,
    port: u16,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// Starts chromedriver, or explains why the browser tests cannot run here.
fn chromedriver() -> Option<Chromedriver> {
    let binary = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|path| std::path::Path::new(path).exists());
    let Some(binary) = binary else {
        assert!(
            !in_ci(),
            "chromedriver is missing; .ci/run installs Debian's chromium and chromium-driver"
        );
        eprintln!(
            "SKIPPED browser tests: no chromedriver (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut process = Command::new(binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    // chromedriver says when it listens.
    use std::io::BufRead;
    let stdout = process.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        if line.unwrap_or_default().contains("started successfully") {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    Some(Chromedriver { process, port })
}

async fn browser(driver: &Chromedriver, width: u32, height: u32) -> Browser {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_string(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage",
                format!("--window-size={width},{height}"),
            ]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a chromium session")
}

/// Waits until the element's text satisfies `pred`; returns the text.
async fn wait_text(browser: &Browser, css: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    let mut last = String::new();
    loop {
        if let Ok(element) = browser.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
        {
            if pred(&text) {
                return text;
            }
            last = text;
        }
        assert!(
            Instant::now() < deadline,
            "{css}: text never matched; last {last:?} at {}",
            browser
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_for(browser: &Browser, css: &str) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

async fn click(browser: &Browser, css: &str) {
    wait_for(browser, css).await.click().await.expect("click");
}

async fn screenshot(browser: &Browser, name: &str) {
    let dir = workspace_target().join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// Runs axe-core in the page; returns the serious and critical violations.
async fn axe_violations(browser: &Browser) -> Option<Vec<String>> {
    let axe = workspace_target().join("npm/node_modules/axe-core/axe.min.js");
    let Ok(source) = std::fs::read_to_string(&axe) else {
        assert!(
            !in_ci(),
            "axe-core is missing at {}; .ci/run installs it",
            axe.display()
        );
        eprintln!("SKIPPED accessibility check: no {}", axe.display());
        return None;
    };
    browser
        .execute(&source, vec![])
        .await
        .expect("inject axe-core");
    let result = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document).then(r => done(r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ': ' + v.help + ' — ' + v.nodes.map(n => n.target.join(' ')).join(', '))));",
            vec![],
        )
        .await
        .expect("axe.run");
    Some(serde_json::from_value(result).expect("a list of strings"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn class_session_in_real_browsers() {
    let Some(driver) = chromedriver() else {
        return;
    };
    let questions = tempfile::tempdir().unwrap();
    std::fs::write(questions.path().join("all-kinds.toml"), ALL_KINDS).unwrap();
    let questions_dir = Some(questions.path().to_path_buf());
    let mut server = pejling_tests::spawn_app_with_questions(questions_dir.clone()).await;
    let base = format!("http://{}", server.addr);

    // The facilitator starts a session in the console.
    let console = browser(&driver, 1280, 900).await;
    console
        .goto(&format!("{base}/host#token={HOST_TOKEN}"))
        .await
        .unwrap();
    wait_for(&console, "#set-select option[value='test-all-kinds']").await;
    wait_for(&console, "#set-select")
        .await
        .select_by_value("test-all-kinds")
        .await
        .unwrap();
    wait_for(&console, "#label-input")
        .await
        .send_keys("7.b, Nordskolen")
        .await
        .unwrap();
    click(&console, "#create-session").await;
    let code = wait_text(&console, "#session-code", |t| t.len() == 6).await;
    screenshot(&console, "console-lobby").await;

    // The projector screen, opened from the console's link.
    let screen_href = wait_for(&console, "#open-screen")
        .await
        .attr("href")
        .await
        .unwrap()
        .expect("a link");
    let screen = browser(&driver, 1920, 1080).await;
    let screen_url = if screen_href.starts_with("http") {
        screen_href
    } else {
        format!("{base}{screen_href}")
    };
    screen.goto(&screen_url).await.unwrap();
    wait_text(&screen, "#join-code", |t| t == code).await;
    let join_url = wait_text(&screen, "#join-url", |t| t.ends_with(&format!("/j/{code}"))).await;
    // The QR code is served as an image of the join link.
    let qr = wait_for(&screen, "img.qr")
        .await
        .attr("src")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(qr, format!("/qr/{code}.svg"));

    // Three phones join through the join URL (on this machine: the loopback address).
    let join_path = join_url
        .split_once("/j/")
        .map(|(_, c)| format!("/j/{c}"))
        .unwrap();
    let mut phones = Vec::new();
    for _ in 0..3 {
        let phone = browser(&driver, 360, 640).await;
        phone.goto(&format!("{base}{join_path}")).await.unwrap();
        wait_text(&phone, "#main-heading", |t| t.contains("Du er med")).await;
        phones.push(phone);
    }
    screenshot(&phones[0], "phone-lobby").await;
    // What a phone downloads on a cold cache: the page, style sheet, JavaScript and wasm,
    // compressed as Chromium accepts them over plain HTTP (gzip; brotli is HTTPS-only).
    let transfer = phones[0]
        .execute(
            "const entries = [...performance.getEntriesByType('navigation'),
                              ...performance.getEntriesByType('resource')];
             return entries.map(e => [e.name, e.transferSize, e.encodedBodySize]);",
            vec![],
        )
        .await
        .unwrap();
    let entries: Vec<(String, u64, u64)> = serde_json::from_value(transfer).unwrap();
    let total: u64 = entries.iter().map(|(_, transfer, _)| transfer).sum();
    for (name, transfer, body) in &entries {
        eprintln!("phone page transfer: {transfer:>7} B ({body:>7} B body) {name}");
    }
    eprintln!("phone page transfer: {total} B in total (target: at most 150 KB)");
    assert!(entries.len() >= 4, "page, css, js and wasm: {entries:?}");
    assert!(total <= 150 * 1024, "the phone page transfers {total} B");
    wait_text(&screen, "#participant-count", |t| t.starts_with("3 ")).await;
    screenshot(&screen, "screen-lobby").await;

    // The first question (sensitive): the screen shows only the count.
    click(&console, "#control-open").await;
    for phone in &phones {
        wait_for(phone, "[data-action='answer-choice:0']").await;
    }
    screenshot(&phones[0], "phone-question").await;
    if let Some(violations) = axe_violations(&phones[0]).await {
        assert!(violations.is_empty(), "question page: {violations:#?}");
    }
    click(&phones[0], "[data-action='answer-choice:0']").await;
    click(&phones[1], "[data-action='answer-choice:1']").await;
    click(&phones[2], "[data-action='answer-abstain:0']").await;
    for phone in &phones {
        wait_text(phone, "#main-heading", |t| t == "Tak for dit svar").await;
    }
    screenshot(&phones[0], "phone-thanks").await;
    wait_text(&screen, "#answered-count", |t| t.starts_with("3 / 3")).await;
    wait_for(&screen, ".hidden-note").await;
    assert!(
        screen.find(Locator::Css(".chart")).await.is_err(),
        "no split before reveal"
    );

    // Reveal: the chart appears with the exact split.
    click(&console, "#control-reveal").await;
    wait_for(&screen, ".chart").await;
    let values = screen
        .find_all(Locator::Css(".chart .bar-value"))
        .await
        .unwrap();
    let mut texts = Vec::new();
    for value in values {
        texts.push(value.text().await.unwrap());
    }
    assert_eq!(texts, vec!["1 (50 %)", "1 (50 %)"]);
    wait_text(&screen, ".chart figcaption", |t| {
        t.contains("Vil ikke svare: 1")
    })
    .await;
    screenshot(&screen, "screen-revealed").await;
    screenshot(&console, "console-revealed").await;

    // The percent question: phone 0 answers with the step buttons.
    click(&console, "#control-next").await;
    wait_for(&phones[0], "#percent-input").await;
    for _ in 0..3 {
        click(&phones[0], "[data-action='percent-step:10']").await;
    }
    wait_text(&phones[0], "#percent-value", |t| t == "80 %").await;
    click(&phones[0], "#percent-send").await;
    wait_text(&phones[0], "#main-heading", |t| t == "Tak for dit svar").await;
    if let Some(violations) = axe_violations(&phones[1]).await {
        assert!(violations.is_empty(), "percent page: {violations:#?}");
    }
    screenshot(&phones[1], "phone-percent").await;

    // The percent question perceives the revealed first one: the screen shows the
    // comparison chart drawn by the server, and it has loaded.
    let chart = wait_for(&screen, "img.comparison-chart").await;
    let src = chart.attr("src").await.unwrap().unwrap_or_default();
    assert!(src.contains("/chart/") && src.ends_with("&v=1"), "{src}");
    let loaded = screen
        .execute(
            "const img = document.querySelector('img.comparison-chart'); \
             return img.complete && img.naturalWidth > 0;",
            vec![],
        )
        .await
        .unwrap();
    let mut loaded = loaded.as_bool() == Some(true);
    for _ in 0..50 {
        if loaded {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        loaded = screen
            .execute(
                "const img = document.querySelector('img.comparison-chart'); \
                 return img.complete && img.naturalWidth > 0;",
                vec![],
            )
            .await
            .unwrap()
            .as_bool()
            == Some(true);
    }
    assert!(loaded, "the comparison chart loads on the screen");
    screenshot(&screen, "screen-comparison").await;
    let report = wait_for(&console, "#download-report").await;
    let href = report.attr("href").await.unwrap().unwrap_or_default();
    assert!(href.contains("/report.html?token="), "{href}");

    // The server restarts; the pages reconnect by themselves and resume.
    server.restart_on_same_port(questions_dir.clone()).await;
    wait_text(&phones[0], "#main-heading", |t| t == "Tak for dit svar").await;
    wait_for(&phones[1], "#percent-input").await;
    let mut host = Facilitator::connect(server.addr).await;
    host.client
        .send(&pejling_tests::wire::ClientMessage::ListSessions)
        .await;
    let session_id = host
        .client
        .recv_until(|m| match m {
            ServerMessage::Sessions { sessions } => Some(sessions[0].id.clone()),
            _ => None,
        })
        .await;
    let (state, tally) = host.snapshot(&session_id).await;
    assert_eq!(state.phase, Phase::Open);
    assert_eq!(tally.participants, 3, "no phone is counted twice");
    assert_eq!(tally.question.as_ref().unwrap().answered, 1);
    // Phone 1 answers after the restart; the count is exact.
    click(&phones[1], "[data-action='percent-step:-10']").await;
    click(&phones[1], "#percent-send").await;
    wait_text(&phones[1], "#main-heading", |t| t == "Tak for dit svar").await;
    // Every phone page comes back by itself (each with its own backoff), and the count
    // is exact. One wait for both: the tally that satisfies them is the latest state.
    let wanted = |t: &pejling_tests::wire::Tally| {
        t.connected == 3 && t.question.as_ref().is_some_and(|q| q.answered == 2)
    };
    let Ok(tally) = tokio::time::timeout(WAIT, host.tally_until(wanted)).await else {
        let mut pages = Vec::new();
        for phone in &phones {
            let text = phone
                .find(Locator::Css("#app"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            pages.push(text);
        }
        panic!("not every phone came back: {pages:#?}");
    };
    assert_eq!(tally.participants, 3);
    wait_text(&console, "#current-answered", |t| t.starts_with("2 ")).await;
    // Reloading the console comes back to the open session, not to the start page.
    console.refresh().await.unwrap();
    wait_text(&console, "#session-code", |t| t == code).await;
    wait_text(&console, "#current-answered", |t| t.starts_with("2 ")).await;

    // The start page (typing the code) is accessible too, in Danish by default.
    let start = browser(&driver, 360, 640).await;
    start.goto(&base).await.unwrap();
    wait_text(&start, "#main-heading", |t| t == "Skriv koden fra tavlen").await;
    if let Some(violations) = axe_violations(&start).await {
        assert!(violations.is_empty(), "start page: {violations:#?}");
    }
    // English is selectable.
    click(&start, "[data-action='lang']").await;
    wait_text(&start, "#main-heading", |t| {
        t == "Type the code from the screen"
    })
    .await;

    for browser in [console, screen, start].into_iter().chain(phones) {
        let _ = browser.close().await;
    }
    server.stop().await;
}
