//! The HTML documents around pages, and static output.

use portico_markdown::TocEntry;
use portico_techdocs::{
    escape_html, page_document, search_index, write_static, NavNode, PageParts, SiteMeta,
    SEARCH_INDEX_PATH,
};

use crate::fixture::{build, source};

fn meta(name: &str) -> SiteMeta {
    SiteMeta {
        site_name: name.to_string(),
        ..SiteMeta::default()
    }
}

fn parts<'a>(url: &'a str, title: &'a str, html: &'a str) -> PageParts<'a> {
    PageParts {
        url,
        title,
        html,
        toc: &[],
        edit_url: None,
        has_mermaid: false,
        build_time: None,
    }
}

#[test]
fn escape_html_escapes_markup_and_quotes() {
    assert_eq!(
        escape_html(r#"<a href="x" onclick='y'>&amp;</a>"#),
        "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
    );
    assert_eq!(escape_html("plain ünïcode"), "plain ünïcode");
}

#[test]
fn site_names_and_titles_cannot_inject_markup() {
    let evil = "<script>alert(1)</script>";
    let nav = vec![
        NavNode::Page {
            title: evil.to_string(),
            url: "a/".to_string(),
        },
        NavNode::Link {
            title: "x".to_string(),
            url: "javascript:alert(1)".to_string(),
        },
    ];
    let mut m = meta(evil);
    m.repo_url = Some("javascript:alert(2)".to_string());
    m.site_description = Some("\"><script>".to_string());
    let doc = page_document(&m, &nav, &parts("a/", evil, "<p>body</p>"));
    assert!(!doc.contains("<script>alert"), "{doc}");
    assert!(!doc.contains("javascript:"), "{doc}");
    assert!(doc.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!doc.contains("\"><script>"));
    // The only script is the theme's own file.
    assert_eq!(doc.matches("<script").count(), 1, "{doc}");
    assert!(!doc.contains(" onclick") && !doc.contains(" onload"));
}

#[test]
fn documents_have_the_material_structure_and_relative_links() {
    let nav = vec![
        NavNode::Page {
            title: "Home".into(),
            url: "".into(),
        },
        NavNode::Section {
            title: "Ops".into(),
            children: vec![
                NavNode::Page {
                    title: "Runbook".into(),
                    url: "ops/runbook/".into(),
                },
                NavNode::Page {
                    title: "Alerts".into(),
                    url: "ops/alerts/".into(),
                },
            ],
        },
    ];
    let toc = vec![
        TocEntry {
            level: 1,
            id: "runbook".into(),
            title: "Runbook".into(),
        },
        TocEntry {
            level: 2,
            id: "restart".into(),
            title: "Restart <now>".into(),
        },
    ];
    let mut m = meta("Svc");
    m.repo_url = Some("https://github.com/acme/svc".into());
    let page = PageParts {
        toc: &toc,
        edit_url: Some("https://github.com/acme/svc/edit/main/docs/ops/runbook.md"),
        ..parts(
            "ops/runbook/",
            "Runbook",
            "<h1 id=\"runbook\">Runbook</h1><p>text</p>",
        )
    };
    let doc = page_document(&m, &nav, &page);
    assert!(doc.starts_with("<!doctype html>"));
    for class in [
        "class=\"md-header",
        "class=\"md-sidebar md-sidebar--primary\"",
        "class=\"md-sidebar md-sidebar--secondary\"",
        "class=\"md-nav md-nav--primary\"",
        "class=\"md-content\"",
        "<article class=\"md-content__inner md-typeset\">",
    ] {
        assert!(doc.contains(class), "{class}");
    }
    assert!(doc.contains("href=\"../../_portico/docs.css\""), "{doc}");
    assert!(doc.contains("src=\"../../_portico/docs.js\""), "{doc}");
    assert!(
        doc.contains("<a class=\"md-header__title\" href=\"../../\">Svc</a>"),
        "{doc}"
    );
    assert!(doc.contains("href=\"../alerts/\">Alerts</a>"), "{doc}");
    assert!(
        doc.contains(
            "md-nav__link md-nav__link--active\" href=\"./\" aria-current=\"page\">Runbook"
        ),
        "{doc}"
    );
    assert!(
        doc.contains("href=\"#restart\">Restart &lt;now&gt;</a>"),
        "{doc}"
    );
    assert!(
        !doc.contains("href=\"#runbook\""),
        "the title is not in the TOC"
    );
    assert!(doc.contains("rel=\"edit noopener\""));
    assert!(doc.contains("<title>Runbook - Svc</title>"));
    assert!(!doc.contains("portico:mermaid"));
    assert!(
        !doc.contains("http://") && !doc.contains("src=\"/"),
        "no absolute links"
    );
    // The page has its own h1, so the theme does not add one.
    assert_eq!(doc.matches("<h1").count(), 1);
}

#[test]
fn the_home_page_links_without_parent_steps() {
    let nav = vec![NavNode::Page {
        title: "Next".into(),
        url: "next/".into(),
    }];
    let doc = page_document(&meta("S"), &nav, &parts("", "S", "<p>x</p>"));
    assert!(doc.contains("href=\"_portico/docs.css\""), "{doc}");
    assert!(doc.contains("href=\"next/\">Next</a>"), "{doc}");
    assert!(
        doc.contains("<h1>S</h1>"),
        "a page without a heading gets its title"
    );
}

#[test]
fn mermaid_is_loaded_only_where_needed() {
    let mut m = meta("S");
    m.mermaid_url = "https://cdn.example.com/mermaid.mjs".into();
    let with = PageParts {
        has_mermaid: true,
        ..parts("", "S", "<pre class=\"mermaid\">graph TD</pre>")
    };
    let doc = page_document(&m, &[], &with);
    assert!(doc.contains(
        "<meta name=\"portico:mermaid\" content=\"https://cdn.example.com/mermaid.mjs\">"
    ));
    let js = portico_techdocs::theme::script();
    assert!(js.contains("portico:mermaid") && js.contains("pre.mermaid"));
    assert!(js.contains("navigator.clipboard"));
    assert!(!page_document(&m, &[], &parts("", "S", "x")).contains("portico:mermaid"));
}

#[test]
fn the_stylesheet_covers_the_renderer_markup() {
    let css = portico_techdocs::theme::stylesheet();
    for selector in [
        ".headerlink",
        ".admonition-title",
        "details",
        ".tabbed-set",
        ".tabbed-labels",
        "input:nth-child(3):checked ~ .tabbed-content > .tabbed-block:nth-child(3)",
        ".hl-comment",
        "prefers-color-scheme: dark",
        ".md-clipboard",
        "pre.mermaid",
        "table",
        "@media (max-width",
    ] {
        assert!(css.contains(selector), "{selector}");
    }
    // Light and dark highlighting palettes.
    assert_eq!(css.matches(".highlight .hl-comment{").count(), 2);
}

#[test]
fn a_big_site_keeps_each_page_small() {
    // 20 sections of 100 pages: a page's nav lists its own section and the
    // 19 others' titles, not 2000 links.
    let mut files = vec![("mkdocs.yml".to_string(), "site_name: Big\n".to_string())];
    for s in 0..20 {
        for p in 0..100 {
            files.push((
                format!("docs/section-{s:02}/page-{p:03}.md"),
                format!("# Page {s}.{p}\n\nSome text.\n"),
            ));
        }
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let site = build(&refs);
    assert_eq!(site.pages.len(), 2000);
    let page = site
        .pages
        .iter()
        .find(|p| p.source == "section-07/page-050.md")
        .unwrap();
    let doc = page_document(
        &site.meta,
        &site.nav,
        &PageParts {
            toc: &page.toc,
            ..parts(&page.url, &page.title, &page.html)
        },
    );
    let links = doc.matches("class=\"md-nav__link").count();
    assert!(links <= 100 + 20 + 5, "{links} nav links");
    assert!(doc.len() < 40_000, "{} bytes", doc.len());
    assert!(doc.contains("md-nav__link--active"));
    // A collapsed section leads to its first page.
    assert!(
        doc.contains("href=\"../../section-08/page-000/\">Section 08</a>"),
        "{doc}"
    );
}

#[test]
fn write_static_writes_pages_assets_and_the_search_index() {
    let dir = source(&[
        ("mkdocs.yml", "site_name: Out\n"),
        (
            "docs/index.md",
            "# Home\n\nWelcome.\n\n## Usage\n\nRun it.\n",
        ),
        ("docs/ops/runbook.md", "# Runbook\n"),
        ("docs/img/a.png", "PNG"),
    ]);
    let site = crate::fixture::build_dir(dir.path());
    let out = tempfile::tempdir().unwrap();
    write_static(&site, out.path()).unwrap();
    let index = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(index.contains("Welcome."), "{index}");
    assert!(index.contains("<!doctype html>"));
    let runbook = std::fs::read_to_string(out.path().join("ops/runbook/index.html")).unwrap();
    assert!(runbook.contains("href=\"../../_portico/docs.css\""));
    assert_eq!(std::fs::read(out.path().join("img/a.png")).unwrap(), b"PNG");
    assert!(out.path().join("_portico/docs.js").is_file());
    let search: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join(SEARCH_INDEX_PATH)).unwrap())
            .unwrap();
    assert_eq!(search, search_index(&site));
    assert!(search["config"]["lang"].is_array());
    let docs = search["docs"].as_array().unwrap();
    assert!(
        docs.iter().any(|d| d["location"] == "ops/runbook/"),
        "{docs:?}"
    );
    for doc in docs {
        assert!(doc["location"].is_string() && doc["title"].is_string() && doc["text"].is_string());
    }
}

#[test]
fn search_entries_follow_the_sections() {
    let site = build(&[("docs/index.md", "# Home\n\nIntro.\n\n## Usage\n\nRun it.\n")]);
    let index = search_index(&site);
    let docs = index["docs"].as_array().unwrap();
    let usage = docs.iter().find(|d| d["location"] == "#usage");
    assert!(usage.is_some(), "{docs:?}");
    assert_eq!(usage.unwrap()["text"], "Run it.");
}
