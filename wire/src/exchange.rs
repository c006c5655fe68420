//! Several laptops, one municipality (`docs/exchange.md`): the console asks the server for
//! an exchange file of chosen sessions' aggregates and hands such files from other
//! computers to it. Over HTTP with the host token, like the overview; the file itself is
//! `pejling-core`'s `exchange::ExchangeFile`.

use serde::{Deserialize, Serialize};

use crate::OverviewQuery;

/// `POST /api/exchange/export`'s body.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// Who exports ("Anna, SSP Nord"): shown as the sessions' origin where they are
    /// imported. 1–80 characters.
    pub origin: String,
    /// The sessions the overview of this query counts (period and filters).
    #[serde(default)]
    pub query: OverviewQuery,
    /// Or exactly these sessions (ids); when present the query is not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<Vec<String>>,
}

/// `POST /api/exchange/import`'s answer: what one file changed.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// The file's origin.
    pub origin: String,
    /// When the file was made (RFC 3339, the exporting computer's offset).
    pub exported_at: String,
    /// Sessions in the file.
    pub sessions: u32,
    /// New here.
    pub added: u32,
    /// Imported before from an older file, replaced by this file's figures.
    pub updated: u32,
    /// Imported before with the same figures (or from a newer file): nothing changed.
    pub unchanged: u32,
    /// This computer's own sessions (exported from here and imported back): skipped.
    pub own: u32,
}

/// One origin of `GET /api/exchange/imports`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportedOrigin {
    pub origin: String,
    /// Sessions imported from it.
    pub sessions: u32,
    /// The first and last day of those sessions, `YYYY-MM-DD`.
    pub first: String,
    pub last: String,
    /// The newest file's time of export (RFC 3339).
    pub exported_at: String,
}

/// A refused import or export (`422`/`400`): what is wrong, in English and in Danish.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ExchangeRefusal {
    pub message: String,
    pub danish: String,
}

impl ExchangeRefusal {
    pub fn text(&self, lang: crate::Language) -> &str {
        match lang {
            crate::Language::Da => &self.danish,
            crate::Language::En => &self.message,
        }
    }
}
