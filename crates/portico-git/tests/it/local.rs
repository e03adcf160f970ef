use std::sync::Arc;
use std::time::Instant;

use portico_git::{GitError, GitMirrors, RepoUrl};

use crate::support::{git, mirrors, Fixture};

fn tagged_fixture() -> (Fixture, String) {
    let fx = Fixture::new();
    let first = fx.commit(&[("catalog-info.yaml", b"one")], "first");
    git(&fx.work, &["tag", "-a", "v1.0", "-m", "release"]);
    git(&fx.work, &["tag", "light"]);
    git(&fx.work, &["push", "-q", "origin", "v1.0", "light"]);
    git(&fx.work, &["push", "-q", "origin", "HEAD:refs/heads/dev"]);
    (fx, first)
}

#[test]
fn resolves_head_branch_full_ref_and_tags_of_a_bare_repository() {
    let (fx, first) = tagged_fixture();
    let cache = tempfile::tempdir().unwrap();
    let m = mirrors(cache.path());
    let url = fx.url();
    let cases = [
        (None, "refs/heads/main"),
        (Some("main"), "refs/heads/main"),
        (Some("HEAD"), "refs/heads/main"),
        (Some("dev"), "refs/heads/dev"),
        (Some("refs/heads/main"), "refs/heads/main"),
        (Some("v1.0"), "refs/tags/v1.0"),
        (Some("refs/tags/v1.0"), "refs/tags/v1.0"),
        (Some("light"), "refs/tags/light"),
    ];
    for (reference, full) in cases {
        let resolved = m.resolve(&url, reference).unwrap();
        assert_eq!(resolved.commit, first, "{reference:?}");
        assert_eq!(resolved.reference, full, "{reference:?}");
        assert!(
            !resolved.fetched,
            "{reference:?}: local repositories are never fetched"
        );
    }
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        0,
        "no mirror for a local repository"
    );
}

#[test]
fn a_push_is_seen_by_the_next_resolve() {
    let fx = Fixture::new();
    let cache = tempfile::tempdir().unwrap();
    let m = mirrors(cache.path());
    let url = fx.url();
    let first = fx.commit(&[("a.txt", b"1")], "first");
    assert_eq!(m.resolve(&url, Some("main")).unwrap().commit, first);

    let second = fx.commit(&[("a.txt", b"2")], "second");
    assert_eq!(m.resolve(&url, Some("main")).unwrap().commit, second);
    assert_eq!(m.resolve(&url, None).unwrap().commit, second);

    // Packed objects and packed refs, then a loose ref on top again.
    git(&fx.bare, &["gc", "-q"]);
    assert_eq!(m.resolve(&url, Some("main")).unwrap().commit, second);
    let third = fx.commit(&[("a.txt", b"3")], "third");
    assert_eq!(m.resolve(&url, Some("main")).unwrap().commit, third);
    let snapshot = m.snapshot(&url, &third).unwrap();
    assert_eq!(snapshot.read("a.txt", 100).unwrap(), b"3");

    // Only packed-refs changes: a branch updated by `git pack-refs`.
    git(&fx.bare, &["update-ref", "refs/heads/packed", &first]);
    git(&fx.bare, &["pack-refs", "--all"]);
    assert_eq!(m.resolve(&url, Some("packed")).unwrap().commit, first);
    git(&fx.bare, &["update-ref", "refs/heads/packed", &second]);
    git(&fx.bare, &["pack-refs", "--all"]);
    assert_eq!(m.resolve(&url, Some("packed")).unwrap().commit, second);
}

#[test]
fn unknown_refs_and_non_repositories_are_errors_that_say_so() {
    let (fx, _) = tagged_fixture();
    let cache = tempfile::tempdir().unwrap();
    let m = mirrors(cache.path());
    let url = fx.url();
    for reference in ["nope", "refs/heads/nope", "a..b", "*", "main:x", ""] {
        match m.resolve(&url, Some(reference)) {
            Err(e @ GitError::RefNotFound { .. }) => assert_eq!(
                e.to_string(),
                format!(
                    "git repository file://{} has no branch or tag named \"{reference}\"",
                    fx.bare.display()
                )
            ),
            other => panic!("{reference:?} gave {other:?}"),
        }
    }

    let empty = tempfile::tempdir().unwrap();
    let not_repo = RepoUrl::parse(empty.path().to_str().unwrap()).unwrap();
    match m.resolve(&not_repo, None) {
        Err(e @ GitError::Repository { .. }) => {
            assert!(e.to_string().contains("is not a git repository"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    let missing = RepoUrl::parse(empty.path().join("gone.git").to_str().unwrap()).unwrap();
    match m.resolve(&missing, None) {
        Err(e @ GitError::Repository { .. }) => {
            assert!(e.to_string().contains("does not exist"), "{e}")
        }
        other => panic!("{other:?}"),
    }

    let unborn = Fixture::new();
    match m.resolve(&unborn.url(), None) {
        Err(GitError::RefNotFound { reference, .. }) => assert_eq!(reference, "refs/heads/main"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_work_tree_repository_is_read_in_place() {
    let fx = Fixture::new();
    let first = fx.commit(&[("a.txt", b"1")], "first");
    let cache = tempfile::tempdir().unwrap();
    let m = mirrors(cache.path());
    for path in [fx.work.clone(), fx.work.join(".git")] {
        let url = RepoUrl::parse(path.to_str().unwrap()).unwrap();
        let resolved = m.resolve(&url, None).unwrap();
        assert_eq!(resolved.commit, first);
        assert_eq!(
            m.snapshot(&url, &first).unwrap().read("a.txt", 10).unwrap(),
            b"1"
        );
    }
}

#[test]
fn many_threads_share_one_mirror_set() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<GitMirrors>();

    let fx = Fixture::new();
    let first = fx.commit(&[("a.txt", b"1")], "first");
    let cache = tempfile::tempdir().unwrap();
    let m = Arc::new(mirrors(cache.path()));
    let url = fx.url();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let m = Arc::clone(&m);
            let url = url.clone();
            std::thread::spawn(move || {
                (0..20)
                    .map(|_| m.resolve(&url, Some("main")).unwrap().commit)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for t in threads {
        assert!(t.join().unwrap().iter().all(|c| *c == first));
    }
}

#[test]
fn an_unchanged_local_repository_resolves_cheaply() {
    let fx = Fixture::new();
    fx.commit(&[("a.txt", b"1")], "first");
    let cache = tempfile::tempdir().unwrap();
    let m = mirrors(cache.path());
    let url = fx.url();
    m.resolve(&url, Some("main")).unwrap();
    let started = Instant::now();
    let rounds = 200;
    for _ in 0..rounds {
        m.resolve(&url, Some("main")).unwrap();
    }
    eprintln!(
        "unchanged local resolve: {:?} per call",
        started.elapsed() / rounds
    );
}
