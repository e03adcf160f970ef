//! Lexical path arithmetic: nothing here touches the disk.

use std::path::{Component, Path, PathBuf};

/// `path` made absolute against `/`, with `.` and `..` applied; `..` at the
/// root stays at the root, as the kernel does.
pub(crate) fn normalize_abs(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir | Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => out.push(name),
        }
    }
    out
}

/// The components of a repository-relative path (a leading `/` or `./`
/// accepted), `.` dropped and `..` applied. `None` when `..` would climb
/// above the repository root.
pub(crate) fn split_repo_path(path: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            name => out.push(name),
        }
    }
    Some(out)
}
