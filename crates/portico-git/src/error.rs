/// Why a repository could not be resolved, fetched or written.
///
/// Messages are sentences a portal user reads.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The message names the URL.
    #[error("{message}")]
    InvalidUrl { url: String, message: String },
    #[error("git repository {url} has no branch or tag named \"{reference}\"")]
    RefNotFound { url: String, reference: String },
    #[error("git repository {url} does not contain commit {commit}")]
    CommitNotFound { url: String, commit: String },
    #[error("git repository {url} could not be reached: {message}")]
    Unreachable { url: String, message: String },
    #[error("git repository {url} did not answer within {seconds} s")]
    Timeout { url: String, seconds: u64 },
    #[error("fetching git repository {url} was stopped: it sent more than {limit} bytes")]
    TooLarge { url: String, limit: u64 },
    #[error("git repository {url} could not be used: {message}")]
    Repository { url: String, message: String },
}

impl GitError {
    pub(crate) fn repository(url: impl std::fmt::Display, message: impl Into<String>) -> GitError {
        GitError::Repository {
            url: url.to_string(),
            message: message.into(),
        }
    }
}

/// Why a path of a [`crate::Snapshot`] could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    #[error("{0} does not exist in the repository")]
    NotFound(String),
    #[error("{0} is not a file")]
    NotAFile(String),
    #[error("{path} is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge { path: String, size: u64, limit: u64 },
    /// `link` is the symbolic link (or, for a path with too many `..`, the
    /// path itself) that leads out.
    #[error("{path} leads outside the repository (through {link})")]
    OutsideRepository { path: String, link: String },
    #[error("{0}: too many levels of symbolic links")]
    SymlinkLoop(String),
    /// The message names the pattern.
    #[error("{0}")]
    InvalidPattern(String),
    #[error("{0}")]
    Git(String),
}

/// gix errors display only their outermost frame; users need the cause too.
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    let mut depth = 0;
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
        depth += 1;
        if depth > 16 {
            break;
        }
    }
    out
}
