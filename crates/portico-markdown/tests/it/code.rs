//! Fenced and indented code, highlighting and mermaid.

use crate::{html, page};

#[test]
fn yaml_is_highlighted_with_classes() {
    assert_eq!(
        html("```yaml\nkind: Pod # c\n```\n"),
        concat!(
            "<div class=\"highlight\"><pre><code class=\"language-yaml\">",
            "<span class=\"hl-entity hl-name hl-tag\">kind</span><span class=\"hl-punctuation\">:</span> ",
            "<span class=\"hl-string\">Pod</span> <span class=\"hl-comment\"># c</span>\n",
            "</code></pre></div>\n"
        )
    );
}

#[test]
fn other_languages_use_syntect_classes_never_styles() {
    let h = html("```python\ndef f():\n    return 1\n```\n");
    assert!(
        h.contains("<code class=\"language-python\"><span class=\"hl-source hl-python\">"),
        "{h}"
    );
    assert!(h.contains("hl-storage hl-type hl-function"), "{h}");
    assert!(!h.contains("style"), "{h}");
}

#[test]
fn info_string_forms() {
    let h = html("```bash title=\"restart.sh\" linenums=\"1\"\nsystemctl restart api\n```\n");
    assert!(
        h.starts_with("<div class=\"highlight\"><span class=\"filename\">restart.sh</span><pre><code class=\"language-bash\">"),
        "{h}"
    );
    assert!(
        h.contains("<span class=\"hl-variable hl-function\">systemctl</span>"),
        "{h}"
    );
    let h = html("``` {.python}\nx = 1\n```\n");
    assert!(
        h.contains("<code class=\"language-python\"><span class=\"hl-source hl-python\">"),
        "{h}"
    );
}

#[test]
fn unknown_language_and_no_language_are_escaped_text() {
    assert_eq!(
        html("```nosuchlang\n<b>&</b>\n```\n"),
        "<div class=\"highlight\"><pre><code class=\"language-nosuchlang\">&lt;b&gt;&amp;&lt;/b&gt;\n</code></pre></div>\n"
    );
    assert_eq!(
        html("```\nplain \"text\"\n```\n"),
        "<div class=\"highlight\"><pre><code>plain \"text\"\n</code></pre></div>\n"
    );
}

#[test]
fn indented_code_is_not_highlighted() {
    assert_eq!(
        html("Text:\n\n    kind: Pod <x>\n"),
        "<p>Text:</p>\n<div class=\"highlight\"><pre><code>kind: Pod &lt;x&gt;\n</code></pre></div>\n"
    );
}

#[test]
fn mermaid_is_left_for_the_browser() {
    let p = page("```mermaid\ngraph TD\n  A-->B[\"<b>x</b>\"]\n```\n");
    assert_eq!(
        p.html,
        "<pre class=\"mermaid\">graph TD\n  A--&gt;B[\"&lt;b&gt;x&lt;/b&gt;\"]\n</pre>\n"
    );
    assert!(p.has_mermaid);
    assert!(!page("```yaml\na: 1\n```\n").has_mermaid);
}

#[test]
fn code_keeps_straight_quotes_and_dashes() {
    let h = html("Run `--force \"x\"` or:\n\n```\nkubectl --force \"x\" ...\n```\n\nProse --flag \"q\" ...\n");
    assert!(h.contains("<code>--force \"x\"</code>"), "{h}");
    assert!(h.contains("kubectl --force \"x\" ..."), "{h}");
    // Smart punctuation is off in prose too (see `render::OPTIONS`).
    assert!(h.contains("Prose --flag \"q\" ..."), "{h}");
}

#[test]
fn highlight_css_styles_the_classes_the_html_uses() {
    let css = portico_markdown::highlight_css(false);
    for class in [
        "hl-comment",
        "hl-string",
        "hl-keyword",
        "hl-entity.hl-name.hl-tag",
        "hl-variable.hl-function",
    ] {
        assert!(
            css.contains(&format!(".highlight .{class}{{")),
            "{class} in {css}"
        );
    }
    assert_ne!(css, portico_markdown::highlight_css(true));
}
