//! Clone URLs to hosted files, and moving between files of one repository.

use portico_forge::{hosted_file, parse_file_url, Forge, HostedFile, RefKind};

fn hosted(repo: &str, branch: &str, path: &str) -> HostedFile {
    hosted_file(repo, branch, path).unwrap_or_else(|| panic!("{repo} is not recognised"))
}

#[test]
fn clone_urls_of_known_forges_give_browser_urls() {
    // (clone URL, branch, path) -> (forge, repo_url, view_url)
    let cases = [
        (
            ("https://github.com/acme/payments.git", "main", "catalog-info.yaml"),
            (Forge::GitHub, "https://github.com/acme/payments.git", "https://github.com/acme/payments/blob/main/catalog-info.yaml"),
        ),
        (
            ("git@github.com:acme/payments.git", "main", "docs/catalog-info.yaml"),
            (Forge::GitHub, "https://github.com/acme/payments.git", "https://github.com/acme/payments/blob/main/docs/catalog-info.yaml"),
        ),
        (
            ("https://GITHUB.com/acme/payments/", "refs/heads/dev", "/a/./b.yaml"),
            (Forge::GitHub, "https://github.com/acme/payments.git", "https://github.com/acme/payments/blob/dev/a/b.yaml"),
        ),
        (
            ("ssh://git@gitlab.com/group/sub/repo.git", "main", "catalog-info.yaml"),
            (Forge::GitLab, "https://gitlab.com/group/sub/repo.git", "https://gitlab.com/group/sub/repo/-/blob/main/catalog-info.yaml"),
        ),
        (
            ("git@gitlab.com:group/repo.git", "main", "x.yaml"),
            (Forge::GitLab, "https://gitlab.com/group/repo.git", "https://gitlab.com/group/repo/-/blob/main/x.yaml"),
        ),
        (
            ("https://bitbucket.org/acme-ws/inventory.git", "main", "catalog-info.yaml"),
            (Forge::BitbucketCloud, "https://bitbucket.org/acme-ws/inventory.git", "https://bitbucket.org/acme-ws/inventory/src/main/catalog-info.yaml"),
        ),
        (
            ("git@bitbucket.org:acme-ws/inventory.git", "main", "catalog-info.yaml"),
            (Forge::BitbucketCloud, "https://bitbucket.org/acme-ws/inventory.git", "https://bitbucket.org/acme-ws/inventory/src/main/catalog-info.yaml"),
        ),
        (
            ("https://codeberg.org/acme/docs-site.git", "refs/tags/v1", "mkdocs.yml"),
            (Forge::Gitea, "https://codeberg.org/acme/docs-site.git", "https://codeberg.org/acme/docs-site/src/tag/v1/mkdocs.yml"),
        ),
        (
            ("https://bitbucket.acme.example/scm/shop/orders.git", "main", "catalog-info.yaml"),
            (Forge::BitbucketServer, "https://bitbucket.acme.example/scm/shop/orders.git", "https://bitbucket.acme.example/projects/shop/repos/orders/browse/catalog-info.yaml?at=refs/heads/main"),
        ),
        // The ssh port is not the web port; HEAD is the default branch.
        (
            ("ssh://git@bitbucket.acme.example:7999/shop/orders.git", "HEAD", "catalog-info.yaml"),
            (Forge::BitbucketServer, "https://bitbucket.acme.example/scm/shop/orders.git", "https://bitbucket.acme.example/projects/shop/repos/orders/browse/catalog-info.yaml"),
        ),
        // A neutral host is Bitbucket Server when the path has /scm/.
        (
            ("https://git.acme.example/stash/scm/~kim/dotfiles.git", "main", "a.yaml"),
            (Forge::BitbucketServer, "https://git.acme.example/stash/scm/~kim/dotfiles.git", "https://git.acme.example/stash/users/kim/repos/dotfiles/browse/a.yaml?at=refs/heads/main"),
        ),
    ];
    for ((repo, branch, path), (forge, repo_url, view)) in cases {
        let file = hosted(repo, branch, path);
        assert_eq!(file.forge, forge, "forge of {repo}");
        assert_eq!(file.repo_url, repo_url, "repo_url of {repo}");
        assert_eq!(file.view_url(), view, "view_url of {repo}");
    }
}

#[test]
fn hosted_file_fields_match_what_the_browser_url_parses_to() {
    let from_clone = hosted(
        "git@github.com:acme/payments.git",
        "main",
        "catalog-info.yaml",
    );
    let from_url = parse_file_url("https://github.com/acme/payments/blob/main/catalog-info.yaml")
        .expect("parses");
    assert_eq!(from_clone, from_url);
    assert_eq!(from_clone.host, "github.com");
    assert_eq!(from_clone.web_base, "https://github.com/acme/payments");
    assert_eq!(from_clone.ref_kind, RefKind::Branch);
}

#[test]
fn default_branch_is_written_as_head_where_the_forge_resolves_it() {
    let root = hosted("https://github.com/acme/payments", "HEAD", "");
    assert_eq!(
        root.view_url(),
        "https://github.com/acme/payments/tree/HEAD/"
    );
    let file = hosted("https://gitlab.com/acme/payments.git", "", "a.yaml");
    assert_eq!(
        file.view_url(),
        "https://gitlab.com/acme/payments/-/blob/HEAD/a.yaml"
    );
}

#[test]
fn unknown_hosts_and_non_web_transports_give_nothing() {
    for repo in [
        "https://git.acme.example/acme/payments.git",
        "git@git.acme.example:acme/payments.git",
        "file:///srv/git/payments.git",
        "/srv/git/payments.git",
        "./payments",
        "C:\\repos\\payments",
        "git://github.com/acme/payments.git",
        "github.com/acme/payments",
        "https://github.com/acme/payments/extra.git",
        "https://github.com/acme",
        "https://bitbucket.acme.example/projects/SHOP/repos/orders",
    ] {
        assert_eq!(
            hosted_file(repo, "main", "catalog-info.yaml"),
            None,
            "{repo}"
        );
    }
}

fn nested_base() -> HostedFile {
    parse_file_url("https://github.com/acme/mono/blob/main/services/api/catalog-info.yaml")
        .expect("base parses")
}

#[test]
fn with_path_takes_repository_relative_paths_and_clamps_at_the_root() {
    let base = nested_base();
    let web = base.with_path("services/web/catalog-info.yaml");
    assert_eq!(
        web.view_url(),
        "https://github.com/acme/mono/blob/main/services/web/catalog-info.yaml"
    );
    assert_eq!(web.branch, "main");
    assert_eq!(web.repo_url, base.repo_url);
    assert_eq!(
        base.with_path("services/api/../web/./catalog-info.yaml")
            .path,
        "services/web/catalog-info.yaml"
    );
    assert_eq!(base.with_path("/root.yaml").path, "root.yaml");
    // Clamped: a `..` above the root is dropped, never kept in a URL.
    assert_eq!(base.with_path("../../outside.yaml").path, "outside.yaml");
    assert_eq!(
        base.with_path("../../outside.yaml").view_url(),
        "https://github.com/acme/mono/blob/main/outside.yaml"
    );
}

#[test]
fn resolve_is_relative_to_the_directory_and_refuses_leaving_the_repository() {
    let base = nested_base();
    let path = |relative: &str| base.resolve(relative).map(|f| f.path);
    assert_eq!(
        path("./openapi.yaml").as_deref(),
        Some("services/api/openapi.yaml")
    );
    assert_eq!(
        path("openapi.yaml").as_deref(),
        Some("services/api/openapi.yaml")
    );
    assert_eq!(
        path("../shared/x.yaml").as_deref(),
        Some("services/shared/x.yaml")
    );
    assert_eq!(path("../../x.yaml").as_deref(), Some("x.yaml"));
    assert_eq!(
        path("/catalog/all.yaml").as_deref(),
        Some("catalog/all.yaml")
    );
    assert_eq!(path("../../../x.yaml"), None);
}

#[test]
fn with_path_keeps_the_ref_form_of_each_forge() {
    let server = parse_file_url(
        "https://bitbucket.acme.example/projects/SHOP/repos/orders/browse/catalog-info.yaml?at=refs%2Fheads%2Fdevelop",
    )
    .expect("parses");
    assert_eq!(
        server.with_path("api/openapi.yaml").view_url(),
        "https://bitbucket.acme.example/projects/SHOP/repos/orders/browse/api/openapi.yaml?at=refs/heads/develop"
    );
    let tag = parse_file_url("https://codeberg.org/acme/docs-site/src/tag/v1/catalog-info.yaml")
        .expect("parses");
    assert_eq!(
        tag.with_path("docs/index.md").view_url(),
        "https://codeberg.org/acme/docs-site/src/tag/v1/docs/index.md"
    );
    assert_eq!(
        tag.tree_url("docs"),
        "https://codeberg.org/acme/docs-site/src/tag/v1/docs/"
    );
}
