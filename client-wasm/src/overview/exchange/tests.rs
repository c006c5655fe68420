//! Sharing and importing on *Overblik*: the request made, the answers read, and every
//! sentence the page shows (exact texts, in Danish and English).

use pejling_wire::{OverviewChoices, Reach, SetChoice};

use super::*;

fn report(added: u32, updated: u32, unchanged: u32, own: u32) -> ImportReport {
    ImportReport {
        origin: "Anna, SSP Nord".into(),
        exported_at: "2027-06-20T14:05:33+02:00".into(),
        sessions: added + updated + unchanged + own,
        added,
        updated,
        unchanged,
        own,
    }
}

fn refusal() -> ExchangeRefusal {
    ExchangeRefusal {
        message: "this is not a pejling exchange file (docs/exchange.md): expected value".into(),
        danish: "Filen er ikke en delingsfil fra pejling: expected value".into(),
    }
}

fn reach(key: &str, sessions: u32, parent_sessions: u32) -> Reach {
    Reach {
        key: key.into(),
        sessions,
        parent_sessions,
        ..Reach::default()
    }
}

/// An overview of this school year counting `own` sessions of this computer (one of them
/// a parent evening when there are two or more) and `imported` from Anna.
fn overview(own: u32, imported: u32) -> Overview {
    let parents = u32::from(own >= 2);
    let mut by_origin = Vec::new();
    if imported > 0 {
        if own > 0 {
            by_origin.push(reach("", own - parents, parents));
        }
        by_origin.push(reach("Anna, SSP Nord", imported, 0));
    }
    Overview {
        query: OverviewQuery {
            from: Some("2026-08-01".into()),
            to: Some("2027-07-31".into()),
            ..OverviewQuery::default()
        },
        min_answers: 5,
        choices: OverviewChoices {
            schools: vec!["Nordskolen".into()],
            grades: vec!["7".into()],
            sets: vec![SetChoice {
                id: "7-klasse-alkohol".into(),
                title: "7. klasse: alkohol".into(),
            }],
        },
        total: reach("", own - parents + imported, parents),
        by_month: Vec::new(),
        by_school: Vec::new(),
        rehearsals: 0,
        pairs: Vec::new(),
        follow_ups: Default::default(),
        by_origin,
    }
}

#[test]
fn the_sharing_section_says_what_goes_into_the_file() {
    let view = share_view(&overview(3, 0), Language::Da);
    assert_eq!(view.sessions, 3);
    assert!(view.enabled);
    assert_eq!(
        view.lines,
        [
            "Med i filen: de 3 sessioner fra denne computer, som overblikket ovenfor tæller for 01.08.2026 – 31.07.2027, og for en opfølgning også den tidligere session, den sammenlignes med.",
            "For hver klasse kun, hvor mange der gav hvert svar. Har færre end 5 i en klasse svaret på et spørgsmål, kommer tallene ikke med.",
            "Aldrig elevers navne, adgangskoder eller den enkelte elevs svar.",
        ]
    );
    let view = share_view(&overview(3, 0), Language::En);
    assert_eq!(
        view.lines,
        [
            "In the file: the 3 sessions of this computer that the overview above counts for 2026-08-01 – 2027-07-31, and for a follow-up also the earlier session it is compared with.",
            "For each class only how many gave each answer. Where fewer than 5 in a class answered a question, its counts are left out.",
            "Never pupils' names, access codes or any one pupil's answer.",
        ]
    );
}

#[test]
fn a_coordinator_shares_only_this_computer_s_sessions() {
    // 2 of this computer's (a class and a parent evening) and 4 imported: only the 2 go.
    let data = overview(2, 4);
    assert_eq!(counted_sessions(&data), (2, 4));
    let view = share_view(&data, Language::Da);
    assert_eq!(view.sessions, 2);
    assert!(view.lines[0].starts_with("Med i filen: de 2 sessioner fra denne computer"));
    assert_eq!(
        view.lines.last().unwrap(),
        "Ikke med: 4 sessioner, der er importeret fra andre computere."
    );
    assert_eq!(
        share_view(&data, Language::En).lines.last().unwrap(),
        "Not in it: 4 sessions imported from other computers."
    );
    // One session: said so.
    let one = share_view(&overview(1, 1), Language::Da);
    assert!(
        one.lines[0].starts_with("Med i filen: den ene session fra denne computer, som"),
        "{}",
        one.lines[0]
    );
    assert_eq!(
        one.lines.last().unwrap(),
        "Ikke med: 1 session, der er importeret fra andre computere."
    );
}

#[test]
fn nothing_to_share_disables_the_button_and_says_why() {
    for data in [overview(0, 0), overview(0, 3)] {
        let view = share_view(&data, Language::Da);
        assert!(!view.enabled);
        assert_eq!(view.sessions, 0);
        assert_eq!(
            view.lines[0],
            "Overblikket ovenfor tæller ingen sessioner fra denne computer for 01.08.2026 – 31.07.2027, så der er intet at dele. Vælg en anden periode ovenfor."
        );
    }
    let view = share_view(&overview(0, 0), Language::En);
    assert_eq!(
        view.lines,
        [
            "The overview above counts no sessions of this computer for 2026-08-01 – 2027-07-31, so there is nothing to share. Choose another period above."
        ]
    );
}

#[test]
fn the_scope_names_the_filters() {
    let mut data = overview(3, 0);
    data.query.school = Some("Nordskolen".into());
    data.query.set = Some("7-klasse-alkohol".into());
    assert_eq!(
        scope_text(&data, Language::Da),
        "01.08.2026 – 31.07.2027 (skole: Nordskolen, spørgesæt: «7. klasse: alkohol»)"
    );
    data.query.from = None;
    data.query.to = None;
    data.query.school = None;
    data.query.grade = Some("7".into());
    data.query.set = Some("gone".into());
    assert_eq!(
        scope_text(&data, Language::En),
        "all sessions (grade: 7, question set: «gone»)"
    );
}

#[test]
fn the_export_asks_for_the_overview_shown_by_the_origin_typed() {
    let mut model = ExchangeModel::new(Some("Anna, SSP Nord".into()));
    let shown = overview(3, 0).query;
    // Nothing typed: no request, and the page says what to do.
    model.set_origin("   ");
    assert_eq!(model.export_body(&shown), None);
    assert_eq!(model.share, ShareStatus::NoOrigin);
    assert!(model.share_is_problem());
    assert_eq!(
        model.share_status(Language::Da),
        "Skriv først, hvem filen er fra."
    );
    // Typing clears it.
    model.set_origin(" Anna, SSP Nord ");
    assert_eq!(model.share, ShareStatus::Idle);
    assert_eq!(model.share_status(Language::Da), "");
    let body = model.export_body(&shown).unwrap();
    assert_eq!(
        body,
        r#"{"origin":"Anna, SSP Nord","query":{"from":"2026-08-01","to":"2027-07-31"}}"#
    );
    let request: ExportRequest = serde_json::from_str(&body).unwrap();
    assert_eq!(request.query, shown);
    assert_eq!(model.share, ShareStatus::Fetching);
    assert_eq!(model.share_status(Language::Da), "Laver delingsfilen…");
    // A second click while it is fetched asks nothing.
    assert_eq!(model.export_body(&shown), None);
    // An origin longer than the server takes is cut where it is typed.
    let long = "x".repeat(100);
    assert_eq!(model.set_origin(&long).chars().count(), MAX_ORIGIN_CHARS);
}

#[test]
fn the_file_is_saved_under_the_server_s_name() {
    let mut model = ExchangeModel::new(Some("Anna".into()));
    model.export_body(&OverviewQuery::default());
    let name = model
        .exported(Ok((
            200,
            "{}",
            Some("attachment; filename=\"pejling-deling-2027-06-20.json\""),
        )))
        .unwrap();
    assert_eq!(name, "pejling-deling-2027-06-20.json");
    model.saved(Some(name));
    assert!(!model.share_is_problem());
    assert_eq!(
        model.share_status(Language::Da),
        "Gemt som pejling-deling-2027-06-20.json. Send filen til koordinatoren, fx som vedhæftet fil i en mail."
    );
    assert_eq!(
        model.share_status(Language::En),
        "Saved as pejling-deling-2027-06-20.json. Send the file to the coordinator, e.g. attached to an e-mail."
    );
    assert_eq!(file_name(None), "pejling-deling.json");
    assert_eq!(
        file_name(Some("attachment; filename=\"../../x.json\"")),
        "x.json"
    );
    assert_eq!(file_name(Some("attachment")), "pejling-deling.json");
    model.saved(None);
    assert_eq!(
        model.share_status(Language::Da),
        "Delingsfilen kunne ikke hentes. Prøv igen."
    );
}

#[test]
fn a_refused_export_shows_the_server_s_reason() {
    let mut model = ExchangeModel::new(Some("Anna".into()));
    let body = r#"{"message": "none of the chosen sessions can be shared", "danish": "Ingen af de valgte sessioner kan deles"}"#;
    model.export_body(&OverviewQuery::default());
    assert_eq!(model.exported(Ok((422, body, None))), None);
    assert!(model.share_is_problem());
    assert_eq!(
        model.share_status(Language::Da),
        "Ingen af de valgte sessioner kan deles"
    );
    assert_eq!(
        model.share_status(Language::En),
        "none of the chosen sessions can be shared"
    );
    // A plain-text 400, a server error, no answer: it failed.
    for answer in [
        Ok((400, "Failed to parse the request body", None)),
        Ok((500, "", None)),
        Err(()),
    ] {
        model.export_body(&OverviewQuery::default());
        assert_eq!(model.exported(answer), None);
        assert_eq!(model.share, ShareStatus::Failed);
    }
}

#[test]
fn each_imported_file_gets_a_line() {
    let mut model = ExchangeModel::default();
    model.importing(vec![
        "anna.json".into(),
        "ikke-en-fil.json".into(),
        "egne.json".into(),
    ]);
    assert!(model.busy_importing());
    assert_eq!(
        model.import_lines(Language::Da),
        [("Importerer fil 1 af 3…".to_string(), false)]
    );
    model.imported(
        0,
        Ok((200, &serde_json::to_string(&report(12, 0, 3, 0)).unwrap())),
    );
    model.imported(1, Ok((422, &serde_json::to_string(&refusal()).unwrap())));
    assert_eq!(
        model.import_lines(Language::Da),
        [
            (
                "Anna, SSP Nord (eksporteret 20.06.2027 14:05): 12 sessioner tilføjet, 0 opdateret, 3 fandtes allerede".to_string(),
                false
            ),
            (
                "ikke-en-fil.json: ikke importeret. Filen er ikke en delingsfil fra pejling: expected value".to_string(),
                true
            ),
            ("Importerer fil 3 af 3…".to_string(), false),
        ]
    );
    model.imported(
        2,
        Ok((200, &serde_json::to_string(&report(0, 1, 0, 4)).unwrap())),
    );
    assert!(!model.busy_importing());
    assert_eq!(
        model.import_lines(Language::Da)[2].0,
        "Anna, SSP Nord (eksporteret 20.06.2027 14:05): 0 sessioner tilføjet, 1 opdateret, 0 fandtes allerede, 4 er denne computers egne og blev sprunget over"
    );
    assert_eq!(
        model.import_lines(Language::En),
        [
            (
                "Anna, SSP Nord (exported 2027-06-20 14:05): 12 sessions added, 0 updated, 3 already here".to_string(),
                false
            ),
            (
                "ikke-en-fil.json: not imported. this is not a pejling exchange file (docs/exchange.md): expected value".to_string(),
                true
            ),
            (
                "Anna, SSP Nord (exported 2027-06-20 14:05): 0 sessions added, 1 updated, 0 already here, 4 are this computer's own and were skipped".to_string(),
                false
            ),
        ]
    );
    // One session, one own.
    assert_eq!(
        import_line(
            "a.json",
            &ImportOutcome::Imported(report(1, 0, 0, 1)),
            Language::Da
        ),
        "Anna, SSP Nord (eksporteret 20.06.2027 14:05): 1 session tilføjet, 0 opdateret, 0 fandtes allerede, 1 er denne computers egen og blev sprunget over"
    );
    assert_eq!(
        import_line(
            "a.json",
            &ImportOutcome::Imported(report(1, 0, 0, 1)),
            Language::En
        ),
        "Anna, SSP Nord (exported 2027-06-20 14:05): 1 session added, 0 updated, 0 already here, 1 is this computer's own and was skipped"
    );
    // The next import starts with its own lines.
    assert_eq!(model.importing(vec!["b.json".into()]), 0);
    assert_eq!(model.import_lines(Language::Da).len(), 1);
    // Files picked while others are on their way come after them.
    assert_eq!(model.importing(vec!["c.json".into(), "d.json".into()]), 1);
    assert_eq!(
        model.import_lines(Language::Da),
        [("Importerer fil 1 af 3…".to_string(), false)]
    );
    model.imported(2, Err(()));
    model.imported(0, Err(()));
    assert_eq!(
        model.import_lines(Language::Da)[2].0,
        "Importerer fil 3 af 3…"
    );
    model.imported(1, Err(()));
    assert!(!model.busy_importing());
    assert_eq!(model.import_lines(Language::Da).len(), 3);
}

#[test]
fn a_file_too_large_or_unanswered_says_so() {
    let mut model = ExchangeModel::default();
    model.importing(vec![
        "stor.json".into(),
        "væk.json".into(),
        "rod.json".into(),
    ]);
    model.imported(0, Ok((413, "length limit exceeded")));
    model.imported(1, Err(()));
    model.imported(2, Ok((200, "not a report")));
    let lines: Vec<String> = model
        .import_lines(Language::Da)
        .into_iter()
        .map(|(line, problem)| {
            assert!(problem);
            line
        })
        .collect();
    assert_eq!(
        lines,
        [
            "stor.json: ikke importeret. Filen er for stor til at være en delingsfil (højst 32 MB).",
            "væk.json: ikke importeret. Serveren svarede ikke som ventet. Prøv igen.",
            "rod.json: ikke importeret. Serveren svarede ikke som ventet. Prøv igen.",
        ]
    );
    assert_eq!(
        model.import_lines(Language::En)[0].0,
        "stor.json: not imported. The file is too large to be a sharing file (at most 32 MB)."
    );
}

fn anna(sessions: u32, first: &str, last: &str) -> ImportedOrigin {
    ImportedOrigin {
        origin: "Anna, SSP Nord".into(),
        sessions,
        first: first.into(),
        last: last.into(),
        exported_at: "2027-06-20T14:05:00+02:00".into(),
    }
}

#[test]
fn imported_origins_are_listed_and_removed_after_a_question() {
    let four = anna(4, "2027-03-02", "2027-06-18");
    assert_eq!(
        origin_line(&four, Language::Da),
        "Anna, SSP Nord: 4 sessioner, 02.03.2027 – 18.06.2027 (nyeste tal eksporteret 20.06.2027 14:05)"
    );
    assert_eq!(
        origin_line(&anna(1, "2027-03-02", "2027-03-02"), Language::En),
        "Anna, SSP Nord: 1 session, 2027-03-02 (newest figures exported 2027-06-20 14:05)"
    );
    assert_eq!(
        confirm_remove(&four, Language::Da),
        "Fjern de 4 sessioner fra «Anna, SSP Nord» fra denne computer? Du kan importere filen igen senere."
    );
    assert_eq!(
        confirm_remove(&anna(1, "2027-03-02", "2027-03-02"), Language::En),
        "Remove the one session from “Anna, SSP Nord” from this computer? You can import the file again later."
    );
    assert_eq!(
        remove_path("Anna, SSP Nord"),
        "/api/exchange/imports?origin=Anna%2C%20SSP%20Nord"
    );
    assert_eq!(removed_count(Ok((200, r#"{"removed":4}"#))), Some(4));
    assert_eq!(removed_count(Ok((403, ""))), None);
    assert_eq!(removed_count(Err(())), None);

    let mut model = ExchangeModel::default();
    model.importing(vec!["anna.json".into()]);
    model.imported(
        0,
        Ok((200, &serde_json::to_string(&report(4, 0, 0, 0)).unwrap())),
    );
    model.removed("Anna, SSP Nord", Some(4));
    assert_eq!(
        model.import_lines(Language::Da),
        [(
            "4 sessioner fra Anna, SSP Nord er fjernet.".to_string(),
            false
        )]
    );
    assert_eq!(
        model.import_lines(Language::En)[0].0,
        "4 sessions from Anna, SSP Nord removed."
    );
    model.removed("Anna, SSP Nord", None);
    assert_eq!(
        model.import_lines(Language::Da),
        [(
            "Sessionerne fra Anna, SSP Nord kunne ikke fjernes. Prøv igen.".to_string(),
            true
        )]
    );
    // A list that could not be fetched keeps the one shown and says so.
    model.listed(Some(vec![four.clone()]));
    model.listed(None);
    assert!(model.origins_failed);
    assert_eq!(model.origins, Some(vec![four]));
    model.listed(Some(Vec::new()));
    assert!(!model.origins_failed);
}

#[test]
fn times_of_export_are_written_as_people_write_them() {
    assert_eq!(
        exported_text("2027-06-20T14:05:33+02:00", Language::Da),
        "20.06.2027 14:05"
    );
    assert_eq!(
        exported_text("2027-06-20T14:05:33Z", Language::En),
        "2027-06-20 14:05"
    );
    // Not such a time: as it is.
    assert_eq!(exported_text("i går", Language::Da), "i går");
    assert_eq!(
        exported_text("2027-06-20 at 14h05", Language::Da),
        "2027-06-20 at 14h05"
    );
}
