//! URL arithmetic and names.

use portico_techdocs::layout::{
    content_type, default_title, encode_path, page_output, prettify, relative_url, root_prefix,
};

#[test]
fn relative_urls_between_served_pages() {
    let cases = [
        ("a/b/", "c/", "../../c/"),
        ("a/b/", "", "../../"),
        ("", "", "./"),
        ("", "a/", "a/"),
        ("a/", "a/", "./"),
        ("a/b/", "a/b/img.png", "img.png"),
        ("a/b/", "a/c/", "../c/"),
        ("a/b.html", "index.html", "../index.html"),
        ("a/b.html", "a/c.html", "c.html"),
        ("index.html", "a/b.html", "a/b.html"),
    ];
    for (from, to, expected) in cases {
        assert_eq!(relative_url(from, to), expected, "{from} -> {to}");
    }
    assert_eq!(root_prefix(""), "");
    assert_eq!(root_prefix("a/b/"), "../../");
    assert_eq!(root_prefix("a/b.html"), "../");
}

#[test]
fn pages_land_where_mkdocs_puts_them() {
    assert_eq!(
        page_output("index.md", true),
        ("index.html".into(), "".into())
    );
    assert_eq!(
        page_output("a/README.md", true),
        ("a/index.html".into(), "a/".into())
    );
    assert_eq!(
        page_output("a/b.md", true),
        ("a/b/index.html".into(), "a/b/".into())
    );
    assert_eq!(
        page_output("a/b.md", false),
        ("a/b.html".into(), "a/b.html".into())
    );
    assert_eq!(
        page_output("a/index.md", false),
        ("a/index.html".into(), "a/index.html".into())
    );
    assert_eq!(page_output("notes.markdown", true).1, "notes/");
}

#[test]
fn names_become_titles_like_mkdocs_makes_them() {
    assert_eq!(prettify("getting-started"), "Getting started");
    assert_eq!(prettify("how_to_deploy"), "How to deploy");
    assert_eq!(prettify("API-Reference"), "API Reference");
    assert_eq!(default_title("index.md"), "Home");
    assert_eq!(default_title("ops/index.md"), "Ops");
    assert_eq!(default_title("ops/on-call/README.md"), "On call");
    assert_eq!(default_title("ops/run_book.md"), "Run book");
}

#[test]
fn content_types_and_encoding() {
    assert_eq!(content_type("a/b.PNG"), "image/png");
    assert_eq!(content_type("x.svg"), "image/svg+xml");
    assert_eq!(content_type("x.css"), "text/css; charset=utf-8");
    assert_eq!(content_type("Makefile"), "application/octet-stream");
    assert_eq!(encode_path("my page/a#b?.png"), "my%20page/a%23b%3F.png");
}
