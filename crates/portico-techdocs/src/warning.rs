//! Problems that do not stop a build, reported as `file:line: message`.

use std::fmt;

/// A problem in one file of the documentation source. The site is still
/// built; a strict build fails on any of these.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BuildWarning {
    /// Relative to the root of the documentation source, e.g.
    /// `docs/runbook.md` or `mkdocs.yml`.
    pub file: String,
    /// 1-based, when the problem is on one line.
    pub line: Option<usize>,
    pub message: String,
}

impl BuildWarning {
    pub fn new(file: impl Into<String>, line: Option<usize>, message: impl Into<String>) -> Self {
        BuildWarning {
            file: file.into(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for BuildWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}
