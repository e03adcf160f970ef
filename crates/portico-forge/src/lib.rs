//! What Portico knows about git hosting services ("forges"): how their
//! browser URLs name files in a repository, and how their push webhooks are
//! signed and shaped.
//!
//! Everything here is a pure function over strings and bytes: no network and
//! no git, so the catalog can call it while reading and the server can call it
//! before touching the store.
//!
//! Supported forges: GitHub (github.com and Enterprise Server), GitLab,
//! Gitea and Forgejo (Codeberg included), Bitbucket Cloud (bitbucket.org) and
//! Bitbucket Server / Data Center.

mod hosted;
mod push;
mod text;
mod urls;
mod webhook;

use std::fmt;

pub use hosted::hosted_file;
pub use push::{parse_push, PushEvent};
pub use urls::{parse_file_url, ForgeError, HostedFile, RefKind};
pub use webhook::{sign, verify, WebhookError};

/// A git hosting service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Forge {
    /// github.com and GitHub Enterprise Server.
    GitHub,
    /// gitlab.com and self-managed GitLab.
    GitLab,
    /// Gitea and its fork Forgejo (which Codeberg runs); Gogs webhooks too.
    Gitea,
    /// bitbucket.org.
    BitbucketCloud,
    /// Bitbucket Server and Bitbucket Data Center.
    BitbucketServer,
}

impl Forge {
    /// The product name, as used in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Forge::GitHub => "GitHub",
            Forge::GitLab => "GitLab",
            Forge::Gitea => "Gitea",
            Forge::BitbucketCloud => "Bitbucket Cloud",
            Forge::BitbucketServer => "Bitbucket Server",
        }
    }
}

impl fmt::Display for Forge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
