//! *Overblik*'s part of "several laptops, one municipality" (`docs/exchange.md`) as plain
//! data: sharing this computer's sessions as an exchange file (`POST
//! /api/exchange/export`), importing other computers' files (`POST /api/exchange/import`)
//! and the origins imported so far (`GET`/`DELETE /api/exchange/imports`). What the
//! person typed and what came back, and every sentence the page shows about it, in the
//! console's language; tested natively (`exchange/tests.rs`), drawn by `web/overview.rs`.

use pejling_wire::{
    ExchangeRefusal, ExportRequest, ImportReport, ImportedOrigin, Language, Overview, OverviewQuery,
};

use super::{encode, period_text};

mod texts;
pub use texts::ExchangeTexts;

#[cfg(test)]
mod tests;

/// Where the typed origin is remembered (the browser's localStorage).
pub const ORIGIN_KEY: &str = "pejling.exchange-origin";
/// The longest origin the server takes, in characters.
pub const MAX_ORIGIN_CHARS: usize = 80;
/// The largest file the server imports (`server/src/exchange.rs`).
pub const MAX_FILE_MB: u32 = 32;
/// The file name when the server's answer names none.
const FALLBACK_FILE_NAME: &str = "pejling-deling.json";

/// The sharing and importing on the overview page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExchangeModel {
    /// "Afsender": who shares, as typed (remembered in the browser).
    pub origin: String,
    /// The exchange file's download.
    pub share: ShareStatus,
    /// The files of the last import, in the order they were sent, each with what came of
    /// it (`None` while it is on its way).
    pub imports: Vec<(String, Option<ImportOutcome>)>,
    /// The origins imported so far (`None` until the list has come).
    pub origins: Option<Vec<ImportedOrigin>>,
    /// The list could not be fetched.
    pub origins_failed: bool,
    /// What the last removal did.
    pub removal: Option<Removal>,
}

/// Where the exchange file's download is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ShareStatus {
    #[default]
    Idle,
    /// No origin was typed: the field is where to go.
    NoOrigin,
    /// Asked for; the button waits.
    Fetching,
    /// Saved under this name.
    Saved(String),
    /// The server refused, saying why.
    Refused(ExchangeRefusal),
    /// No answer, or one that is not a file.
    Failed,
}

/// What came of one imported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    Imported(ImportReport),
    /// The server refused the file, saying why.
    Refused(ExchangeRefusal),
    /// Larger than the server takes.
    TooLarge,
    /// Not read, not sent, or no answer the page understands.
    Failed,
}

/// What a removal of an origin did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    Removed { origin: String, sessions: u32 },
    Failed { origin: String },
}

/// The sharing section, as the page writes it for the overview shown.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareView {
    /// This computer's sessions the overview counts: what goes into the file.
    pub sessions: u32,
    /// What goes into the file, and what never does: one sentence per line.
    pub lines: Vec<String>,
    /// Whether there is anything to share.
    pub enabled: bool,
}

impl ExchangeModel {
    /// The model with the origin typed last time.
    pub fn new(origin: Option<String>) -> ExchangeModel {
        ExchangeModel {
            origin: origin.unwrap_or_default(),
            ..ExchangeModel::default()
        }
    }

    /// The origin field changed; returns what to remember (trimmed at neither end, as
    /// typed).
    pub fn set_origin(&mut self, value: &str) -> &str {
        self.origin = value.chars().take(MAX_ORIGIN_CHARS).collect();
        if self.share == ShareStatus::NoOrigin && !self.origin.trim().is_empty() {
            self.share = ShareStatus::Idle;
        }
        &self.origin
    }

    /// The export's body for the overview shown (its query, so the file holds the
    /// sessions the page counts), or `None` with the reason set when there is nothing
    /// to ask for yet.
    pub fn export_body(&mut self, shown: &OverviewQuery) -> Option<String> {
        if self.share == ShareStatus::Fetching {
            return None;
        }
        let origin = self.origin.trim();
        if origin.is_empty() {
            self.share = ShareStatus::NoOrigin;
            return None;
        }
        self.share = ShareStatus::Fetching;
        let request = ExportRequest {
            origin: origin.to_string(),
            query: shown.clone(),
            sessions: None,
        };
        Some(serde_json::to_string(&request).expect("a request serializes"))
    }

    /// The export's answer: the file name when there is a file to save (the caller saves
    /// it and calls [`ExchangeModel::saved`]), else `None` and the status is set.
    pub fn exported(&mut self, answer: Result<(u16, &str, Option<&str>), ()>) -> Option<String> {
        match answer {
            Ok((200, _, disposition)) => return Some(file_name(disposition)),
            Ok((400 | 422, body, _)) => {
                self.share = match serde_json::from_str::<ExchangeRefusal>(body) {
                    Ok(refusal) => ShareStatus::Refused(refusal),
                    Err(_) => ShareStatus::Failed,
                }
            }
            _ => self.share = ShareStatus::Failed,
        }
        None
    }

    /// The file was saved (or could not be).
    pub fn saved(&mut self, name: Option<String>) {
        self.share = match name {
            Some(name) => ShareStatus::Saved(name),
            None => ShareStatus::Failed,
        };
    }

    /// Files are about to be sent, in this order: the last import's lines go, unless
    /// files are still on their way (then these are added after them). Returns the index
    /// of the first of them, for [`ExchangeModel::imported`].
    pub fn importing(&mut self, files: Vec<String>) -> usize {
        if !self.busy_importing() {
            self.imports.clear();
        }
        self.removal = None;
        let first = self.imports.len();
        self.imports
            .extend(files.into_iter().map(|name| (name, None)));
        first
    }

    /// The `index`th file's answer came.
    pub fn imported(&mut self, index: usize, answer: Result<(u16, &str), ()>) {
        let outcome = match answer {
            Ok((200, body)) => match serde_json::from_str::<ImportReport>(body) {
                Ok(report) => ImportOutcome::Imported(report),
                Err(_) => ImportOutcome::Failed,
            },
            Ok((413, _)) => ImportOutcome::TooLarge,
            Ok((400 | 422, body)) => match serde_json::from_str::<ExchangeRefusal>(body) {
                Ok(refusal) => ImportOutcome::Refused(refusal),
                Err(_) => ImportOutcome::Failed,
            },
            _ => ImportOutcome::Failed,
        };
        if let Some((_, slot)) = self.imports.get_mut(index) {
            *slot = Some(outcome);
        }
    }

    /// Whether files are still on their way.
    pub fn busy_importing(&self) -> bool {
        self.imports.iter().any(|(_, outcome)| outcome.is_none())
    }

    /// The list of origins came (or `None`: it failed).
    pub fn listed(&mut self, origins: Option<Vec<ImportedOrigin>>) {
        self.origins_failed = origins.is_none();
        if origins.is_some() {
            self.origins = origins;
        }
    }

    /// An origin was removed (`Some(n)` sessions) or could not be.
    pub fn removed(&mut self, origin: &str, sessions: Option<u32>) {
        // The import's lines go, unless files are still on their way.
        if !self.busy_importing() {
            self.imports.clear();
        }
        self.removal = Some(match sessions {
            Some(sessions) => Removal::Removed {
                origin: origin.to_string(),
                sessions,
            },
            None => Removal::Failed {
                origin: origin.to_string(),
            },
        });
    }

    /// The status beside the button, in `lang` (empty when there is nothing to say).
    pub fn share_status(&self, lang: Language) -> String {
        let t = ExchangeTexts::of(lang);
        match &self.share {
            ShareStatus::Idle => String::new(),
            ShareStatus::NoOrigin => t.no_origin.to_string(),
            ShareStatus::Fetching => t.fetching.to_string(),
            ShareStatus::Saved(name) => t.saved.replace("{file}", name),
            ShareStatus::Refused(refusal) => refusal.text(lang).to_string(),
            ShareStatus::Failed => t.failed.to_string(),
        }
    }

    /// Whether the status beside the button is a problem.
    pub fn share_is_problem(&self) -> bool {
        matches!(
            self.share,
            ShareStatus::NoOrigin | ShareStatus::Refused(_) | ShareStatus::Failed
        )
    }

    /// What the last import and removal did, one line per file (`true`: a problem), and
    /// while files are on their way how far it has come.
    pub fn import_lines(&self, lang: Language) -> Vec<(String, bool)> {
        let t = ExchangeTexts::of(lang);
        let mut lines: Vec<(String, bool)> = self
            .imports
            .iter()
            .filter_map(|(file, outcome)| {
                let outcome = outcome.as_ref()?;
                Some((
                    import_line(file, outcome, lang),
                    !matches!(outcome, ImportOutcome::Imported(_)),
                ))
            })
            .collect();
        let done = lines.len();
        if self.busy_importing() {
            lines.push((
                t.importing
                    .replace("{n}", &(done + 1).to_string())
                    .replace("{of}", &self.imports.len().to_string()),
                false,
            ));
        }
        match &self.removal {
            Some(Removal::Removed { origin, sessions }) => lines.push((
                t.removed
                    .replace("{sessions}", &sessions_text(*sessions, lang))
                    .replace("{origin}", origin),
                false,
            )),
            Some(Removal::Failed { origin }) => {
                lines.push((t.remove_failed.replace("{origin}", origin), true))
            }
            None => {}
        }
        lines
    }
}

/// "1 session", "12 sessioner".
pub fn sessions_text(n: u32, lang: Language) -> String {
    let t = ExchangeTexts::of(lang);
    format!("{n} {}", if n == 1 { t.session } else { t.sessions })
}

/// The file name of a `Content-Disposition` (`attachment; filename="…"`), without any
/// folder; a fixed name when there is none.
pub fn file_name(disposition: Option<&str>) -> String {
    disposition
        .and_then(|d| {
            d.split(';')
                .find_map(|part| part.trim().strip_prefix("filename="))
        })
        .map(|name| name.trim().trim_matches('"'))
        .map(|name| name.rsplit(['/', '\\']).next().unwrap_or(name).to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| FALLBACK_FILE_NAME.to_string())
}

/// A time of export (RFC 3339, the exporting computer's clock) as people write it:
/// "20.06.2027 14:05" in Danish, "2027-06-20 14:05" in English; as it is when it is not
/// such a time.
pub fn exported_text(exported_at: &str, lang: Language) -> String {
    let (Some(date), Some(time)) = (exported_at.get(..10), exported_at.get(11..16)) else {
        return exported_at.to_string();
    };
    if exported_at.as_bytes()[10] != b'T' || time.as_bytes()[2] != b':' {
        return exported_at.to_string();
    }
    format!("{} {time}", super::date_text(date, lang))
}

/// One file's line: what it added, or why it was refused.
pub fn import_line(file: &str, outcome: &ImportOutcome, lang: Language) -> String {
    let t = ExchangeTexts::of(lang);
    let why = match outcome {
        ImportOutcome::Imported(report) => {
            let mut line = t
                .imported
                .replace("{origin}", &report.origin)
                .replace("{when}", &exported_text(&report.exported_at, lang))
                .replace("{added}", &sessions_text(report.added, lang))
                .replace("{updated}", &report.updated.to_string())
                .replace("{unchanged}", &report.unchanged.to_string());
            if report.own > 0 {
                let own = if report.own == 1 { t.own_one } else { t.own };
                line.push_str(&own.replace("{n}", &report.own.to_string()));
            }
            return line;
        }
        ImportOutcome::Refused(refusal) => refusal.text(lang).to_string(),
        ImportOutcome::TooLarge => t.too_large.replace("{mb}", &MAX_FILE_MB.to_string()),
        ImportOutcome::Failed => t.import_failed.to_string(),
    };
    t.not_imported
        .replace("{file}", file)
        .replace("{why}", &why)
}

/// This computer's sessions the overview counts (pupils' and parents'), and the
/// imported ones.
pub fn counted_sessions(data: &Overview) -> (u32, u32) {
    let all = data.total.sessions + data.total.parent_sessions;
    if data.by_origin.is_empty() {
        return (all, 0);
    }
    let own = data
        .by_origin
        .iter()
        .find(|r| r.key.is_empty())
        .map_or(0, |r| r.sessions + r.parent_sessions);
    (own, all - own)
}

/// The period and filters of an overview in words: "01.08.2026 – 31.07.2027 (skole:
/// Nordskolen, spørgesæt: «7. klasse: alkohol»)".
pub fn scope_text(data: &Overview, lang: Language) -> String {
    let labels = pejling_wire::OverviewLabels::of(lang);
    let q = &data.query;
    let set_title = q.set.as_ref().map(|id| {
        data.choices
            .sets
            .iter()
            .find(|s| s.id == *id)
            .map_or(id.clone(), |s| s.title.clone())
    });
    let filters: Vec<String> = [
        (labels.school, q.school.clone()),
        (labels.grade, q.grade.clone()),
        (labels.set, set_title.map(|title| format!("«{title}»"))),
    ]
    .into_iter()
    .filter_map(|(label, value)| Some(format!("{}: {}", label.to_lowercase(), value?)))
    .collect();
    let period = period_text(q, lang);
    if filters.is_empty() {
        period
    } else {
        format!("{period} ({})", filters.join(", "))
    }
}

/// What the sharing section says about the overview shown.
pub fn share_view(data: &Overview, lang: Language) -> ShareView {
    let t = ExchangeTexts::of(lang);
    let (own, imported) = counted_sessions(data);
    let scope = scope_text(data, lang);
    let mut lines = Vec::new();
    if own == 0 {
        lines.push(t.nothing_to_share.replace("{scope}", &scope));
    } else {
        let which = if own == 1 {
            t.the_one_session.to_string()
        } else {
            t.the_sessions.replace("{n}", &own.to_string())
        };
        lines.push(
            t.in_the_file
                .replace("{which}", &which)
                .replace("{scope}", &scope),
        );
        lines.push(t.counts_only.replace("{n}", &data.min_answers.to_string()));
        lines.push(t.never.to_string());
    }
    if imported > 0 {
        lines.push(
            t.imported_stay
                .replace("{sessions}", &sessions_text(imported, lang)),
        );
    }
    ShareView {
        sessions: own,
        lines,
        enabled: own > 0,
    }
}

/// One imported origin as the list writes it: "Anna, SSP Nord: 4 sessioner,
/// 02.03.2027 – 20.06.2027 (nyeste tal eksporteret 20.06.2027 14:05)".
pub fn origin_line(origin: &ImportedOrigin, lang: Language) -> String {
    format!("{}: {}", origin.origin, origin_facts(origin, lang))
}

/// What the list says of an imported origin after its name: "4 sessioner,
/// 02.03.2027 – 20.06.2027 (nyeste tal eksporteret 20.06.2027 14:05)".
pub fn origin_facts(origin: &ImportedOrigin, lang: Language) -> String {
    let t = ExchangeTexts::of(lang);
    let days = if origin.first == origin.last {
        super::date_text(&origin.first, lang)
    } else {
        format!(
            "{} – {}",
            super::date_text(&origin.first, lang),
            super::date_text(&origin.last, lang)
        )
    };
    t.origin_facts
        .replace("{sessions}", &sessions_text(origin.sessions, lang))
        .replace("{days}", &days)
        .replace("{when}", &exported_text(&origin.exported_at, lang))
}

/// The question before an origin's sessions are removed.
pub fn confirm_remove(origin: &ImportedOrigin, lang: Language) -> String {
    let t = ExchangeTexts::of(lang);
    let which = if origin.sessions == 1 {
        t.the_one_session.to_string()
    } else {
        t.the_sessions.replace("{n}", &origin.sessions.to_string())
    };
    t.confirm_remove
        .replace("{which}", &which)
        .replace("{origin}", &origin.origin)
}

/// The request that removes an origin's sessions.
pub fn remove_path(origin: &str) -> String {
    format!("/api/exchange/imports?origin={}", encode(origin))
}

/// The removal's answer (`{"removed": n}`): how many sessions went.
pub fn removed_count(answer: Result<(u16, &str), ()>) -> Option<u32> {
    let Ok((200, body)) = answer else {
        return None;
    };
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    value["removed"]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
}
