//! Relative links between pages and files, rewritten to served URLs.

use crate::fixture::{build, page, warnings};

fn hrefs(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attr) {
            rest = &rest[at + attr.len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
    }
    out
}

fn linking_site() -> portico_techdocs::Site {
    build(&[
        ("mkdocs.yml", "site_name: Links\n"),
        (
            "docs/index.md",
            "# Home\n\n[guide](guide/index.md) [runbook](ops/runbook.md#restart)\n",
        ),
        (
            "docs/ops/runbook.md",
            "# Runbook\n\n\
             [home](../index.md)\n\
             [sibling](other.md?tab=1#top)\n\
             [dir](../guide/)\n\
             ![diagram](img/flow.png)\n\
             [self](#local)\n\
             [web](https://example.com/x.md)\n\
             [broken](nope.md)\n\
             [passwd](../../etc/passwd)\n\
             [after](other.md)\n",
        ),
        ("docs/ops/other.md", "# Other\n"),
        ("docs/ops/img/flow.png", "PNG"),
        (
            "docs/guide/index.md",
            "# Guide\n\n[deep link](../ops/runbook.md#restart)\n",
        ),
    ])
}

#[test]
fn links_become_relative_urls_of_the_served_pages() {
    let site = linking_site();
    let runbook = hrefs(&page(&site, "ops/runbook.md").html);
    for expected in [
        "../../",
        "../other/?tab=1#top",
        "../../guide/",
        "../img/flow.png",
        "#local",
        "https://example.com/x.md",
        "../other/",
    ] {
        assert!(
            runbook.contains(&expected.to_string()),
            "{expected} not in {runbook:?}"
        );
    }
    let home = hrefs(&page(&site, "index.md").html);
    assert!(home.contains(&"guide/".to_string()), "{home:?}");
    assert!(
        home.contains(&"ops/runbook/#restart".to_string()),
        "{home:?}"
    );
    let guide = hrefs(&page(&site, "guide/index.md").html);
    assert!(
        guide.contains(&"../ops/runbook/#restart".to_string()),
        "{guide:?}"
    );
}

#[test]
fn broken_links_warn_with_file_and_line_and_the_rest_builds() {
    let site = linking_site();
    assert_eq!(site.pages.len(), 4);
    let all = warnings(&site);
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all[0].starts_with("docs/ops/runbook.md:9: "), "{all:?}");
    assert!(all[0].contains("nope.md"), "{all:?}");
    assert!(all[1].starts_with("docs/ops/runbook.md:10: "), "{all:?}");
    assert!(all[1].contains("outside the docs"), "{all:?}");
    // The escaping link points nowhere rather than at the server's files.
    let html = &page(&site, "ops/runbook.md").html;
    assert!(!html.contains("etc/passwd\""), "{html}");
    assert!(hrefs(html).contains(&"#".to_string()), "{html}");
    assert!(html.contains("after"), "{html}");
}

#[test]
fn links_without_directory_urls_point_at_html_files() {
    let site = build(&[
        ("mkdocs.yml", "site_name: Flat\nuse_directory_urls: false\n"),
        ("docs/index.md", "[a](a/b.md#x) [dir](a/)\n"),
        ("docs/a/b.md", "[up](../index.md)\n"),
        ("docs/a/index.md", "# A\n"),
    ]);
    let home = hrefs(&page(&site, "index.md").html);
    assert!(home.contains(&"a/b.html#x".to_string()), "{home:?}");
    assert!(home.contains(&"a/index.html".to_string()), "{home:?}");
    let b = hrefs(&page(&site, "a/b.md").html);
    assert!(b.contains(&"../index.html".to_string()), "{b:?}");
    assert!(site.warnings.is_empty(), "{:?}", warnings(&site));
}

#[test]
fn broken_link_lines_count_lines_of_the_page_not_of_its_includes() {
    let site = build(&[
        (
            "docs/index.md",
            "# T\n{!docs/part.txt!}\n[broken](gone.md)\n",
        ),
        ("docs/part.txt", "a\nb\nc\nd\n"),
    ]);
    let all = warnings(&site);
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0].starts_with("docs/index.md:3: "), "{all:?}");
}
