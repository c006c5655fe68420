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

use crate::questions::{self, ParsedSet, Problem, QuestionSet};

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
    /// One line per problem: `path:line:col: message`.
    pub fn lines(&self) -> impl Iterator<Item = String> + '_ {
        self.problems
            .iter()
            .map(|p| format!("{}:{}:{}: {}", self.origin, p.line, p.col, p.message))
    }
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
}

impl Library {
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
                read_one(&entry, &mut files, reports);
            }
        } else {
            read_one(path, &mut files, reports);
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
        problems: vec![Problem {
            line: 1,
            col: 1,
            message: format!("cannot read file: {error}"),
        }],
    }
}

/// Builds a library from two layers of files; a set in `overrides` replaces a set with the
/// same id in `base`. Duplicate ids within one layer and unresolved cross-set references
/// are problems of the file that has them.
pub fn assemble(base: Vec<SourceFile>, overrides: Vec<SourceFile>) -> (Library, Vec<FileReport>) {
    let mut reports = Vec::new();
    let mut parsed: BTreeMap<String, (ParsedSet, SourceFile)> = BTreeMap::new();
    for layer in [base, overrides] {
        let mut seen_in_layer: BTreeMap<String, String> = BTreeMap::new();
        for file in layer {
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
                            problems: vec![Problem {
                                line: id_line(&file.text),
                                col: 1,
                                message: format!("set id \"{id}\" is already used by {first}"),
                            }],
                        });
                        continue;
                    }
                    seen_in_layer.insert(id.clone(), file.origin.clone());
                    parsed.insert(id, (set, file));
                }
            }
        }
    }

    // Resolve references into other sets now that every set is known; a set whose
    // references do not resolve is left out like any other invalid file.
    let mut library = Library::default();
    for (id, (parsed_set, file)) in &parsed {
        let mut problems = Vec::new();
        for reference in &parsed_set.cross_refs {
            let perceiving = &parsed_set.set.questions[reference.question_idx];
            match parsed.get(&reference.set) {
                None => problems.push(Problem {
                    line: reference.set_at.0,
                    col: reference.set_at.1,
                    message: format!("perceives a question in unknown set \"{}\"", reference.set),
                }),
                Some((target, _)) => problems.extend(questions::check_cross_ref(
                    perceiving,
                    reference,
                    &target.set,
                )),
            }
        }
        if problems.is_empty() {
            library.sets.insert(
                id.clone(),
                LibrarySet {
                    set: Arc::new(parsed_set.set.clone()),
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

    #[test]
    fn every_builtin_set_is_valid() {
        let (library, reports) = assemble(builtin_files(), Vec::new());
        let lines: Vec<String> = reports.iter().flat_map(|r| r.lines()).collect();
        assert!(lines.is_empty(), "{}", lines.join("\n"));
        assert!(!library.is_empty());
        assert_eq!(library.len(), builtin_files().len());
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
