//! Opened repositories, kept per thread.
//!
//! Without gix's `parallel` feature a `gix::Repository` cannot leave its
//! thread, so each thread keeps its own handles. Keeping them open is what
//! makes a refresh that finds the same commit cheap; it does not make them
//! stale: gix re-reads loose refs on every lookup, reloads `packed-refs`
//! when its modification time changes, and rescans the pack directory when
//! an object is not found, so a `git push` into the repository is seen on
//! the next lookup.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Per thread; past this the cache starts over rather than track use.
const MAX_HANDLES: usize = 64;

thread_local! {
    static HANDLES: RefCell<HashMap<PathBuf, gix::Repository>> = RefCell::new(HashMap::new());
}

/// Opens without system or global git configuration or environment
/// variables: what a repository means must not depend on the server's
/// `~/.gitconfig`.
pub(crate) fn open(path: &Path) -> Result<gix::Repository, String> {
    gix::open_opts(path, gix::open::Options::isolated()).map_err(|e| {
        if path.exists() {
            format!(
                "{} is not a git repository ({})",
                path.display(),
                crate::error::chain(&e)
            )
        } else {
            format!("{} does not exist", path.display())
        }
    })
}

/// Runs `f` with this thread's handle of the repository at `path`, opening
/// it on first use.
pub(crate) fn with_repo<T>(
    path: &Path,
    f: impl FnOnce(&gix::Repository) -> T,
) -> Result<T, String> {
    // Taken out of the map while in use so `f` may itself use the cache.
    let cached = HANDLES
        .try_with(|h| h.borrow_mut().remove(path))
        .ok()
        .flatten();
    let repo = match cached {
        Some(repo) => repo,
        None => open(path)?,
    };
    let out = f(&repo);
    let _ = HANDLES.try_with(|h| {
        let mut handles = h.borrow_mut();
        if handles.len() >= MAX_HANDLES {
            handles.clear();
        }
        handles.insert(path.to_path_buf(), repo);
    });
    Ok(out)
}

/// Drops this thread's handle, e.g. after a mirror was re-created.
pub(crate) fn forget(path: &Path) {
    let _ = HANDLES.try_with(|h| h.borrow_mut().remove(path));
}
