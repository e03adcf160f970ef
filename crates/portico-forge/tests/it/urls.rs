//! Browser URLs of files: parsing per forge, and the URLs written back.

use portico_forge::{parse_file_url, Forge, ForgeError, RefKind};

struct Case {
    url: &'static str,
    forge: Forge,
    host: &'static str,
    repo_url: &'static str,
    web_base: &'static str,
    branch: &'static str,
    kind: RefKind,
    path: &'static str,
    view: &'static str,
    edit: &'static str,
    /// `tree_url` of the file's directory.
    tree: &'static str,
}

const SHA: &str = "4a24622fd85f304770079a8b4dbf9566ea1928c5";

fn cases() -> Vec<Case> {
    vec![
        Case {
            url: "https://github.com/backstage/backstage/blob/master/catalog-info.yaml",
            forge: Forge::GitHub,
            host: "github.com",
            repo_url: "https://github.com/backstage/backstage.git",
            web_base: "https://github.com/backstage/backstage",
            branch: "master",
            kind: RefKind::Branch,
            path: "catalog-info.yaml",
            view: "https://github.com/backstage/backstage/blob/master/catalog-info.yaml",
            edit: "https://github.com/backstage/backstage/edit/master/catalog-info.yaml",
            tree: "https://github.com/backstage/backstage/tree/master/",
        },
        // Enterprise host with a port, a directory URL with a trailing slash.
        Case {
            url: "https://GitHub.Acme.example:8443/platform/services/tree/release-1/packages/api/",
            forge: Forge::GitHub,
            host: "github.acme.example:8443",
            repo_url: "https://github.acme.example:8443/platform/services.git",
            web_base: "https://github.acme.example:8443/platform/services",
            branch: "release-1",
            kind: RefKind::Branch,
            path: "packages/api",
            view: "https://github.acme.example:8443/platform/services/blob/release-1/packages/api",
            edit: "https://github.acme.example:8443/platform/services/edit/release-1/packages/api",
            tree: "https://github.acme.example:8443/platform/services/tree/release-1/packages/",
        },
        // Default port, credentials and fragment dropped; a glob; escapes.
        Case {
            url: "https://bot:t0ken@github.com:443/acme/mono/blob/main/services/*/My%20Service.yaml#L3",
            forge: Forge::GitHub,
            host: "github.com",
            repo_url: "https://github.com/acme/mono.git",
            web_base: "https://github.com/acme/mono",
            branch: "main",
            kind: RefKind::Branch,
            path: "services/*/My Service.yaml",
            view: "https://github.com/acme/mono/blob/main/services/*/My%20Service.yaml",
            edit: "https://github.com/acme/mono/edit/main/services/*/My%20Service.yaml",
            tree: "https://github.com/acme/mono/tree/main/services/*/",
        },
        // A branch with a slash must be escaped to be told from the path.
        Case {
            url: "https://github.com/acme/web/blob/feature%2Fnew-ui/catalog-info.yaml",
            forge: Forge::GitHub,
            host: "github.com",
            repo_url: "https://github.com/acme/web.git",
            web_base: "https://github.com/acme/web",
            branch: "feature/new-ui",
            kind: RefKind::Branch,
            path: "catalog-info.yaml",
            view: "https://github.com/acme/web/blob/feature%2Fnew-ui/catalog-info.yaml",
            edit: "https://github.com/acme/web/edit/feature%2Fnew-ui/catalog-info.yaml",
            tree: "https://github.com/acme/web/tree/feature%2Fnew-ui/",
        },
        // Unescaped, the first segment is the branch (as in Backstage).
        Case {
            url: "https://github.com/acme/web/blob/feature/new-ui/catalog-info.yaml",
            forge: Forge::GitHub,
            host: "github.com",
            repo_url: "https://github.com/acme/web.git",
            web_base: "https://github.com/acme/web",
            branch: "feature",
            kind: RefKind::Branch,
            path: "new-ui/catalog-info.yaml",
            view: "https://github.com/acme/web/blob/feature/new-ui/catalog-info.yaml",
            edit: "https://github.com/acme/web/edit/feature/new-ui/catalog-info.yaml",
            tree: "https://github.com/acme/web/tree/feature/new-ui/",
        },
        // A commit cannot be edited: the edit URL is the view URL.
        Case {
            url: "https://github.com/acme/web/blob/4a24622fd85f304770079a8b4dbf9566ea1928c5/a.yaml",
            forge: Forge::GitHub,
            host: "github.com",
            repo_url: "https://github.com/acme/web.git",
            web_base: "https://github.com/acme/web",
            branch: SHA,
            kind: RefKind::Commit,
            path: "a.yaml",
            view: "https://github.com/acme/web/blob/4a24622fd85f304770079a8b4dbf9566ea1928c5/a.yaml",
            edit: "https://github.com/acme/web/blob/4a24622fd85f304770079a8b4dbf9566ea1928c5/a.yaml",
            tree: "https://github.com/acme/web/tree/4a24622fd85f304770079a8b4dbf9566ea1928c5/",
        },
        Case {
            url: "https://gitlab.com/acme/platform/tools/deployer/-/blob/main/deploy/catalog-info.yaml",
            forge: Forge::GitLab,
            host: "gitlab.com",
            repo_url: "https://gitlab.com/acme/platform/tools/deployer.git",
            web_base: "https://gitlab.com/acme/platform/tools/deployer",
            branch: "main",
            kind: RefKind::Branch,
            path: "deploy/catalog-info.yaml",
            view: "https://gitlab.com/acme/platform/tools/deployer/-/blob/main/deploy/catalog-info.yaml",
            edit: "https://gitlab.com/acme/platform/tools/deployer/-/edit/main/deploy/catalog-info.yaml",
            tree: "https://gitlab.com/acme/platform/tools/deployer/-/tree/main/deploy/",
        },
        // Self-managed GitLab on a neutral host: told by the /-/ marker.
        Case {
            url: "http://code.acme.example:8080/team/svc/-/tree/v1.2/docs",
            forge: Forge::GitLab,
            host: "code.acme.example:8080",
            repo_url: "http://code.acme.example:8080/team/svc.git",
            web_base: "http://code.acme.example:8080/team/svc",
            branch: "v1.2",
            kind: RefKind::Branch,
            path: "docs",
            view: "http://code.acme.example:8080/team/svc/-/blob/v1.2/docs",
            edit: "http://code.acme.example:8080/team/svc/-/edit/v1.2/docs",
            tree: "http://code.acme.example:8080/team/svc/-/tree/v1.2/",
        },
        // GitLab's form from before the /-/ segment is written in the new one.
        Case {
            url: "https://gitlab.acme.example/team/svc/blob/main/catalog-info.yaml",
            forge: Forge::GitLab,
            host: "gitlab.acme.example",
            repo_url: "https://gitlab.acme.example/team/svc.git",
            web_base: "https://gitlab.acme.example/team/svc",
            branch: "main",
            kind: RefKind::Branch,
            path: "catalog-info.yaml",
            view: "https://gitlab.acme.example/team/svc/-/blob/main/catalog-info.yaml",
            edit: "https://gitlab.acme.example/team/svc/-/edit/main/catalog-info.yaml",
            tree: "https://gitlab.acme.example/team/svc/-/tree/main/",
        },
        Case {
            url: "https://gitea.acme.example/ops/infra/src/branch/main/catalog/all.yaml",
            forge: Forge::Gitea,
            host: "gitea.acme.example",
            repo_url: "https://gitea.acme.example/ops/infra.git",
            web_base: "https://gitea.acme.example/ops/infra",
            branch: "main",
            kind: RefKind::Branch,
            path: "catalog/all.yaml",
            view: "https://gitea.acme.example/ops/infra/src/branch/main/catalog/all.yaml",
            edit: "https://gitea.acme.example/ops/infra/_edit/main/catalog/all.yaml",
            tree: "https://gitea.acme.example/ops/infra/src/branch/main/catalog/",
        },
        Case {
            url: "https://codeberg.org/forgejo/forgejo/src/tag/v7.0.0/catalog-info.yaml",
            forge: Forge::Gitea,
            host: "codeberg.org",
            repo_url: "https://codeberg.org/forgejo/forgejo.git",
            web_base: "https://codeberg.org/forgejo/forgejo",
            branch: "v7.0.0",
            kind: RefKind::Tag,
            path: "catalog-info.yaml",
            view: "https://codeberg.org/forgejo/forgejo/src/tag/v7.0.0/catalog-info.yaml",
            edit: "https://codeberg.org/forgejo/forgejo/src/tag/v7.0.0/catalog-info.yaml",
            tree: "https://codeberg.org/forgejo/forgejo/src/tag/v7.0.0/",
        },
        // Gitea under a sub-path on a neutral host: told by src/commit/.
        Case {
            url: "https://git.acme.example/forge/ops/infra/src/commit/4a24622fd85f304770079a8b4dbf9566ea1928c5/x.yaml",
            forge: Forge::Gitea,
            host: "git.acme.example",
            repo_url: "https://git.acme.example/forge/ops/infra.git",
            web_base: "https://git.acme.example/forge/ops/infra",
            branch: SHA,
            kind: RefKind::Commit,
            path: "x.yaml",
            view: "https://git.acme.example/forge/ops/infra/src/commit/4a24622fd85f304770079a8b4dbf9566ea1928c5/x.yaml",
            edit: "https://git.acme.example/forge/ops/infra/src/commit/4a24622fd85f304770079a8b4dbf9566ea1928c5/x.yaml",
            tree: "https://git.acme.example/forge/ops/infra/src/commit/4a24622fd85f304770079a8b4dbf9566ea1928c5/",
        },
        Case {
            url: "https://bitbucket.org/acme-ws/inventory/src/main/service/catalog-info.yaml",
            forge: Forge::BitbucketCloud,
            host: "bitbucket.org",
            repo_url: "https://bitbucket.org/acme-ws/inventory.git",
            web_base: "https://bitbucket.org/acme-ws/inventory",
            branch: "main",
            kind: RefKind::Branch,
            path: "service/catalog-info.yaml",
            view: "https://bitbucket.org/acme-ws/inventory/src/main/service/catalog-info.yaml",
            edit: "https://bitbucket.org/acme-ws/inventory/src/main/service/catalog-info.yaml?mode=edit&at=main",
            tree: "https://bitbucket.org/acme-ws/inventory/src/main/service/",
        },
        Case {
            url: "https://bitbucket.acme.example/projects/SHOP/repos/orders/browse/catalog-info.yaml?at=refs%2Fheads%2Fdevelop",
            forge: Forge::BitbucketServer,
            host: "bitbucket.acme.example",
            repo_url: "https://bitbucket.acme.example/scm/SHOP/orders.git",
            web_base: "https://bitbucket.acme.example/projects/SHOP/repos/orders",
            branch: "develop",
            kind: RefKind::Branch,
            path: "catalog-info.yaml",
            view: "https://bitbucket.acme.example/projects/SHOP/repos/orders/browse/catalog-info.yaml?at=refs/heads/develop",
            edit: "https://bitbucket.acme.example/projects/SHOP/repos/orders/browse/catalog-info.yaml?at=refs/heads/develop",
            tree: "https://bitbucket.acme.example/projects/SHOP/repos/orders/browse/?at=refs/heads/develop",
        },
        // No at=: the default branch, and URLs without at=.
        Case {
            url: "https://bitbucket.acme.example/projects/SHOP/repos/orders/browse/docs/catalog-info.yaml",
            forge: Forge::BitbucketServer,
            host: "bitbucket.acme.example",
            repo_url: "https://bitbucket.acme.example/scm/SHOP/orders.git",
            web_base: "https://bitbucket.acme.example/projects/SHOP/repos/orders",
            branch: "",
            kind: RefKind::Branch,
            path: "docs/catalog-info.yaml",
            view: "https://bitbucket.acme.example/projects/SHOP/repos/orders/browse/docs/catalog-info.yaml",
            edit: "https://bitbucket.acme.example/projects/SHOP/repos/orders/browse/docs/catalog-info.yaml",
            tree: "https://bitbucket.acme.example/projects/SHOP/repos/orders/browse/docs/",
        },
        // Personal repository under a context path on a neutral host; bare at=.
        Case {
            url: "https://stash.acme.example/bitbucket/users/kim/repos/dotfiles/browse/catalog-info.yaml?at=main&useDefaultHandler=true",
            forge: Forge::BitbucketServer,
            host: "stash.acme.example",
            repo_url: "https://stash.acme.example/bitbucket/scm/~kim/dotfiles.git",
            web_base: "https://stash.acme.example/bitbucket/users/kim/repos/dotfiles",
            branch: "main",
            kind: RefKind::Branch,
            path: "catalog-info.yaml",
            view: "https://stash.acme.example/bitbucket/users/kim/repos/dotfiles/browse/catalog-info.yaml?at=refs/heads/main",
            edit: "https://stash.acme.example/bitbucket/users/kim/repos/dotfiles/browse/catalog-info.yaml?at=refs/heads/main",
            tree: "https://stash.acme.example/bitbucket/users/kim/repos/dotfiles/browse/?at=refs/heads/main",
        },
        Case {
            url: "https://bitbucket.acme.example/projects/SHOP/repos/orders/browse/catalog-info.yaml?at=refs/tags/v2.1.0",
            forge: Forge::BitbucketServer,
            host: "bitbucket.acme.example",
            repo_url: "https://bitbucket.acme.example/scm/SHOP/orders.git",
            web_base: "https://bitbucket.acme.example/projects/SHOP/repos/orders",
            branch: "v2.1.0",
            kind: RefKind::Tag,
            path: "catalog-info.yaml",
            view: "https://bitbucket.acme.example/projects/SHOP/repos/orders/browse/catalog-info.yaml?at=refs/tags/v2.1.0",
            edit: "https://bitbucket.acme.example/projects/SHOP/repos/orders/browse/catalog-info.yaml?at=refs/tags/v2.1.0",
            tree: "https://bitbucket.acme.example/projects/SHOP/repos/orders/browse/?at=refs/tags/v2.1.0",
        },
    ]
}

#[test]
fn file_urls_of_every_forge_parse_and_write_back() {
    for case in cases() {
        let url = case.url;
        let file = parse_file_url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(file.forge, case.forge, "forge of {url}");
        assert_eq!(file.host, case.host, "host of {url}");
        assert_eq!(file.repo_url, case.repo_url, "repo_url of {url}");
        assert_eq!(file.web_base, case.web_base, "web_base of {url}");
        assert_eq!(file.branch, case.branch, "branch of {url}");
        assert_eq!(file.ref_kind, case.kind, "ref_kind of {url}");
        assert_eq!(file.path, case.path, "path of {url}");
        assert_eq!(file.view_url(), case.view, "view_url of {url}");
        assert_eq!(file.edit_url(), case.edit, "edit_url of {url}");
        let dir = file.path.rsplit_once('/').map_or("", |(dir, _)| dir);
        assert_eq!(file.tree_url(dir), case.tree, "tree_url of {url}");
    }
}

#[test]
fn written_view_urls_parse_back_to_the_same_file() {
    for case in cases() {
        let file = parse_file_url(case.url).expect("case parses");
        let again = parse_file_url(&file.view_url())
            .unwrap_or_else(|e| panic!("view URL of {} does not parse: {e}", case.url));
        assert_eq!(again, file, "round trip of {}", case.url);
    }
}

#[test]
fn repository_roots_are_viewed_as_directories() {
    let root = parse_file_url("https://github.com/acme/web/tree/main").expect("tree root");
    assert_eq!(root.path, "");
    assert_eq!(root.view_url(), "https://github.com/acme/web/tree/main/");
    let root =
        parse_file_url("https://bitbucket.org/acme-ws/inventory/src/main/").expect("src root");
    assert_eq!(root.path, "");
    assert_eq!(
        root.view_url(),
        "https://bitbucket.org/acme-ws/inventory/src/main/"
    );
}

fn refusal(url: &str) -> String {
    match parse_file_url(url) {
        Ok(file) => panic!("{url} parsed as {file:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn refusals_name_the_url_and_the_expected_form() {
    assert_eq!(
        refusal("ftp://github.com/acme/web/blob/main/catalog-info.yaml"),
        "'ftp://github.com/acme/web/blob/main/catalog-info.yaml' uses the ftp scheme; only http \
         and https URLs of hosted repositories can be read, e.g. \
         https://github.com/ORG/REPO/blob/BRANCH/catalog-info.yaml."
    );
    assert_eq!(
        refusal("https://github.com/acme"),
        "'https://github.com/acme' is not a GitHub file URL: it names no repository; expected \
         https://HOST/ORG/REPO/blob/BRANCH/PATH (or /tree/BRANCH/PATH for a directory)."
    );
    assert_eq!(
        refusal("https://github.com/acme/web"),
        "'https://github.com/acme/web' is not a GitHub file URL: it names a repository but no \
         /blob/BRANCH/PATH in it; expected https://HOST/ORG/REPO/blob/BRANCH/PATH (or \
         /tree/BRANCH/PATH for a directory)."
    );
    assert_eq!(
        refusal("https://github.com/acme/web/blob/main"),
        "'https://github.com/acme/web/blob/main' is not a GitHub file URL: it names a branch but \
         no file after it; expected https://HOST/ORG/REPO/blob/BRANCH/PATH (or /tree/BRANCH/PATH \
         for a directory)."
    );
    assert_eq!(
        refusal("catalog-info.yaml"),
        "'catalog-info.yaml' is not a URL; expected the browser URL of a file in a hosted \
         repository, e.g. https://github.com/ORG/REPO/blob/BRANCH/catalog-info.yaml."
    );
    let unknown = refusal("https://docs.acme.example/guides/catalog.html");
    assert!(
        unknown.starts_with(
            "'https://docs.acme.example/guides/catalog.html' is not a file URL of a known git forge; expected one of"
        ),
        "{unknown}"
    );
    assert!(
        unknown.contains("/-/blob/BRANCH/PATH (GitLab)"),
        "{unknown}"
    );
}

#[test]
fn refusals_per_forge() {
    let cases = [
        (
            "https://github.com/acme/web/blob/main/../../etc/passwd",
            "whose '..' climbs above the repository root",
        ),
        (
            "https://gitlab.com/acme/-/blob/main/x.yaml",
            "names no repository before /-/blob",
        ),
        (
            "https://gitlab.com/acme/svc/-/blob/",
            "names no branch after /blob/",
        ),
        (
            "https://gitea.acme.example/ops/infra/src/branch/",
            "names no ref after /src/branch/",
        ),
        (
            "https://gitea.acme.example/ops/infra/issues/3",
            "has no /src/branch/ after OWNER/REPO",
        ),
        (
            "https://bitbucket.org/acme-ws/inventory/pull-requests/7",
            "has no /src/ right after WORKSPACE/REPO",
        ),
        (
            "https://bitbucket.acme.example/projects/SHOP/repos/orders",
            "names the repository but no /browse/PATH",
        ),
        (
            "https://bitbucket.acme.example/dashboard",
            "has no /projects/PROJECT/repos/REPO/ in its path",
        ),
        (
            "https://github.com/acme/web/blob/main/%FF.yaml",
            "do not decode to UTF-8 text",
        ),
    ];
    for (url, problem) in cases {
        let message = refusal(url);
        assert!(message.contains(problem), "{url}: {message}");
        assert!(message.contains(url), "{url}: {message}");
    }
}

#[test]
fn malformed_hosts_and_ports_are_not_urls() {
    for url in [
        "https:///acme/web/blob/main/a.yaml",
        "https://github.com:http/acme/web/blob/main/a.yaml",
        "https://git hub.com/acme/web/blob/main/a.yaml",
        "://github.com/acme/web/blob/main/a.yaml",
    ] {
        assert!(
            matches!(parse_file_url(url), Err(ForgeError::NotUrl { .. })),
            "{url}: {:?}",
            parse_file_url(url)
        );
    }
}
