//! The user's own question sets: a folder of `*.toml` files (the data folder's `sets/`,
//! or `--questions DIR`) beside the built-in library, and the library built from both,
//! which the console's editor replaces after each save so a saved set can be used at
//! once. Only this module reads and writes that folder.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::library::{FileReport, Library, REGISTRY_FILE};

/// The largest set file the editor reads, writes or imports (the built-in sets are 4–8
/// KiB). A draft sent as JSON is up to three times its file, which stays under a
/// connection's read burst (`Limits::read_burst_bytes`).
pub const MAX_SET_BYTES: usize = 64 * 1024;

pub struct Shelf {
    folder: PathBuf,
    library: RwLock<Arc<Library>>,
}

/// A file of the folder that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ShelfError {
    #[error("no set file named \"{0}\" in the sets folder")]
    NotFound(String),
    #[error("\"{0}\" is not a set file name: a name ending in .toml, without folders")]
    BadName(String),
    #[error("\"{name}\" is larger than {MAX_SET_BYTES} bytes")]
    TooLarge { name: String },
    #[error("\"{name}\" is not UTF-8 text")]
    NotText { name: String },
    #[error("the sets folder {folder}: {source}")]
    Io {
        folder: PathBuf,
        source: std::io::Error,
    },
}

impl Shelf {
    /// The built-in library plus the sets in `folder` (which need not exist yet: it is
    /// made when the first set is saved). Problems of files in it are reported.
    pub fn open(folder: PathBuf) -> (Shelf, Vec<FileReport>) {
        let (library, reports) = load(&folder);
        (
            Shelf {
                folder,
                library: RwLock::new(Arc::new(library)),
            },
            reports,
        )
    }

    /// The library as it is now.
    pub fn library(&self) -> Arc<Library> {
        self.library
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// Reads the folder again (after a save).
    pub fn reload(&self) -> Vec<FileReport> {
        let (library, reports) = load(&self.folder);
        *self
            .library
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(library);
        reports
    }

    /// The set files in the folder (not its reference registry), by name, with their
    /// text; a file that cannot be read is left out.
    pub fn own_files(&self) -> Vec<(String, String)> {
        let Ok(entries) = std::fs::read_dir(&self.folder) else {
            return Vec::new();
        };
        let mut files: Vec<(String, String)> = entries
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| is_set_file_name(name))
            .filter_map(|name| {
                let text = self.read(&name).ok()?;
                Some((name, text))
            })
            .collect();
        files.sort();
        files
    }

    /// One set file's text.
    pub fn read(&self, name: &str) -> Result<String, ShelfError> {
        if !is_set_file_name(name) {
            return Err(ShelfError::BadName(name.to_string()));
        }
        let path = self.folder.join(name);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(ShelfError::NotFound(name.to_string()));
            }
            Err(source) => return Err(self.io(source)),
        };
        if bytes.len() > MAX_SET_BYTES {
            return Err(ShelfError::TooLarge {
                name: name.to_string(),
            });
        }
        String::from_utf8(bytes).map_err(|_| ShelfError::NotText {
            name: name.to_string(),
        })
    }

    /// Writes a set file whole or not at all (a temporary file renamed over it), making
    /// the folder if needed.
    pub fn write(&self, name: &str, text: &str) -> Result<(), ShelfError> {
        if !is_set_file_name(name) {
            return Err(ShelfError::BadName(name.to_string()));
        }
        std::fs::create_dir_all(&self.folder).map_err(|source| self.io(source))?;
        let temporary = self.folder.join(format!(".{name}.saving"));
        std::fs::write(&temporary, text).map_err(|source| self.io(source))?;
        std::fs::rename(&temporary, self.folder.join(name)).map_err(|source| {
            let _ = std::fs::remove_file(&temporary);
            self.io(source)
        })
    }

    pub fn remove(&self, name: &str) -> Result<(), ShelfError> {
        if !is_set_file_name(name) {
            return Err(ShelfError::BadName(name.to_string()));
        }
        std::fs::remove_file(self.folder.join(name)).map_err(|source| self.io(source))
    }

    fn io(&self, source: std::io::Error) -> ShelfError {
        ShelfError::Io {
            folder: self.folder.clone(),
            source,
        }
    }
}

fn load(folder: &Path) -> (Library, Vec<FileReport>) {
    Library::load(folder.is_dir().then_some(folder))
}

/// A file name in the folder (no folders, no hidden files), ending in `.toml`, that is not
/// the reference registry.
pub fn is_set_file_name(name: &str) -> bool {
    name.ends_with(".toml")
        && name.len() > ".toml".len()
        && name.len() <= 255
        && name != REGISTRY_FILE
        && !name.starts_with('.')
        && !name
            .chars()
            .any(|c| c.is_control() || matches!(c, '/' | '\\' | ':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_toml_names_in_the_folder_are_set_files() {
        for good in ["mit-saet.toml", "Vores sæt 2026.toml"] {
            assert!(is_set_file_name(good), "{good}");
        }
        for bad in [
            "../x.toml",
            "a/b.toml",
            "a\\b.toml",
            "C:x.toml",
            ".hidden.toml",
            ".toml",
            "x.txt",
            "references.toml",
            "a\nb.toml",
        ] {
            assert!(!is_set_file_name(bad), "{bad:?}");
        }
    }
}
