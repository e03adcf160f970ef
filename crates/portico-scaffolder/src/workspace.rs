//! Paths inside a task workspace.
//!
//! Every relative path handled here comes from a template author or a user, so it is untrusted.
//! Checks are lexical first (cheap, no filesystem access, and they cannot be raced) and then, for
//! anything that writes, against the filesystem so that a symbolic link planted by an earlier
//! step cannot redirect a write outside the workspace.
//!
//! Error messages carry the *relative* path only: they end up in task logs shown to users, and
//! the absolute location of a workspace on the server is none of their business.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("path `{path}` leaves the workspace")]
    Escapes { path: String },
    #[error("path `{path}` goes through a symbolic link")]
    Symlink { path: String },
    #[error("path `{path}` is empty")]
    Empty { path: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
}

/// Splits `relative` into its components, refusing anything that could name a location outside
/// the root. `..` is refused outright rather than normalised: `a/../b` is never what a template
/// meant, and refusing it removes a whole class of normalisation bugs.
fn components(relative: &str) -> Result<Vec<&str>, PathError> {
    let escapes = || PathError::Escapes {
        path: relative.to_owned(),
    };
    let bytes = relative.as_bytes();
    // A backslash or a drive prefix (`C:`) is a Windows path written into a template: on Unix it
    // would silently become an odd file name, on Windows it would climb out.
    let drive_prefix = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if relative.contains(['\0', '\\']) || relative.starts_with('/') || drive_prefix {
        return Err(escapes());
    }
    let parts: Vec<&str> = relative
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    if parts.contains(&"..") {
        return Err(escapes());
    }
    if parts.is_empty() {
        return Err(PathError::Empty {
            path: relative.to_owned(),
        });
    }
    Ok(parts)
}

fn io_error(parts: &[&str], source: io::Error) -> PathError {
    PathError::Io {
        path: parts.join("/"),
        source,
    }
}

/// Joins a relative path given by a template or a user onto `root`, lexically.
///
/// Refuses absolute paths, `..` anywhere, backslashes, Windows drive prefixes, NUL bytes and
/// paths with nothing left once `.` components and repeated slashes are dropped.
pub fn join_inside(root: &Path, relative: &str) -> Result<PathBuf, PathError> {
    let parts = components(relative)?;
    Ok(parts
        .iter()
        .fold(root.to_path_buf(), |path, part| path.join(part)))
}

/// Checks every existing prefix of `parts` below `root` (the root itself is the caller's and is
/// trusted); stops at the first one that does not exist, since nothing below it can be a link.
fn check_no_symlinks(root: &Path, parts: &[&str]) -> Result<PathBuf, PathError> {
    let mut path = root.to_path_buf();
    let mut exists = true;
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        if !exists {
            continue;
        }
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(PathError::Symlink {
                    path: parts[..=i].join("/"),
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => exists = false,
            Err(e) => return Err(io_error(&parts[..=i], e)),
        }
    }
    Ok(path)
}

/// As [`join_inside`], then checks that no existing component between `root` (exclusive) and the
/// result (inclusive) is a symbolic link.
pub fn resolve_inside(root: &Path, relative: &str) -> Result<PathBuf, PathError> {
    let parts = components(relative)?;
    check_no_symlinks(root, &parts)
}

/// Makes sure each prefix of `parts` is a real directory, creating missing ones one level at a
/// time so each can be checked; `create_dir_all` would follow a link planted halfway.
fn ensure_dirs(root: &Path, parts: &[&str]) -> Result<PathBuf, PathError> {
    let mut path = root.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        let prefix = &parts[..=i];
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(PathError::Symlink {
                    path: prefix.join("/"),
                });
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(io_error(
                    prefix,
                    io::Error::other("exists and is not a directory"),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::create_dir(&path) {
                Ok(()) => {}
                // Someone else created it in between: accept it only if it is a plain directory.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let meta = fs::symlink_metadata(&path).map_err(|e| io_error(prefix, e))?;
                    if meta.file_type().is_symlink() {
                        return Err(PathError::Symlink {
                            path: prefix.join("/"),
                        });
                    }
                    if !meta.is_dir() {
                        return Err(io_error(
                            prefix,
                            io::Error::other("exists and is not a directory"),
                        ));
                    }
                }
                Err(e) => return Err(io_error(prefix, e)),
            },
            Err(e) => return Err(io_error(prefix, e)),
        }
    }
    Ok(path)
}

/// Creates the directory `relative` (and its parents) below `root`, refusing to go through a
/// symbolic link. An existing directory is fine.
pub fn create_dir(root: &Path, relative: &str) -> Result<PathBuf, PathError> {
    let parts = components(relative)?;
    ensure_dirs(root, &parts)
}

/// Creates the parent directories (each checked as in [`create_dir`]) and writes the file.
///
/// Refuses to write through a symbolic link, including one sitting where the file itself goes
/// (even a dangling one). The content goes to a fresh temporary file that is renamed into place:
/// `create_new` never follows a link and `rename` replaces a name rather than what it points to,
/// so a link swapped in after the checks still cannot redirect the write.
///
/// On Unix, `executable` adds an execute bit wherever a read bit is set (so the umask is
/// respected) and its absence leaves the file without any execute bit.
pub fn write_file(
    root: &Path,
    relative: &str,
    content: &[u8],
    executable: bool,
) -> Result<PathBuf, PathError> {
    let parts = components(relative)?;
    let Some((name, parents)) = parts.split_last() else {
        return Err(PathError::Empty {
            path: relative.to_owned(),
        });
    };
    let dir = ensure_dirs(root, parents)?;
    let path = dir.join(name);
    match fs::symlink_metadata(&path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(PathError::Symlink {
                path: parts.join("/"),
            })
        }
        Ok(meta) if meta.is_dir() => {
            return Err(io_error(&parts, io::Error::other("is a directory")))
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error(&parts, e)),
    }

    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // A fixed-length name: deriving it from `name` could exceed the file-name length limit.
    let tmp = dir.join(format!(
        ".portico-write-{}-{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = write_new(&tmp, content, executable).and_then(|()| fs::rename(&tmp, &path));
    if let Err(e) = written {
        // Best effort: the error that matters is the one that made the write fail.
        let _ = fs::remove_file(&tmp);
        return Err(io_error(&parts, e));
    }
    Ok(path)
}

fn write_new(path: &Path, content: &[u8], executable: bool) -> io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(content)?;
    #[cfg(unix)]
    if executable {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata()?.permissions().mode();
        file.set_permissions(fs::Permissions::from_mode(mode | ((mode & 0o444) >> 2)))?;
    }
    #[cfg(not(unix))]
    let _ = executable;
    Ok(())
}

/// Whether any execute bit is set: what a published file's git mode follows.
#[cfg(unix)]
pub(crate) fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
pub(crate) fn is_executable(_: &fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn join_inside_accepts_plain_relative_paths() {
        let root = Path::new("/ws");
        assert_eq!(
            join_inside(root, "a/b.txt").unwrap(),
            Path::new("/ws/a/b.txt")
        );
        assert_eq!(
            join_inside(root, "./a//./b/").unwrap(),
            Path::new("/ws/a/b")
        );
        assert_eq!(
            join_inside(root, ".github/ci.yml").unwrap(),
            Path::new("/ws/.github/ci.yml")
        );
        assert_eq!(
            join_inside(root, "a..b/...").unwrap(),
            Path::new("/ws/a..b/...")
        );
    }

    #[test]
    fn join_inside_refuses_escapes() {
        let root = Path::new("/ws");
        for bad in [
            "..",
            "../x",
            "a/../b",
            "a/..",
            "/etc/passwd",
            "a\\b",
            "..\\x",
            "C:/x",
            "c:x",
            "a\0b",
        ] {
            let err = join_inside(root, bad).unwrap_err();
            assert!(
                matches!(err, PathError::Escapes { ref path } if path == bad),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn join_inside_refuses_empty_paths() {
        for bad in ["", ".", "./", "././/"] {
            let err = join_inside(Path::new("/ws"), bad).unwrap_err();
            assert!(matches!(err, PathError::Empty { .. }), "{bad:?}: {err:?}");
        }
        assert_eq!(
            join_inside(Path::new("/ws"), "").unwrap_err().to_string(),
            "path `` is empty"
        );
    }

    #[cfg(unix)]
    #[test]
    fn resolve_inside_refuses_symlinks_on_the_way_and_at_the_end() {
        let ws = tmp();
        let outside = tmp();
        fs::create_dir(ws.path().join("real")).unwrap();
        std::os::unix::fs::symlink(outside.path(), ws.path().join("real/link")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("nope"), ws.path().join("dangling"))
            .unwrap();

        assert_eq!(
            resolve_inside(ws.path(), "real/new/file").unwrap(),
            ws.path().join("real/new/file")
        );
        let err = resolve_inside(ws.path(), "real/link/file").unwrap_err();
        assert!(
            matches!(err, PathError::Symlink { ref path } if path == "real/link"),
            "{err:?}"
        );
        let err = resolve_inside(ws.path(), "real/link").unwrap_err();
        assert!(matches!(err, PathError::Symlink { .. }), "{err:?}");
        let err = resolve_inside(ws.path(), "dangling").unwrap_err();
        assert!(matches!(err, PathError::Symlink { .. }), "{err:?}");
        assert!(matches!(
            resolve_inside(ws.path(), "../x"),
            Err(PathError::Escapes { .. })
        ));
    }

    #[test]
    fn write_file_creates_parents_and_overwrites() {
        let ws = tmp();
        let path = write_file(ws.path(), "a/b/c.txt", b"one", false).unwrap();
        assert_eq!(path, ws.path().join("a/b/c.txt"));
        assert_eq!(fs::read(&path).unwrap(), b"one");
        write_file(ws.path(), "a/b/c.txt", b"two", false).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(ws.path().join("a/b")).unwrap().count(), 1);
    }

    #[test]
    fn write_file_refuses_directories_and_files_in_the_way() {
        let ws = tmp();
        fs::create_dir(ws.path().join("dir")).unwrap();
        fs::write(ws.path().join("file"), "x").unwrap();
        let err = write_file(ws.path(), "dir", b"x", false).unwrap_err();
        assert!(matches!(err, PathError::Io { .. }), "{err:?}");
        let err = write_file(ws.path(), "file/below", b"x", false).unwrap_err();
        assert!(err.to_string().starts_with("file: "), "{err}");
        assert!(
            !err.to_string().contains(&ws.path().display().to_string()),
            "leaks host path: {err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn write_file_refuses_to_write_through_symlinks() {
        use std::os::unix::fs::symlink;
        let ws = tmp();
        let outside = tmp();
        fs::write(outside.path().join("target.txt"), "original").unwrap();
        symlink(outside.path(), ws.path().join("out")).unwrap();
        symlink(
            outside.path().join("target.txt"),
            ws.path().join("file.txt"),
        )
        .unwrap();
        symlink(
            outside.path().join("missing.txt"),
            ws.path().join("dangling.txt"),
        )
        .unwrap();

        let err = write_file(ws.path(), "out/target.txt", b"pwned", false).unwrap_err();
        assert!(
            matches!(err, PathError::Symlink { ref path } if path == "out"),
            "{err:?}"
        );
        let err = write_file(ws.path(), "out/new/deeper.txt", b"pwned", false).unwrap_err();
        assert!(matches!(err, PathError::Symlink { .. }), "{err:?}");
        let err = write_file(ws.path(), "file.txt", b"pwned", false).unwrap_err();
        assert!(
            matches!(err, PathError::Symlink { ref path } if path == "file.txt"),
            "{err:?}"
        );
        let err = write_file(ws.path(), "dangling.txt", b"pwned", false).unwrap_err();
        assert!(matches!(err, PathError::Symlink { .. }), "{err:?}");
        let err = create_dir(ws.path(), "out/sub").unwrap_err();
        assert!(matches!(err, PathError::Symlink { .. }), "{err:?}");

        assert_eq!(
            fs::read_to_string(outside.path().join("target.txt")).unwrap(),
            "original"
        );
        assert!(!outside.path().join("missing.txt").exists());
        assert!(!outside.path().join("new").exists());
        assert!(!outside.path().join("sub").exists());
    }

    #[cfg(unix)]
    #[test]
    fn write_file_sets_and_clears_the_executable_bit() {
        use std::os::unix::fs::PermissionsExt;
        let ws = tmp();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode();
        let path = write_file(ws.path(), "bin/run.sh", b"#!/bin/sh\n", true).unwrap();
        assert_eq!(mode(&path) & 0o100, 0o100, "mode {:o}", mode(&path));
        write_file(ws.path(), "bin/run.sh", b"#!/bin/sh\n", false).unwrap();
        assert_eq!(mode(&path) & 0o111, 0, "mode {:o}", mode(&path));
    }

    #[test]
    fn create_dir_is_idempotent() {
        let ws = tmp();
        let dir = create_dir(ws.path(), "a/b").unwrap();
        assert!(dir.is_dir());
        create_dir(ws.path(), "a/b").unwrap();
        assert!(matches!(
            create_dir(ws.path(), "a/../b"),
            Err(PathError::Escapes { .. })
        ));
    }
}
