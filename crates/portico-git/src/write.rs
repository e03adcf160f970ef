//! Writing repositories without a work tree: for tests, the bench and the
//! scaffolder.

use std::path::Path;

use gix::objs::tree::EntryKind;

use crate::error::{chain, GitError};

/// Creates a bare repository at `path` (parents created) whose HEAD names
/// `refs/heads/<initial_branch>`.
pub fn init_bare(path: &Path, initial_branch: &str) -> Result<(), GitError> {
    let url = path.display();
    check_branch(path, initial_branch)?;
    std::fs::create_dir_all(path).map_err(|e| {
        GitError::repository(&url, format!("the directory could not be created: {e}"))
    })?;
    gix::ThreadSafeRepository::init_opts(
        path,
        gix::create::Kind::Bare,
        gix::create::Options::default(),
        gix::open::Options::isolated()
            .config_overrides([format!("init.defaultBranch={initial_branch}")]),
    )
    .map_err(|e| GitError::repository(&url, chain(&e)))?;
    Ok(())
}

/// One change to a file in a commit made by [`commit`].
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// Writes the file (parent directories created), mode 100755 when
    /// `executable`, else 100644.
    Write {
        path: &'a str,
        content: &'a [u8],
        executable: bool,
    },
    /// Removes the file; a missing one is no error.
    Remove { path: &'a str },
}

/// Commits on top of `branch` (created as a root commit when missing):
/// each `(path, Some(bytes))` is written as a regular file, parent
/// directories created; each `(path, None)` removed, a missing one being no
/// error. Author and committer are `author`, time now. Moves
/// `refs/heads/<branch>` only if nobody else moved it meanwhile, and
/// returns the new commit's id.
pub fn commit_files(
    repo: &Path,
    branch: &str,
    files: &[(&str, Option<&[u8]>)],
    message: &str,
    author: (&str, &str),
) -> Result<String, GitError> {
    let changes: Vec<Change<'_>> = files
        .iter()
        .map(|&(path, content)| match content {
            Some(content) => Change::Write {
                path,
                content,
                executable: false,
            },
            None => Change::Remove { path },
        })
        .collect();
    commit(repo, branch, &changes, message, author)
}

/// [`commit_files`] with file modes: what a published scaffolder workspace
/// needs so that its scripts stay executable.
pub fn commit(
    repo: &Path,
    branch: &str,
    changes: &[Change<'_>],
    message: &str,
    author: (&str, &str),
) -> Result<String, GitError> {
    let url = repo.display();
    let fail = |message: String| GitError::repository(&url, message);
    check_branch(repo, branch)?;
    let (name, email) = author;
    for part in [name, email] {
        if part.is_empty() || part.contains(['<', '>', '\n', '\0']) {
            return Err(fail(format!(
                "the author {name:?} <{email}> cannot be written into a commit"
            )));
        }
    }
    let git = |e: gix::Error| fail(chain(&e));
    let repository = gix::open_opts(repo, gix::open::Options::isolated()).map_err(git)?;
    let reference = format!("refs/heads/{branch}");
    let parent = match repository
        .try_find_reference(reference.as_str())
        .map_err(git)?
    {
        Some(mut found) => Some(found.peel_to_commit().map_err(git)?),
        None => None,
    };
    let base = match &parent {
        Some(commit) => commit.tree_id().map_err(git)?.detach(),
        None => gix::ObjectId::empty_tree(repository.object_hash()),
    };
    let mut editor = repository.edit_tree(base).map_err(git)?;
    for change in changes {
        match *change {
            Change::Write {
                path,
                content,
                executable,
            } => {
                let path = check_path(path).map_err(&fail)?;
                let blob = repository.write_blob(content).map_err(git)?;
                let kind = if executable {
                    EntryKind::BlobExecutable
                } else {
                    EntryKind::Blob
                };
                editor
                    .upsert(path.as_str(), kind, blob.detach())
                    .map_err(git)?;
            }
            Change::Remove { path } => {
                let path = check_path(path).map_err(&fail)?;
                editor.remove(path.as_str()).map_err(git)?;
            }
        }
    }
    let tree = editor.write().map_err(git)?.detach();
    let signature = gix::actor::Signature {
        name: name.into(),
        email: email.into(),
        time: gix::date::Time::now_utc(),
    };
    let mut time = gix::date::parse::TimeBuf::default();
    let signature = signature.to_ref(&mut time);
    let parents: Vec<gix::ObjectId> = parent.iter().map(|c| c.id).collect();
    let id = repository
        .commit_as(
            signature,
            signature,
            reference.as_str(),
            message,
            tree,
            parents,
        )
        .map_err(git)?;
    tracing::debug!(repo = %url, branch, commit = %id, files = changes.len(), "committed files");
    Ok(id.to_string())
}

fn check_branch(repo: &Path, branch: &str) -> Result<(), GitError> {
    let valid = crate::mirrors::candidates(branch).is_some()
        && !branch.starts_with("refs/")
        && gix::refs::FullName::try_from(format!("refs/heads/{branch}")).is_ok();
    if valid {
        Ok(())
    } else {
        Err(GitError::repository(
            repo.display(),
            format!("{branch:?} is not a valid branch name"),
        ))
    }
}

/// Paths are repository-relative with `/` separators; nothing that git
/// itself would refuse to check out.
fn check_path(path: &str) -> Result<String, String> {
    let components: Vec<&str> = path.split('/').collect();
    let bad = components.iter().any(|c| {
        c.is_empty()
            || *c == "."
            || *c == ".."
            || c.eq_ignore_ascii_case(".git")
            || c.contains('\0')
    });
    if bad {
        return Err(format!(
            "the path {path:?} cannot be written into a repository"
        ));
    }
    Ok(components.join("/"))
}
