use std::io::Read;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use portico_git::{GitError, GitMirrors, GitOptions, RepoUrl};

use crate::support::{free_port, git, mirrors, Daemon, Fixture};

/// A daemon serving `<tmp>/repo.git`.
fn served() -> Option<(Fixture, Daemon)> {
    let fx = Fixture::in_dir(tempfile::tempdir().unwrap(), "repo.git");
    let daemon = Daemon::start(fx.dir.path())?;
    Some((fx, daemon))
}

fn pack_dir_files(cache: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for mirror in std::fs::read_dir(cache).unwrap().flatten() {
        if let Ok(files) = std::fs::read_dir(mirror.path().join("objects/pack")) {
            out.extend(
                files
                    .flatten()
                    .map(|f| f.file_name().to_string_lossy().into_owned()),
            );
        }
    }
    out
}

#[test]
fn fetches_only_when_the_remote_moved() {
    let Some((fx, daemon)) = served() else { return };
    let first = fx.commit(&[("catalog-info.yaml", b"one")], "first");
    git(&fx.work, &["tag", "-a", "v1", "-m", "v1"]);
    git(&fx.work, &["push", "-q", "origin", "v1"]);
    let cache = tempfile::tempdir().unwrap();
    let m = mirrors(cache.path());
    let url = daemon.url("repo.git");

    let resolved = m.resolve(&url, Some("main")).unwrap();
    assert_eq!(resolved.commit, first);
    assert_eq!(resolved.reference, "refs/heads/main");
    assert!(resolved.fetched);
    let mirrors_made: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(mirrors_made.len(), 1, "{mirrors_made:?}");
    assert!(
        mirrors_made[0].starts_with("127-0-0-1-repo-") && mirrors_made[0].ends_with(".git"),
        "{mirrors_made:?}"
    );
    let snapshot = m.snapshot(&url, &first).unwrap();
    assert_eq!(snapshot.read("catalog-info.yaml", 100).unwrap(), b"one");

    let started = Instant::now();
    let again = m.resolve(&url, Some("main")).unwrap();
    eprintln!("unchanged git:// resolve: {:?}", started.elapsed());
    assert_eq!(again.commit, first);
    assert!(!again.fetched);

    let head = m.resolve(&url, None).unwrap();
    assert_eq!(
        (head.commit.as_str(), head.reference.as_str()),
        (first.as_str(), "refs/heads/main")
    );
    assert!(!head.fetched, "HEAD names a commit the mirror has");
    let tag = m.resolve(&url, Some("v1")).unwrap();
    assert_eq!(
        (tag.commit.as_str(), tag.reference.as_str()),
        (first.as_str(), "refs/tags/v1")
    );

    push_is_fetched(&fx, &m, &url);
    assert_eq!(snapshot.read("catalog-info.yaml", 100).unwrap(), b"one");
    assert!(!m.resolve(&url, None).unwrap().fetched);

    match m.resolve(&url, Some("nope")) {
        Err(e @ GitError::RefNotFound { .. }) => assert_eq!(
            e.to_string(),
            format!("git repository {url} has no branch or tag named \"nope\"")
        ),
        other => panic!("{other:?}"),
    }
    match m.snapshot(&url, "0123456789012345678901234567890123456789") {
        Err(GitError::CommitNotFound { .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn threads_resolving_one_remote_fetch_once() {
    let Some((fx, daemon)) = served() else { return };
    let first = fx.commit(&[("a.txt", b"1")], "first");
    let cache = tempfile::tempdir().unwrap();
    let m = Arc::new(mirrors(cache.path()));
    let url = daemon.url("repo.git");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let m = Arc::clone(&m);
            let url = url.clone();
            std::thread::spawn(move || m.resolve(&url, Some("main")).unwrap())
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(results.iter().all(|r| r.commit == first));
    assert_eq!(
        results.iter().filter(|r| r.fetched).count(),
        1,
        "{results:?}"
    );
}

#[test]
fn unreachable_remotes_and_missing_repositories_are_reported() {
    let cache = tempfile::tempdir().unwrap();
    let m = mirrors(cache.path());
    let closed = RepoUrl::parse(&format!("git://127.0.0.1:{}/x.git", free_port())).unwrap();
    match m.resolve(&closed, None) {
        Err(e @ GitError::Unreachable { .. }) => {
            assert!(
                e.to_string()
                    .starts_with(&format!("git repository {closed} could not be reached: ")),
                "{e}"
            )
        }
        other => panic!("{other:?}"),
    }

    // A timeout beyond the clock's range is no reason to panic.
    let patient = GitMirrors::new(GitOptions {
        cache_dir: cache.path().to_path_buf(),
        fetch_timeout: Duration::MAX,
        ..GitOptions::default()
    });
    assert!(matches!(
        patient.resolve(&closed, None),
        Err(GitError::Unreachable { .. })
    ));

    let Some((_fx, daemon)) = served() else {
        return;
    };
    match m.resolve(&daemon.url("missing.git"), None) {
        Err(GitError::Unreachable { .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_silent_remote_times_out_and_its_connection_is_let_go() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let closed = Arc::new(AtomicUsize::new(0));
    // Accepts, reads the request, never answers; counts connections the
    // client closes.
    {
        let (accepted, closed) = (Arc::clone(&accepted), Arc::clone(&closed));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                accepted.fetch_add(1, Ordering::SeqCst);
                let closed = Arc::clone(&closed);
                std::thread::spawn(move || {
                    let mut buf = [0u8; 1024];
                    while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
                    closed.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
    }
    let cache = tempfile::tempdir().unwrap();
    let m = GitMirrors::new(GitOptions {
        cache_dir: cache.path().to_path_buf(),
        fetch_timeout: Duration::from_secs(1),
        ..GitOptions::default()
    });
    let url = RepoUrl::parse(&format!("git://127.0.0.1:{port}/x")).unwrap();
    for round in 1..=2 {
        let started = Instant::now();
        match m.resolve(&url, Some("main")) {
            Err(e @ GitError::Timeout { .. }) => assert_eq!(
                e.to_string(),
                format!("git repository {url} did not answer within 1 s")
            ),
            other => panic!("{other:?}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "round {round}: {:?}",
            started.elapsed()
        );
        // The worker hung up, so it released the mirror for the next round.
        let waited = Instant::now();
        while closed.load(Ordering::SeqCst) < round && waited.elapsed() < Duration::from_millis(500)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(closed.load(Ordering::SeqCst), round, "round {round}");
        assert_eq!(accepted.load(Ordering::SeqCst), round, "round {round}");
    }
}

#[test]
fn a_fetch_over_the_size_limit_stops_and_leaves_nothing_behind() {
    let Some((fx, daemon)) = served() else { return };
    // Incompressible, so the pack is as large as the file.
    let mut noise = Vec::with_capacity(1 << 20);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while noise.len() < 1 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        noise.extend_from_slice(&x.to_le_bytes());
    }
    let commit = fx.commit(&[("noise.bin", &noise)], "noise");
    let cache = tempfile::tempdir().unwrap();
    let url = daemon.url("repo.git");
    let small = GitMirrors::new(GitOptions {
        cache_dir: cache.path().to_path_buf(),
        max_fetch_bytes: 64 * 1024,
        ..GitOptions::default()
    });
    match small.resolve(&url, None) {
        Err(e @ GitError::TooLarge { .. }) => assert_eq!(
            e.to_string(),
            format!("fetching git repository {url} was stopped: it sent more than 65536 bytes")
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        pack_dir_files(cache.path()),
        Vec::<String>::new(),
        "no partial pack left"
    );
    match small.snapshot(&url, &commit) {
        Err(GitError::CommitNotFound { .. }) => {}
        other => panic!("{other:?}"),
    }

    let large = mirrors(cache.path());
    let resolved = large.resolve(&url, None).unwrap();
    assert!(resolved.fetched);
    assert_eq!(resolved.commit, commit);
    assert_eq!(
        large
            .snapshot(&url, &commit)
            .unwrap()
            .read("noise.bin", 2 << 20)
            .unwrap(),
        noise
    );
}

/// A daemon-less smart HTTP server serving `<tmp>/repo.git`.
fn served_over_http(slow: bool) -> Option<(Fixture, crate::http_server::HttpServer)> {
    let fx = Fixture::in_dir(tempfile::tempdir().unwrap(), "repo.git");
    let server = crate::http_server::HttpServer::start(fx.dir.path(), slow)?;
    Some((fx, server))
}

/// A new commit pushed to `fx` is fetched by the next resolve of `main`,
/// and its snapshot reads the new content.
fn push_is_fetched(fx: &Fixture, m: &portico_git::GitMirrors, url: &portico_git::RepoUrl) {
    let second = fx.commit(&[("catalog-info.yaml", b"two")], "second");
    let moved = m.resolve(url, Some("main")).unwrap();
    assert_eq!(moved.commit, second);
    assert!(moved.fetched);
    assert_eq!(
        m.snapshot(url, &second)
            .unwrap()
            .read("catalog-info.yaml", 100)
            .unwrap(),
        b"two"
    );
}

#[test]
fn fetches_over_smart_http() {
    let Some((fx, server)) = served_over_http(false) else {
        return;
    };
    let first = fx.commit(&[("catalog-info.yaml", b"one")], "first");
    let cache = tempfile::tempdir().unwrap();
    let m = mirrors(cache.path());
    let url = server.url("repo.git");
    let resolved = m.resolve(&url, None).unwrap();
    assert_eq!(
        (resolved.commit.as_str(), resolved.reference.as_str()),
        (first.as_str(), "refs/heads/main")
    );
    assert!(resolved.fetched);
    let started = Instant::now();
    assert!(!m.resolve(&url, Some("main")).unwrap().fetched);
    eprintln!("unchanged http:// resolve: {:?}", started.elapsed());
    push_is_fetched(&fx, &m, &url);
    assert!(matches!(
        m.resolve(&url, Some("nope")),
        Err(GitError::RefNotFound { .. })
    ));
}

#[test]
fn a_slow_http_fetch_is_stopped_as_soon_as_the_pack_passes_the_limit() {
    let Some((fx, server)) = served_over_http(true) else {
        return;
    };
    let mut noise = Vec::with_capacity(1 << 20);
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    while noise.len() < 1 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        noise.extend_from_slice(&x.to_le_bytes());
    }
    fx.commit(&[("noise.bin", &noise)], "noise");
    let cache = tempfile::tempdir().unwrap();
    let url = server.url("repo.git");
    let small = GitMirrors::new(GitOptions {
        cache_dir: cache.path().to_path_buf(),
        max_fetch_bytes: 64 * 1024,
        ..GitOptions::default()
    });
    let started = Instant::now();
    match small.resolve(&url, None) {
        Err(GitError::TooLarge { limit, .. }) => assert_eq!(limit, 64 * 1024),
        other => panic!("{other:?}"),
    }
    // Stopped early: the whole response takes about 1.3 s.
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        pack_dir_files(cache.path()),
        Vec::<String>::new(),
        "no partial pack left"
    );
}

#[test]
fn private_repositories_over_http_need_the_configured_account() {
    let fx = Fixture::in_dir(tempfile::tempdir().unwrap(), "repo.git");
    let first = fx.commit(&[("catalog-info.yaml", b"one")], "first");
    let server =
        match portico_git::serve::HttpGitServer::start_private(fx.dir.path(), "bot", "s3cr3t") {
            Ok(server) => server,
            Err(why) => return eprintln!("skipped: {why}"),
        };
    let url = portico_git::RepoUrl::parse(&server.url("repo.git")).unwrap();
    let cache = tempfile::tempdir().unwrap();

    // No account: refused, with the server's reason, and nothing is prompted for.
    let err = mirrors(cache.path()).resolve(&url, None).unwrap_err();
    assert!(
        matches!(&err, portico_git::GitError::Unreachable { message, .. }
            if message.contains("none is configured for host 127.0.0.1")),
        "{err}"
    );
    let with = |host: &str, token: &str| {
        portico_git::GitMirrors::new(portico_git::GitOptions {
            cache_dir: cache.path().to_path_buf(),
            credentials: vec![portico_git::Credential {
                host: host.to_string(),
                username: "bot".to_string(),
                token: token.to_string(),
            }],
            ..portico_git::GitOptions::default()
        })
    };
    // A token for another host is not offered.
    let err = with("github.com", "s3cr3t")
        .resolve(&url, None)
        .unwrap_err();
    assert!(err.to_string().contains("none is configured"), "{err}");
    // The host's account is offered, but never over plain HTTP, where anyone
    // on the way could read it (the accepted path needs HTTPS, which this
    // test has no server for).
    let err = with("127.0.0.1", "s3cr3t").resolve(&url, None).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("clear text"), "{message}");
    assert!(
        !message.contains("s3cr3t"),
        "the token is not shown: {message}"
    );
    assert_eq!(first.len(), 40);
    let shown = format!(
        "{:?}",
        portico_git::Credential {
            host: "h".into(),
            username: "u".into(),
            token: "s3cr3t".into(),
        }
    );
    assert!(!shown.contains("s3cr3t"), "{shown}");
}
