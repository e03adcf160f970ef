//! The Argo CD documentation (455 pages, nested nav, includes) as a smoke
//! test of the whole build. The corpus lives outside the repository; the
//! test is skipped where it is absent.

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use portico_techdocs::{build_site, DirTree, NavNode};

const CORPUS: &str = "/work/shared/corpora/argo-cd-docs";

fn nav_urls<'a>(nodes: &'a [NavNode], out: &mut Vec<&'a str>) {
    for node in nodes {
        match node {
            NavNode::Page { url, .. } => out.push(url),
            NavNode::Section { children, .. } => nav_urls(children, out),
            NavNode::Link { .. } => {}
        }
    }
}

/// What kind of problem a warning is about, for the assertions below.
fn category(message: &str) -> &'static str {
    if message.contains("front matter") {
        "front matter"
    } else if message.contains("include") {
        "include"
    } else if message.contains("which is not a file of the docs") {
        "missing file"
    } else if message.contains("which is not a page of the docs") {
        "missing page"
    } else if message.contains("outside the docs") {
        "outside"
    } else {
        "other"
    }
}

#[test]
fn the_argo_cd_docs_build_completely() {
    let root = Path::new(CORPUS);
    if !root.join("mkdocs.yml").is_file() {
        println!("skipped: the Argo CD corpus is not at {CORPUS}");
        return;
    }
    let tree = DirTree::open(root).unwrap();
    let started = Instant::now();
    let site = build_site(&tree, &crate::fixture::options()).unwrap();
    println!(
        "built {} pages, {} assets in {} ms",
        site.pages.len(),
        site.assets.len(),
        started.elapsed().as_millis()
    );
    for note in &site.notes {
        println!("note: {note}");
    }
    for warning in &site.warnings {
        println!("warning [{}]: {warning}", category(&warning.message));
    }

    assert_eq!(site.pages.len(), 455);
    assert_eq!(
        site.meta.site_name,
        "Argo CD - Declarative GitOps CD for Kubernetes"
    );
    // Every nav page entry resolves, and every page URL it names is built.
    let nav_warnings: Vec<_> = site
        .warnings
        .iter()
        .filter(|w| w.file == "mkdocs.yml")
        .collect();
    assert!(nav_warnings.is_empty(), "{nav_warnings:?}");
    let built: HashSet<&str> = site.pages.iter().map(|p| p.url.as_str()).collect();
    let mut urls = Vec::new();
    nav_urls(&site.nav, &mut urls);
    // mkdocs.yml names 225 pages; all of them are in the nav.
    assert_eq!(urls.len(), 225);
    for url in &urls {
        assert!(built.contains(url), "nav names {url}, which is not built");
    }
    // Includes are expanded; the only failing one names a file outside the
    // corpus (resource_customizations/ is in the Argo CD repository, not in
    // its docs).
    let resource_actions = site
        .pages
        .iter()
        .find(|p| p.source == "operator-manual/resource_actions.md")
        .unwrap();
    assert!(!resource_actions.html.contains("{!docs/"));
    let includes: Vec<_> = site
        .warnings
        .iter()
        .filter(|w| category(&w.message) == "include")
        .collect();
    assert!(
        includes
            .iter()
            .all(|w| w.message.contains("resource_customizations/")),
        "{includes:?}"
    );
    // `proposals/manifest-hydrator.md` sits beside the directory
    // `proposals/manifest-hydrator/` with a README: both are published.
    assert!(
        site.notes
            .iter()
            .any(|n| n.contains("proposals/manifest-hydrator.md")),
        "{:?}",
        site.notes
    );
    // Four proposals have front matter that is not valid YAML (a list
    // indented under a sibling key): genuine problems of the corpus.
    let front_matter = site
        .warnings
        .iter()
        .filter(|w| category(&w.message) == "front matter")
        .count();
    assert!(front_matter <= 4, "{front_matter} front matter warnings");
    // Otherwise only links to images and files that are not part of the
    // corpus (it holds the Markdown and YAML of the Argo CD docs only).
    let others: Vec<String> = site
        .warnings
        .iter()
        .filter(|w| category(&w.message) == "other")
        .map(|w| w.to_string())
        .collect();
    assert!(others.is_empty(), "{others:#?}");
    let missing_pages: Vec<String> = site
        .warnings
        .iter()
        .filter(|w| category(&w.message) == "missing page")
        .map(|w| w.to_string())
        .collect();
    assert!(missing_pages.is_empty(), "{missing_pages:#?}");
    for page in &site.pages {
        assert!(!page.html.is_empty(), "{} is empty", page.source);
        assert!(
            !page.html.contains("<p>!!!"),
            "{}: an admonition was not rendered",
            page.source
        );
    }
}
