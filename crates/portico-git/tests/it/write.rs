use portico_git::{write, GitError, RepoUrl};

use crate::support::{git, git_ok, mirrors};

#[test]
fn commits_files_readable_by_git_and_by_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("a/b/new.git");
    write::init_bare(&repo, "trunk").unwrap();
    assert_eq!(git(&repo, &["symbolic-ref", "HEAD"]), "refs/heads/trunk");

    let first = write::commit_files(
        &repo,
        "trunk",
        &[
            ("catalog-info.yaml", Some(b"kind: Component".as_slice())),
            ("dir/sub/file.txt", Some(b"nested".as_slice())),
        ],
        "Create component",
        ("Scaffolder", "scaffolder@example.com"),
    )
    .unwrap();
    assert_eq!(first.len(), 40);
    let git_dir = repo.to_str().unwrap();
    assert_eq!(
        git(
            dir.path(),
            &["--git-dir", git_dir, "show", "trunk:dir/sub/file.txt"]
        ),
        "nested"
    );
    assert_eq!(
        git(dir.path(), &["--git-dir", git_dir, "rev-parse", "HEAD"]),
        first
    );
    assert_eq!(
        git(
            dir.path(),
            &[
                "--git-dir",
                git_dir,
                "log",
                "-1",
                "--format=%an <%ae>|%cn|%s"
            ]
        ),
        "Scaffolder <scaffolder@example.com>|Scaffolder|Create component"
    );
    assert!(git_ok(
        dir.path(),
        &["--git-dir", git_dir, "fsck", "--strict"]
    ));

    let cache = tempfile::tempdir().unwrap();
    let m = mirrors(cache.path());
    let url = RepoUrl::parse(git_dir).unwrap();
    let resolved = m.resolve(&url, None).unwrap();
    assert_eq!(
        (resolved.commit.as_str(), resolved.reference.as_str()),
        (first.as_str(), "refs/heads/trunk")
    );
    let snapshot = m.snapshot(&url, &first).unwrap();
    assert_eq!(
        snapshot.read("catalog-info.yaml", 100).unwrap(),
        b"kind: Component"
    );

    let second = write::commit_files(
        &repo,
        "trunk",
        &[
            ("catalog-info.yaml", None),
            ("never-there.txt", None),
            ("dir/sub/other.txt", Some(b"more".as_slice())),
            ("dir/sub/file.txt", Some(b"changed".as_slice())),
        ],
        "Second",
        ("Scaffolder", "scaffolder@example.com"),
    )
    .unwrap();
    assert_eq!(
        git(
            dir.path(),
            &["--git-dir", git_dir, "rev-list", "--count", "trunk"]
        ),
        "2"
    );
    assert_eq!(
        git(dir.path(), &["--git-dir", git_dir, "rev-parse", "trunk^"]),
        first
    );
    assert!(!git_ok(
        dir.path(),
        &[
            "--git-dir",
            git_dir,
            "cat-file",
            "-e",
            "trunk:catalog-info.yaml"
        ]
    ));
    assert_eq!(
        git(
            dir.path(),
            &["--git-dir", git_dir, "show", "trunk:dir/sub/file.txt"]
        ),
        "changed"
    );
    assert_eq!(
        git(
            dir.path(),
            &[
                "--git-dir",
                git_dir,
                "ls-tree",
                "-r",
                "--name-only",
                "trunk"
            ]
        ),
        "dir/sub/file.txt\ndir/sub/other.txt"
    );
    let snapshot = m.snapshot(&url, &second).unwrap();
    assert_eq!(
        snapshot.read("catalog-info.yaml", 100),
        Err(portico_git::TreeError::NotFound("catalog-info.yaml".into()))
    );
    assert_eq!(snapshot.read("dir/sub/other.txt", 100).unwrap(), b"more");
    assert_eq!(m.resolve(&url, None).unwrap().commit, second);

    // Another branch starts as a root commit.
    let feature = write::commit_files(
        &repo,
        "feature/x",
        &[("x", Some(b"x".as_slice()))],
        "Root",
        ("A", "a@example.com"),
    )
    .unwrap();
    assert_eq!(
        git(
            dir.path(),
            &["--git-dir", git_dir, "rev-list", "--count", "feature/x"]
        ),
        "1"
    );
    assert_eq!(m.resolve(&url, Some("feature/x")).unwrap().commit, feature);
    assert!(git_ok(
        dir.path(),
        &["--git-dir", git_dir, "fsck", "--strict"]
    ));
}

#[test]
fn bad_branches_paths_and_authors_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("r.git");
    assert!(matches!(
        write::init_bare(&repo, "a..b"),
        Err(GitError::Repository { .. })
    ));
    write::init_bare(&repo, "main").unwrap();
    let refused: [(&str, &str, (&str, &str)); 6] = [
        ("bad..branch", "ok.txt", ("A", "a@example.com")),
        ("main", "../x", ("A", "a@example.com")),
        ("main", ".git/config", ("A", "a@example.com")),
        ("main", "a//b", ("A", "a@example.com")),
        ("main", "ok.txt", ("A <evil>", "a@example.com")),
        ("main", "ok.txt", ("A", "a@example.com>\nx")),
    ];
    for (branch, path, author) in refused {
        let result =
            write::commit_files(&repo, branch, &[(path, Some(b"x".as_slice()))], "m", author);
        assert!(
            matches!(result, Err(GitError::Repository { .. })),
            "{branch} {path} {author:?}: {result:?}"
        );
    }
    assert!(!git_ok(
        dir.path(),
        &[
            "--git-dir",
            repo.to_str().unwrap(),
            "rev-parse",
            "--verify",
            "main"
        ]
    ));
}
