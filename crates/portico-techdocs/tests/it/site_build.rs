//! Building sites: layout, navigation, assets, includes and failures.

use portico_techdocs::{build_site, BuildError, BuildOptions, DirTree, NavNode, THEME_DIR};

use crate::fixture::{build, build_dir, options, page, source, sources, warnings};

#[test]
fn directory_urls_give_every_page_a_directory() {
    let site = build(&[
        ("mkdocs.yml", "site_name: Layout\n"),
        ("docs/index.md", "# Home\n"),
        ("docs/runbook.md", "# Runbook\n"),
        ("docs/ops/index.md", "# Ops\n"),
        ("docs/guide/README.md", "# Guide\n"),
        ("docs/guide/setup.md", "# Setup\n"),
    ]);
    let layout: Vec<(&str, &str, &str)> = site
        .pages
        .iter()
        .map(|p| (p.source.as_str(), p.path.as_str(), p.url.as_str()))
        .collect();
    assert_eq!(
        layout,
        vec![
            ("guide/README.md", "guide/index.html", "guide/"),
            ("guide/setup.md", "guide/setup/index.html", "guide/setup/"),
            ("index.md", "index.html", ""),
            ("ops/index.md", "ops/index.html", "ops/"),
            ("runbook.md", "runbook/index.html", "runbook/"),
        ]
    );
}

#[test]
fn without_directory_urls_pages_are_html_files() {
    let site = build(&[
        ("mkdocs.yml", "site_name: Flat\nuse_directory_urls: false\n"),
        ("docs/index.md", "# Home\n"),
        ("docs/runbook.md", "# Runbook\n"),
        ("docs/a/index.md", "# A\n"),
        ("docs/a/b.md", "# B\n"),
    ]);
    let layout: Vec<(&str, &str)> = site
        .pages
        .iter()
        .map(|p| (p.path.as_str(), p.url.as_str()))
        .collect();
    assert_eq!(
        layout,
        vec![
            ("a/b.html", "a/b.html"),
            ("a/index.html", "a/index.html"),
            ("index.html", "index.html"),
            ("runbook.html", "runbook.html"),
        ]
    );
    assert!(!site.meta.use_directory_urls);
}

#[test]
fn index_wins_over_readme_for_the_same_directory() {
    let site = build(&[
        ("docs/index.md", "# Index\n"),
        ("docs/README.md", "# Readme\n"),
    ]);
    assert_eq!(sources(&site), vec!["index.md"]);
    let all = warnings(&site);
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0].starts_with("docs/README.md: "), "{all:?}");
}

#[test]
fn a_page_beside_a_directory_of_the_same_name_stays_reachable() {
    let site = build(&[
        ("docs/index.md", "[both](guide.md) [dir](guide/)\n"),
        ("docs/guide.md", "# Guide page\n"),
        ("docs/guide/README.md", "# Guide directory\n"),
    ]);
    assert_eq!(page(&site, "guide/README.md").url, "guide/");
    let flat = page(&site, "guide.md");
    assert_eq!(
        (flat.path.as_str(), flat.url.as_str()),
        ("guide.html", "guide.html")
    );
    assert!(site.warnings.is_empty(), "{:?}", warnings(&site));
    assert_eq!(site.notes.len(), 1, "{:?}", site.notes);
    assert!(
        site.notes[0].starts_with("docs/guide.md: "),
        "{:?}",
        site.notes
    );
    let html = &page(&site, "index.md").html;
    assert!(html.contains("href=\"guide.html\""), "{html}");
    assert!(html.contains("href=\"guide/\""), "{html}");
}

#[test]
fn without_a_config_the_docs_folder_is_the_site() {
    let site = build(&[
        ("docs/index.md", "Welcome\n"),
        ("docs/getting-started.md", "Start here\n"),
        ("docs/how_to/deploy_now.md", "Deploy\n"),
        ("docs/how_to/index.md", "How to\n"),
        ("docs/API/Reference.md", "Ref\n"),
        ("README.md", "not part of the site"),
    ]);
    assert_eq!(site.meta.site_name, "my-service");
    assert_eq!(site.pages.len(), 5);
    assert!(
        site.notes.is_empty() && site.warnings.is_empty(),
        "{:?}",
        site.warnings
    );
    // Titles nobody gave come from the file names, as mkdocs makes them.
    let titles: Vec<(&str, &str)> = site
        .pages
        .iter()
        .map(|p| (p.source.as_str(), p.title.as_str()))
        .collect();
    for expected in [
        ("getting-started.md", "Getting started"),
        ("how_to/deploy_now.md", "Deploy now"),
        ("how_to/index.md", "How to"),
        ("API/Reference.md", "Reference"),
        ("index.md", "Home"),
    ] {
        assert!(titles.contains(&expected), "{expected:?} not in {titles:?}");
    }
    // The generated nav: index first, then files, then directories.
    let shape: Vec<String> = site.nav.iter().map(describe).collect();
    assert_eq!(
        shape,
        vec![
            "page Home ",
            "page Getting started getting-started/",
            "section API [page Reference API/Reference/]",
            "section How to [page How to how_to/, page Deploy now how_to/deploy_now/]",
        ]
    );
}

fn describe(node: &NavNode) -> String {
    match node {
        NavNode::Page { title, url } => format!("page {title} {url}"),
        NavNode::Link { title, url } => format!("link {title} {url}"),
        NavNode::Section { title, children } => format!(
            "section {title} [{}]",
            children.iter().map(describe).collect::<Vec<_>>().join(", ")
        ),
    }
}

#[test]
fn a_configured_nav_is_resolved_and_missing_files_are_warned_about() {
    let site = build(&[
        (
            "mkdocs.yml",
            "\
site_name: Nav
nav:
  - Welcome: index.md
  - Guide:
    - guide/install.md
    - Usage: guide/use.md
    - Gone: guide/gone.md
  - Chat: https://chat.example.com
",
        ),
        ("docs/index.md", "# Start\n"),
        (
            "docs/guide/install.md",
            "---\ntitle: Installing\n---\n# Install it\n",
        ),
        ("docs/guide/use.md", "# Use\n"),
        ("docs/extra.md", "# Extra\n"),
    ]);
    let shape: Vec<String> = site.nav.iter().map(describe).collect();
    assert_eq!(
        shape,
        vec![
            "page Welcome ",
            "section Guide [page Installing guide/install/, page Usage guide/use/]",
            "link Chat https://chat.example.com",
        ]
    );
    // Pages outside the nav are still built; nav titles become page titles.
    assert_eq!(page(&site, "extra.md").title, "Extra");
    assert_eq!(page(&site, "index.md").title, "Welcome");
    assert_eq!(page(&site, "guide/use.md").title, "Usage");
    let all = warnings(&site);
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0].starts_with("mkdocs.yml:7: "), "{all:?}");
    assert!(all[0].contains("guide/gone.md"), "{all:?}");
}

#[test]
fn other_files_are_assets_and_hidden_files_are_skipped() {
    let dir = source(&[
        ("docs/index.md", "# Hi\n"),
        ("docs/img/logo.png", "PNG"),
        ("docs/data.json", "{}"),
        ("docs/.hidden/secret.md", "x"),
        ("docs/.env", "x"),
    ]);
    let site = build_dir(dir.path());
    let assets: Vec<(&str, &str)> = site
        .assets
        .iter()
        .map(|a| (a.path.as_str(), a.content_type))
        .collect();
    assert!(
        assets.contains(&("img/logo.png", "image/png")),
        "{assets:?}"
    );
    assert!(
        assets.contains(&("data.json", "application/json")),
        "{assets:?}"
    );
    assert!(!assets
        .iter()
        .any(|(p, _)| p.contains(".env") || p.contains("hidden")));
    assert_eq!(sources(&site), vec!["index.md"]);
    let logo = site
        .assets
        .iter()
        .find(|a| a.path == "img/logo.png")
        .unwrap();
    assert_eq!(logo.bytes, b"PNG");
    // The theme travels with the site.
    for file in ["docs.css", "docs.js"] {
        let path = format!("{THEME_DIR}/{file}");
        let asset = site.assets.iter().find(|a| a.path == path).unwrap();
        assert!(asset.bytes.len() > 500, "{path}");
    }
    let paths: Vec<&str> = site.assets.iter().map(|a| a.path.as_str()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
}

#[test]
fn docs_at_the_root_do_not_publish_the_config() {
    let site = build(&[
        ("mkdocs.yml", "site_name: Root\ndocs_dir: .\n"),
        ("index.md", "# Root\n"),
        ("notes.txt", "n"),
    ]);
    assert_eq!(sources(&site), vec!["index.md"]);
    assert!(site.assets.iter().any(|a| a.path == "notes.txt"));
    assert!(!site.assets.iter().any(|a| a.path.starts_with("mkdocs")));
}

#[test]
fn includes_are_expanded_relative_to_the_source_root() {
    let site = build(&[
        ("mkdocs.yml", "site_name: Inc\n"),
        (
            "docs/index.md",
            "# Config\n\n```yaml\n{!docs/snippets/cm.yaml!}\n```\n\nAfter {!docs/snippets/word.txt!} here.\n",
        ),
        ("docs/snippets/cm.yaml", "apiVersion: v1\nkind: ConfigMap\n"),
        ("docs/snippets/word.txt", "INLINE\n"),
        ("shared/outside-docs.md", "Shared text"),
        ("docs/uses-shared.md", "{!shared/outside-docs.md!}\n"),
    ]);
    let html = &page(&site, "index.md").html;
    assert!(
        html.contains("ConfigMap") && html.contains("apiVersion"),
        "{html}"
    );
    assert!(html.contains("After INLINE here."), "{html}");
    assert!(!html.contains("{!"), "{html}");
    assert!(page(&site, "uses-shared.md").html.contains("Shared text"));
    assert!(site.warnings.is_empty(), "{:?}", warnings(&site));
}

#[test]
fn failing_includes_warn_with_their_line_and_later_lines_stay_right() {
    let outer = source(&[("secret.txt", "TOP SECRET")]);
    let root = outer.path().join("src");
    crate::fixture::write(
        &root,
        &[
            ("docs/index.md", "# T\n\n{!docs/a.md!}\n{!docs/missing.md!}\n{!../secret.txt!}\n{!docs/index.md!}\n\nline 8\n"),
            ("docs/a.md", "one\ntwo\nthree\n"),
        ],
    );
    let site = build_dir(&root);
    let html = &page(&site, "index.md").html;
    assert!(html.contains("three"), "{html}");
    assert!(!html.contains("TOP SECRET"), "{html}");
    let all = warnings(&site);
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(
        all[0].starts_with("docs/index.md:4: ") && all[0].contains("missing.md"),
        "{all:?}"
    );
    assert!(
        all[1].starts_with("docs/index.md:5: ") && all[1].contains("outside"),
        "{all:?}"
    );
    assert!(
        all[2].starts_with("docs/index.md:6: ") && all[2].contains("itself"),
        "{all:?}"
    );
}

#[test]
fn a_page_that_is_not_utf8_is_skipped_with_a_warning() {
    let dir = source(&[("docs/index.md", "# Fine\n")]);
    std::fs::write(dir.path().join("docs/bad.md"), b"line one\nline \xff two\n").unwrap();
    let site = build_dir(dir.path());
    assert_eq!(sources(&site), vec!["index.md"]);
    let all = warnings(&site);
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0].starts_with("docs/bad.md:2: "), "{all:?}");
}

#[test]
fn fatal_errors() {
    let tree = |files: &[(&str, &str)]| source(files);
    let no_docs = tree(&[("mkdocs.yml", "site_name: X\n"), ("README.md", "x")]);
    let err = build_site(&DirTree::open(no_docs.path()).unwrap(), &options()).unwrap_err();
    assert!(matches!(err, BuildError::NoDocsDir { .. }), "{err:?}");

    let no_pages = tree(&[("docs/logo.png", "x")]);
    let err = build_site(&DirTree::open(no_pages.path()).unwrap(), &options()).unwrap_err();
    assert!(matches!(err, BuildError::NoPages { .. }), "{err:?}");

    let many = tree(&[("docs/a.md", "a"), ("docs/b.md", "b"), ("docs/c.md", "c")]);
    let small = portico_techdocs::TreeLimits {
        max_files: 2,
        ..Default::default()
    };
    let err = build_site(&DirTree::open_with(many.path(), small).unwrap(), &options()).unwrap_err();
    assert!(matches!(err, BuildError::Tree(_)), "{err:?}");
}

#[test]
fn excluded_paths_are_not_part_of_the_site() {
    let dir = source(&[
        ("mkdocs.yml", "site_name: X\ndocs_dir: .\n"),
        ("index.md", "# X\n"),
        ("site/index.html", "old build"),
        ("site/old/index.md", "# old copy"),
    ]);
    let opts = BuildOptions {
        exclude: vec!["site".to_string()],
        ..options()
    };
    let site = build_site(&DirTree::open(dir.path()).unwrap(), &opts).unwrap();
    assert_eq!(sources(&site), vec!["index.md"]);
    assert!(!site.assets.iter().any(|a| a.path.starts_with("site/")));
}

#[test]
fn edit_links_and_meta() {
    let site = build(&[
        (
            "mkdocs.yml",
            "site_name: Meta\nsite_description: About\nrepo_url: https://github.com/acme/svc\n",
        ),
        ("docs/ops/restart.md", "# Restart\n"),
    ]);
    assert_eq!(site.meta.site_description.as_deref(), Some("About"));
    assert_eq!(
        page(&site, "ops/restart.md").edit_url.as_deref(),
        Some("https://github.com/acme/svc/edit/main/docs/ops/restart.md")
    );
}

#[test]
fn builds_are_deterministic_whatever_the_thread_count() {
    let mut files: Vec<(String, String)> = Vec::new();
    for i in 0..60 {
        files.push((
            format!("docs/s{}/p{i}.md", i % 4),
            format!("# Page {i}\n\nSee [next](p{}.md).\n", i + 1),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = source(&refs);
    let tree = DirTree::open(dir.path()).unwrap();
    let one = build_site(
        &tree,
        &BuildOptions {
            threads: 1,
            ..options()
        },
    )
    .unwrap();
    let many = build_site(
        &tree,
        &BuildOptions {
            threads: 4,
            ..options()
        },
    )
    .unwrap();
    assert_eq!(one.pages, many.pages);
    assert_eq!(one.nav, many.nav);
    assert_eq!(one.warnings, many.warnings);
    let paths: Vec<&str> = many.pages.iter().map(|p| p.path.as_str()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
}

#[test]
fn include_line_ranges_nesting_and_escapes() {
    let site = build(&[
        (
            "docs/index.md",
            "{!docs/five.txt!lines=2 4-5}\n\n\\{!docs/five.txt!} stays literal\n\n{!docs/outer.md!}\n",
        ),
        ("docs/five.txt", "L1\nL2\nL3\nL4\nL5\n"),
        ("docs/outer.md", "outer {!./docs/inner.md!} end\n"),
        ("docs/inner.md", "INNER\n"),
    ]);
    let html = &page(&site, "index.md").html;
    assert!(html.contains("L2\nL4\nL5"), "{html}");
    assert!(!html.contains("L1") && !html.contains("L3"), "{html}");
    assert!(html.contains("{!docs/five.txt!} stays literal"), "{html}");
    assert!(html.contains("outer INNER end"), "{html}");
    assert!(site.warnings.is_empty(), "{:?}", warnings(&site));
}
