//! Whatever a page says, its HTML cannot run script or restyle the portal.

use crate::html;

/// Renders `md` and checks that none of `bad` (compared without regard to
/// case) is in the HTML; returns the HTML for further checks.
fn assert_absent(md: &str, bad: &[&str]) -> String {
    let h = html(md);
    let lower = h.to_lowercase();
    for b in bad {
        assert!(
            !lower.contains(&b.to_lowercase()),
            "{b:?} survived {md:?}: {h}"
        );
    }
    h
}

#[test]
fn script_tags() {
    let h = assert_absent(
        "<script>alert(1)</script>\n\nText <script>alert(2)</script>\n",
        &["<script", "alert("],
    );
    assert!(h.contains("Text"), "{h}");
}

#[test]
fn event_handlers() {
    assert_absent("<img src=x onerror=alert(1)>\n", &["onerror", "alert("]);
    assert_absent(
        "<div onclick=\"alert(1)\">x</div>\n",
        &["onclick", "alert("],
    );
    assert_absent(
        "<svg onload=alert(1)><circle/></svg>\n",
        &["<svg", "onload", "alert("],
    );
}

#[test]
fn javascript_links_in_markdown() {
    for md in [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](&#x6A;avascript&colon;alert(1))",
        "[x](java&#9;script:alert(1))",
        "[x](<\u{1}\u{1f} javascript:alert(1)>)",
        "[x](vbscript:msgbox(1))",
        "[x][r]\n\n[r]: javascript:alert(1)",
        "![x](javascript:alert(1))",
    ] {
        let h = assert_absent(md, &["script:", "alert(", "msgbox("]);
        assert!(
            h.contains("<a>x</a>") || h.contains("<img alt=\"x\">"),
            "{md}: {h}"
        );
    }
    // An autolink shows its URL as text, but links nowhere.
    assert_eq!(
        html("<javascript:alert(1)>"),
        "<p><a>javascript:alert(1)</a></p>\n"
    );
}

#[test]
fn a_control_character_inside_a_scheme_makes_an_inert_relative_url() {
    // Browsers only strip controls around a URL; inside, `java\x01script:`
    // is no scheme, so the URL is a relative path (and percent-encoded).
    let h = html("[x](<java\u{1}script:alert(1)>)");
    assert_eq!(h, "<p><a href=\"java%01script:alert(1)\">x</a></p>\n");
}

#[test]
fn javascript_links_in_html() {
    assert_absent(
        "<a href=\"javascript:alert(1)\">x</a>\n",
        &["javascript", "alert("],
    );
    assert_absent(
        "<a href=\"jav&#x09;ascript:alert(1)\">x</a>\n",
        &["ascript", "alert("],
    );
    assert_absent(
        "<a href=\" &#14; javascript:alert(1)\">x</a>\n",
        &["javascript", "alert("],
    );
}

#[test]
fn data_urls() {
    assert_absent("![x](data:image/svg+xml;base64,PHN2Zz4=)\n", &["data:"]);
    assert_absent(
        "[x](data:text/html,<script>alert(1)</script>)\n",
        &["data:", "<script"],
    );
    assert_absent(
        "<a href=\"data:text/html;base64,PHNjcmlwdD4=\">x</a>\n",
        &["data:"],
    );
    assert_absent(
        "<img src=\"data:image/png;base64,iVBORw0KGgo=\">\n",
        &["data:"],
    );
}

#[test]
fn embedding_and_styling_elements() {
    assert_absent(
        "<iframe src=\"https://evil.example\"></iframe>\n",
        &["<iframe", "evil.example"],
    );
    assert_absent(
        "<style>body { display: none }</style>\n",
        &["<style", "display"],
    );
    assert_absent(
        "<p style=\"position:fixed\">x</p>\n",
        &["style=", "position"],
    );
    assert_absent("<form action=\"https://evil.example\"><input type=\"text\" name=\"p\"><button>Go</button></form>\n", &[
        "<form",
        "evil.example",
        "type=\"text\"",
        "<button",
    ]);
    assert_absent(
        "<object data=\"x.swf\"></object><embed src=\"x.swf\">\n",
        &["<object", "<embed", "x.swf"],
    );
    assert_absent(
        "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">\n",
        &["<meta", "evil"],
    );
    assert_absent(
        "<base href=\"https://evil.example/\">\n",
        &["<base", "evil"],
    );
}

#[test]
fn our_own_syntax_cannot_smuggle_markup() {
    assert_absent(
        "!!! note \"<script>alert(1)</script>\"\n    x\n",
        &["<script"],
    );
    let h = assert_absent(
        "=== \"\\\"><img src=x onerror=alert(1)>\"\n    x\n",
        &["<img"],
    );
    assert!(
        h.contains("&lt;img src=x onerror=alert(1)&gt;</label>"),
        "{h}"
    );
    assert_absent("```\"><script>alert(1)</script>\ncode\n```\n", &["<script"]);
    assert_absent(
        "```yaml title=\"<script>alert(1)</script>\"\na: 1\n```\n",
        &["<script"],
    );
    let h = assert_absent(
        "# Heading {.c onclick=alert(1) data-x=y}\n",
        &["onclick", "alert", "data-x"],
    );
    assert!(
        h.starts_with("<h1 id=\"heading\" class=\"c\">Heading<a class=\"headerlink\""),
        "{h}"
    );
    assert_absent(
        "```mermaid\n</pre><script>alert(1)</script>\n```\n",
        &["<script", "</pre><"],
    );
}

#[test]
fn forged_markers_are_plain_comments() {
    // Only lines the pre-pass wrote are markers; this one is the author's.
    let h = html("<!--portico:0-->\n\nText\n");
    assert_eq!(h.trim(), "<p>Text</p>");
}

#[test]
fn both_sanitizing_paths_neutralise_the_same_way() {
    // Without raw HTML the page skips ammonia and relies on the renderer's
    // own URL check; with it, ammonia runs over everything. Same result.
    let md = "[x](javascript:alert(1)) ![y](data:image/png;base64,AA) [z](ok.md)\n";
    let markdown_only = html(md);
    let with_raw_html = html(&format!("{md}\n<kbd>k</kbd>\n"));
    assert_eq!(
        markdown_only,
        "<p><a>x</a> <img alt=\"y\"> <a href=\"ok.md\">z</a></p>\n"
    );
    assert!(with_raw_html.starts_with(&markdown_only), "{with_raw_html}");
    assert!(
        with_raw_html.ends_with("<p><kbd>k</kbd></p>\n"),
        "{with_raw_html}"
    );
}
