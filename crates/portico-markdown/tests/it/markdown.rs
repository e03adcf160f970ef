//! CommonMark and the GFM extensions, through the sanitizer.

use crate::html;

#[test]
fn tables_keep_alignment_without_style_attributes() {
    assert_eq!(
        html("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n"),
        concat!(
            "<table>\n<thead><tr><th align=\"left\">a</th><th align=\"center\">b</th><th align=\"right\">c</th></tr></thead><tbody>\n",
            "<tr><td align=\"left\">1</td><td align=\"center\">2</td><td align=\"right\">3</td></tr>\n",
            "</tbody></table>\n"
        )
    );
}

#[test]
fn footnotes_strikethrough_and_task_lists() {
    let h = html("A claim[^src] ~~old~~.\n\n- [x] done\n- [ ] todo\n\n[^src]: The source.\n");
    insta::assert_snapshot!("gfm", h);
    assert!(h.contains("<del>old</del>"), "{h}");
    assert!(
        h.contains("<input disabled=\"\" type=\"checkbox\" checked=\"\">"),
        "{h}"
    );
    assert!(h.contains("class=\"footnote-definition\""), "{h}");
}

#[test]
fn definition_lists() {
    assert_eq!(
        html("Term\n: Definition\n"),
        "<dl>\n<dt>Term</dt>\n<dd>Definition</dd>\n</dl>\n"
    );
}

#[test]
fn harmless_raw_html_passes() {
    let h = html("Press <kbd>Ctrl</kbd>.\n\n<details class=\"x\"><summary>More</summary>\n\nHidden *text*.\n\n</details>\n\n<!-- a comment -->\n");
    assert!(h.contains("<kbd>Ctrl</kbd>"), "{h}");
    assert!(
        h.contains("<details class=\"x\"><summary>More</summary>"),
        "{h}"
    );
    assert!(h.contains("<em>text</em>"), "{h}");
    assert!(!h.contains("a comment"), "{h}");
}

#[test]
fn images_keep_alt_and_title() {
    assert_eq!(
        html("![A *bold* \"cat\"](cat.png \"Title\")\n"),
        "<p><img src=\"cat.png\" alt=\"A bold &quot;cat&quot;\" title=\"Title\"></p>\n"
    );
}
