//! Issue 24 (4): no token in any address. The console's report and CSV downloads and its
//! comparison chart, and the projector screen's chart, are fetched with the token in an
//! `Authorization` header and shown or saved from memory, so neither the page's links
//! and images nor the browser's record of its requests (the Resource Timing entries, the
//! network log a page can read) hold a host or screen token. The files saved are the
//! server's, byte for byte (the CSV keeps its byte-order mark for Danish Excel).

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::Client as Browser;
use pejling_tests::wire::{Action, Answer, ClientMessage, ServerMessage};
use pejling_tests::{Facilitator, HOST_TOKEN, Participant};

use crate::browser::{
    WAIT, axe_violations, browser, browser_saving_to, chromedriver, click, screenshot, wait_for,
    wait_text,
};

/// Every address the page holds in an `href` or `src`, and every request it made (the
/// Resource Timing entries: pages, scripts, images, `fetch`), as the browser recorded
/// them.
async fn addresses(browser: &Browser) -> (Vec<String>, Vec<String>) {
    let found = browser
        .execute(
            "return [
                 [...document.querySelectorAll('[href],[src]')]
                     .map(e => e.getAttribute('href') || e.getAttribute('src')),
                 performance.getEntriesByType('navigation')
                     .concat(performance.getEntriesByType('resource'))
                     .map(e => e.name)
             ];",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

/// Waits until an `<img>` matching `css` shows a chart from memory; returns its `src`.
async fn wait_blob_image(browser: &Browser, css: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let src = wait_for(browser, css)
            .await
            .attr("src")
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let loaded = browser
            .execute(
                &format!(
                    "const i = document.querySelector({css:?}); return !!i && i.complete && i.naturalWidth > 0;"
                ),
                vec![],
            )
            .await
            .unwrap()
            .as_bool()
            .unwrap_or(false);
        if src.starts_with("blob:") && loaded {
            return src;
        }
        assert!(Instant::now() < deadline, "{css}: src {src:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the browser has saved a file whose name ends with `suffix` into `dir`;
/// returns its name and bytes.
async fn saved_ending(dir: &Path, suffix: &str) -> (String, Vec<u8>) {
    let deadline = Instant::now() + WAIT;
    loop {
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(suffix) {
                return (name.clone(), std::fs::read(dir.join(&name)).unwrap());
            }
        }
        assert!(Instant::now() < deadline, "no *{suffix} in {dir:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The part of an address that leaves the browser (a fragment never does).
fn sent_part(address: &str) -> &str {
    address.split('#').next().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_and_the_screen_fetch_with_the_token_in_a_header() {
    let Some(driver) = chromedriver() else {
        return;
    };
    let server = pejling_tests::spawn_app().await;
    let addr = server.addr;
    let downloads = tempfile::tempdir().unwrap();
    let console = browser_saving_to(&driver, 1366, 768, Some(downloads.path())).await;
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

    // A class answers the pair, and the comparison is revealed.
    let mut host = Facilitator::connect(addr).await;
    host.client.send(&ClientMessage::ListSessions).await;
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
    let state = host.attach(&session_id).await;
    let screen_token = state.session.screen_token.clone().expect("for staff");
    host.control(Action::Open).await;
    let mut phones = Vec::new();
    for _ in 0..4 {
        phones.push(Participant::join(addr, &code, None).await.0);
    }
    for (n, phone) in phones.iter_mut().enumerate() {
        let option = u32::from(n >= 1);
        phone
            .answer("drunk-alcohol-own", Answer::Choice { option })
            .await;
    }
    host.control(Action::Next).await;
    for (n, phone) in phones.iter_mut().enumerate() {
        let value = 30 + n as u32 * 10;
        phone
            .answer("drunk-alcohol-perceived", Answer::Percent { value })
            .await;
    }
    host.control(Action::RevealAll).await;

    // The console's chart and the screen's come from memory (blob: addresses).
    let console_chart = wait_blob_image(&console, "img.comparison-chart").await;
    let screen = browser(&driver, 1920, 1080).await;
    screen
        .goto(&format!("http://{addr}/screen/{code}#token={screen_token}"))
        .await
        .unwrap();
    let screen_chart = wait_blob_image(&screen, ".chart-box img.comparison-chart").await;

    // The downloads are buttons, not links; each saves the server's file.
    for id in ["#download-report", "#download-csv"] {
        let control = wait_for(&console, id).await;
        assert_eq!(control.tag_name().await.unwrap(), "button", "{id}");
        assert_eq!(control.attr("href").await.unwrap(), None, "{id}");
    }
    screenshot(&console, "console-downloads").await;
    if let Some(violations) = axe_violations(&console).await {
        assert!(violations.is_empty(), "console: {violations:#?}");
    }
    click(&console, "#download-report").await;
    let (report_name, report) = saved_ending(downloads.path(), &format!("-{code}.html")).await;
    click(&console, "#download-csv").await;
    let (csv_name, csv) = saved_ending(downloads.path(), &format!("-{code}.csv")).await;
    wait_text(&console, "#download-status", str::is_empty).await;
    let (status, served) = pejling_tests::http_request(
        addr,
        &format!(
            "GET /export/{}/results.csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {HOST_TOKEN}\r\nConnection: close\r\n\r\n",
            session_id
        ),
    )
    .await;
    assert!(status.contains("200"), "{status}");
    assert!(
        csv.starts_with(b"\xEF\xBB\xBF"),
        "the byte-order mark Danish Excel needs"
    );
    assert_eq!(String::from_utf8(csv).unwrap(), served, "the server's CSV");
    let report = String::from_utf8(report).unwrap();
    assert!(
        report.contains("Har du nogensinde drukket alkohol"),
        "{report}"
    );
    for name in [&report_name, &csv_name] {
        assert!(name.starts_with("pejling-"), "{name}");
    }

    // No address in either page, and no request either made, holds a token.
    for (page, browser, token) in [
        ("console", &console, HOST_TOKEN),
        ("screen", &screen, screen_token.as_str()),
    ] {
        let (links, requests) = addresses(browser).await;
        for link in &links {
            assert!(
                !sent_part(link).contains(token),
                "{page}: a link or image holds the token: {link}"
            );
        }
        for request in &requests {
            // (The page's own entry names the address it was opened with, fragment and
            // all; the fragment was never sent.)
            let sent = sent_part(request);
            assert!(
                !sent.contains(HOST_TOKEN) && !sent.contains(&screen_token),
                "{page}: a request's address holds a token: {request}"
            );
        }
        // The record is real: it holds the chart (and the console's downloads).
        assert!(
            requests.iter().any(|r| r.contains("/chart/")),
            "{page}: {requests:#?}"
        );
        if page == "console" {
            for file in ["report.html", "results.csv"] {
                assert!(
                    requests
                        .iter()
                        .any(|r| r.ends_with(&format!("/export/{}/{file}", session_id))),
                    "{file}: {requests:#?}"
                );
            }
        }
    }
    for src in [&console_chart, &screen_chart] {
        assert!(
            !src.contains(HOST_TOKEN) && !src.contains(&screen_token),
            "{src}"
        );
    }
    for browser in [console, screen] {
        let _ = browser.close().await;
    }
    server.stop().await;
}
