//! Repositories built with the git CLI, and a `git daemon` to fetch from.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

/// Runs git with no user or system configuration; panics on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_command(dir, args)
        .output()
        .unwrap_or_else(|e| panic!("git {args:?} could not run: {e}"));
    assert!(
        output.status.success(),
        "git {args:?} in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Like [`git`], but returns whether it succeeded.
pub fn git_ok(dir: &Path, args: &[&str]) -> bool {
    git_command(dir, args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn git_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Test Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@example.com")
        .args(["-c", "init.defaultBranch=main", "-c", "core.symlinks=true"])
        .args(args);
    command
}

/// A bare repository and a clone of it to commit and push from.
pub struct Fixture {
    pub dir: TempDir,
    pub bare: PathBuf,
    pub work: PathBuf,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        Fixture::in_dir(dir, "repo.git")
    }

    /// The bare repository is `<dir>/<name>`.
    pub fn in_dir(dir: TempDir, name: &str) -> Fixture {
        let bare = dir.path().join(name);
        let work = dir.path().join("work");
        git(
            dir.path(),
            &["init", "--bare", "-b", "main", bare.to_str().unwrap()],
        );
        git(dir.path(), &["init", "-b", "main", work.to_str().unwrap()]);
        git(&work, &["remote", "add", "origin", bare.to_str().unwrap()]);
        Fixture { dir, bare, work }
    }

    /// Writes `files` into the work tree, commits all changes and pushes
    /// the current branch; returns the new commit.
    pub fn commit(&self, files: &[(&str, &[u8])], message: &str) -> String {
        for (path, content) in files {
            let full = self.work.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, content).unwrap();
        }
        self.commit_all(message)
    }

    pub fn symlink(&self, link: &str, target: &str) {
        let full = self.work.join(link);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, full).unwrap();
    }

    pub fn commit_all(&self, message: &str) -> String {
        git(&self.work, &["add", "-A"]);
        git(
            &self.work,
            &["commit", "-q", "--allow-empty", "-m", message],
        );
        let branch = git(&self.work, &["rev-parse", "--abbrev-ref", "HEAD"]);
        git(
            &self.work,
            &["push", "-q", "origin", &format!("HEAD:refs/heads/{branch}")],
        );
        git(&self.work, &["rev-parse", "HEAD"])
    }

    pub fn url(&self) -> portico_git::RepoUrl {
        portico_git::RepoUrl::parse(self.bare.to_str().unwrap()).unwrap()
    }
}

/// `git daemon` over `base`, or `None` (after saying why) when it cannot run.
pub struct Daemon(portico_git::serve::GitDaemon);

impl Daemon {
    pub fn start(base: &Path) -> Option<Daemon> {
        match portico_git::serve::GitDaemon::start(base) {
            Ok(daemon) => Some(Daemon(daemon)),
            Err(why) => {
                eprintln!("skipped: {why}");
                None
            }
        }
    }

    pub fn url(&self, path: &str) -> portico_git::RepoUrl {
        portico_git::RepoUrl::parse(&self.0.url(path)).unwrap()
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn mirrors(cache: &Path) -> portico_git::GitMirrors {
    portico_git::GitMirrors::new(portico_git::GitOptions {
        cache_dir: cache.to_path_buf(),
        ..portico_git::GitOptions::default()
    })
}
