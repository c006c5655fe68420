//! Tests of the format and its checker.

use super::raw::*;
use super::*;

const HEADER: &str = "format = 1\nid = \"t\"\ntitle = \"T\"\nlanguage = \"da\"\naudience = \"pupils\"\ngrades = [\"7\"]\n";

fn problems(body: &str) -> Vec<(usize, usize, String)> {
    match parse(&format!("{HEADER}{body}")) {
        Ok(_) => Vec::new(),
        Err(problems) => problems
            .into_iter()
            .map(|p| (p.line, p.col, p.message))
            .collect(),
    }
}

/// Issue 12 (17): the span check wrapped for the widest i64 bounds and let the set in.
#[test]
fn the_widest_number_range_is_refused_not_wrapped() {
    let found = problems(
        "[[questions]]\nid = \"n\"\nkind = \"number\"\ntext = \"?\"\nmin = -9223372036854775808\nmax = 9223372036854775807\n",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].2.contains("may span at most 1000000"), "{found:?}");
}

/// A percent estimate of a choice question without options computed the highest option
/// as 0 - 1 (a panic in a debug build, a wrapped number in a release build).
#[test]
fn a_partner_without_options_is_its_own_problem_not_a_panic() {
    let found = problems(
        "[[questions]]\nid = \"own\"\nkind = \"choice\"\ntext = \"?\"\noptions = []\n[[questions]]\nid = \"g\"\nkind = \"percent\"\ntext = \"?\"\nperceives = { question = \"own\", options = [0] }\n",
    );
    assert_eq!(
        found,
        vec![(
            11,
            11,
            "options must have 2 to 12 entries, found 0".to_string()
        )]
    );
}

#[test]
fn accepts_every_kind_and_a_pair() {
    let parsed = parse(&format!(
        "{HEADER}
[[questions]]
id = \"own\"
kind = \"choice\"
text = \"Har du?\"
options = [\"Ja\", \"Nej\"]
abstain = [\"Vil ikke svare\"]
sensitive = true

[[questions]]
id = \"perceived\"
kind = \"percent\"
text = \"Hvor mange?\"
perceives = {{ question = \"own\", options = [0] }}
references = [\"espad-2019-fuld-30-dage\"]

[[questions]]
id = \"age\"
kind = \"number\"
text = \"Hvor gammel?\"
min = 8
max = 20
unit = \"år\"

[[questions]]
id = \"ok\"
kind = \"scale\"
text = \"Er det ok?\"
points = [\"Nej\", \"Måske\", \"Ja\"]
"
    ))
    .expect("valid set");
    let set = parsed.set;
    assert_eq!(set.questions.len(), 4);
    assert_eq!(
        set.questions[1].perceives,
        Some(Perceives {
            set: None,
            question: "own".into(),
            options: vec![0]
        })
    );
    // Citations are resolved by the library against the registry.
    assert!(set.questions[1].references.is_empty());
    assert_eq!(
        parsed.citations,
        vec![Citation {
            question_idx: 1,
            id: "espad-2019-fuld-30-dage".into(),
            at: (21, 15),
        }]
    );
    assert!(set.questions[0].sensitive);
}

#[test]
fn an_unknown_key_does_not_hide_the_other_problems() {
    let text = "format = 1\nid = \"s\"\ntitle = \"S\"\nlanguage = \"da\"\naudience = \"pupils\"\ngrades = [\"7\"]\ntitel = \"typo\"\n\n[[questions]]\nid = \"a\"\nkind = \"choice\"\ntext = \"x\"\noptions = [\"Ja\", \"\"]\nsensitiv = true\nperceives = { question = \"a\", option = [0] }\n";
    let problems: Vec<(usize, usize, String)> = parse(text)
        .unwrap_err()
        .into_iter()
        .map(|p| (p.line, p.col, p.message))
        .collect();
    let at: Vec<(usize, usize)> = problems.iter().map(|p| (p.0, p.1)).collect();
    assert!(at.contains(&(7, 1)), "titel: {problems:?}");
    assert!(at.contains(&(14, 1)), "sensitiv: {problems:?}");
    assert!(at.contains(&(15, 31)), "option: {problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.2 == "an entry of options must not be empty"),
        "the other problems are still found: {problems:?}"
    );
}

#[test]
fn every_key_of_the_format_is_known() {
    // A set and a registry using every key: none is reported unknown, so the key lists
    // of `unknown_keys` and the raw structs agree.
    let set = "format = 1\nid = \"s\"\ntitle = \"S\"\nlanguage = \"da\"\naudience = \"pupils\"\ngrades = [\"7\"]\nfacilitator_note = \"n\"\nmin_answers = 3\n\n[[questions]]\nid = \"own\"\nkind = \"choice\"\ntext = \"x\"\noptions = [\"Ja\", \"Nej\"]\nabstain = [\"Ved ikke\"]\nsensitive = true\nnote = \"n\"\nreferences = []\n\n[[questions]]\nid = \"g\"\nkind = \"percent\"\ntext = \"y\"\nperceives = { set = \"s\", question = \"own\", options = [0] }\n\n[[questions]]\nid = \"n\"\nkind = \"number\"\ntext = \"z\"\nmin = 1\nmax = 9\nunit = \"år\"\n\n[[questions]]\nid = \"sc\"\nkind = \"scale\"\ntext = \"w\"\npoints = [\"a\", \"b\"]\n";
    let locator = Locator::new(set);
    assert!(unknown_keys(set, &locator, &SET_KEYS).is_empty());
    let registry = "format = 1\n[[references]]\nid = \"r\"\nvalue = 4.0\nunit = \"%\"\nmeasures = \"m\"\npopulation = \"p\"\nyear = 2019\nsurvey = \"s\"\nreported_by = \"x\"\nurl = \"https://example.org\"\n";
    let locator = Locator::new(registry);
    assert!(unknown_keys(registry, &locator, &REGISTRY_KEYS).is_empty());
    assert!(
        parse_registry(registry).is_ok(),
        "{:?}",
        parse_registry(registry)
    );
}

#[test]
fn problems_carry_line_and_column() {
    // Lines 1-6 are the header; the body starts on line 7.
    let cases: &[(&str, (usize, usize), &str)] = &[
        (
            "[[questions]]\nid = \"a\"\nkind = \"choice\"\ntext = \"x\"\noptions = []\nbogus = 1\n",
            (12, 1),
            "unknown field `bogus`",
        ),
        (
            "[[questions]]\nid = \"a\"\nkind = \"choice\"\ntext = \"x\"\noptions = [\"Ja\", \"\"]\n",
            (11, 18),
            "an entry of options must not be empty",
        ),
        (
            "[[questions]]\nid = \"a\"\nkind = \"percent\"\ntext = \"x\"\n[[questions]]\nid = \"a\"\nkind = \"percent\"\ntext = \"y\"\n",
            (12, 6),
            "duplicate question id \"a\", first defined at line 8, column 6",
        ),
        (
            "[[questions]]\nid = \"a\"\nkind = \"percent\"\ntext = \"x\"\nperceives = { question = \"nope\", options = [0] }\n",
            (11, 26),
            "perceives unknown question id \"nope\"",
        ),
        (
            "[[questions]]\nid = \"a\"\nkind = \"number\"\ntext = \"x\"\nmin = 20\nmax = 8\n",
            (12, 7),
            "max (8) must be greater than min (20)",
        ),
        (
            "[[questions]]\nid = \"a\"\nkind = \"choice\"\ntext = \"x\"\noptions = [\"Ja\", \"Nej\"]\n[[questions]]\nid = \"b\"\nkind = \"percent\"\ntext = \"y\"\nperceives = { question = \"a\", options = [2] }\n",
            (16, 41),
            "option 2 is out of range: \"a\" has options 0 to 1",
        ),
    ];
    for (body, (line, col), message) in cases {
        let found = problems(body);
        assert!(
            found
                .iter()
                .any(|(l, c, m)| (*l, *c) == (*line, *col) && m.contains(message)),
            "expected {line}:{col} {message:?} for\n{body}\nfound {found:?}"
        );
    }
}

#[test]
fn registry_entries_are_checked_with_positions() {
    let text = "format = 1\n\n[[references]]\nid = \"a\"\nvalue = 140\nmeasures = \"m\"\npopulation = \"p\"\nyear = 1900\nsurvey = \"s\"\nurl = \"ftp://x\"\n\n[[references]]\nid = \"a\"\nvalue = 4\nmeasures = \"m\"\npopulation = \"p\"\nyear = 2019\nsource = \"s\"\n";
    let problems: Vec<(usize, usize, String)> = parse_registry(text)
        .unwrap_err()
        .into_iter()
        .map(|p| (p.line, p.col, p.message))
        .collect();
    // An unknown key (`source`, meant as `survey`) does not hide the other problems:
    // the missing `survey` is reported beside it.
    let unknown: Vec<_> = problems
        .iter()
        .filter(|p| p.2.contains("unknown field `source`"))
        .collect();
    assert_eq!(unknown.len(), 1, "{problems:?}");
    assert_eq!((unknown[0].0, unknown[0].1), (18, 1));
    assert!(
        problems
            .iter()
            .any(|p| p.2.contains("missing field `survey`")),
        "{problems:?}"
    );

    let text = text.replace("source = ", "survey = ");
    let problems: Vec<(usize, usize, String)> = parse_registry(&text)
        .unwrap_err()
        .into_iter()
        .map(|p| (p.line, p.col, p.message))
        .collect();
    assert_eq!(
        problems,
        vec![
            (
                5,
                9,
                "a reference value in % must be between 0 and 100, found 140".to_string()
            ),
            (8, 8, "year 1900 is not a plausible survey year".to_string()),
            (10, 7, "url must start with https:// or http://".to_string()),
            (
                13,
                6,
                "duplicate reference id \"a\", first defined at line 4, column 6".to_string()
            ),
        ]
    );
}

#[test]
fn empty_options_are_an_error() {
    let found =
        problems("[[questions]]\nid = \"a\"\nkind = \"choice\"\ntext = \"x\"\noptions = []\n");
    assert_eq!(
        found,
        vec![(
            11,
            11,
            "options must have 2 to 12 entries, found 0".to_string()
        )]
    );
}

#[test]
fn locator_counts_characters_not_bytes() {
    let locator = Locator::new("æø\nå = 1");
    assert_eq!(locator.at(0), (1, 1));
    assert_eq!(locator.at(2), (1, 2));
    assert_eq!(locator.at(5), (2, 1));
    assert_eq!(locator.at(7), (2, 2));
}

/// A valid question, so that a broken header is the file's only problem.
const QUESTION: &str = "[[questions]]\nid = \"q\"\nkind = \"percent\"\ntext = \"Hvor mange?\"\n";

/// A choice question "own" (Ja/Nej) for pairs to perceive.
const OWN: &str = "[[questions]]\nid = \"own\"\nkind = \"choice\"\ntext = \"Har du?\"\noptions = [\"Ja\", \"Nej\"]\n";

/// A file with one problem, its English text (as `pejling check` prints it) and its
/// Danish text (as the console's editor shows it).
struct Case {
    text: String,
    english: &'static str,
    danish: &'static str,
}

fn case(text: String, english: &'static str, danish: &'static str) -> Case {
    Case {
        text,
        english,
        danish,
    }
}

/// The header with one `key = value` line replaced (or removed, for an empty `line`).
fn header_with(key: &str, line: &str) -> String {
    HEADER
        .lines()
        .map(|l| {
            if l.starts_with(&format!("{key} =")) {
                line.to_string()
            } else {
                l.to_string()
            }
        })
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect()
}

fn broken_sets() -> Vec<Case> {
    vec![
        // Set fields.
        case(
            header_with("format", "format = 2") + QUESTION,
            "unsupported format 2; this version of pejling reads format 1",
            "Format 2 kan ikke læses; denne version af pejling læser format 1",
        ),
        case(
            header_with("title", "title = \" \"") + QUESTION,
            "title must not be empty",
            "Titlen mangler tekst",
        ),
        case(
            header_with("language", "language = \"de\"") + QUESTION,
            "unknown language \"de\", expected \"da\" or \"en\"",
            "Sproget \"de\" kendes ikke; vælg dansk eller engelsk (\"da\" eller \"en\" i filen)",
        ),
        case(
            header_with("audience", "audience = \"teachers\"") + QUESTION,
            "unknown audience \"teachers\", expected \"pupils\" or \"parents\"",
            "Målgruppen \"teachers\" kendes ikke; vælg elever eller forældre (\"pupils\" eller \"parents\" i filen)",
        ),
        case(
            header_with("grades", "grades = []") + QUESTION,
            "grades must have 1 to 12 entries, found 0",
            "Der skal være 1 til 12 klassetrin, men der er 0",
        ),
        case(
            format!("{HEADER}min_answers = 0\n{QUESTION}"),
            "min_answers must be between 1 and 1000, found 0",
            "Mindste antal svar skal være mellem 1 og 1000, men er 0",
        ),
        case(
            HEADER.to_string(),
            "a set needs at least one [[questions]] table",
            "Spørgesættet skal have mindst ét spørgsmål",
        ),
        // Ids.
        case(
            header_with("id", "id = \"Mit sæt\"") + QUESTION,
            "set id \"Mit sæt\" must be 1 to 64 characters of a-z, 0-9, '-' and '_', e.g. \"drunk-own\"",
            "Spørgesæt-id'et \"Mit sæt\" må kun have små bogstaver a-z (ikke æ, ø, å), tal, - og _ og højst 64 tegn, fx \"snus-egen\"",
        ),
        case(
            format!("{HEADER}{QUESTION}{QUESTION}"),
            "duplicate question id \"q\", first defined at line 8, column 6",
            "Spørgsmåls-id'et \"q\" bruges allerede af et andet spørgsmål i sættet",
        ),
        // Each kind.
        case(
            format!("{HEADER}[[questions]]\nid = \"a\"\nkind = \"choice\"\ntext = \"Har du?\"\n"),
            "a choice question needs options, e.g. options = [\"Ja\", \"Nej\"]",
            "Et valgspørgsmål skal have svarmuligheder, fx Ja og Nej",
        ),
        case(
            format!("{QUESTION}unit = \"år\"\n").replace("[[q", &format!("{HEADER}[[q")),
            "`unit` does not apply to a percent question",
            "Et procentspørgsmål kan ikke have en enhed",
        ),
        case(
            format!(
                "{HEADER}[[questions]]\nid = \"a\"\nkind = \"number\"\ntext = \"Alder?\"\nmin = 20\nmax = 8\n"
            ),
            "max (8) must be greater than min (20)",
            "Største værdi (8) skal være større end mindste værdi (20)",
        ),
        case(
            format!(
                "{HEADER}[[questions]]\nid = \"a\"\nkind = \"number\"\ntext = \"Alder?\"\nmax = 8\n"
            ),
            "a number question needs min and max, e.g. min = 8 and max = 20",
            "Et talspørgsmål skal have en mindste og en største værdi, fx 8 og 20",
        ),
        case(
            format!("{HEADER}[[questions]]\nid = \"a\"\nkind = \"scale\"\ntext = \"Ok?\"\n"),
            "a scale question needs points, e.g. points = [\"Helt uenig\", \"Uenig\", \"Enig\", \"Helt enig\"]",
            "Et skalaspørgsmål skal have skalapunkter, fx Helt uenig, Uenig, Enig og Helt enig",
        ),
        case(
            format!(
                "{HEADER}[[questions]]\nid = \"a\"\nkind = \"scale\"\ntext = \"Ok?\"\npoints = [\"Nej\", \"Ja\"]\noptions = [\"Nej\", \"Ja\"]\n"
            ),
            "`options` does not apply to a scale question",
            "Et skalaspørgsmål kan ikke have svarmuligheder",
        ),
        case(
            format!("{HEADER}[[questions]]\nid = \"a\"\nkind = \"slider\"\ntext = \"Ok?\"\n"),
            "unknown question kind \"slider\", expected one of \"choice\", \"percent\", \"number\", \"scale\"",
            "Spørgsmålstypen \"slider\" kendes ikke; vælg Valg, Procent, Tal eller Skala (\"choice\", \"percent\", \"number\" eller \"scale\" i filen)",
        ),
        // Labels.
        case(
            format!("{HEADER}{}", OWN.replace("\"Nej\"", "\"ja\"")),
            "options has \"ja\" twice",
            "To svarmuligheder hedder \"ja\"",
        ),
        case(
            format!(
                "{HEADER}[[questions]]\nid = \"a\"\nkind = \"scale\"\ntext = \"Ok?\"\npoints = [\"Nej\", \" \"]\n"
            ),
            "an entry of points must not be empty",
            "Et skalapunkt mangler tekst",
        ),
        case(
            format!("{HEADER}{QUESTION}abstain = [\"a\", \"b\", \"c\", \"d\"]\n"),
            "abstain must have 1 to 3 entries, found 4",
            "Der skal være 1 til 3 fravalgssvar, men der er 4",
        ),
        case(
            format!(
                "{HEADER}[[questions]]\nid = \"a\"\nkind = \"percent\"\ntext = \"{}\"\n",
                "x".repeat(601)
            ),
            "question text is longer than 600 characters",
            "Spørgsmålet har for mange tegn (højst 600)",
        ),
        // Pairs.
        case(
            format!(
                "{HEADER}{OWN}{QUESTION}perceives = {{ question = \"nope\", options = [0] }}\n"
            ),
            "perceives unknown question id \"nope\"",
            "Makkerspørgsmålet \"nope\" findes ikke",
        ),
        case(
            format!("{HEADER}{QUESTION}perceives = {{ question = \"q\" }}\n"),
            "a question cannot perceive itself",
            "Et spørgsmål kan ikke være sit eget makkerspørgsmål",
        ),
        case(
            format!("{HEADER}{OWN}{QUESTION}perceives = {{ question = \"own\" }}\n"),
            "a percent estimate must name the options of \"own\" whose share it estimates, e.g. options = [0]",
            "Skriv, hvilke svarmuligheder i \"own\" procenten gættes for, fx options = [0] for den første",
        ),
        case(
            format!("{HEADER}{OWN}{QUESTION}perceives = {{ question = \"own\", options = [2] }}\n"),
            "option 2 is out of range: \"own\" has options 0 to 1",
            "Svarmulighed nummer 2 findes ikke: \"own\" har svarmulighederne 0 til 1",
        ),
        case(
            format!(
                "{HEADER}{OWN}{QUESTION}perceives = {{ question = \"own\", options = [0, 1] }}\n"
            ),
            "options name every option of \"own\"; the share would always be 100 %",
            "Alle svarmuligheder i \"own\" er nævnt, så andelen ville altid være 100 %",
        ),
        case(
            format!(
                "{HEADER}{OWN}{QUESTION}perceives = {{ question = \"own\", options = [0, -1] }}\n"
            ),
            "an option index must be 0 or more",
            "Svarmuligheder tælles fra 0, så et nummer kan ikke være negativt",
        ),
        case(
            format!(
                "{HEADER}[[questions]]\nid = \"age\"\nkind = \"number\"\ntext = \"Alder?\"\nmin = 8\nmax = 20\n{QUESTION}perceives = {{ question = \"age\", options = [0] }}\n"
            ),
            "a percent estimate perceives a choice or scale question, but \"age\" is a number question",
            "Et procentspørgsmål kan kun spørge til et valg- eller skalaspørgsmål, men \"age\" er et talspørgsmål",
        ),
        case(
            format!(
                "{HEADER}{OWN}[[questions]]\nid = \"scale\"\nkind = \"scale\"\ntext = \"Ok?\"\npoints = [\"Nej\", \"Ja\"]\nperceives = {{ question = \"own\" }}\n"
            ),
            "an attitude pair needs two scale questions with the same number of answers; \"own\" is a choice question with 2 answers",
            "Et holdningspar skal være to skalaspørgsmål med lige mange svar; \"own\" er et valgspørgsmål med 2 svar",
        ),
        case(
            format!(
                "{HEADER}{OWN}[[questions]]\nid = \"guess\"\nkind = \"number\"\ntext = \"Hvor mange?\"\nmin = 0\nmax = 30\nperceives = {{ question = \"own\" }}\n"
            ),
            "a number estimate perceives a number question, but \"own\" is a choice question",
            "Et talspørgsmål kan kun spørge til et andet talspørgsmål, men \"own\" er et valgspørgsmål",
        ),
        case(
            format!(
                "{HEADER}{QUESTION}perceives = {{ set = \"other\", question = \"own\", options = [0] }}\n"
            ),
            "only a parents' set can cite questions of another set",
            "Kun et forældresæt kan spørge til spørgsmål i et andet spørgesæt",
        ),
        case(
            format!("{HEADER}{QUESTION}references = [\"espad\", \"espad\"]\n"),
            "reference \"espad\" is cited twice by this question",
            "Spørgsmålet henviser to gange til landstallet \"espad\"",
        ),
        // What serde and the toml crate find.
        case(
            format!("{HEADER}titel = \"Alkohol\"\n{QUESTION}"),
            "unknown field `titel`, expected one of `format`, `id`, `title`, `language`, `audience`, `grades`, `facilitator_note`, `min_answers`, `questions`",
            "Ukendt felt `titel` – tilladte felter: `format`, `id`, `title`, `language`, `audience`, `grades`, `facilitator_note`, `min_answers`, `questions`",
        ),
        case(
            header_with("title", "") + QUESTION,
            "missing field `title`",
            "Titlen mangler (feltet `title`)",
        ),
        case(
            header_with("grades", "grades = \"7\"") + QUESTION,
            "invalid type: string \"7\", expected a sequence",
            "Her skal stå en liste i [ ], ikke teksten \"7\"",
        ),
        case(
            format!("{HEADER}{QUESTION}sensitive = \"ja\"\n"),
            "invalid type: string \"ja\", expected a boolean",
            "Her skal stå true eller false, ikke teksten \"ja\"",
        ),
        case(
            format!("{HEADER}title = \"Igen\"\n{QUESTION}"),
            "duplicate key",
            "Feltet står to gange",
        ),
        case(
            format!(
                "{HEADER}{}",
                QUESTION.replace("\"Hvor mange?\"", "Hvor mange?")
            ),
            "string values must be quoted, expected literal string",
            "Tekst skal stå i anførselstegn, fx \"Ja\"",
        ),
        case(
            format!("{HEADER}{}", OWN.replace("\"Nej\"]", "\"Nej\"")),
            "unclosed array, expected `]`",
            "Listen mangler sin afsluttende ]",
        ),
        case(
            "Dette er ikke TOML.\n".to_string(),
            "key with no value, expected `=`",
            "Efter feltets navn mangler = og en værdi",
        ),
        case(
            format!("{HEADER}{QUESTION}note = 2025-13-01\n"),
            "invalid date, expected month between 01 and 12",
            "Filen kan ikke læses som TOML: invalid date, expected month between 01 and 12",
        ),
    ]
}

#[test]
fn each_problem_has_its_danish_text() {
    for Case {
        text,
        english,
        danish,
    } in broken_sets()
    {
        let problems = parse(&text).expect_err(&text);
        assert_eq!(problems.len(), 1, "{text}\n{problems:#?}");
        assert_eq!(problems[0].text(Language::En), english, "{text}");
        assert_eq!(problems[0].text(Language::Da), danish, "{text}");
    }
}

#[test]
fn each_registry_problem_has_its_danish_text() {
    let entry = "format = 1\n[[references]]\nid = \"r\"\nvalue = 4.5\nmeasures = \"m\"\npopulation = \"p\"\nyear = 2019\nsurvey = \"s\"\n";
    let cases = [
        (
            entry.replace("value = 4.5", "value = 140.5"),
            "a reference value in % must be between 0 and 100, found 140.5",
            "Et landstal i % skal være mellem 0 og 100, men er 140,5",
        ),
        (
            entry.replace("2019", "1900"),
            "year 1900 is not a plausible survey year",
            "Årstallet 1900 kan ikke passe for en undersøgelse",
        ),
        (
            format!("{entry}url = \"ftp://x\"\n"),
            "url must start with https:// or http://",
            "Linket skal begynde med https:// eller http://",
        ),
        (
            entry.replace("survey = \"s\"", "survey = \"\""),
            "survey must not be empty",
            "Undersøgelsen mangler tekst",
        ),
        (
            entry.replace("measures = \"m\"\n", ""),
            "missing field `measures`",
            "Beskrivelsen af, hvad tallet måler, mangler (feltet `measures`)",
        ),
        (
            entry.replace("value = 4.5", "value = \"4,5\""),
            "invalid type: string \"4,5\", expected f64",
            "Her skal stå et tal, ikke teksten \"4,5\"",
        ),
        (
            format!(
                "{entry}[[references]]\nid = \"r\"\nvalue = 5\nmeasures = \"m\"\npopulation = \"p\"\nyear = 2020\nsurvey = \"s\"\n"
            ),
            "duplicate reference id \"r\", first defined at line 3, column 6",
            "Landstals-id'et \"r\" findes to gange (første gang i linje 3, kolonne 6)",
        ),
    ];
    for (text, english, danish) in cases {
        let problems = parse_registry(&text).expect_err(&text);
        assert_eq!(problems.len(), 1, "{text}\n{problems:#?}");
        assert_eq!(problems[0].text(Language::En), english, "{text}");
        assert_eq!(problems[0].text(Language::Da), danish, "{text}");
    }
}

#[test]
fn serde_messages_without_a_file_that_makes_them_are_translated_too() {
    // The raw structs read kinds and languages as strings, so no file makes these.
    assert_eq!(
        danish_toml_message("unknown variant `slider`, expected one of `choice`, `scale`"),
        "Værdien `slider` kendes ikke – tilladte værdier: `choice`, `scale`"
    );
    assert_eq!(
        danish_toml_message("missing field `note`"),
        "Feltet `note` mangler"
    );
    assert_eq!(
        danish_toml_message("invalid type: floating point `1.5`, expected i64"),
        "Her skal stå et helt tal, ikke decimaltallet 1,5"
    );
}

/// Broken variants of a valid file: each line removed, each key misspelled, and each
/// value replaced by values of other types, empty ones and negative ones.
fn mutations(valid: &str) -> Vec<String> {
    let lines: Vec<&str> = valid.lines().collect();
    let mut broken = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let with = |replacement: &str| {
            let mut changed = lines.clone();
            changed[i] = replacement;
            changed.join("\n") + "\n"
        };
        broken.push(with(""));
        if let Some((key, _)) = line.split_once(" = ") {
            for value in [
                "3",
                "-1",
                "4.5",
                "\"\"",
                "\"x\"",
                "[]",
                "[\"x\", \"x\"]",
                "{}",
                "true",
                "Ja",
            ] {
                broken.push(with(&format!("{key} = {value}")));
            }
            broken.push(with(&format!("{key}x = 1")));
        } else {
            broken.push(with(&format!("{line}]")));
        }
    }
    broken
}

/// Every problem of `text`, whether it is a set or a registry.
fn all_problems(text: &str, registry: bool) -> Vec<Problem> {
    if registry {
        parse_registry(text).err().unwrap_or_default()
    } else {
        parse(text).err().unwrap_or_default()
    }
}

#[test]
fn every_problem_has_a_danish_text_of_its_own() {
    let set = format!(
        "{HEADER}min_answers = 5\n{OWN}abstain = [\"Vil ikke svare\"]\n{QUESTION}perceives = {{ question = \"own\", options = [0] }}\nreferences = [\"r\"]\n[[questions]]\nid = \"age\"\nkind = \"number\"\ntext = \"Alder?\"\nmin = 8\nmax = 20\nunit = \"år\"\n[[questions]]\nid = \"ok\"\nkind = \"scale\"\ntext = \"Ok?\"\npoints = [\"Nej\", \"Ja\"]\n"
    );
    let registry = "format = 1\n[[references]]\nid = \"r\"\nvalue = 4.5\nunit = \"%\"\nmeasures = \"m\"\npopulation = \"p\"\nyear = 2019\nsurvey = \"s\"\nreported_by = \"x\"\nurl = \"https://example.org\"\n";
    assert!(parse(&set).is_ok(), "{:?}", parse(&set));
    assert!(parse_registry(registry).is_ok());

    let mut found = 0;
    let inputs = broken_sets()
        .into_iter()
        .map(|case| (case.text, false))
        .chain(mutations(&set).into_iter().map(|text| (text, false)))
        .chain(mutations(registry).into_iter().map(|text| (text, true)));
    for (text, registry) in inputs {
        for problem in all_problems(&text, registry) {
            found += 1;
            assert!(!problem.danish.trim().is_empty(), "{text}\n{problem:?}");
            assert_ne!(problem.danish, problem.message, "{text}");
        }
    }
    assert!(found > 300, "{found} problems");
}

#[test]
fn the_common_mistakes_are_translated_not_quoted() {
    // The Danish fallback quotes the toml crate's English; no typo a consultant is likely
    // to make (a line left out, a misspelt key, a value of the wrong kind) should need it.
    let set =
        format!("{HEADER}{OWN}{QUESTION}perceives = {{ question = \"own\", options = [0] }}\n");
    for text in mutations(&set) {
        for problem in all_problems(&text, false) {
            assert!(
                !problem.danish.starts_with("Filen kan ikke læses som TOML"),
                "{text}\n{problem:?}"
            );
        }
    }
}

/// Issue 16: text from an editor or a colleague's file is data, never a terminal escape
/// or an invisible character travelling to every phone and report.
#[test]
fn control_characters_in_texts_are_refused_line_breaks_are_not() {
    let body = "[[questions]]\nid = \"a\"\nkind = \"choice\"\ntext = \"Har du\\u001b[2J prøvet?\"\noptions = [\"Ja\", \"N\\u0000ej\"]\n";
    let problems = parse(&format!("{HEADER}{body}")).unwrap_err();
    let texts: Vec<(usize, &str)> = problems
        .iter()
        .map(|p| (p.line, p.text(Language::Da)))
        .collect();
    assert_eq!(
        texts,
        [
            (
                10,
                "Spørgsmålet indeholder et usynligt styretegn (fx fra en kopieret tekst); slet teksten, og skriv den igen"
            ),
            (
                11,
                "En svarmulighed indeholder et usynligt styretegn (fx fra en kopieret tekst); slet teksten, og skriv den igen"
            ),
        ],
        "{problems:?}"
    );
    assert!(problems[0].message.contains("control character"));
    let fine =
        "[[questions]]\nid = \"a\"\nkind = \"percent\"\ntext = \"Første linje\\nanden\\tlinje\"\n";
    assert!(parse(&format!("{HEADER}{fine}")).is_ok());
}
