//! `pejling export`: a session's report as files in a folder — the HTML report, the CSV,
//! or one PNG chart per question — with typed errors. The report itself is built in
//! memory by `report.rs`; this is the only part of it that touches the disk.

use std::path::{Path, PathBuf};

use crate::charts;
use crate::report::{CsvStyle, SessionReport};

/// Writes the report in `format` into `dir`; returns the files written.
pub fn write(
    report: &SessionReport,
    format: Format,
    dir: &Path,
) -> Result<Vec<PathBuf>, WriteError> {
    std::fs::create_dir_all(dir).map_err(|source| WriteError::Folder {
        path: dir.to_path_buf(),
        source,
    })?;
    let stem = report.file_stem();
    let write = |path: PathBuf, contents: &str| match std::fs::write(&path, contents) {
        Ok(()) => Ok(path),
        Err(source) => Err(WriteError::File { path, source }),
    };
    match format {
        Format::Html => Ok(vec![write(
            dir.join(format!("{stem}.html")),
            &report.html(),
        )?]),
        Format::Csv(style) => Ok(vec![write(
            dir.join(format!("{stem}.csv")),
            &report.csv(style),
        )?]),
        Format::Png => {
            let mut files = Vec::new();
            for (idx, question) in report.questions.iter().enumerate() {
                let path = dir.join(format!(
                    "{stem}-{:02}-{}.png",
                    idx + 1,
                    question.question.id
                ));
                charts::png(&report.chart(idx), &path)?;
                files.push(path);
            }
            Ok(files)
        }
    }
}

/// The files `pejling export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Csv(CsvStyle),
    Png,
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot create {}: {source}", path.display())]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Chart(#[from] charts::PngError),
}
