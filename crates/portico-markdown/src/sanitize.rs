//! What keeps a page from running script in the portal: the URL scheme
//! allow-list, applied by the renderer to every link and image it writes,
//! and ammonia over the HTML of every page that contains raw HTML.

use std::sync::OnceLock;

use ammonia::Builder;

/// The schemes a link or image may use; everything else (`javascript:`,
/// `data:`, `vbscript:`, `file:`, ...) is dropped.
const ALLOWED_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// What a link or image URL is, for the renderer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlKind {
    /// Relative to the page (`other.md#x`, `img/a.png`): the site rewrites it.
    Relative,
    /// Kept as written: an allowed scheme, `#fragment`, `/path`, `//host`,
    /// or empty.
    Keep,
    /// A scheme outside the allow-list: the URL must not reach the HTML.
    Blocked,
}

/// Classifies `url` the way the browser will read it.
///
/// Mirrors the WHATWG URL parser that ammonia (through the `url` crate) and
/// browsers use: leading and trailing C0 controls and spaces are ignored,
/// tabs and newlines anywhere are removed, and the scheme is compared without
/// regard to case. So ` JaVa\tScript:` is still `javascript:`. Character
/// references (`&#106;`) are already decoded by pulldown-cmark.
pub(crate) fn classify(url: &str) -> UrlKind {
    let trimmed = url.trim_matches(|c: char| c <= ' ');
    if trimmed.is_empty() || trimmed.starts_with(['#', '/', '\\']) {
        return UrlKind::Keep;
    }
    match scheme(trimmed) {
        Some(s) if ALLOWED_SCHEMES.iter().any(|a| a.eq_ignore_ascii_case(&s)) => UrlKind::Keep,
        Some(_) => UrlKind::Blocked,
        None => UrlKind::Relative,
    }
}

/// The scheme of `url`, if it has one: an ASCII letter, then letters,
/// digits, `+`, `-` or `.`, then `:`, with tabs and newlines skipped.
fn scheme(url: &str) -> Option<String> {
    let mut scheme = String::new();
    for c in url.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')) {
        match c {
            ':' if !scheme.is_empty() => return Some(scheme),
            c if c.is_ascii_alphabetic() => scheme.push(c),
            c if !scheme.is_empty() && (c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) => {
                scheme.push(c);
            }
            _ => return None,
        }
    }
    None
}

/// Sanitizes a rendered fragment: only the tags and attributes our own
/// markup and ordinary Markdown produce, and URLs with allowed schemes or
/// none. Script, style, iframes, forms, objects, event handlers and `style`
/// attributes go.
pub(crate) fn clean(html: &str) -> String {
    sanitizer().clean(html).to_string()
}

/// The ammonia configuration, built once: building it allocates a dozen
/// hash sets.
fn sanitizer() -> &'static Builder<'static> {
    static SANITIZER: OnceLock<Builder<'static>> = OnceLock::new();
    SANITIZER.get_or_init(|| {
        let mut b = Builder::default();
        b.add_tags(["input", "label"])
            .add_generic_attributes(["class", "id"])
            .add_tag_attributes("input", ["checked", "disabled", "name"])
            // Task lists and content tabs; no text fields or buttons.
            .add_tag_attribute_values("input", "type", ["checkbox", "radio"])
            .add_tag_attributes("label", ["for"])
            .add_tag_attributes("details", ["open"])
            .add_tag_attributes("div", ["data-tabs"])
            .url_schemes(ALLOWED_SCHEMES.into_iter().collect())
            // Links never get `target`, so `noopener` protects nothing and
            // would only differ from pages that skip this pass.
            .link_rel(None);
        b
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_urls() {
        for keep in [
            "https://x",
            "HTTP://x",
            "mailto:a@b",
            "#frag",
            "/abs",
            "//host/x",
            "",
        ] {
            assert_eq!(classify(keep), UrlKind::Keep, "{keep}");
        }
        for rel in ["other.md", "../a/b.md#x", "img/a.png", "1abc:x", "ünï:x"] {
            assert_eq!(classify(rel), UrlKind::Relative, "{rel}");
        }
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " \u{1}javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "vbscript:x",
            "data:text/html,<script>",
            "file:///etc/passwd",
            "c:\\windows",
        ] {
            assert_eq!(classify(bad), UrlKind::Blocked, "{bad:?}");
        }
    }

    #[test]
    fn ammonia_keeps_our_markup() {
        let ours = concat!(
            r#"<div class="tabbed-set" data-tabs="1:2"><input checked="" id="t1" name="s" type="radio">"#,
            r#"<label for="t1">A</label></div><details class="note" open=""><summary>S</summary></details>"#,
            r#"<input disabled="" type="checkbox"><a href="x.html#y" title="t">a</a>"#
        );
        assert_eq!(clean(ours), ours);
    }

    #[test]
    fn ammonia_strips_dangerous_markup() {
        let html = clean(concat!(
            r#"<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">a</a>"#,
            r#"<iframe src="https://e"></iframe><style>p{}</style><p style="color:red">p</p>"#,
            r#"<form><input type="text" name="n"></form><object data="x"></object><img src="data:image/png;base64,AA">"#
        ));
        for bad in [
            "script", "alert", "iframe", "style", "form", "object", "data:", "text",
        ] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
    }

    /// Every feature, and every way to smuggle markup or a URL in through
    /// Markdown alone, without raw HTML.
    const NO_RAW_HTML: &str = r#"---
title: Kitchen sink
---
Intro with *emphasis*, **strong**, ~~gone~~, `code`, a hard break\
and "quotes" & 'apostrophes' < > in text.

# Heading {#custom .cls onclick=alert(1)}
## Heading with [link](page.md "Title \"q\"") and ![img](i.png 'T')
### `<script>` in code

!!! warning "Title <script>alert(1)</script> & `code`"
    Body [js](javascript:alert(1)) [JS](JaVaScRiPt:alert(1)) [ent](&#106;avascript:alert(1))
    [tab](java&#9;script:alert(1)) [vb](vbscript:x) ![data](data:image/png;base64,AA)

    ??? note "Nested \"details\""
        - [x] task
        - [ ] other

=== "Tab \"one\" <b>"
    ```yaml title="a \"b\" <c>"
    key: "value <x>" # comment & more
    list: [a, 'b', {c: d}]
    block: |
      text </code>
    ```

===+ "Two"
    ```console
    $ kubectl get pods -o jsonpath='{.items[*]}' | grep "<x>" > out
    output & more
    ```

> [!CAUTION]
> Careful with [ref][r] and <https://auto.example.com/?a=1&b=2> and <ops@example.com>.

| Left | Center | Right |
|:-----|:------:|------:|
| `a\|b` | \<x> | &amp; |

Term
: Definition with footnote[^a "b] and[^2].

```"><script>alert(1)</script>
code
```

```json
{"k": "<v>", "n": [1, true, null]}
```

```python
def f(x): return "<s>"  # c
```

```go
func main() { fmt.Println("<g>") }
```

```mermaid
graph TD; A-->B["</pre><script>alert(1)</script>"]
```

    indented <code> & "quotes"

***

[r]: https://example.com/ref?x=1&y=2 "Ref title"
[^a "b]: Footnote one.
[^2]: Footnote two with [link](missing.md).
"#;

    #[test]
    fn skipping_the_sanitizer_loses_nothing() {
        let split = crate::frontmatter::split(NO_RAW_HTML);
        let prepared = crate::prepass::Prepared::new(split.body, split.first_line);
        let walked = crate::render::walk(&prepared, &crate::KeepLinks);
        assert!(!walked.has_raw_html);
        // Not a tag, attribute or URL would be removed, and even the
        // serialisation is the same.
        assert_eq!(clean(&walked.html), walked.html);
    }

    #[test]
    fn only_raw_html_needs_the_sanitizer() {
        let walk = |md: &str| {
            crate::render::walk(&crate::prepass::Prepared::new(md, 1), &crate::KeepLinks)
        };
        assert!(walk("<b>x</b>").has_raw_html);
        assert!(walk("Text <b>x</b>").has_raw_html);
        assert!(walk("<!-- c -->").has_raw_html);
        assert!(!walk("!!! note\n    x\n\n=== \"T\"\n    y\n").has_raw_html);
        assert!(!walk("`<b>` [x](javascript:y)").has_raw_html);
    }
}
