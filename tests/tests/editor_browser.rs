//! The question-set editor in real Chromium (issue 16): a built-in set copied, a percent
//! pair with a national figure added, moved, a problem shown by the checker fixed, saved,
//! and a session run with it from a phone page; a file with a problem imported and the
//! problem shown at its field; a set downloaded and compared with the file on disk; and
//! axe-core on the editor.

use fantoccini::{Client as Browser, Locator};

use crate::browser::{
    axe_violations, browser, browser_saving_to, chromedriver, screenshot, wait_for, wait_text,
};
use pejling_tests::HOST_TOKEN;

/// WebDriver keys: Control held for "a", released, then Backspace: clears a field as a
/// person does (and fires the input events the page listens to).
const SELECT_ALL_AND_DELETE: &str = "\u{E009}a\u{E000}\u{E003}";

async fn value(browser: &Browser, css: &str) -> String {
    wait_for(browser, css)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn count(browser: &Browser, css: &str) -> usize {
    browser.find_all(Locator::Css(css)).await.unwrap().len()
}

/// Scrolls the element to the middle of the window, as a person scrolls to a button
/// before pressing it (the editor's bar stays at the top of the window), and clicks it.
/// A click that lands while the page is being redrawn (the element replaced, or covered
/// for a moment) is tried again until the wait runs out.
async fn click_in_view(browser: &Browser, css: &str) {
    let deadline = std::time::Instant::now() + crate::browser::WAIT;
    loop {
        let element = wait_for(browser, css).await;
        let scrolled = browser
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![serde_json::to_value(&element).unwrap()],
            )
            .await;
        let clicked = match scrolled {
            Ok(_) => element.click().await.map(drop),
            Err(error) => Err(error),
        };
        match clicked {
            Ok(()) => return,
            Err(error) => assert!(
                std::time::Instant::now() < deadline,
                "{css}: could not be clicked: {error}"
            ),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Waits until the problem place `#id` is shown with a text; returns it.
async fn problem_shown(browser: &Browser, id: &str) -> String {
    wait_text(browser, &format!("#{id}:not([hidden])"), |t| !t.is_empty()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_set_is_copied_changed_saved_and_run_from_the_editor() {
    let Some(driver) = chromedriver() else {
        return;
    };
    let server = pejling_tests::spawn_app().await;
    let base = format!("http://{}", server.addr);
    let downloads = tempfile::tempdir().unwrap();
    let console = browser_saving_to(&driver, 1366, 768, Some(downloads.path())).await;
    console
        .goto(&format!("{base}/host#token={HOST_TOKEN}"))
        .await
        .unwrap();
    click_in_view(&console, "#open-editor").await;
    click_in_view(&console, "li[data-set='7-klasse-alkohol'] button").await;
    wait_for(&console, "#f-title").await;
    assert_eq!(value(&console, "#f-id").await, "7-klasse-alkohol-kopi");
    let n = count(&console, ".question-card").await;
    assert!(n >= 4, "{n} questions");

    // A pair: the perceived question's wording follows the own question's.
    click_in_view(&console, "#add-pair").await;
    wait_for(&console, &format!("#question-{}", n + 1)).await;
    wait_for(&console, &format!("#f-questions-{n}-text"))
        .await
        .send_keys("Har du prøvet snus?")
        .await
        .unwrap();
    let guess_text = format!("#f-questions-{}-text", n + 1);
    let deadline = std::time::Instant::now() + crate::browser::WAIT;
    while value(&console, &guess_text).await
        != "Hvor mange procent af eleverne i din klasse tror du har prøvet snus?"
    {
        assert!(std::time::Instant::now() < deadline, "no suggested wording");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The estimate is of the share answering "Ja", picked from the partner's options.
    assert_eq!(
        wait_for(
            &console,
            &format!("#f-questions-{}-perceives-options-0", n + 1)
        )
        .await
        .prop("checked")
        .await
        .unwrap()
        .as_deref(),
        Some("true")
    );
    // A national figure from the registry.
    wait_for(&console, &format!("#cite-{}", n + 1))
        .await
        .select_by_index(1)
        .await
        .unwrap();
    wait_for(&console, &format!("#f-questions-{}-references-0", n + 1)).await;

    // Moved up: the own question now comes before the last built-in question.
    click_in_view(&console, &format!("[data-action='editor:do:move:{n}:-1']")).await;
    let own = n - 1;
    wait_text(&console, &format!("#question-{own}-title"), |t| {
        t.contains(&format!("{}", own + 1))
    })
    .await;
    assert_eq!(
        value(&console, &format!("#f-questions-{own}-text")).await,
        "Har du prøvet snus?"
    );

    // A problem: the question's text emptied. The checker's Danish text is shown at the
    // field and in the list at the top, and the set cannot be saved.
    wait_for(&console, &format!("#f-questions-{own}-text"))
        .await
        .send_keys(SELECT_ALL_AND_DELETE)
        .await
        .unwrap();
    let problem = problem_shown(&console, &format!("p-questions-{own}-text")).await;
    assert!(problem.contains("mangler"), "{problem}");
    wait_text(&console, "#editor-problems", |t| t.contains(&problem)).await;
    wait_for(&console, "#editor-save[disabled]").await;
    screenshot(&console, "editor-problem").await;
    if let Some(violations) = axe_violations(&console).await {
        assert!(violations.is_empty(), "editor: {violations:#?}");
    }
    // Fixed: the problem goes, and the set is saved.
    wait_for(&console, &format!("#f-questions-{own}-text"))
        .await
        .send_keys("Har du prøvet snus?")
        .await
        .unwrap();
    wait_for(&console, "#editor-problems .ok").await;
    click_in_view(&console, "#editor-save:not([disabled])").await;
    wait_text(&console, "#editor-status", |t| {
        t.contains("7-klasse-alkohol-kopi.toml")
    })
    .await;
    screenshot(&console, "editor-saved").await;
    let file = server
        .data
        .parent()
        .unwrap()
        .join("sets/7-klasse-alkohol-kopi.toml");
    let on_disk = std::fs::read_to_string(&file).unwrap();
    assert!(on_disk.contains("Har du prøvet snus?"), "{on_disk}");
    assert!(pejling::library::check_paths(&[file]).is_empty());

    // Downloaded from the list ("Hent fil"), the file is the one on disk.
    click_in_view(&console, "#editor-close").await;
    click_in_view(
        &console,
        "#own-sets li[data-set='7-klasse-alkohol-kopi'] button.download",
    )
    .await;
    let downloaded = downloads.path().join("7-klasse-alkohol-kopi.toml");
    let deadline = std::time::Instant::now() + crate::browser::WAIT;
    while !downloaded.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "no download in {downloads:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(std::fs::read_to_string(&downloaded).unwrap(), on_disk);

    // Used for a session at once, and answered from a phone page.
    click_in_view(&console, "[data-action='editor:back']").await;
    wait_for(
        &console,
        "#set-select option[value='7-klasse-alkohol-kopi']",
    )
    .await;
    wait_for(&console, "#set-select")
        .await
        .select_by_value("7-klasse-alkohol-kopi")
        .await
        .unwrap();
    click_in_view(&console, "#create-session").await;
    let code = wait_text(&console, "#session-code", |t| t.len() == 6).await;
    click_in_view(&console, "#control-open").await;
    let phone = browser(&driver, 360, 640).await;
    phone.goto(&format!("{base}/j/{code}")).await.unwrap();
    click_in_view(&phone, "[data-action='answer-choice:0']").await;
    wait_text(&phone, "#main-heading", |t| t == "Tak for dit svar").await;
    wait_text(&console, "#current-answered", |t| t.starts_with("1 ")).await;

    phone.close().await.unwrap();
    console.close().await.unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_file_shows_its_problem_at_the_field() {
    let Some(driver) = chromedriver() else {
        return;
    };
    let server = pejling_tests::spawn_app().await;
    let base = format!("http://{}", server.addr);
    let builtin = pejling::library::builtin_files()
        .into_iter()
        .find(|file| file.origin.ends_with("7-klasse-alkohol.toml"))
        .unwrap()
        .text;
    // The second question's kind misspelt, as a colleague's hand-edited file might have.
    let second = builtin.match_indices("[[questions]]").nth(1).unwrap().0;
    let broken = format!(
        "{}{}",
        &builtin[..second],
        builtin[second..].replacen("kind = \"percent\"", "kind = \"procent\"", 1)
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kollegas-saet.toml");
    std::fs::write(&path, &broken).unwrap();

    let console = browser(&driver, 360, 640).await;
    console
        .goto(&format!("{base}/host#token={HOST_TOKEN}"))
        .await
        .unwrap();
    click_in_view(&console, "#open-editor").await;
    // The list has loaded (the page is drawn again when it comes).
    wait_for(&console, "#builtin-sets li").await;
    wait_for(&console, "#import-file")
        .await
        .send_keys(&path.display().to_string())
        .await
        .unwrap();
    let problem = problem_shown(&console, "p-questions-1-kind").await;
    assert!(problem.contains("procent"), "{problem}");
    // Its id is the built-in set's: replace it or keep both.
    wait_for(&console, "#editor-exists").await;
    wait_for(&console, "#editor-save[disabled]").await;
    screenshot(&console, "editor-import-problem").await;
    if let Some(violations) = axe_violations(&console).await {
        assert!(violations.is_empty(), "editor on a phone: {violations:#?}");
    }
    // A file saved as "ANSI" in Notepad (Latin-1): refused with what to do, never read
    // with broken æøå.
    // The import is not saved yet: closing asks first.
    click_in_view(&console, "#editor-close").await;
    assert!(
        console
            .get_alert_text()
            .await
            .unwrap()
            .contains("ikke gemt"),
        "closing an unsaved import asks"
    );
    console.accept_alert().await.unwrap();
    wait_for(&console, "#builtin-sets li").await;
    let latin1 = dir.path().join("ansi.toml");
    std::fs::write(&latin1, b"title = \"S\xe6t om s\xf8vn\"\n").unwrap();
    wait_for(&console, "#import-file")
        .await
        .send_keys(&latin1.display().to_string())
        .await
        .unwrap();
    wait_text(&console, ".error", |t| t.contains("UTF-8")).await;
    console.close().await.unwrap();
    server.stop().await;
}
