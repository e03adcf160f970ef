use portico_git::{GitError, RepoUrl};

struct Case {
    input: &'static str,
    canonical: &'static str,
    identity: &'static str,
    scheme: &'static str,
    host: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        input: "https://GitHub.com/Org/Repo.git",
        canonical: "https://github.com/Org/Repo.git",
        identity: "github.com/org/repo",
        scheme: "https",
        host: Some("github.com"),
    },
    Case {
        input: "HTTPS://user:s3cret@GitHub.com:443/org/repo/",
        canonical: "https://github.com/org/repo",
        identity: "github.com/org/repo",
        scheme: "https",
        host: Some("github.com"),
    },
    Case {
        input: "http://Git.Example.com:8080/a/b.git",
        canonical: "http://git.example.com:8080/a/b.git",
        identity: "git.example.com/a/b",
        scheme: "http",
        host: Some("git.example.com"),
    },
    Case {
        input: "http://example.com:80/team/x",
        canonical: "http://example.com/team/x",
        identity: "example.com/team/x",
        scheme: "http",
        host: Some("example.com"),
    },
    Case {
        input: "git@github.com:org/repo.git",
        canonical: "git@github.com:org/repo.git",
        identity: "github.com/org/repo",
        scheme: "ssh",
        host: Some("github.com"),
    },
    Case {
        input: "deploy@Host.Example:/srv/git/x.git",
        canonical: "ssh://deploy@host.example/srv/git/x.git",
        identity: "host.example/srv/git/x",
        scheme: "ssh",
        host: Some("host.example"),
    },
    Case {
        input: "ssh://git@GitHub.com:22/org/repo",
        canonical: "ssh://git@github.com/org/repo",
        identity: "github.com/org/repo",
        scheme: "ssh",
        host: Some("github.com"),
    },
    Case {
        input: "ssh://git:password@host.example:2222/org/repo.git/",
        canonical: "ssh://git@host.example:2222/org/repo.git",
        identity: "host.example/org/repo",
        scheme: "ssh",
        host: Some("host.example"),
    },
    Case {
        input: "git+ssh://host.example/x.git",
        canonical: "ssh://host.example/x.git",
        identity: "host.example/x",
        scheme: "ssh",
        host: Some("host.example"),
    },
    Case {
        input: "ssh://[::1]:2222/x",
        canonical: "ssh://[::1]:2222/x",
        identity: "[::1]/x",
        scheme: "ssh",
        host: Some("[::1]"),
    },
    Case {
        input: "git://github.com/org/repo",
        canonical: "git://github.com/org/repo",
        identity: "github.com/org/repo",
        scheme: "git",
        host: Some("github.com"),
    },
    Case {
        input: "git://127.0.0.1:9418/x.git",
        canonical: "git://127.0.0.1/x.git",
        identity: "127.0.0.1/x",
        scheme: "git",
        host: Some("127.0.0.1"),
    },
    Case {
        input: "/srv/git/payments.git",
        canonical: "file:///srv/git/payments.git",
        identity: "/srv/git/payments",
        scheme: "file",
        host: None,
    },
    Case {
        input: "/srv/git/../git/./payments.git/",
        canonical: "file:///srv/git/payments.git",
        identity: "/srv/git/payments",
        scheme: "file",
        host: None,
    },
    Case {
        input: "file:///srv/git/payments.git",
        canonical: "file:///srv/git/payments.git",
        identity: "/srv/git/payments",
        scheme: "file",
        host: None,
    },
    Case {
        input: "FILE://localhost/srv/Work/repo/.git",
        canonical: "file:///srv/Work/repo/.git",
        identity: "/srv/Work/repo",
        scheme: "file",
        host: None,
    },
    Case {
        input: "/../../srv/x",
        canonical: "file:///srv/x",
        identity: "/srv/x",
        scheme: "file",
        host: None,
    },
];

#[test]
fn parses_every_accepted_form_to_its_canonical_text_and_identity() {
    for case in CASES {
        let url = RepoUrl::parse(case.input)
            .unwrap_or_else(|e| panic!("{} was refused: {e}", case.input));
        assert_eq!(url.as_str(), case.canonical, "canonical of {}", case.input);
        assert_eq!(url.to_string(), case.canonical, "display of {}", case.input);
        assert_eq!(url.identity(), case.identity, "identity of {}", case.input);
        assert_eq!(url.scheme(), case.scheme, "scheme of {}", case.input);
        assert_eq!(url.host(), case.host, "host of {}", case.input);
        assert_eq!(
            url.is_local(),
            case.host.is_none(),
            "is_local of {}",
            case.input
        );
        let reparsed = RepoUrl::parse(url.as_str()).unwrap();
        assert_eq!(
            reparsed, url,
            "canonical text of {} parses to itself",
            case.input
        );
    }
}

#[test]
fn webhook_identities_of_one_repository_agree() {
    let forms = [
        "https://GitHub.com/Org/Repo.git",
        "git@github.com:org/repo.git",
        "ssh://git@github.com/org/repo",
        "git://github.com/org/repo",
        "http://github.com/org/repo/",
    ];
    for form in forms {
        assert_eq!(
            RepoUrl::parse(form).unwrap().identity(),
            "github.com/org/repo",
            "{form}"
        );
    }
}

#[test]
fn local_paths_are_absolute_and_lexical() {
    let cwd = std::env::current_dir().unwrap();
    let url = RepoUrl::parse("some/../repos/./x.git").unwrap();
    let expected = cwd.join("repos/x.git");
    assert_eq!(url.local_path(), Some(expected.as_path()));
    assert_eq!(url.as_str(), format!("file://{}", expected.display()));
    let url = RepoUrl::parse("file:///srv/a/../b").unwrap();
    assert_eq!(url.local_path(), Some(std::path::Path::new("/srv/b")));
    assert!(RepoUrl::parse("https://h/x")
        .unwrap()
        .local_path()
        .is_none());
}

#[test]
fn equal_repositories_compare_equal() {
    assert_eq!(
        RepoUrl::parse("https://GitHub.com/org/repo/").unwrap(),
        RepoUrl::parse("https://github.com:443/org/repo").unwrap()
    );
    assert_ne!(
        RepoUrl::parse("https://github.com/org/repo").unwrap(),
        RepoUrl::parse("https://github.com/org/other").unwrap()
    );
}

#[test]
fn refuses_what_is_not_a_repository_url_and_names_it() {
    let refused = [
        ("ftp://example.com/x.git", "ftp://"),
        ("ext::sh -c touch% /tmp/pwned", "spaces"),
        ("ext::ssh", "transport helpers"),
        ("fd::17", "transport helpers"),
        ("https://example.com/a b.git", "spaces"),
        ("https://example.com/a\n.git", "control"),
        ("/srv/git/a\tb", "spaces"),
        ("https://example.com", "no repository path"),
        ("https://example.com/", "no repository path"),
        ("https://-oProxyCommand=x/y", "not a valid host"),
        ("ssh://-oProxyCommand=x/y", "not a valid host"),
        ("ssh://-user@host/y", "user name"),
        ("git@:org/repo", "no host"),
        ("http://example.com:99999/x", "port"),
        ("http://example.com:0/x", "port"),
        ("file://otherhost/x", "absolute path"),
        ("https://example.com/x?ref=main", "query"),
        ("https://example.com/x#frag", "query"),
        ("ht!tp://example.com/x", "scheme"),
    ];
    for (input, why) in refused {
        match RepoUrl::parse(input) {
            Err(GitError::InvalidUrl { url, message }) => {
                assert_eq!(url, input);
                assert!(message.contains(why), "{input:?}: {message}");
                assert!(
                    message.contains(&format!("{input:?}")),
                    "{input:?} is named in: {message}"
                );
            }
            other => panic!("{input:?} gave {other:?}"),
        }
    }
    match RepoUrl::parse("") {
        Err(GitError::InvalidUrl { message, .. }) => {
            assert!(message.contains("empty"), "{message}")
        }
        other => panic!("empty URL gave {other:?}"),
    }
}
