//! Admonitions, collapsible blocks, content tabs and GFM alerts.

use crate::{html, page};

#[test]
fn admonition_with_default_custom_and_no_title() {
    assert_eq!(
        html("!!! note\n    Body.\n"),
        "<div class=\"admonition note\">\n<p class=\"admonition-title\">Note</p>\n<p>Body.</p>\n</div>\n"
    );
    assert_eq!(
        html("!!! Warning \"Custom <title>\"\n    Body.\n"),
        "<div class=\"admonition warning\">\n<p class=\"admonition-title\">Custom &lt;title&gt;</p>\n<p>Body.</p>\n</div>\n"
    );
    assert_eq!(
        html("!!! tip \"\"\n    Body.\n"),
        "<div class=\"admonition tip\">\n<p>Body.</p>\n</div>\n"
    );
    assert_eq!(
        html("!!! danger inline end\n    x\n"),
        "<div class=\"admonition danger inline end\">\n<p class=\"admonition-title\">Danger</p>\n<p>x</p>\n</div>\n"
    );
}

#[test]
fn admonition_body_is_markdown_with_nesting_code_and_lists() {
    let md = "\
Before.
!!! warning \"Outer\"
    Text with **bold**.

    - one
    - two

    ```yaml
    a: 1
    ```

    !!! tip
        Inner.

        ??? note \"Deeper\"
            Deepest.

    Back in outer.
After.
";
    insta::assert_snapshot!("nested_admonition", html(md));
}

#[test]
fn body_ends_at_the_first_line_indented_less() {
    let h = html("!!! note\n    in\n\n\n    still in\nout\n");
    assert!(
        h.contains("<p>in</p>\n<p>still in</p>\n</div>\n<p>out</p>"),
        "{h}"
    );
}

#[test]
fn tab_indented_body_counts_as_four_spaces() {
    let h = html("!!! note\n\tin\n");
    assert!(h.contains("<p>in</p>\n</div>"), "{h}");
}

#[test]
fn collapsible_details() {
    assert_eq!(
        html("??? note \"Click\"\n    Hidden.\n"),
        "<details class=\"note\">\n<summary>Click</summary>\n<p>Hidden.</p>\n</details>\n"
    );
    assert_eq!(
        html("???+ example\n    Shown.\n"),
        "<details class=\"example\" open=\"\">\n<summary>Example</summary>\n<p>Shown.</p>\n</details>\n"
    );
}

#[test]
fn admonition_inside_a_list_item() {
    let md = "1. Configure it.\n\n    !!! note \"Mapping\"\n        Map the group.\n\n        More.\n\n2. Next step.\n";
    insta::assert_snapshot!("admonition_in_list", html(md));
}

#[test]
fn admonition_syntax_in_code_stays_literal() {
    let h =
        html("```markdown\n!!! note\n    x\n```\n\nText\n\n    !!! note\n        indented code\n");
    assert!(!h.contains("admonition"), "{h}");
    assert_eq!(h.matches("!!! note").count(), 2, "{h}");
}

#[test]
fn content_tabs_markup() {
    let md = "\
=== \"Linux\"
    Run `make`.

=== \"macOS `brew`\"

    !!! tip
        Use brew.

Between.

===+ \"Only\"
    A.
===! \"New set\"
    B.
";
    let h = html(md);
    insta::assert_snapshot!("tabs", h);
    // Three sets, each with its own radio group and ids.
    assert_eq!(
        h.matches("<div class=\"tabbed-set tabbed-alternate\"")
            .count(),
        3
    );
    for id in [
        "__tabbed_1_1",
        "__tabbed_1_2",
        "__tabbed_2_1",
        "__tabbed_3_1",
    ] {
        assert_eq!(h.matches(&format!("id=\"{id}\"")).count(), 1, "{id} in {h}");
    }
}

#[test]
fn selected_tab_is_checked() {
    let h = html("=== \"A\"\n    a\n=== \"B\"\n    b\n===+ \"C\"\n    c\n");
    assert!(h.contains("data-tabs=\"1:3\""), "{h}");
    assert!(h.contains("<input id=\"__tabbed_1_1\""), "{h}");
    assert!(h.contains("<input checked=\"\" id=\"__tabbed_1_3\""), "{h}");
}

#[test]
fn gfm_alerts_become_admonitions() {
    for (marker, class, title) in [
        ("NOTE", "note", "Note"),
        ("TIP", "tip", "Tip"),
        ("IMPORTANT", "important", "Important"),
        ("WARNING", "warning", "Warning"),
        ("CAUTION", "caution", "Caution"),
    ] {
        assert_eq!(
            html(&format!("> [!{marker}]\n> Body *here*.\n")),
            format!("<div class=\"admonition {class}\">\n<p class=\"admonition-title\">{title}</p>\n<p>Body <em>here</em>.</p>\n</div>\n")
        );
    }
    assert_eq!(
        html("> plain quote\n"),
        "<blockquote>\n<p>plain quote</p>\n</blockquote>\n"
    );
}

#[test]
fn unbalanced_html_comment_cannot_break_block_structure() {
    // The unclosed comment swallows the opening marker; the closing one
    // must not close an element the page did not open.
    let h = html("<!-- open\n\n!!! note\n    body\n\n<div>x</div>\n");
    assert_eq!(
        h.matches("<div").count(),
        h.matches("</div>").count(),
        "{h}"
    );
    assert!(!h.contains("portico"), "{h}");
}

#[test]
fn markers_do_not_leak_as_text() {
    let p = page("- item\n\n    !!! note\n        in list\n\n    === \"T\"\n        tab\n");
    assert!(!p.html.contains("portico"), "{}", p.html);
    assert!(
        p.html.contains("<p class=\"admonition-title\">Note</p>"),
        "{}",
        p.html
    );
    assert!(
        p.html.contains("<label for=\"__tabbed_1_1\">T</label>"),
        "{}",
        p.html
    );
}
