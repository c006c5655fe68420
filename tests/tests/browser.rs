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
use pejling_tests::wire::{Action, Answer, Phase, QuestionKindView, ServerMessage};
use pejling_tests::{Facilitator, HOST_TOKEN, Participant};

pub(crate) const WAIT: Duration = Duration::from_secs(30);

pub(crate) fn workspace_target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

pub(crate) struct Chromedriver {
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
pub(crate) fn chromedriver() -> Option<Chromedriver> {
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

pub(crate) async fn browser(driver: &Chromedriver, width: u32, height: u32) -> Browser {
    browser_saving_to(driver, width, height, None).await
}

/// A browser whose downloads go into `downloads` without asking.
pub(crate) async fn browser_saving_to(
    driver: &Chromedriver,
    width: u32,
    height: u32,
    downloads: Option<&std::path::Path>,
) -> Browser {
    let prefs = downloads.map_or(serde_json::json!({}), |dir| {
        serde_json::json!({
            "download.default_directory": dir.display().to_string(),
            "download.prompt_for_download": false,
        })
    });
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_string(),
        serde_json::json!({
            "prefs": prefs,
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
pub(crate) async fn wait_text(browser: &Browser, css: &str, pred: impl Fn(&str) -> bool) -> String {
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

pub(crate) async fn wait_for(browser: &Browser, css: &str) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

pub(crate) async fn click(browser: &Browser, css: &str) {
    wait_for(browser, css).await.click().await.expect("click");
}

pub(crate) async fn screenshot(browser: &Browser, name: &str) {
    let dir = workspace_target().join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// Runs axe-core in the page; returns the serious and critical violations.
pub(crate) async fn axe_violations(browser: &Browser) -> Option<Vec<String>> {
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
    // The pair's reveal order has its own test below; this one runs the lifecycle.
    std::fs::write(
        questions.path().join("all-kinds.toml"),
        crate::all_kinds_unpaired(),
    )
    .unwrap();
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
    eprintln!("phone page transfer: {total} B in total, as this Chromium fetched it");
    assert!(entries.len() >= 4, "page, css, js and wasm: {entries:?}");
    // Chromium offers brotli on a local address; phones on the school's Wi-Fi (plain
    // http to a LAN address) get gzip. Measured here as they would get it. Issue 11:
    // at most 90 KB.
    let mut gzip_total = 0;
    for (name, _, _) in &entries {
        let path = name
            .splitn(4, '/')
            .nth(3)
            .map(|p| format!("/{p}"))
            .unwrap_or_default();
        let size = gzip_size(server.addr, &path).await;
        eprintln!("phone page with gzip: {size:>7} B {path}");
        gzip_total += size;
    }
    eprintln!("phone page with gzip: {gzip_total} B in total (issue 11 target: at most 90 KB)");
    assert!(
        gzip_total <= 90 * 1024,
        "the phone page is {gzip_total} B with gzip"
    );
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
    assert_eq!(texts, vec!["50 %", "50 %"]);
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

    // The report is a button that fetches with the token in a header (`tokens_browser`).
    wait_for(&console, "button#download-report").await;

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

/// The size of `path`'s body when only gzip is accepted (as a phone on plain http gets it).
async fn gzip_size(addr: std::net::SocketAddr, path: &str) -> u64 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: test\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let head_end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head")
        + 4;
    let head = String::from_utf8_lossy(&response[..head_end]).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{path}: {head}");
    (response.len() - head_end) as u64
}

/// Sizes the window so that the page's viewport (not the window with its frame) is
/// `width`×`height`, as on a projector in full-screen mode, and waits until it is.
async fn set_viewport(browser: &Browser, width: u32, height: u32) {
    let inner = |browser: &Browser| {
        let browser = browser.clone();
        async move {
            let size = browser
                .execute("return [window.innerWidth, window.innerHeight];", vec![])
                .await
                .unwrap();
            let size: (u32, u32) = serde_json::from_value(size).unwrap();
            size
        }
    };
    browser.set_window_size(width, height).await.unwrap();
    let (w, h) = inner(browser).await;
    browser
        .set_window_size(
            width + (width - w.min(width)),
            height + (height - h.min(height)),
        )
        .await
        .unwrap();
    let deadline = Instant::now() + WAIT;
    while inner(browser).await != (width, height) {
        assert!(
            Instant::now() < deadline,
            "the viewport never became {width}×{height}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let the page lay out (and the client fit the text) at the new size.
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// Where the projector page breaks the rules of issue 11, if anywhere: elements outside
/// the viewport, a page that scrolls, or (at 1280×720) text below the sizes readable at
/// the back of the room. Returns one line per problem.
async fn screen_layout_problems(screen: &Browser, check_fonts: bool) -> Vec<String> {
    let result = screen
        .execute(
            "const vw = window.innerWidth, vh = window.innerHeight, bad = [];
             for (const el of document.querySelectorAll('main.screen *')) {
               const r = el.getBoundingClientRect();
               if (r.width === 0 && r.height === 0) continue;
               if (r.bottom > vh + 1 || r.right > vw + 1 || r.top < -1 || r.left < -1)
                 bad.push('outside: ' + el.tagName + '.' + el.className + ' ' +
                   Math.round(r.left) + ',' + Math.round(r.top) + '-' +
                   Math.round(r.right) + ',' + Math.round(r.bottom));
             }
             const main = document.querySelector('main.screen');
             if (main && Math.abs(main.getBoundingClientRect().height - vh) > 2)
               bad.push('main is ' + main.getBoundingClientRect().height + ' px high in ' + vh +
                 ' (' + getComputedStyle(main).height + ', ' + document.documentElement.clientHeight + ')');
             const result = document.querySelector('.screen-result');
             if (result && result.scrollHeight > result.clientHeight + 1)
               bad.push('the result overflows its box: ' + result.scrollHeight + ' > ' + result.clientHeight);
             if (document.documentElement.scrollHeight > vh + 1 ||
                 (main && main.scrollHeight > main.clientHeight + 1))
               bad.push('scrolls: ' + document.documentElement.scrollHeight + ' > ' + vh);
             const min = (css) => Math.min(...[...document.querySelectorAll(css)]
               .map(e => parseFloat(getComputedStyle(e).fontSize)));
             const fonts = {'.figure-value': 64, '.figure-label': 28, '#verdict': 28,
               '.bar-label': 28, '.figure-source': 14, '#screen-question': 28};
             if (arguments[0]) for (const [css, floor] of Object.entries(fonts)) {
               const size = min(css);
               if (size !== Infinity && size < floor) bad.push(css + ' is ' + size + ' px < ' + floor);
             }
             if (document.querySelector('[data-action=lang]')) bad.push('a language button');
             return bad;",
            vec![serde_json::Value::Bool(check_fonts)],
        )
        .await
        .expect("layout script");
    serde_json::from_value(result).expect("a list")
}

/// The three projectors of the reveal test: the first was opened with the host token and
/// runs the session from the keyboard; the others only show.
struct Projectors {
    windows: Vec<(Browser, u32, u32)>,
}

impl Projectors {
    async fn open(
        driver: &Chromedriver,
        addr: std::net::SocketAddr,
        code: &str,
        screen_token: &str,
    ) -> Projectors {
        let mut windows = Vec::new();
        for (i, (width, height)) in [(1280u32, 720u32), (1920, 1080), (1024, 768)]
            .into_iter()
            .enumerate()
        {
            let window = browser(driver, width, height).await;
            set_viewport(&window, width, height).await;
            let token = if i == 0 { HOST_TOKEN } else { screen_token };
            window
                .goto(&format!("http://{addr}/screen/{code}#token={token}"))
                .await
                .unwrap();
            wait_text(&window, "#join-code", |t| t == code).await;
            windows.push((window, width, height));
        }
        Projectors { windows }
    }

    /// Waits until every window draws `state` ("question/phase/step", or "" for the
    /// lobby), then checks each for elements outside the viewport, scrolling and (at
    /// 1280×720) font sizes; takes screenshots when `shots` names them.
    async fn check(&self, state: &str, label: &str, shots: bool) {
        for (window, width, height) in &self.windows {
            if !state.is_empty() {
                wait_for(window, &format!("main.screen[data-state='{state}']")).await;
            }
            // Let the page fit its text after the redraw.
            tokio::time::sleep(Duration::from_millis(60)).await;
            let problems = screen_layout_problems(window, *width == 1280).await;
            assert!(
                problems.is_empty(),
                "{label} at {width}×{height}: {problems:#?}"
            );
            if shots {
                screenshot(window, &format!("projector-{label}-{width}x{height}")).await;
            }
        }
    }

    async fn press(&self, key: &str) {
        let body = self.windows[0].0.find(Locator::Css("body")).await.unwrap();
        body.send_keys(key).await.unwrap();
    }

    async fn close(self) {
        for (window, _, _) in self.windows {
            let _ = window.close().await;
        }
    }
}

fn state_key(state: &pejling_tests::wire::SessionState) -> String {
    match &state.current {
        Some(question) => format!(
            "{}/{}/{}",
            question.id,
            serde_json::to_value(state.phase).unwrap().as_str().unwrap(),
            state.reveal_step
        ),
        None => String::new(),
    }
}

/// Waits until the session has moved on from `before` (the key reached the server).
async fn moved(
    host: &mut Facilitator,
    session_id: &str,
    before: &pejling_tests::wire::SessionState,
) -> pejling_tests::wire::SessionState {
    let deadline = Instant::now() + WAIT;
    loop {
        let (state, _) = host.snapshot(session_id).await;
        if state_key(&state) != state_key(before) || state.phase != before.phase {
            return state;
        }
        assert!(Instant::now() < deadline, "the key did nothing: {state:?}");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

const RIGHT: &str = "\u{E014}";
const LEFT: &str = "\u{E012}";

/// Runs one built-in set from the first projector's keyboard: eight phones answer every
/// question; every state (open, answered, closed, each reveal step) is checked in all
/// three windows. Returns the session id (ended).
async fn run_set_from_the_keyboard(
    driver: &Chromedriver,
    addr: std::net::SocketAddr,
    host: &mut Facilitator,
    set_id: &str,
    linked: Vec<String>,
    shots: bool,
) -> String {
    let state = host.create_linked(set_id, set_id, linked).await;
    let session_id = state.session.id.clone();
    let code = state.session.code.clone();
    let projectors = Projectors::open(
        driver,
        addr,
        &code,
        state.session.screen_token.as_deref().unwrap(),
    )
    .await;
    let mut phones = Vec::new();
    for _ in 0..8 {
        phones.push(Participant::join(addr, &code, None).await.0);
    }
    wait_text(&projectors.windows[0].0, "#participant-count", |t| {
        t.starts_with("8 ")
    })
    .await;
    projectors
        .check("", &format!("{set_id}-lobby"), shots)
        .await;

    let (mut state, _) = host.snapshot(&session_id).await;
    projectors.press(RIGHT).await;
    state = moved(host, &session_id, &state).await;
    let mut steps_seen = 0;
    loop {
        let question = state.current.clone().expect("a question");
        let label = format!("{set_id}-q{}", question.index + 1);
        projectors
            .check(&state_key(&state), &format!("{label}-open"), shots)
            .await;
        for (i, phone) in phones.iter_mut().enumerate() {
            let i = i as u32;
            let answer = match &question.kind {
                // Two of eight choose the first option.
                QuestionKindView::Choice { .. } => Answer::Choice {
                    option: u32::from(i >= 2),
                },
                QuestionKindView::Percent => Answer::Percent { value: 40 + i * 5 },
                QuestionKindView::Number { min, max, .. } => Answer::Number {
                    value: (min + 3 + i64::from(i % 4)).min(*max),
                },
                QuestionKindView::Scale { points } => Answer::Scale {
                    point: i % points.len() as u32,
                },
            };
            phone.answer(&question.id, answer).await;
        }
        wait_text(&projectors.windows[0].0, "#answered-count", |t| {
            t.starts_with("8 /")
        })
        .await;
        projectors
            .check(&state_key(&state), &format!("{label}-answered"), shots)
            .await;
        // Close, then each reveal step, until the next step is the next question.
        while !matches!(state.next_action, Some(Action::Next | Action::End)) {
            projectors.press(RIGHT).await;
            state = moved(host, &session_id, &state).await;
            let step = state.reveal_step;
            projectors
                .check(&state_key(&state), &format!("{label}-step{step}"), shots)
                .await;
            if step > 0 && state.reveal_steps == 3 {
                let screen = &projectors.windows[0].0;
                let roles = screen
                    .execute(
                        "return [...document.querySelectorAll('.figure')].map(f => f.className);",
                        vec![],
                    )
                    .await
                    .unwrap();
                let roles: Vec<String> = serde_json::from_value(roles).unwrap();
                // Exactly what the step adds: the guesses; and the real answer; and the
                // national figures (when the question cites some).
                assert!(
                    roles[0].contains("guesses") || roles.is_empty(),
                    "{label}: {roles:?}"
                );
                assert_eq!(
                    roles.iter().any(|r| r.contains("actual")),
                    step >= 2 && !roles.is_empty(),
                    "{label} step {step}: {roles:?}"
                );
                if step < 3 {
                    assert!(
                        !roles.iter().any(|r| r.contains("national")),
                        "{label}: {roles:?}"
                    );
                    assert!(
                        screen.find(Locator::Css("#verdict")).await.is_err(),
                        "{label}"
                    );
                }
                steps_seen += 1;
            }
        }
        if state.next_action == Some(Action::End) {
            break;
        }
        projectors.press(RIGHT).await;
        state = moved(host, &session_id, &state).await;
    }
    assert!(steps_seen >= 3, "{set_id}: only {steps_seen} reveal steps");
    // ← takes the last reveal step back, → shows it again.
    if state.reveal_step > 0 {
        let step = state.reveal_step;
        projectors.press(LEFT).await;
        let back = moved(host, &session_id, &state).await;
        assert_eq!(back.reveal_step, step - 1);
    }
    host.control(Action::End).await;
    projectors
        .check("", &format!("{set_id}-ended"), false)
        .await;
    projectors.close().await;
    session_id
}

/// Issue 11: every built-in set, pupils' and parents', run from the projector window with
/// the keyboard (as with a presentation remote): every screen state at 1280×720,
/// 1920×1080 and 1024×768 keeps every element inside the viewport, the key figures and
/// the sentence at readable sizes, no language button; each reveal step shows exactly
/// its part. A parents' session follows the same steps for the pupils' pooled answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_built_in_set_fits_the_projector_and_runs_from_the_keyboard() {
    let Some(driver) = chromedriver() else {
        return;
    };
    let server = pejling_tests::spawn_app().await;
    let addr = server.addr;
    let mut host = Facilitator::connect(addr).await;
    let sets = host.list_sets().await;
    let mut pupils_sessions: Vec<(String, String)> = Vec::new();
    for set in sets
        .iter()
        .filter(|s| s.audience == pejling_tests::wire::Audience::Pupils)
    {
        let shots = set.id == "7-klasse-alkohol";
        let session =
            run_set_from_the_keyboard(&driver, addr, &mut host, &set.id, Vec::new(), shots).await;
        pupils_sessions.push((set.id.clone(), session));
    }
    assert!(pupils_sessions.len() >= 4, "{pupils_sessions:?}");
    for set in sets
        .iter()
        .filter(|s| s.audience == pejling_tests::wire::Audience::Parents)
    {
        let linked: Vec<String> = pupils_sessions
            .iter()
            .filter(|(set_id, _)| set.cites.contains(set_id))
            .map(|(_, session)| session.clone())
            .collect();
        let shots = set.id == "foraeldre-7-klasse";
        run_set_from_the_keyboard(&driver, addr, &mut host, &set.id, linked, shots).await;
    }
    // A parent evening started without ticking a class: the same steps, the national
    // figure only at the last (the outside tester saw it at the first).
    run_set_from_the_keyboard(
        &driver,
        addr,
        &mut host,
        "foraeldre-7-klasse",
        Vec::new(),
        false,
    )
    .await;
    server.stop().await;
}

/// Issue 11, then issue 24: a reopened, changed and again revealed comparison shows the
/// latest answers once k have changed, not before. On the projector at 1280×720: a
/// latecomer and a *Skift svar* on the own question leave the class's share as the room
/// saw it, with a note of the newer answers; k − 1 changed guesses leave the guesses; the
/// k-th redraws the figures and the chart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_answer_redraws_the_figures_only_after_k_changes() {
    let Some(driver) = chromedriver() else {
        return;
    };
    let server = pejling_tests::spawn_app_with_min_answers(5).await;
    let addr = server.addr;
    let mut host = Facilitator::connect(addr).await;
    let state = host.create("7-klasse-alkohol", "7.b").await;
    let code = state.session.code.clone();
    let screen = browser(&driver, 1280, 720).await;
    set_viewport(&screen, 1280, 720).await;
    screen
        .goto(&format!("http://{addr}/screen/{code}#token={HOST_TOKEN}"))
        .await
        .unwrap();
    let mut phones = Vec::new();
    for _ in 0..8 {
        phones.push(Participant::join(addr, &code, None).await.0);
    }
    let own = "drunk-alcohol-own";
    host.control(Action::Open).await;
    for (i, phone) in phones.iter_mut().enumerate() {
        let option = u32::from(i >= 2);
        phone.answer(own, Answer::Choice { option }).await;
    }
    host.control(Action::Next).await;
    let guess = "drunk-alcohol-perceived";
    for (i, phone) in phones.iter_mut().enumerate() {
        let value = 40 + i as u32 * 5;
        phone.answer(guess, Answer::Percent { value }).await;
    }
    host.control(Action::RevealAll).await;
    let before = wait_text(&screen, ".figure.guesses .figure-value", |t| !t.is_empty()).await;
    assert_eq!(before, "58 %");
    let chart_before = wait_for(&screen, "img.comparison-chart")
        .await
        .attr("data-src")
        .await
        .unwrap()
        .unwrap_or_default();
    wait_text(&screen, ".figure.actual .figure-value", |t| t == "25 %").await;
    assert!(screen.find(Locator::Css("#waiting-note")).await.is_err());
    screenshot(&screen, "issue24-revealed-1280x720").await;

    // Back to the own question, opened again: a latecomer answers and a pupil changes
    // an answer. The projector shows the count only.
    host.control(Action::Previous).await;
    host.control(Action::Open).await;
    wait_for(&screen, &format!("main.screen[data-state='{own}/open/0']")).await;
    let mut latecomer = Participant::join(addr, &code, None).await.0;
    latecomer.answer(own, Answer::Choice { option: 0 }).await;
    phones[2].answer(own, Answer::Choice { option: 0 }).await;
    wait_text(&screen, "#answered-count", |t| t.starts_with("9 /")).await;
    assert!(screen.find(Locator::Css(".figure")).await.is_err());
    assert!(screen.find(Locator::Css(".bar-row")).await.is_err());
    screenshot(&screen, "issue24-reopened-own-1280x720").await;
    // Compared again: the class's share as the room saw it, and the note.
    host.control(Action::Close).await;
    host.control(Action::Next).await;
    host.control(Action::RevealAll).await;
    wait_for(
        &screen,
        &format!("main.screen[data-state='{guess}/revealed/3']"),
    )
    .await;
    wait_text(&screen, ".figure.actual .figure-value", |t| t == "25 %").await;
    let note = wait_text(&screen, "#waiting-note", |t| !t.is_empty()).await;
    assert!(note.starts_with("2 nye svar er ikke med endnu."), "{note}");
    screenshot(&screen, "issue24-waiting-note-1280x720").await;
    assert!(
        screen_layout_problems(&screen, true).await.is_empty(),
        "{:?}",
        screen_layout_problems(&screen, true).await
    );

    // The guesses opened again: k − 1 = 4 guesses change from theirs to 100.
    host.control(Action::Open).await;
    wait_for(
        &screen,
        &format!("main.screen[data-state='{guess}/open/0']"),
    )
    .await;
    for phone in phones.iter_mut().take(4) {
        phone.answer(guess, Answer::Percent { value: 100 }).await;
    }
    host.control(Action::RevealAll).await;
    wait_for(
        &screen,
        &format!("main.screen[data-state='{guess}/revealed/3']"),
    )
    .await;
    wait_text(&screen, ".figure.guesses .figure-value", |t| t == "58 %").await;
    let note = wait_text(&screen, "#waiting-note", |t| t.starts_with('6')).await;
    assert!(note.starts_with("6 nye svar"), "{note}");
    let chart_same = wait_for(&screen, "img.comparison-chart")
        .await
        .attr("data-src")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(
        chart_before, chart_same,
        "the chart is the room's too: unchanged by k - 1 changes"
    );
    // The k-th changed guess: (5 × 100 + 65 + 70 + 75) / 8 = 88.75.
    host.control(Action::Open).await;
    wait_for(
        &screen,
        &format!("main.screen[data-state='{guess}/open/0']"),
    )
    .await;
    phones[4]
        .answer(guess, Answer::Percent { value: 100 })
        .await;
    host.control(Action::RevealAll).await;
    wait_text(&screen, ".figure.guesses .figure-value", |t| t == "89 %").await;
    // The own question still waits for its k-th.
    wait_text(&screen, "#waiting-note", |t| t.starts_with("2 nye svar")).await;
    let chart_after = wait_for(&screen, "img.comparison-chart")
        .await
        .attr("data-src")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        chart_after.contains("/chart/") && chart_after.contains("v="),
        "{chart_after}"
    );
    assert_ne!(
        chart_before, chart_after,
        "k changed answers change the chart"
    );
    // The console, which consultants mirror onto the projector, says the same.
    let console = browser(&driver, 1366, 768).await;
    console
        .goto(&format!("http://{addr}/host#token={HOST_TOKEN}"))
        .await
        .unwrap();
    console
        .execute(
            "sessionStorage.setItem('pejling.session', arguments[0]); location.reload();",
            vec![serde_json::json!(state.session.id)],
        )
        .await
        .unwrap();
    let note = wait_text(&console, "#console-waiting-note", |t| !t.is_empty()).await;
    assert!(note.starts_with("2 nye svar er ikke med endnu."), "{note}");
    console
        .execute(
            "document.getElementById('console-waiting-note').scrollIntoView({block: 'center'});",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&console, "issue24-console-waiting-note-1366x768").await;
    let _ = console.close().await;
    let _ = screen.close().await;
    server.stop().await;
}

/// Issue 11: the console redraws only its live parts on a tally, and keeps an open note
/// and the keyboard focus through a full redraw, so a facilitator reading the note or
/// tabbing to a button is not interrupted while the class answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_keeps_an_open_note_and_focus_through_updates() {
    let Some(driver) = chromedriver() else {
        return;
    };
    let server = pejling_tests::spawn_app().await;
    let addr = server.addr;
    let console = browser(&driver, 1366, 768).await;
    console
        .goto(&format!("http://{addr}/host#token={HOST_TOKEN}"))
        .await
        .unwrap();
    wait_for(&console, "#set-select option[value='7-klasse-alkohol']").await;
    wait_for(&console, "#set-select")
        .await
        .select_by_value("7-klasse-alkohol")
        .await
        .unwrap();
    click(&console, "#create-session").await;
    let code = wait_text(&console, "#session-code", |t| t.len() == 6).await;
    click(&console, "#facilitator-note summary").await;
    let state = |console: &Browser| {
        let console = console.clone();
        async move {
            let value = console
                .execute(
                    "return [!!document.querySelector('details#facilitator-note[open]'),
                             document.activeElement ? document.activeElement.id : ''];",
                    vec![],
                )
                .await
                .unwrap();
            let state: (bool, String) = serde_json::from_value(value).unwrap();
            state
        }
    };
    console
        .execute("document.getElementById('open-screen').focus();", vec![])
        .await
        .unwrap();
    assert_eq!(state(&console).await, (true, "open-screen".to_string()));
    // Tallies: three phones join.
    let mut phones = Vec::new();
    for _ in 0..3 {
        phones.push(Participant::join(addr, &code, None).await.0);
    }
    wait_text(&console, "#console-live-counts", |t| t.starts_with("3 ")).await;
    assert_eq!(
        state(&console).await,
        (true, "open-screen".to_string()),
        "after tallies"
    );
    // A full redraw: the session state changes (another facilitator connection opens
    // the first question).
    let mut host = Facilitator::connect(addr).await;
    host.client
        .send(&pejling_tests::wire::ClientMessage::ListSessions)
        .await;
    let session_id = host
        .client
        .recv_until(|m| match m {
            ServerMessage::Sessions { sessions } => sessions
                .iter()
                .find(|s| s.code == code)
                .map(|s| s.id.clone()),
            _ => None,
        })
        .await;
    host.attach(&session_id).await;
    host.control(Action::Open).await;
    wait_text(&console, "#control-main", |t| t == "Luk for svar").await;
    assert_eq!(
        state(&console).await,
        (true, "open-screen".to_string()),
        "after a new session state"
    );
    let _ = console.close().await;
    server.stop().await;
}

/// The texts of every element that matches `css`, in document order, each with its
/// white space (a table row's tabs, a line break) made single spaces.
async fn texts(browser: &Browser, css: &str) -> Vec<String> {
    let mut texts = Vec::new();
    for element in browser.find_all(Locator::Css(css)).await.unwrap() {
        let text = element.text().await.unwrap_or_default();
        texts.push(text.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    texts
}

/// Clicks `css` once the console has drawn its start page with the sessions (it redraws
/// when the sets and then the sessions arrive, which would replace an element found
/// before).
pub(crate) async fn click_when_listed(browser: &Browser, css: &str) {
    wait_for(browser, "#school-options option").await;
    click(browser, css).await;
}

/// Waits until the texts of the elements that match `css` are `expected`.
pub(crate) async fn wait_texts(browser: &Browser, css: &str, expected: &[&str]) {
    let deadline = Instant::now() + WAIT;
    loop {
        let found = texts(browser, css).await;
        if found == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{css}: {found:?}, not {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The console's *Overblik* (issue 17) with a few seeded sessions: a school typed two ways
/// is offered once in the start form, the overview counts the real sessions (not the
/// rehearsal), names the class below the minimum, follows a filter, passes axe-core, and
/// speaks English when asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_in_the_console() {
    use crate::overview::{SET, class, create, described};
    let Some(driver) = chromedriver() else {
        return;
    };
    let server = pejling_tests::spawn_app_with_min_answers(5).await;
    let addr = server.addr;
    let mut facilitator = Facilitator::connect(addr).await;
    // 7.a: 2 of 6; 7.b (the school typed in lower case): 1 of 5; 7.c: three pupils.
    class(
        &mut facilitator,
        addr,
        described("Nordskolen", "7.a"),
        2,
        &[50, 60, 60, 70, 40, 55],
    )
    .await;
    class(
        &mut facilitator,
        addr,
        described("nordskolen", "7.b"),
        1,
        &[20, 20, 30, 10, 25],
    )
    .await;
    class(
        &mut facilitator,
        addr,
        described("Sydskolen", "7.c"),
        1,
        &[30, 40, 50],
    )
    .await;
    create(&mut facilitator, SET, Default::default(), Vec::new(), true).await;

    let downloads = tempfile::tempdir().unwrap();
    let console = browser_saving_to(&driver, 1366, 768, Some(downloads.path())).await;
    console
        .goto(&format!("http://{addr}/host#token={HOST_TOKEN}"))
        .await
        .unwrap();
    wait_for(&console, "#open-overview").await;
    // The start form offers each earlier school once, in the first spelling.
    let schools = wait_for(&console, "#school-options")
        .await
        .find_all(Locator::Css("option"))
        .await
        .unwrap();
    let mut offered = Vec::new();
    for option in schools {
        offered.push(option.attr("value").await.unwrap().unwrap_or_default());
    }
    // (Sessions of the same second come in any order.)
    offered.sort();
    assert_eq!(
        offered,
        ["Nordskolen", "Sydskolen"],
        "once each, as first spelt"
    );
    screenshot(&console, "console-start-described").await;

    click_when_listed(&console, "#open-overview").await;
    wait_text(&console, "#overview-heading", |t| t == "Overblik").await;
    wait_for(&console, "#reach-total").await;
    // Pupil sessions, classes, pupils, parent evenings, parents, answers.
    wait_texts(
        &console,
        "#reach-total dd",
        &["3", "3", "14", "0", "0", "28"],
    )
    .await;
    wait_texts(
        &console,
        "#reach-schools tbody tr",
        &["Nordskolen 2 2 11 0 0 22", "Sydskolen 1 1 3 0 0 6"],
    )
    .await;
    wait_text(&console, "#overview-rehearsals", |t| t.ends_with(": 1.")).await;
    let pair = wait_text(
        &console,
        "[data-pair='7-klasse-alkohol/drunk-alcohol-perceived']",
        |t| !t.is_empty(),
    )
    .await;
    for expected in [
        "Faktisk (andel, der svarede «Ja»)",
        "27,3 % (11 svar)",
        "40 % (11 gæt)",
        "Landstal: 13-årige, 2018",
        "Intet tydeligt mønster · forskel: +12,7 procentpoint",
        "fra +1 til +22,5 procentpoint (median +11,8)",
        "Flertalsmisforståelse: 1 klasse · Social overensstemmelse: 1 klasse",
        "2 klasser: 7.a, Nordskolen",
        "Ikke med, under 5 svar: 7.c, Sydskolen",
    ] {
        assert!(pair.contains(expected), "{expected:?} in {pair}");
    }
    screenshot(&console, "overview").await;
    if let Some(violations) = axe_violations(&console).await {
        assert!(violations.is_empty(), "overview: {violations:#?}");
    }

    // The period report: fetched with the token in a header and saved as a file named
    // for the period the page shows (this school year), holding the same figures.
    let from = wait_for(&console, "#overview-from")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    let to = wait_for(&console, "#overview-to")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        from.ends_with("-08-01") && to.ends_with("-07-31"),
        "{from}–{to}"
    );
    click(&console, "#overview-report").await;
    let report = saved_file(
        downloads.path(),
        &format!("periodeopgoerelse-{from}-{to}.html"),
    )
    .await;
    for expected in [
        "<h1>Social pejling — opgørelse for perioden ",
        "<dt>Elever</dt><dd>14</dd>",
        "<td>27,3 % (11 svar)</td>",
        "<td>+12,7 procentpoint</td>",
        "<td>Flertalsmisforståelse: 1 klasse · Social overensstemmelse: 1 klasse</td>",
    ] {
        assert!(report.contains(expected), "{expected:?} in {report}");
    }
    assert!(!report.contains(HOST_TOKEN), "the token in the report");
    // The page says nothing went wrong.
    wait_text(&console, "#overview-status", |t| t.is_empty()).await;

    // A filter asks again: Sydskolen only.
    wait_for(&console, "#overview-school")
        .await
        .select_by_value("Sydskolen")
        .await
        .unwrap();
    wait_texts(&console, "#reach-total dd", &["1", "1", "3", "0", "0", "6"]).await;
    // Its one class had three pupils: no pooled figure, the class named.
    let pair = wait_text(&console, "[data-pair]", |t| t.contains("7.c")).await;
    for expected in [
        "Intet samlet tal: ingen klasse havde svar nok.",
        "Ingen klasser med svar nok",
        "Ikke med, under 5 svar: 7.c, Sydskolen",
    ] {
        assert!(pair.contains(expected), "{expected:?} in {pair}");
    }

    // English, and back to the start page.
    click(&console, "[data-action='lang']").await;
    wait_text(&console, "#overview-heading", |t| t == "Overview").await;
    wait_text(&console, "#pairs-heading", |t| {
        t == "The questions across the classes"
    })
    .await;
    // The period report in English, for the school chosen.
    click(&console, "#overview-report").await;
    let report = saved_file(downloads.path(), &format!("period-report-{from}-{to}.html")).await;
    for expected in [
        "<html lang=\"en\">",
        "<dt>School</dt><dd>Sydskolen</dd>",
        "<dt>Pupils</dt><dd>3</dd>",
        "No pooled figure: no class had enough answers.",
    ] {
        assert!(report.contains(expected), "{expected:?} in {report}");
    }
    click(&console, "#overview-back").await;
    wait_for(&console, "#create-session").await;

    // On a phone-sized window too.
    let small = browser(&driver, 360, 640).await;
    small
        .goto(&format!("http://{addr}/host#token={HOST_TOKEN}"))
        .await
        .unwrap();
    click_when_listed(&small, "#open-overview").await;
    wait_for(&small, "[data-pair]").await;
    screenshot(&small, "overview-phone").await;
    if let Some(violations) = axe_violations(&small).await {
        assert!(
            violations.is_empty(),
            "overview on a phone: {violations:#?}"
        );
    }
    for browser in [console, small] {
        let _ = browser.close().await;
    }
    server.stop().await;
}

/// Waits until the browser has saved `name` into `dir` (Chromium writes a `.crdownload`
/// file and renames it when done); returns its text.
pub(crate) async fn saved_file(dir: &std::path::Path, name: &str) -> String {
    let path = dir.join(name);
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(text) = std::fs::read_to_string(&path) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "no {name} in {:?}",
            std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
