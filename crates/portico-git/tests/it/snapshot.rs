use portico_git::{GitError, Snapshot, TreeError};

use crate::support::{git, mirrors, Fixture};

struct Tree {
    fx: Fixture,
    _cache: tempfile::TempDir,
    snapshot: Snapshot,
}

/// A repository with files, dot files, symbolic links of every kind and a
/// submodule entry.
fn tree() -> Tree {
    let fx = Fixture::new();
    let big = vec![b'x'; 10_240];
    fx.commit(
        &[
            ("catalog-info.yaml", b"root"),
            ("services/a/catalog-info.yaml", b"a"),
            ("services/b/catalog-info.yaml", b"b"),
            ("services/b/deep/x/catalog-info.yaml", b"deep"),
            ("services/.hidden/catalog-info.yaml", b"hidden"),
            ("services/notes.txt", b"notes"),
            (".github/catalog-info.yaml", b"dot"),
            ("docs/readme.md", b"readme"),
            ("big.bin", &big),
        ],
        "files",
    );
    fx.symlink("link-to-a", "services/a/catalog-info.yaml");
    fx.symlink("dirlink", "services/a");
    fx.symlink("services/b/up", "../a/catalog-info.yaml");
    fx.symlink("services/linked.yaml", "../catalog-info.yaml");
    fx.symlink("services/via-dirlink.yaml", "../dirlink/catalog-info.yaml");
    fx.symlink("escape", "../../etc/passwd");
    fx.symlink("services/escape-dir", "../..");
    fx.symlink("abs", "/etc/passwd");
    fx.symlink("loop1", "loop2");
    fx.symlink("loop2", "loop1");
    fx.symlink("dangling", "nowhere");
    // A submodule entry without a submodule checkout: `git add -A` would
    // drop it again, so it goes into the index last.
    let other = git(&fx.work, &["rev-parse", "HEAD"]);
    git(&fx.work, &["add", "-A"]);
    git(
        &fx.work,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{other},sub"),
        ],
    );
    git(&fx.work, &["commit", "-q", "-m", "links"]);
    git(&fx.work, &["push", "-q", "origin", "HEAD:refs/heads/main"]);
    let commit = git(&fx.work, &["rev-parse", "HEAD"]);
    let cache = tempfile::tempdir().unwrap();
    let m = mirrors(cache.path());
    let snapshot = m.snapshot(&fx.url(), &commit).unwrap();
    assert_eq!(snapshot.commit(), commit);
    Tree {
        fx,
        _cache: cache,
        snapshot,
    }
}

fn outside(path: &str, link: &str) -> TreeError {
    TreeError::OutsideRepository {
        path: path.to_string(),
        link: link.to_string(),
    }
}

#[test]
fn reads_files_by_repository_path() {
    let t = tree();
    let s = &t.snapshot;
    assert_eq!(s.read("catalog-info.yaml", 100).unwrap(), b"root");
    assert_eq!(s.read("/catalog-info.yaml", 100).unwrap(), b"root");
    assert_eq!(s.read("./services/a/catalog-info.yaml", 100).unwrap(), b"a");
    assert_eq!(
        s.read("services/b/deep/x/catalog-info.yaml", 100).unwrap(),
        b"deep"
    );
    assert_eq!(
        s.read("services/a/../b/./catalog-info.yaml", 100).unwrap(),
        b"b"
    );
    assert_eq!(s.read("docs/readme.md", 100).unwrap(), b"readme");
}

#[test]
fn missing_paths_directories_submodules_and_large_files_are_refused() {
    let t = tree();
    let s = &t.snapshot;
    assert_eq!(
        s.read("nope.yaml", 100),
        Err(TreeError::NotFound("nope.yaml".into()))
    );
    assert_eq!(
        s.read("docs/readme.md/x", 100),
        Err(TreeError::NotFound("docs/readme.md/x".into()))
    );
    assert_eq!(
        s.read("services", 100),
        Err(TreeError::NotAFile("services".into()))
    );
    assert_eq!(s.read("", 100), Err(TreeError::NotAFile("".into())));
    assert_eq!(s.read("sub", 100), Err(TreeError::NotAFile("sub".into())));
    assert_eq!(
        s.read("dirlink", 100),
        Err(TreeError::NotAFile("dirlink".into()))
    );
    assert_eq!(
        s.read("big.bin", 100),
        Err(TreeError::TooLarge {
            path: "big.bin".into(),
            size: 10_240,
            limit: 100
        })
    );
    assert_eq!(s.read("big.bin", 10_240).unwrap().len(), 10_240);
    assert_eq!(
        s.read("dangling", 100),
        Err(TreeError::NotFound("dangling".into()))
    );
}

#[test]
fn symbolic_links_are_followed_inside_the_repository_only() {
    let t = tree();
    let s = &t.snapshot;
    assert_eq!(s.read("link-to-a", 100).unwrap(), b"a");
    assert_eq!(s.read("dirlink/catalog-info.yaml", 100).unwrap(), b"a");
    assert_eq!(s.read("services/b/up", 100).unwrap(), b"a");
    assert_eq!(s.read("services/via-dirlink.yaml", 100).unwrap(), b"a");
    assert_eq!(
        s.canonical("dirlink/catalog-info.yaml").unwrap(),
        "services/a/catalog-info.yaml"
    );
    assert_eq!(
        s.canonical("services/b/up").unwrap(),
        "services/a/catalog-info.yaml"
    );
    assert_eq!(s.canonical("/dirlink").unwrap(), "services/a");
    assert_eq!(
        s.canonical("services/linked.yaml").unwrap(),
        "catalog-info.yaml"
    );
    assert_eq!(s.canonical("services").unwrap(), "services");
    assert_eq!(s.canonical("./").unwrap(), "");

    assert_eq!(s.read("escape", 100), Err(outside("escape", "escape")));
    assert_eq!(s.canonical("escape"), Err(outside("escape", "escape")));
    assert_eq!(s.read("abs", 100), Err(outside("abs", "abs")));
    assert_eq!(
        s.read("services/escape-dir/etc/passwd", 100),
        Err(outside(
            "services/escape-dir/etc/passwd",
            "services/escape-dir"
        ))
    );
    assert_eq!(
        s.read("loop1", 100),
        Err(TreeError::SymlinkLoop("loop1".into()))
    );
    assert_eq!(
        s.canonical("loop2"),
        Err(TreeError::SymlinkLoop("loop2".into()))
    );
    assert_eq!(s.canonical("nope"), Err(TreeError::NotFound("nope".into())));
}

#[test]
fn paths_that_climb_above_the_root_are_refused() {
    let t = tree();
    let s = &t.snapshot;
    for path in ["../etc/passwd", "services/../../etc/passwd", "/.."] {
        let shown = path.trim_start_matches('/');
        assert_eq!(s.read(path, 100), Err(outside(shown, shown)), "{path}");
    }
    assert_eq!(
        s.read("../catalog-info.yaml", 100),
        Err(outside("../catalog-info.yaml", "../catalog-info.yaml")),
        "refused, not clamped to the root"
    );
}

#[test]
fn glob_matches_files_below_the_literal_prefix() {
    let t = tree();
    let s = &t.snapshot;
    assert_eq!(
        s.glob("services/*/catalog-info.yaml", 10).unwrap(),
        [
            "services/a/catalog-info.yaml",
            "services/b/catalog-info.yaml"
        ]
    );
    assert_eq!(
        s.glob("**/catalog-info.yaml", 10).unwrap(),
        [
            "catalog-info.yaml",
            "services/a/catalog-info.yaml",
            "services/b/catalog-info.yaml",
            "services/b/deep/x/catalog-info.yaml",
        ]
    );
    assert_eq!(
        s.glob("services/**/*.yaml", 10).unwrap(),
        [
            "services/a/catalog-info.yaml",
            "services/b/catalog-info.yaml",
            "services/b/deep/x/catalog-info.yaml",
            "services/linked.yaml",
            "services/via-dirlink.yaml",
        ]
    );
    assert_eq!(
        s.glob("/services/*.yaml", 10).unwrap(),
        ["services/linked.yaml", "services/via-dirlink.yaml"]
    );
    assert_eq!(
        s.glob("services/.*/catalog-info.yaml", 10).unwrap(),
        ["services/.hidden/catalog-info.yaml"]
    );
    assert_eq!(
        s.glob(".github/*", 10).unwrap(),
        [".github/catalog-info.yaml"]
    );
    // Symbolic links to files count, links to directories, outside the
    // repository, loops and submodules do not.
    assert_eq!(
        s.glob("*", 20).unwrap(),
        ["big.bin", "catalog-info.yaml", "link-to-a"]
    );
    assert_eq!(
        s.glob("dirlink/*.yaml", 10).unwrap(),
        ["dirlink/catalog-info.yaml"]
    );
    assert_eq!(s.glob("docs/readme.md", 10).unwrap(), ["docs/readme.md"]);
    assert!(s.glob("docs/missing.md", 10).unwrap().is_empty());
    assert!(s.glob("missing/*", 10).unwrap().is_empty());
    assert!(s.glob("docs/readme.md/*", 10).unwrap().is_empty());
}

#[test]
fn glob_stops_at_the_cap_keeping_the_first_in_order() {
    let t = tree();
    let s = &t.snapshot;
    assert_eq!(
        s.glob("**/catalog-info.yaml", 2).unwrap(),
        ["catalog-info.yaml", "services/a/catalog-info.yaml"]
    );
    assert!(s.glob("**/catalog-info.yaml", 0).unwrap().is_empty());
}

#[test]
fn invalid_patterns_are_refused_with_the_pattern_named() {
    let t = tree();
    for pattern in ["services/[a", "../*", "", "/"] {
        match t.snapshot.glob(pattern, 10) {
            Err(TreeError::InvalidPattern(message)) => {
                assert!(message.contains(&format!("{pattern:?}")), "{message}")
            }
            other => panic!("{pattern:?} gave {other:?}"),
        }
    }
}

#[test]
fn snapshots_move_between_threads_and_outlive_new_commits() {
    fn assert_send<T: Send>() {}
    assert_send::<Snapshot>();
    let t = tree();
    let snapshot = t.snapshot.clone();
    t.fx.commit(&[("catalog-info.yaml", b"changed")], "change");
    let read = std::thread::spawn(move || snapshot.read("catalog-info.yaml", 100))
        .join()
        .unwrap();
    assert_eq!(read.unwrap(), b"root");
}

#[test]
fn commits_not_in_the_repository_are_refused() {
    let t = tree();
    let cache = tempfile::tempdir().unwrap();
    let m = mirrors(cache.path());
    let url = t.fx.url();
    let tree_id = git(&t.fx.bare, &["rev-parse", "main^{tree}"]);
    for commit in [
        "0123456789012345678901234567890123456789",
        "nope",
        "",
        tree_id.as_str(),
    ] {
        match m.snapshot(&url, commit) {
            Err(e @ GitError::CommitNotFound { .. }) => assert_eq!(
                e.to_string(),
                format!("git repository {url} does not contain commit {commit}")
            ),
            other => panic!("{commit:?} gave {other:?}"),
        }
    }
}
