//! Several laptops, one municipality, in the console (issue 17, `docs/exchange.md`): on a
//! consultant's laptop *Overblik* says what a sharing file holds, refuses to make one
//! without a sender, and saves the real file the server makes; on the coordinator's laptop
//! that file is imported through the file picker, the overview counts it per sender
//! ("Pr. afsender"), a second import (with a file that is not one) and a file dropped on
//! the page change nothing and say so, and removing the sender takes its sessions away
//! again. axe-core on both.

use std::time::Instant;

use fantoccini::{Client as Browser, Locator};
use pejling_tests::{Facilitator, HOST_TOKEN, spawn_app_with_min_answers};

use crate::browser::{
    WAIT, axe_violations, browser, browser_saving_to, chromedriver, click_when_listed, saved_file,
    screenshot, wait_for, wait_text, wait_texts,
};
use crate::exchange::class;

/// The id of the element that has the keyboard focus.
async fn focused(browser: &Browser) -> String {
    browser
        .execute(
            "return document.activeElement && document.activeElement.id;",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Waits until nothing matches `css`.
async fn wait_gone(browser: &Browser, css: &str) {
    let deadline = Instant::now() + WAIT;
    while !browser
        .find_all(Locator::Css(css))
        .await
        .unwrap()
        .is_empty()
    {
        assert!(Instant::now() < deadline, "{css} is still there");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The import's result lines, read in one go (the page may be redrawn between two
/// reads of an element).
async fn result_lines(browser: &Browser) -> Vec<String> {
    let lines = browser
        .execute(
            "return [...document.querySelectorAll('#import-results p')].map(p => p.textContent);",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(lines).unwrap()
}

/// Waits until the import's result lines satisfy `pred`; returns them.
async fn wait_results(browser: &Browser, pred: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + WAIT;
    loop {
        let lines = result_lines(browser).await;
        if pred(&lines) {
            return lines;
        }
        assert!(Instant::now() < deadline, "import results: {lines:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Clicks `css`, again if the page was redrawn between finding and clicking it (the
/// overview, the list of senders and the import's lines each redraw when they come).
async fn press(browser: &Browser, css: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let clicked = match browser.find(Locator::Css(css)).await {
            Ok(element) => element.click().await.map(drop),
            Err(error) => Err(error),
        };
        match clicked {
            Ok(()) => return,
            Err(error) => assert!(Instant::now() < deadline, "{css}: {error}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Types `text` into `css` (a field, or a file picker's paths), again if the page was
/// redrawn meanwhile.
async fn type_into(browser: &Browser, css: &str, text: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let typed = match browser.find(Locator::Css(css)).await {
            Ok(element) => element.send_keys(text).await,
            Err(error) => Err(error),
        };
        match typed {
            Ok(()) => return,
            Err(error) => assert!(Instant::now() < deadline, "{css}: {error}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sharing_file_goes_from_one_console_to_another() {
    let Some(driver) = chromedriver() else {
        return;
    };
    let laptop = spawn_app_with_min_answers(5).await;
    let coordinator = spawn_app_with_min_answers(5).await;
    let (a, c) = (laptop.addr, coordinator.addr);

    // Anna's laptop: 7.a (6 pupils), 7.b (5), 7.c (3: below the minimum) and 7.a again as
    // a follow-up. Each pupil answers both questions of the first pair.
    let mut anna = Facilitator::connect(a).await;
    let (first, ..) = class(
        &mut anna,
        a,
        "Nordskolen",
        "7.a",
        None,
        2,
        &[50, 60, 60, 70, 40, 55],
    )
    .await;
    class(
        &mut anna,
        a,
        "Nordskolen",
        "7.b",
        None,
        1,
        &[20, 20, 30, 10, 25],
    )
    .await;
    class(&mut anna, a, "Sydskolen", "7.c", None, 1, &[30, 40, 50]).await;
    class(
        &mut anna,
        a,
        "Nordskolen",
        "7.a",
        Some(first),
        2,
        &[30, 35, 30, 40, 35, 30],
    )
    .await;
    // The coordinator's own class.
    let mut own = Facilitator::connect(c).await;
    class(
        &mut own,
        c,
        "Vestskolen",
        "7.v",
        None,
        3,
        &[40, 40, 50, 50, 60],
    )
    .await;

    // ---- Anna shares the school year's sessions. ----
    let downloads = tempfile::tempdir().unwrap();
    let console = browser_saving_to(&driver, 1366, 768, Some(downloads.path())).await;
    console
        .goto(&format!("http://{a}/host#token={HOST_TOKEN}"))
        .await
        .unwrap();
    click_when_listed(&console, "#open-overview").await;
    wait_texts(
        &console,
        "#reach-total dd",
        &["4", "3", "20", "0", "0", "40"],
    )
    .await;
    // Nothing imported here: no table per sender.
    assert!(
        console
            .find_all(Locator::Css("#reach-origins"))
            .await
            .unwrap()
            .is_empty()
    );
    let contents = wait_text(&console, "#share-contents", |t| !t.is_empty()).await;
    for expected in [
        "Med i filen: de 4 sessioner fra denne computer, som overblikket ovenfor tæller for 01.08.",
        "og for en opfølgning også den tidligere session, den sammenlignes med.",
        "Har færre end 5 i en klasse svaret på et spørgsmål, kommer tallene ikke med.",
        "Aldrig elevers navne, adgangskoder eller den enkelte elevs svar.",
    ] {
        assert!(contents.contains(expected), "{expected:?} in {contents}");
    }
    // Without a sender: no file, the page says what to do and the keyboard is in the
    // field.
    press(&console, "#share-file").await;
    wait_text(&console, "#share-status.error", |t| {
        t == "Skriv først, hvem filen er fra."
    })
    .await;
    assert_eq!(focused(&console).await, "exchange-origin");
    // Typed, the hint goes.
    type_into(&console, "#exchange-origin", "Anna, SSP Nord").await;
    wait_text(&console, "#share-status", |t| t.is_empty()).await;
    // A period without sessions: nothing to share, the button cannot be pressed.
    press(&console, "[data-action='overview:period:last-year']").await;
    wait_for(&console, "#share-file[disabled]").await;
    wait_text(&console, "#share-contents", |t| {
        t.starts_with("Overblikket ovenfor tæller ingen sessioner fra denne computer for ")
    })
    .await;
    press(&console, "[data-action='overview:period:this-year']").await;
    wait_for(&console, "#share-file:not([disabled])").await;
    wait_texts(
        &console,
        "#reach-total dd",
        &["4", "3", "20", "0", "0", "40"],
    )
    .await;
    // The sender typed before is still there after the redraws.
    // The overview redraws the page once its figures arrive: read the field again until
    // a read is not of a replaced element.
    let start = Instant::now();
    let remembered = loop {
        let field = wait_for(&console, "#exchange-origin").await;
        match field.prop("value").await {
            Ok(value) => break value,
            Err(error) if start.elapsed().as_secs() < 20 => {
                eprintln!("reading the sender again: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(error) => panic!("{error}"),
        }
    };
    assert_eq!(remembered.as_deref(), Some("Anna, SSP Nord"));
    press(&console, "#share-file").await;
    let status = wait_text(&console, "#share-status", |t| t.starts_with("Gemt som ")).await;
    let name = status
        .strip_prefix("Gemt som ")
        .and_then(|rest| rest.split_once(".json"))
        .map(|(name, _)| format!("{name}.json"))
        .unwrap();
    assert!(
        name.starts_with("pejling-deling-20")
            && name.len() == "pejling-deling-2027-06-20.json".len(),
        "{name}"
    );
    assert_eq!(focused(&console).await, "share-file", "the keyboard stays");
    screenshot(&console, "exchange-shared").await;
    if let Some(violations) = axe_violations(&console).await {
        assert!(violations.is_empty(), "sharing: {violations:#?}");
    }

    // The real file the browser saved: the server's, with Anna's sessions and the sender.
    let file = saved_file(downloads.path(), &name).await;
    assert!(!file.contains(HOST_TOKEN), "the token in the file");
    let json: serde_json::Value = serde_json::from_str(&file).unwrap();
    assert_eq!(json["format"], "pejling-exchange");
    assert_eq!(json["origin"], "Anna, SSP Nord");
    assert_eq!(json["sessions"].as_array().unwrap().len(), 4);
    let path = downloads.path().join(&name);

    // Remembered in this browser: the field has it when the overview opens again.
    press(&console, "#overview-back").await;
    click_when_listed(&console, "#open-overview").await;
    assert_eq!(
        wait_for(&console, "#exchange-origin")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Anna, SSP Nord")
    );
    // In English when the console is.
    press(&console, "[data-action='lang']").await;
    wait_text(&console, "#share-heading", |t| {
        t == "Share with the coordinator"
    })
    .await;
    wait_text(&console, "#share-file", |t| t == "Download sharing file").await;
    wait_text(&console, "#share-contents", |t| {
        t.starts_with(
            "In the file: the 4 sessions of this computer that the overview above counts for 2",
        )
    })
    .await;

    // ---- The coordinator imports it. ----
    let coordinator_console = browser(&driver, 1366, 768).await;
    let console_c = &coordinator_console;
    console_c
        .goto(&format!("http://{c}/host#token={HOST_TOKEN}"))
        .await
        .unwrap();
    click_when_listed(console_c, "#open-overview").await;
    wait_texts(
        console_c,
        "#reach-total dd",
        &["1", "1", "5", "0", "0", "10"],
    )
    .await;
    wait_text(console_c, "#no-imported-origins", |t| {
        t == "Ingen importerede sessioner."
    })
    .await;
    // What the coordinator shares holds only the coordinator's own class.
    wait_text(console_c, "#share-contents", |t| {
        t.starts_with("Med i filen: den ene session fra denne computer,")
    })
    .await;
    type_into(console_c, "#exchange-file", &path.display().to_string()).await;
    let lines = wait_results(console_c, |lines| {
        lines.len() == 1 && !lines[0].starts_with("Importerer")
    })
    .await;
    let (before, after) = lines[0]
        .split_once("): ")
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(
        before.starts_with("Anna, SSP Nord (eksporteret "),
        "{}",
        lines[0]
    );
    assert_eq!(
        after,
        "4 sessioner tilføjet, 0 opdateret, 0 fandtes allerede"
    );
    // Counted per sender, beside the coordinator's own class.
    wait_texts(
        console_c,
        "#reach-origins tbody tr",
        &[
            "Denne computer 1 1 5 0 0 10",
            "Anna, SSP Nord 4 3 20 0 0 40",
        ],
    )
    .await;
    wait_texts(
        console_c,
        "#reach-origins tfoot tr",
        &["I alt 5 4 25 0 0 50"],
    )
    .await;
    wait_text(console_c, "#reach-origins caption", |t| t == "Pr. afsender").await;
    wait_text(
        console_c,
        "#imported-origins [data-origin='Anna, SSP Nord']",
        |t| t.contains("Anna, SSP Nord") && t.contains("4 sessioner, "),
    )
    .await;
    // Anna's classes are named with their sender, and are not shared on.
    let pair = wait_text(console_c, "[data-pair]", |t| {
        t.contains("fra Anna, SSP Nord")
    })
    .await;
    assert!(pair.contains("7.v, Vestskolen ("), "{pair}");
    wait_text(console_c, "#share-contents", |t| {
        t.contains("Ikke med: 4 sessioner, der er importeret fra andre computere.")
    })
    .await;
    screenshot(console_c, "exchange-imported").await;
    if let Some(violations) = axe_violations(console_c).await {
        assert!(violations.is_empty(), "importing: {violations:#?}");
    }

    // Again, with a file that is not a sharing file: each gets its line, nothing counted
    // twice.
    let dir = tempfile::tempdir().unwrap();
    let not_a_file = dir.path().join("noter.json");
    std::fs::write(&not_a_file, "{\"hej\": 1}").unwrap();
    type_into(
        console_c,
        "#exchange-file",
        &format!("{}\n{}", path.display(), not_a_file.display()),
    )
    .await;
    let lines = wait_results(console_c, |lines| {
        lines.len() == 2 && !lines[1].starts_with("Importerer")
    })
    .await;
    assert!(
        lines[0].ends_with("): 0 sessioner tilføjet, 0 opdateret, 4 fandtes allerede"),
        "{lines:?}"
    );
    assert!(
        // The server's own Danish reason after the file's name.
        lines[1]
            .starts_with("noter.json: ikke importeret. Filen er ikke en delingsfil fra pejling"),
        "{lines:?}"
    );
    wait_for(console_c, "#import-results p.error").await;
    wait_texts(
        console_c,
        "#reach-origins tfoot tr",
        &["I alt 5 4 25 0 0 50"],
    )
    .await;

    // Dropped on the page (as a person drags it from the e-mail): imported the same way.
    console_c
        .execute(
            "const files = new DataTransfer();
             files.items.add(new File([arguments[0]], 'fra-mailen.json', {type: 'application/json'}));
             const target = document.querySelector('#import');
             for (const type of ['dragover', 'drop']) {
                 target.dispatchEvent(new DragEvent(type, {dataTransfer: files, bubbles: true, cancelable: true}));
             }",
            vec![serde_json::Value::String(file.clone())],
        )
        .await
        .unwrap();
    let lines = wait_results(console_c, |lines| {
        lines.len() == 1 && !lines[0].starts_with("Importerer")
    })
    .await;
    assert!(
        lines[0].starts_with("Anna, SSP Nord (eksporteret ")
            && lines[0].ends_with("): 0 sessioner tilføjet, 0 opdateret, 4 fandtes allerede"),
        "{lines:?}"
    );

    // Removed, after a question that says how many.
    press(
        console_c,
        "#imported-origins [data-origin='Anna, SSP Nord'] button",
    )
    .await;
    let question = console_c.get_alert_text().await.unwrap();
    assert_eq!(
        question,
        "Fjern de 4 sessioner fra «Anna, SSP Nord» fra denne computer? Du kan importere filen igen senere."
    );
    console_c.accept_alert().await.unwrap();
    wait_results(console_c, |lines| {
        lines == ["4 sessioner fra Anna, SSP Nord er fjernet."]
    })
    .await;
    wait_gone(console_c, "#reach-origins").await;
    wait_for(console_c, "#no-imported-origins").await;
    wait_texts(
        console_c,
        "#reach-total dd",
        &["1", "1", "5", "0", "0", "10"],
    )
    .await;
    assert_eq!(focused(console_c).await, "import-heading");

    // On a phone-sized window too.
    let small = browser(&driver, 360, 640).await;
    small
        .goto(&format!("http://{c}/host#token={HOST_TOKEN}"))
        .await
        .unwrap();
    click_when_listed(&small, "#open-overview").await;
    wait_for(&small, "#no-imported-origins").await;
    if let Some(violations) = axe_violations(&small).await {
        assert!(
            violations.is_empty(),
            "exchange on a phone: {violations:#?}"
        );
    }

    for browser in [console, coordinator_console, small] {
        let _ = browser.close().await;
    }
    laptop.stop().await;
    coordinator.stop().await;
}
