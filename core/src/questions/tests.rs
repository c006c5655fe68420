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
