//! Link and image URLs: what the site rewrites, and the lines it is told.

use portico_markdown::PageWarning;

use crate::{html, Recorder};

#[test]
fn relative_urls_are_rewritten_and_others_kept() {
    let links = Recorder::default();
    let p = links.render(concat!(
        "[a](other.md#part) [b](../up/x.md) ![c](img/c.png \"Cap\")\n",
        "[d](https://example.com/x?a=1&b=2) [e](#local) [f](/root/path) [g](//cdn.example.com/x) ",
        "[h](mailto:team@example.com) <https://auto.example.com> <ops@example.com>\n",
    ));
    assert_eq!(
        links.calls(),
        vec![
            ("other.md#part".to_string(), 1),
            ("../up/x.md".to_string(), 1),
            ("img/c.png".to_string(), 1),
        ]
    );
    insta::assert_snapshot!("links", p.html);
    assert!(p.warnings.is_empty());
}

#[test]
fn broken_links_warn_at_their_original_line() {
    let md = "\
---
title: T
---
# Page

Text [ok](fine.md) and
a [broken](missing-one.md) link.

!!! note
    Inside [x](missing-two.md).

    ![img](missing-three.png)

After [y](missing-four.md).

[ref link][r]

[r]: missing-five.md
";
    let links = Recorder::default();
    let p = links.render(md);
    let warning = |line: usize, target: &str| PageWarning {
        line,
        message: format!("no page {target}"),
    };
    assert_eq!(
        p.warnings,
        vec![
            warning(7, "missing-one.md"),
            warning(10, "missing-two.md"),
            warning(12, "missing-three.png"),
            warning(14, "missing-four.md"),
            // A reference link is reported where it is used.
            warning(16, "missing-five.md"),
        ]
    );
    // The href is still used for broken links.
    assert!(
        p.html
            .contains("<a href=\"/site/missing-one.md\">broken</a>"),
        "{}",
        p.html
    );
}

#[test]
fn lines_inside_tabs_and_nested_blocks_are_original_lines() {
    let md = "=== \"A\"\n    [a](missing-a.md)\n\n=== \"B\"\n    !!! tip\n        [b](missing-b.md)\n\n- item\n\n    !!! note\n        [c](missing-c.md)\n";
    let links = Recorder::default();
    let lines: Vec<usize> = links.render(md).warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, vec![2, 6, 11]);
}

#[test]
fn links_in_headings_are_rewritten_too() {
    let links = Recorder::default();
    let p = links.render("## See [the guide](guide.md)\n");
    assert!(
        p.html
            .contains("<a href=\"/site/guide.md\">the guide</a><a class=\"headerlink\""),
        "{}",
        p.html
    );
    assert_eq!(links.calls(), vec![("guide.md".to_string(), 1)]);
}

#[test]
fn urls_are_encoded_and_titles_escaped() {
    assert_eq!(
        html("[x](<a b.md> \"say \\\"hi\\\"\")\n"),
        "<p><a href=\"a%20b.md\" title=\"say &quot;hi&quot;\">x</a></p>\n"
    );
}

#[test]
fn a_rewrite_to_a_bad_scheme_is_dropped() {
    struct Evil;
    impl portico_markdown::Links for Evil {
        fn rewrite(&self, _url: &str, _line: usize) -> portico_markdown::LinkRewrite {
            portico_markdown::LinkRewrite {
                href: "javascript:alert(1)".into(),
                warning: None,
            }
        }
    }
    let p = portico_markdown::render("[x](a.md)", &Evil, &Default::default());
    assert_eq!(p.html, "<p><a>x</a></p>\n");
}
