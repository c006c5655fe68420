//! The server's own secrets, kept in a key file beside the data file and never in it, so
//! a copied data file gives nobody control of a session: the facilitator's host token
//! (stable across restarts, so a restarted laptop reconnects the console by itself) and
//! a server key from which each session's screen token and each clicker device's
//! participant token are derived (HMAC-SHA-256). Only hashes of tokens a client presents
//! are stored in the data file. Deleting the key file makes new secrets at the next
//! start: the facilitator's link and the projector links change.

use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use rand::Rng;

#[derive(Clone, Serialize, Deserialize)]
struct KeyFile {
    #[serde(rename = "host-token")]
    host_token: String,
    #[serde(rename = "server-key")]
    server_key: String,
}

/// The host token and the server key.
#[derive(Clone)]
pub struct Secrets {
    host_token: String,
    key: Vec<u8>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets { .. }")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("cannot read the key file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the key file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the key file {path} is damaged ({reason}); delete it and pejling makes a new one (the facilitator's link changes)"
    )]
    Damaged { path: PathBuf, reason: String },
}

const HEADER: &str = "\
# pejling's secrets for the data file beside this one. Keep this file private: it opens
# the facilitator's console. Delete it to make new secrets at the next start (the
# facilitator's link and the projector links change).
";

impl Secrets {
    /// The key file that belongs to `data` (`pejling.db` → `pejling.key`).
    pub fn path_for(data: &Path) -> PathBuf {
        data.with_extension("key")
    }

    /// Reads the key file at `path`, or creates one with new secrets (readable by the
    /// user only, on Unix).
    pub fn load_or_create(path: &Path) -> Result<Secrets, SecretsError> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let damaged = |reason: String| SecretsError::Damaged {
                    path: path.to_path_buf(),
                    reason,
                };
                let file: KeyFile =
                    toml::from_str(&text).map_err(|e| damaged(e.message().into()))?;
                let key = decode_hex(&file.server_key)
                    .filter(|key| key.len() >= 32)
                    .ok_or_else(|| damaged("server-key is not 64 hex digits".into()))?;
                if file.host_token.len() < 8 {
                    return Err(damaged("host-token is shorter than 8 characters".into()));
                }
                Ok(Secrets {
                    host_token: file.host_token,
                    key,
                })
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let file = KeyFile {
                    host_token: random_token(16),
                    server_key: random_token(32),
                };
                let text = format!("{HEADER}{}", toml::to_string(&file).expect("serializes"));
                write_private(path, &text).map_err(|source| SecretsError::Write {
                    path: path.to_path_buf(),
                    source,
                })?;
                Ok(Secrets {
                    host_token: file.host_token,
                    key: decode_hex(&file.server_key).expect("hex"),
                })
            }
            Err(source) => Err(SecretsError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Secrets held in memory only (tests, benchmarks).
    pub fn ephemeral() -> Secrets {
        Secrets {
            host_token: random_token(16),
            key: decode_hex(&random_token(32)).expect("hex"),
        }
    }

    pub fn host_token(&self) -> &str {
        &self.host_token
    }

    /// The projector's token for session `session_id`.
    pub fn screen_token(&self, session_id: &str) -> String {
        self.derive(&["screen", session_id])[..32].to_string()
    }

    /// The participant token of clicker device `device` (e.g. `mb:a1b2`) in session
    /// `session_id`: the same device is the same participant there, also after a restart,
    /// and nobody without the key can present it.
    pub fn clicker_token(&self, session_id: &str, device: &str) -> String {
        self.derive(&["clicker", session_id, device])
    }

    fn derive(&self, parts: &[&str]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        for part in parts {
            // Length-prefixed, so no two lists of parts give the same input.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Random hex text of `bytes` random bytes (participant, screen and host tokens).
pub fn random_token(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = Secrets::path_for(&dir.path().join("pejling.db"));
        let first = Secrets::load_or_create(&path).unwrap();
        let again = Secrets::load_or_create(&path).unwrap();
        assert_eq!(first.host_token(), again.host_token());
        assert_eq!(first.screen_token("s1"), again.screen_token("s1"));
        assert_ne!(first.screen_token("s1"), first.screen_token("s2"));
        assert_ne!(
            first.clicker_token("s1", "mb:1"),
            Secrets::ephemeral().clicker_token("s1", "mb:1")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the user may read it");
        }
    }

    #[test]
    fn a_damaged_key_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pejling.key");
        std::fs::write(&path, "host-token = \"abcdefgh\"\nserver-key = \"xyz\"\n").unwrap();
        let error = Secrets::load_or_create(&path).unwrap_err().to_string();
        assert!(error.contains("server-key"), "{error}");
        assert!(error.contains("delete it"), "{error}");
    }
}
