//! Portico's own signing keys: Ed25519, kept as PKCS#8 PEM files in the data directory.
//!
//! # Files
//! Each key is one file `<kid>.pem` (PKCS#8 PEM, mode 0600 on unix) in the key directory.
//! The key id is `<created>-<thumbprint>`: `created` is the Unix time (seconds) the key was
//! made, `thumbprint` the first 16 hex digits of the key's RFC 7638 JWK SHA-256 thumbprint.
//! The creation time is read back from the file name, so a key is one file and nothing can
//! get out of step. Other files in the directory are ignored; a `*.pem` whose name does not
//! start with `<digits>-` is an error naming the file.
//!
//! # Rotation
//! The newest key (highest `created`) signs. [`KeyStore::rotate`] adds a new one; older keys
//! still verify until [`KeyStore::retire_expired`] finds that every token they can have
//! signed has expired.

use std::fmt;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::SigningKey;
use jsonwebtoken::EncodingKey;
use rand::rngs::OsRng;
use rand::TryRngCore as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::AuthError;
use crate::jwt::LEEWAY_SECONDS;

/// One key: what signs, what verifies, and where it lives.
#[derive(Clone)]
pub(crate) struct KeyEntry {
    pub kid: String,
    pub created: i64,
    pub encoding: EncodingKey,
    /// The public key, decompressed once: decompressing it for every
    /// verification would cost a fifth of the verification again.
    pub verifying: ed25519_dalek::VerifyingKey,
    /// The file it was loaded from or written to; `None` for a configured key.
    path: Option<PathBuf>,
}

/// Portico's signing keys: the current one signs, all of them verify.
#[derive(Clone)]
pub struct KeyStore {
    /// Where new keys are written; `None` for a store built from configured keys only.
    dir: Option<PathBuf>,
    /// Sorted oldest first; the last one is current. Never empty.
    keys: Vec<KeyEntry>,
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStore")
            .field("dir", &self.dir)
            .field("kids", &self.kids())
            .finish()
    }
}

impl KeyStore {
    /// Loads every `*.pem` key in `dir` (creating the directory, mode 0700 on unix, if it is
    /// missing) and generates the first key, created at `now`, when there is none.
    pub fn open(dir: &Path, now: i64) -> Result<KeyStore, AuthError> {
        create_dir(dir)?;
        let mut store = KeyStore::load(dir)?;
        if store.keys.is_empty() {
            store.rotate(now)?;
        }
        Ok(store)
    }

    /// Reads the keys in `dir` again, making none: a directory that is
    /// empty or gone (a shared volume not mounted) is an error rather than
    /// a reason to replace every key.
    pub fn reload(dir: &Path) -> Result<KeyStore, AuthError> {
        let store = KeyStore::load(dir)?;
        if store.keys.is_empty() {
            return Err(AuthError::InvalidConfig(format!(
                "{}: no signing keys",
                dir.display()
            )));
        }
        Ok(store)
    }

    /// Every key in `dir`, maybe none.
    fn load(dir: &Path) -> Result<KeyStore, AuthError> {
        let io = |source| AuthError::KeyStoreIo {
            path: dir.to_owned(),
            source,
        };
        let mut keys = Vec::new();
        for entry in fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("pem") {
                continue;
            }
            let kid = path
                .file_stem()
                .and_then(|s| s.to_str())
                .filter(|s| valid_kid(s))
                .ok_or_else(|| {
                    AuthError::InvalidConfig(format!(
                        "{}: a key file is named `<created>-<id>.pem` with letters, digits, `-`, `_` or `.`",
                        path.display()
                    ))
                })?
                .to_owned();
            let created = created_from_kid(&kid).ok_or_else(|| {
                AuthError::InvalidConfig(format!(
                    "{}: the file name does not start with the key's creation time (`<unix seconds>-`)",
                    path.display()
                ))
            })?;
            let pem = fs::read_to_string(&path).map_err(|source| AuthError::KeyStoreIo {
                path: path.clone(),
                source,
            })?;
            let signing = SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
                AuthError::InvalidConfig(format!(
                    "{}: not an Ed25519 PKCS#8 PEM private key: {e}",
                    path.display()
                ))
            })?;
            keys.push(KeyEntry::new(&signing, kid, created, Some(path))?);
        }
        let mut store = KeyStore {
            dir: Some(dir.to_owned()),
            keys,
        };
        store.sort();
        Ok(store)
    }

    /// A store holding one configured key (PKCS#8 PEM, Ed25519) under the key id `kid`.
    ///
    /// The store has no directory: keys added by [`KeyStore::rotate`] live in memory only.
    /// The configured key counts as created at time 0.
    pub fn from_pem(pem: &str, kid: &str) -> Result<KeyStore, AuthError> {
        if !valid_kid(kid) {
            return Err(AuthError::InvalidConfig(format!(
                "key id `{kid}`: use 1 to 64 letters, digits, `-`, `_` or `.`"
            )));
        }
        let signing = SigningKey::from_pkcs8_pem(pem).map_err(|e| {
            AuthError::InvalidConfig(format!(
                "configured key `{kid}` is not an Ed25519 PKCS#8 PEM private key: {e}"
            ))
        })?;
        Ok(KeyStore {
            dir: None,
            keys: vec![KeyEntry::new(&signing, kid.to_owned(), 0, None)?],
        })
    }

    /// Adds a new key that becomes the current one and returns its key id. With a directory
    /// the key is written there first (mode 0600 on unix).
    ///
    /// The new key's creation time is `now`, or one second after the newest key if the clock
    /// went backwards, so the new key is always the current one.
    pub fn rotate(&mut self, now: i64) -> Result<String, AuthError> {
        let created = match self.keys.last() {
            Some(newest) if newest.created >= now => newest.created.saturating_add(1),
            _ => now,
        };
        if created < 0 {
            return Err(AuthError::InvalidConfig(format!(
                "cannot create a key at time {created}: the clock is before 1970"
            )));
        }
        let mut seed = [0u8; 32];
        OsRng.try_fill_bytes(&mut seed).map_err(|e| {
            AuthError::InvalidConfig(format!("the operating system gave no random bytes: {e}"))
        })?;
        let signing = SigningKey::from_bytes(&seed);
        seed.fill(0);
        let kid = format!(
            "{created}-{}",
            &thumbprint(&signing.verifying_key().to_bytes())[..16]
        );
        let path = match &self.dir {
            Some(dir) => {
                let pem = signing
                    .to_pkcs8_pem(LineEnding::LF)
                    .map_err(|e| AuthError::Signing(format!("encoding key `{kid}`: {e}")))?;
                Some(write_key(dir, &kid, pem.as_bytes())?)
            }
            None => None,
        };
        self.keys
            .push(KeyEntry::new(&signing, kid.clone(), created, path)?);
        self.sort();
        Ok(kid)
    }

    /// Drops, and deletes the files of, the keys no unexpired token can be signed with: a key
    /// is retired once `now` is `max_token_ttl` seconds (plus the verification leeway) past
    /// the creation of the key that replaced it. The current key is never retired.
    ///
    /// `max_token_ttl` must be at least the longest TTL tokens are issued with. Returns the
    /// retired key ids.
    pub fn retire_expired(
        &mut self,
        now: i64,
        max_token_ttl: i64,
    ) -> Result<Vec<String>, AuthError> {
        let keep_for = max_token_ttl.max(0).saturating_add(LEEWAY_SECONDS);
        let mut retire = Vec::new();
        for pair in self.keys.windows(2) {
            let (old, successor) = (&pair[0], &pair[1]);
            if now >= successor.created.saturating_add(keep_for) {
                retire.push(old.kid.clone());
            }
        }
        for kid in &retire {
            if let Some(pos) = self.keys.iter().position(|k| &k.kid == kid) {
                if let Some(path) = &self.keys[pos].path {
                    match fs::remove_file(path) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(source) => {
                            return Err(AuthError::KeyStoreIo {
                                path: path.clone(),
                                source,
                            })
                        }
                    }
                }
                self.keys.remove(pos);
            }
        }
        Ok(retire)
    }

    /// When the key new tokens are signed with was made (Unix seconds; 0
    /// for a configured key).
    pub fn current_created(&self) -> i64 {
        self.current().created
    }

    /// Where the keys live; `None` for a configured key.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The key id new tokens are signed with.
    pub fn current_kid(&self) -> &str {
        &self.current().kid
    }

    /// Every kept key id, oldest first.
    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.kid.as_str()).collect()
    }

    /// The public keys as a JWKS document, newest first:
    /// `{"keys":[{"kty":"OKP","crv":"Ed25519","x":..,"kid":..,"alg":"EdDSA","use":"sig"}]}`.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .rev()
            .map(|k| {
                json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": URL_SAFE_NO_PAD.encode(k.verifying.as_bytes()),
                    "kid": k.kid,
                    "alg": "EdDSA",
                    "use": "sig",
                })
            })
            .collect();
        json!({ "keys": keys })
    }

    pub(crate) fn current(&self) -> &KeyEntry {
        // `keys` is never empty: `open` and `from_pem` add one, `retire_expired` keeps the last.
        &self.keys[self.keys.len() - 1]
    }

    pub(crate) fn get(&self, kid: &str) -> Option<&KeyEntry> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    fn sort(&mut self) {
        self.keys
            .sort_by(|a, b| (a.created, &a.kid).cmp(&(b.created, &b.kid)));
    }
}

impl KeyEntry {
    fn new(
        signing: &SigningKey,
        kid: String,
        created: i64,
        path: Option<PathBuf>,
    ) -> Result<KeyEntry, AuthError> {
        let der = signing
            .to_pkcs8_der()
            .map_err(|e| AuthError::Signing(format!("encoding key `{kid}`: {e}")))?;
        Ok(KeyEntry {
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            verifying: signing.verifying_key(),
            kid,
            created,
            path,
        })
    }
}

/// RFC 7638 thumbprint of an Ed25519 public key, hex.
fn thumbprint(public: &[u8; 32]) -> String {
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(public)
    );
    Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn valid_kid(kid: &str) -> bool {
    !kid.is_empty()
        && kid.len() <= 64
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

pub(crate) fn created_from_kid(kid: &str) -> Option<i64> {
    let (created, rest) = kid.split_once('-')?;
    if created.is_empty() || rest.is_empty() || !created.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    created.parse().ok()
}

fn create_dir(dir: &Path) -> Result<(), AuthError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| AuthError::KeyStoreIo {
        path: dir.to_owned(),
        source,
    })
}

/// Writes `<dir>/<kid>.pem` through a temporary file, so a crash leaves no half key.
fn write_key(dir: &Path, kid: &str, pem: &[u8]) -> Result<PathBuf, AuthError> {
    let path = dir.join(format!("{kid}.pem"));
    let tmp = dir.join(format!(".{kid}.pem.tmp"));
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| AuthError::KeyStoreIo { path, source }
    };
    match fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&tmp)(e)),
        _ => {}
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(io(&tmp))?;
    file.write_all(pem).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    drop(file);
    fs::rename(&tmp, &path).map_err(io(&path))?;
    Ok(path)
}
