//! The question library: the sets built into the binary (the repository's `questions/`
//! folder, embedded with rust-embed) plus the sets in a `--questions` folder, and the
//! checks that need more than one file (duplicate set ids, references into another set).
//!
//! A file given later overrides a built-in set with the same id, so a school can adapt a
//! built-in set by copying it. A file with problems is left out and reported; it never
//! stops the server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pejling_wire::SetSummary;
use rust_embed::RustEmbed;

use pejling_core::questions::{self, ParsedSet, Problem, QuestionSet, Reference};

/// The file name of a reference registry: `questions/references.toml` is built in, and a
/// `references.toml` in the `--questions` folder adds to it (an id there replaces the
/// built-in figure with that id).
pub const REGISTRY_FILE: &str = "references.toml";

fn is_registry(origin: &str) -> bool {
    origin
        .rsplit(['/', '\\', ':'])
        .next()
        .is_some_and(|name| name == REGISTRY_FILE)
}

#[derive(RustEmbed)]
#[folder = "../questions/"]
#[include = "*.toml"]
struct BuiltinSets;

/// One source file of question sets.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// `builtin:NAME` or a path, as shown in messages.
    pub origin: String,
    pub text: String,
}

/// Problems found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    pub origin: String,
    pub problems: Vec<Problem>,
}

impl FileReport {
    /// One line per problem: `path:line:col: message`. Text from the file (an id, a
    /// path) is printed with its control characters escaped, so a newline cannot split a
    /// line and a terminal escape cannot act on the facilitator's terminal.
    pub fn lines(&self) -> impl Iterator<Item = String> + '_ {
        self.problems.iter().map(|p| {
            printable(&format!(
                "{}:{}:{}: {}",
                self.origin, p.line, p.col, p.message
            ))
        })
    }
}

/// `text` with control characters written as escapes (`\n`, `\u{1b}`); other characters,
/// æøå among them, as they are.
fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct LibrarySet {
    pub set: Arc<QuestionSet>,
    /// The file's text, stored with sessions next to the validated set.
    pub source: String,
    pub origin: String,
}

#[derive(Debug, Clone, Default)]
pub struct Library {
    sets: BTreeMap<String, LibrarySet>,
    references: BTreeMap<String, Reference>,
}

impl Library {
    /// The reference registry: every figure sets may cite, by id.
    pub fn references(&self) -> impl Iterator<Item = &Reference> {
        self.references.values()
    }

    pub fn get(&self, id: &str) -> Option<&LibrarySet> {
        self.sets.get(id)
    }

    pub fn len(&self) -> usize {
        self.sets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }

    pub fn summaries(&self) -> Vec<SetSummary> {
        self.sets
            .values()
            .map(|entry| SetSummary {
                id: entry.set.id.clone(),
                title: entry.set.title.clone(),
                language: entry.set.language.code().to_string(),
                audience: entry.set.audience,
                grades: entry.set.grades.clone(),
                questions: entry.set.questions.len() as u32,
                origin: entry.origin.clone(),
                cites: {
                    let mut cites: Vec<String> = entry
                        .set
                        .questions
                        .iter()
                        .filter_map(|q| q.perceives.as_ref()?.set.clone())
                        .collect();
                    cites.sort();
                    cites.dedup();
                    cites
                },
            })
            .collect()
    }

    /// The built-in sets plus every `*.toml` in `extra_dir`; problems are reported, and
    /// the files that have them are left out.
    pub fn load(extra_dir: Option<&Path>) -> (Library, Vec<FileReport>) {
        let mut reports = Vec::new();
        let extra = match extra_dir {
            Some(dir) => read_paths(&[dir.to_path_buf()], &mut reports),
            None => Vec::new(),
        };
        let (library, mut more) = assemble(builtin_files(), extra);
        reports.append(&mut more);
        (library, reports)
    }
}

/// The files embedded in the binary.
pub fn builtin_files() -> Vec<SourceFile> {
    let mut names: Vec<_> = BuiltinSets::iter().collect();
    names.sort();
    names
        .into_iter()
        .filter_map(|name| {
            let file = BuiltinSets::get(&name)?;
            Some(SourceFile {
                origin: format!("builtin:{name}"),
                text: String::from_utf8_lossy(&file.data).into_owned(),
            })
        })
        .collect()
}

/// Validates files for `pejling check`: each path is a file or a folder of `*.toml`;
/// references may point into the built-in library or into any of the given files.
pub fn check_paths(paths: &[PathBuf]) -> Vec<FileReport> {
    let mut reports = Vec::new();
    let files = read_paths(paths, &mut reports);
    let (_, mut more) = assemble(builtin_files(), files);
    reports.append(&mut more);
    reports
}

fn read_paths(paths: &[PathBuf], reports: &mut Vec<FileReport>) -> Vec<SourceFile> {
    let mut files = Vec::new();
    // Each file once, however often it is reached: `pejling check questions/*.toml`
    // names the registry and also finds it beside every set, and a file read twice would
    // define each of its ids twice.
    let mut seen = std::collections::HashSet::new();
    let mut read = |path: &Path, files: &mut Vec<SourceFile>, reports: &mut Vec<FileReport>| {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if seen.insert(key) {
            read_one(path, files, reports);
        }
    };
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
                Ok(entries) => entries
                    .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                    .filter(|p| p.extension().is_some_and(|ext| ext == "toml"))
                    .collect(),
                Err(error) => {
                    reports.push(io_report(path, &error));
                    continue;
                }
            };
            entries.sort();
            for entry in entries {
                read(&entry, &mut files, reports);
            }
        } else {
            read(path, &mut files, reports);
            // A set named on its own cites figures from the registry beside it, as in a
            // folder.
            if !is_registry(&path.display().to_string()) {
                let beside = path.parent().unwrap_or(Path::new(".")).join(REGISTRY_FILE);
                if beside.is_file() {
                    read(&beside, &mut files, reports);
                }
            }
        }
    }
    files
}

fn read_one(path: &Path, files: &mut Vec<SourceFile>, reports: &mut Vec<FileReport>) {
    match std::fs::read_to_string(path) {
        Ok(text) => files.push(SourceFile {
            origin: path.display().to_string(),
            text,
        }),
        Err(error) => reports.push(io_report(path, &error)),
    }
}

fn io_report(path: &Path, error: &std::io::Error) -> FileReport {
    FileReport {
        origin: path.display().to_string(),
        problems: vec![Problem::at(
            (1, 1),
            format!("cannot read file: {error}"),
            format!("Filen kan ikke læses: {error}"),
        )],
    }
}

/// Builds a library from two layers of files; a set in `overrides` replaces a set with the
/// same id in `base`. Duplicate ids within one layer and unresolved cross-set references
/// are problems of the file that has them.
pub fn assemble(base: Vec<SourceFile>, overrides: Vec<SourceFile>) -> (Library, Vec<FileReport>) {
    let mut reports = Vec::new();
    let mut parsed: BTreeMap<String, (ParsedSet, SourceFile)> = BTreeMap::new();
    let mut registry: BTreeMap<String, Reference> = BTreeMap::new();
    for layer in [base, overrides] {
        let mut seen_in_layer: BTreeMap<String, String> = BTreeMap::new();
        let mut references_in_layer: BTreeMap<String, String> = BTreeMap::new();
        for file in layer {
            if is_registry(&file.origin) {
                match questions::parse_registry(&file.text) {
                    Err(problems) => reports.push(FileReport {
                        origin: file.origin,
                        problems,
                    }),
                    Ok(references) => {
                        let mut problems = Vec::new();
                        for reference in references {
                            if let Some(first) = references_in_layer.get(&reference.id) {
                                problems.push(Problem::at(
                                    (id_line(&file.text), 1),
                                    format!(
                                        "reference id \"{}\" is already defined in {first}",
                                        reference.id
                                    ),
                                    format!(
                                        "Landstals-id'et \"{}\" findes allerede i {first}",
                                        reference.id
                                    ),
                                ));
                                continue;
                            }
                            references_in_layer.insert(reference.id.clone(), file.origin.clone());
                            registry.insert(reference.id.clone(), reference);
                        }
                        if !problems.is_empty() {
                            reports.push(FileReport {
                                origin: file.origin,
                                problems,
                            });
                        }
                    }
                }
                continue;
            }
            match questions::parse(&file.text) {
                Err(problems) => reports.push(FileReport {
                    origin: file.origin,
                    problems,
                }),
                Ok(set) => {
                    let id = set.set.id.clone();
                    if let Some(first) = seen_in_layer.get(&id) {
                        reports.push(FileReport {
                            origin: file.origin,
                            problems: vec![Problem::at(
                                (id_line(&file.text), 1),
                                format!("set id \"{id}\" is already used by {first}"),
                                format!("Spørgesæt-id'et \"{id}\" bruges allerede af {first}"),
                            )],
                        });
                        continue;
                    }
                    seen_in_layer.insert(id.clone(), file.origin.clone());
                    parsed.insert(id, (set, file));
                }
            }
        }
    }

    // Resolve references into other sets and citations of reference figures now that
    // every set and figure is known; a set whose references do not resolve is left out
    // like any other invalid file.
    let mut library = Library {
        references: registry,
        ..Library::default()
    };
    for (id, (parsed_set, file)) in &parsed {
        let mut problems = Vec::new();
        for reference in &parsed_set.cross_refs {
            let perceiving = &parsed_set.set.questions[reference.question_idx];
            match parsed.get(&reference.set) {
                None => problems.push(Problem::at(
                    reference.set_at,
                    format!("perceives a question in unknown set \"{}\"", reference.set),
                    format!("Spørgesættet \"{}\" findes ikke", reference.set),
                )),
                Some((target, _)) => problems.extend(questions::check_cross_ref(
                    perceiving,
                    reference,
                    &target.set,
                )),
            }
        }
        let mut set = parsed_set.set.clone();
        for citation in &parsed_set.citations {
            match library.references.get(&citation.id) {
                Some(reference) => set.questions[citation.question_idx]
                    .references
                    .push(reference.clone()),
                None => problems.push(Problem::at(
                    citation.at,
                    format!(
                        "unknown reference id \"{}\"; figures are defined in questions/{REGISTRY_FILE} or in a {REGISTRY_FILE} beside your sets",
                        citation.id
                    ),
                    format!(
                        "Landstallet \"{}\" findes ikke; landstal står i questions/{REGISTRY_FILE} eller i en {REGISTRY_FILE} ved siden af dine spørgesæt",
                        citation.id
                    ),
                )),
            }
        }
        if problems.is_empty() {
            library.sets.insert(
                id.clone(),
                LibrarySet {
                    set: Arc::new(set),
                    source: file.text.clone(),
                    origin: file.origin.clone(),
                },
            );
        } else {
            reports.push(FileReport {
                origin: file.origin.clone(),
                problems,
            });
        }
    }
    reports.sort_by(|a, b| a.origin.cmp(&b.origin));
    (library, reports)
}

fn id_line(text: &str) -> usize {
    text.lines()
        .position(|line| line.trim_start().starts_with("id"))
        .map(|i| i + 1)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pejling_core::questions::Language;

    fn file(origin: &str, text: &str) -> SourceFile {
        SourceFile {
            origin: origin.into(),
            text: text.into(),
        }
    }

    const PUPILS: &str = "format = 1\nid = \"p\"\ntitle = \"P\"\nlanguage = \"da\"\naudience = \"pupils\"\ngrades = [\"7\"]\n[[questions]]\nid = \"own\"\nkind = \"choice\"\ntext = \"Har du?\"\noptions = [\"Ja\", \"Nej\"]\n";

    fn parents(target_question: &str) -> String {
        format!(
            "format = 1\nid = \"f\"\ntitle = \"F\"\nlanguage = \"da\"\naudience = \"parents\"\ngrades = [\"7\"]\n[[questions]]\nid = \"guess\"\nkind = \"percent\"\ntext = \"Hvor mange?\"\nperceives = {{ set = \"p\", question = \"{target_question}\", options = [0] }}\n"
        )
    }

    /// Issue 12 (18): an id with a newline split a `path:line:col: message` line in two,
    /// and one with a terminal escape acted on the terminal.
    #[test]
    fn problems_print_control_characters_escaped() {
        let text = PUPILS.replace("id = \"own\"", "id = \"ø\\nx\\u001b[2J\"");
        let text = format!(
            "{text}[[questions]]\nid = \"g\"\nkind = \"percent\"\ntext = \"?\"\nperceives = {{ question = \"ø\\nx\\u001b[2J\", options = [9] }}\n"
        );
        let (_, reports) = assemble(Vec::new(), vec![file("mine.toml", &text)]);
        let lines: Vec<String> = reports.iter().flat_map(|r| r.lines()).collect();
        assert!(!lines.is_empty(), "the set has a problem");
        for line in &lines {
            assert!(!line.contains('\n') && !line.contains('\u{1b}'), "{line:?}");
            assert!(line.starts_with("mine.toml:"), "{line:?}");
        }
        assert!(
            lines.iter().any(|l| l.contains("ø\\nx\\u{1b}[2J")),
            "{lines:?}"
        );
    }

    #[test]
    fn every_builtin_set_is_valid() {
        let (library, reports) = assemble(builtin_files(), Vec::new());
        let lines: Vec<String> = reports.iter().flat_map(|r| r.lines()).collect();
        assert!(lines.is_empty(), "{}", lines.join("\n"));
        assert!(!library.is_empty());
        // Every file but the registry is a set.
        assert_eq!(library.len(), builtin_files().len() - 1);
        assert!(library.references().count() > 20);
    }

    #[test]
    fn every_cited_reference_exists_and_is_copied_into_the_set() {
        let (library, _) = assemble(builtin_files(), Vec::new());
        let registry: BTreeMap<&str, &Reference> =
            library.references().map(|r| (r.id.as_str(), r)).collect();
        let mut cited = 0;
        for summary in library.summaries() {
            let set = &library.get(&summary.id).unwrap().set;
            for question in &set.questions {
                for reference in &question.references {
                    assert_eq!(registry.get(reference.id.as_str()), Some(&reference));
                    cited += 1;
                }
            }
        }
        assert!(cited > 0);
    }

    #[test]
    fn the_library_covers_the_grades_and_every_set_has_a_facilitator_note() {
        let (library, _) = assemble(builtin_files(), Vec::new());
        for id in [
            "5-6-klasse-trivsel",
            "7-klasse-alkohol",
            "8-9-klasse-alkohol",
            "ungdomsuddannelse-alkohol",
            "foraeldre-7-klasse",
            "foraeldre-8-9-klasse",
        ] {
            let set = &library
                .get(id)
                .unwrap_or_else(|| panic!("{id} missing"))
                .set;
            let note = set.facilitator_note.as_deref().unwrap_or_default();
            assert!(
                note.contains("Hvorfor") || note.contains("Hvor kommer"),
                "{id}: {note}"
            );
            // Every set is mostly pairs: own behaviour or attitude, and its perception.
            let pairs = set
                .questions
                .iter()
                .filter(|q| q.perceives.is_some())
                .count();
            assert!(pairs >= 3, "{id} has {pairs} pairs");
        }
        for summary in library.summaries() {
            for cited in &summary.cites {
                assert!(library.get(cited).is_some(), "{} cites {cited}", summary.id);
            }
        }
    }

    const REGISTRY: &str = "format = 1\n[[references]]\nid = \"mine\"\nvalue = 12\nmeasures = \"m\"\npopulation = \"p\"\nyear = 2020\nsurvey = \"Vores egen undersøgelse 2020\"\n";

    #[test]
    fn a_user_registry_adds_figures_and_unknown_ids_are_reported_with_position() {
        let citing = format!("{PUPILS}references = [\"mine\"]\n");
        let (library, reports) = assemble(
            builtin_files(),
            vec![
                file("dir/references.toml", REGISTRY),
                file("p.toml", &citing),
            ],
        );
        assert!(reports.is_empty(), "{reports:?}");
        let set = &library.get("p").unwrap().set;
        assert_eq!(
            set.questions[0].references[0].survey,
            "Vores egen undersøgelse 2020"
        );

        let citing = format!("{PUPILS}references = [\"nowhere\"]\n");
        let (library, reports) = assemble(builtin_files(), vec![file("p.toml", &citing)]);
        assert!(library.get("p").is_none());
        let lines: Vec<String> = reports.iter().flat_map(|r| r.lines()).collect();
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].starts_with("p.toml:12:15: unknown reference id \"nowhere\""),
            "{lines:?}"
        );
    }

    #[test]
    fn parent_set_resolves_pupil_question() {
        let (library, reports) = assemble(
            Vec::new(),
            vec![file("p.toml", PUPILS), file("f.toml", &parents("own"))],
        );
        assert!(reports.is_empty(), "{reports:?}");
        assert_eq!(library.len(), 2);
    }

    #[test]
    fn dangling_cross_set_reference_is_reported_with_position() {
        let (library, reports) = assemble(
            Vec::new(),
            vec![file("p.toml", PUPILS), file("f.toml", &parents("nope"))],
        );
        assert_eq!(library.len(), 1);
        let lines: Vec<String> = reports.iter().flat_map(|r| r.lines()).collect();
        assert_eq!(
            lines,
            vec!["f.toml:11:37: set \"p\" has no question \"nope\"".to_string()]
        );
    }

    #[test]
    fn duplicate_set_ids_in_one_layer_are_reported() {
        let (_, reports) = assemble(
            Vec::new(),
            vec![file("a.toml", PUPILS), file("b.toml", PUPILS)],
        );
        let lines: Vec<String> = reports.iter().flat_map(|r| r.lines()).collect();
        assert_eq!(
            lines,
            vec!["b.toml:2:1: set id \"p\" is already used by a.toml".to_string()]
        );
    }

    /// The problems only the library finds have Danish texts for the console's editor,
    /// while `lines()` (what `pejling check` prints) stays English.
    #[test]
    fn library_problems_have_danish_texts() {
        let danish = |files: Vec<SourceFile>| -> Vec<String> {
            let (_, reports) = assemble(Vec::new(), files);
            reports
                .iter()
                .flat_map(|r| &r.problems)
                .map(|p| p.text(Language::Da).to_string())
                .collect()
        };
        assert_eq!(
            danish(vec![file("a.toml", PUPILS), file("b.toml", PUPILS)]),
            vec!["Spørgesæt-id'et \"p\" bruges allerede af a.toml"]
        );
        assert_eq!(
            danish(vec![file("f.toml", &parents("own"))]),
            vec!["Spørgesættet \"p\" findes ikke"]
        );
        assert_eq!(
            danish(vec![
                file("p.toml", PUPILS),
                file("f.toml", &parents("nope"))
            ]),
            vec!["Spørgesættet \"p\" har intet spørgsmål med id'et \"nope\""]
        );
        let parents_p = PUPILS.replace("\"pupils\"", "\"parents\"");
        assert_eq!(
            danish(vec![
                file("p.toml", &parents_p),
                file("f.toml", &parents("own"))
            ]),
            vec![
                "Spørgesættet \"p\" er et forældresæt; der kan kun spørges til spørgsmål i et elevsæt"
            ]
        );
        assert_eq!(
            danish(vec![file(
                "p.toml",
                &format!("{PUPILS}references = [\"nowhere\"]\n")
            )]),
            vec![format!(
                "Landstallet \"nowhere\" findes ikke; landstal står i questions/{REGISTRY_FILE} eller i en {REGISTRY_FILE} ved siden af dine spørgesæt"
            )]
        );
        assert_eq!(
            danish(vec![
                file("a/references.toml", REGISTRY),
                file("b/references.toml", REGISTRY),
            ]),
            vec!["Landstals-id'et \"mine\" findes allerede i a/references.toml"]
        );
    }

    #[test]
    fn a_later_layer_overrides_a_builtin_id() {
        let changed = PUPILS.replace("title = \"P\"", "title = \"Changed\"");
        let (library, reports) = assemble(
            vec![file("builtin:p", PUPILS)],
            vec![file("mine.toml", &changed)],
        );
        assert!(reports.is_empty());
        assert_eq!(library.get("p").unwrap().set.title, "Changed");
        assert_eq!(library.get("p").unwrap().origin, "mine.toml");
    }
}
