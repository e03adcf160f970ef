//! Git repositories for the catalog and the scaffolder, without a git binary
//! and without work trees.
//!
//! Remote repositories are mirrored as bare repositories under
//! [`GitOptions::cache_dir`]; local ones are read in place. A [`Snapshot`]
//! reads files of one commit straight from the object database.
//!
//! gix is built without its `parallel` feature here, which makes its
//! repository handles `!Send`. Handles are therefore cached per thread
//! (see `handles`) and the public types carry only paths and object ids, so
//! they can move between threads freely.

mod error;
mod fetch;
mod handles;
mod mirrors;
mod paths;
pub mod serve;
mod snapshot;
mod tree_walk;
mod url;
pub mod write;

use std::path::PathBuf;
use std::time::Duration;

pub use error::{GitError, TreeError};
pub use mirrors::GitMirrors;
pub use snapshot::Snapshot;
pub use url::RepoUrl;

/// Where mirrors live and how much a fetch may cost.
#[derive(Debug, Clone)]
pub struct GitOptions {
    /// Mirrors of remote repositories live here.
    pub cache_dir: PathBuf,
    /// The whole connect + negotiate + fetch of one resolve.
    pub fetch_timeout: Duration,
    /// Pack bytes received per fetch.
    pub max_fetch_bytes: u64,
    /// Accounts for private repositories over HTTPS, by host.
    pub credentials: Vec<Credential>,
}

/// A user name and token (or password) for the HTTP(S) repositories of one
/// host: what a forge's personal or app access token needs. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// Host name, without scheme or port, e.g. `github.com`.
    pub host: String,
    /// GitHub accepts any name with a token (`x-access-token` for app
    /// tokens), GitLab wants `oauth2` or the token's user.
    pub username: String,
    pub token: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("host", &self.host)
            .field("username", &self.username)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl Default for GitOptions {
    fn default() -> GitOptions {
        GitOptions {
            cache_dir: PathBuf::from("data/git"),
            fetch_timeout: Duration::from_secs(120),
            max_fetch_bytes: 1 << 30,
            credentials: Vec::new(),
        }
    }
}

/// What a reference names now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// 40 hex digits.
    pub commit: String,
    /// The full ref name it came from, e.g. `refs/heads/main`.
    pub reference: String,
    /// Whether objects were fetched to make the commit available.
    pub fetched: bool,
}
