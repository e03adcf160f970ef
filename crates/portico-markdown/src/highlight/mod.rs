//! Fenced and indented code blocks: server-side highlighting with syntect,
//! as CSS classes (`hl-` + each atom of the TextMate scope), so the theme
//! owns the colours and light/dark switching costs nothing at render time.

mod css;
mod lexer;
mod shell;
mod yaml;

use std::sync::OnceLock;

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

use crate::text::{escape_into, escape_text_into};

pub use css::highlight_css;

/// The prefix of every highlighting class, so they cannot clash with the
/// theme's own class names.
const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// syntect's bundled grammars, loaded on first use: deserialising them takes
/// tens of milliseconds, far too much per page.
fn syntaxes() -> &'static SyntaxSet {
    static SYNTAXES: OnceLock<SyntaxSet> = OnceLock::new();
    SYNTAXES.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// What a fence's info string says about its block.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Info {
    /// The language as written (`yaml`, `Python`), if any.
    pub(crate) lang: Option<String>,
    /// `title="..."`: a file name shown above the block.
    pub(crate) title: Option<String>,
}

impl Info {
    /// Reads ```` ```yaml ````, ```` ```bash title="x" linenums="1" ```` and
    /// the attribute-list form ```` ```{.python title="x"} ````.
    pub(crate) fn parse(info: &str) -> Info {
        let info = info.trim();
        let (lang, attrs) = match info.strip_prefix('{') {
            Some(inner) => {
                let inner = inner.trim_end().strip_suffix('}').unwrap_or(inner);
                let lang = inner
                    .split_whitespace()
                    .find_map(|t| t.strip_prefix('.'))
                    .map(str::to_string);
                (lang, inner)
            }
            None => {
                let end = info
                    .find(|c: char| c.is_whitespace() || c == '{')
                    .unwrap_or(info.len());
                let (lang, rest) = info.split_at(end);
                let lang = lang.strip_prefix('.').unwrap_or(lang);
                ((!lang.is_empty()).then(|| lang.to_string()), rest)
            }
        };
        Info {
            lang,
            title: attribute(attrs, "title"),
        }
    }

    pub(crate) fn is_mermaid(&self) -> bool {
        self.lang
            .as_deref()
            .is_some_and(|l| l.eq_ignore_ascii_case("mermaid"))
    }
}

/// The value of `key="value"` (or `key='value'`) in an info string.
fn attribute(attrs: &str, key: &str) -> Option<String> {
    let mut rest = attrs;
    while let Some(at) = rest.find(key) {
        let before_ok = rest[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || c == '{');
        let after = &rest[at + key.len()..];
        if let (true, Some(value)) = (before_ok, after.strip_prefix('=')) {
            let quote = value.chars().next()?;
            if quote == '"' || quote == '\'' {
                let value = &value[1..];
                return value.find(quote).map(|end| value[..end].to_string());
            }
            let end = value.find(char::is_whitespace).unwrap_or(value.len());
            return Some(value[..end].trim_end_matches('}').to_string());
        }
        rest = after;
    }
    None
}

/// How a language is highlighted.
enum Highlighter {
    /// Our own lexers for the languages most blocks are in (see `lexer`).
    Yaml,
    Shell {
        session: bool,
    },
    Json,
    Syntect(&'static SyntaxReference),
}

/// The highlighter for a fence's language, with the names people put on
/// fences that syntect's grammars know by another name.
fn highlighter(lang: &str) -> Option<Highlighter> {
    let lower = lang.to_ascii_lowercase();
    let token = match lower.as_str() {
        // Plain text gains nothing from a grammar but spans.
        "text" | "txt" | "plain" | "plaintext" | "none" | "output" => return None,
        "yaml" | "yml" => return Some(Highlighter::Yaml),
        "bash" | "sh" | "shell" | "zsh" | "ksh" => {
            return Some(Highlighter::Shell { session: false })
        }
        "console" | "shell-session" | "shellsession" => {
            return Some(Highlighter::Shell { session: true })
        }
        "json" | "jsonc" | "json5" => return Some(Highlighter::Json),
        "golang" => "go",
        "ts" | "typescript" | "tsx" | "jsx" | "javascript" | "node" => "js",
        "py" | "python3" => "python",
        "patch" => "diff",
        "c++" => "cpp",
        other => other,
    };
    syntaxes()
        .find_syntax_by_token(token)
        .map(Highlighter::Syntect)
}

/// The HTML of a highlighted code block.
///
/// ```html
/// <div class="highlight"><span class="filename">x.yaml</span><pre><code class="language-yaml">…spans…</code></pre></div>
/// ```
///
/// The `filename` span only when the fence has `title="…"`; `class` on
/// `code` only when it names a language. Unknown languages are escaped
/// text, still with their `language-` class.
pub(crate) fn code_block(code: &str, info: &Info) -> String {
    let mut out = String::with_capacity(code.len() * 3 + 80);
    out.push_str("<div class=\"highlight\">");
    if let Some(title) = &info.title {
        out.push_str("<span class=\"filename\">");
        escape_text_into(&mut out, title);
        out.push_str("</span>");
    }
    out.push_str("<pre><code");
    if let Some(lang) = &info.lang {
        out.push_str(" class=\"language-");
        escape_into(&mut out, lang);
        out.push('"');
    }
    out.push('>');
    match info.lang.as_deref().and_then(highlighter) {
        Some(Highlighter::Yaml) => out.push_str(&yaml::yaml(code)),
        Some(Highlighter::Shell { session }) => out.push_str(&shell::shell(code, session)),
        Some(Highlighter::Json) => out.push_str(&lexer::json(code)),
        Some(Highlighter::Syntect(syntax)) => match highlight(code, syntax) {
            // syntect also escapes quotes in text; html5ever does not, and
            // pages that skip the sanitizer should read like those that do.
            Ok(html) => out.push_str(&html.replace("&quot;", "\"").replace("&#39;", "'")),
            // A grammar whose regex the pure-Rust engine cannot run must not
            // cost the reader the code itself.
            Err(_) => escape_text_into(&mut out, code),
        },
        None => escape_text_into(&mut out, code),
    }
    out.push_str("</code></pre></div>\n");
    out
}

/// A mermaid diagram: its source, escaped, for the page's mermaid script.
pub(crate) fn mermaid_block(code: &str) -> String {
    let mut out = String::from("<pre class=\"mermaid\">");
    escape_text_into(&mut out, code);
    out.push_str("</pre>\n");
    out
}

fn highlight(code: &str, syntax: &SyntaxReference) -> Result<String, syntect::Error> {
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, syntaxes(), CLASS_STYLE);
    for line in LinesWithEndings::from(code) {
        generator.parse_html_for_line_which_includes_newline(line)?;
    }
    Ok(generator.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(lang: Option<&str>, title: Option<&str>) -> Info {
        Info {
            lang: lang.map(str::to_string),
            title: title.map(str::to_string),
        }
    }

    #[test]
    fn info_strings() {
        assert_eq!(Info::parse("yaml"), info(Some("yaml"), None));
        assert_eq!(
            Info::parse(" bash title=\"run it.sh\" linenums=\"1\""),
            info(Some("bash"), Some("run it.sh"))
        );
        assert_eq!(
            Info::parse("{.python title='a.py'}"),
            info(Some("python"), Some("a.py"))
        );
        assert_eq!(
            Info::parse("{ .python .numberLines }"),
            info(Some("python"), None)
        );
        assert_eq!(Info::parse("python{1,3}"), info(Some("python"), None));
        assert_eq!(Info::parse(""), info(None, None));
        assert_eq!(Info::parse("text subtitle=\"x\""), info(Some("text"), None));
        assert!(Info::parse("Mermaid").is_mermaid());
    }

    #[test]
    fn syntect_language_gets_classes() {
        let html = code_block("def f(): # c\n    pass\n", &info(Some("py"), None));
        assert!(
            html.starts_with("<div class=\"highlight\"><pre><code class=\"language-py\"><span class=\"hl-source hl-python\">"),
            "{html}"
        );
        assert!(html.contains("<span class=\"hl-comment"), "{html}");
        assert!(!html.contains("style="), "{html}");
    }

    #[test]
    fn own_lexers_get_the_same_classes() {
        let html = code_block("key: 1 # c\n", &info(Some("yml"), None));
        assert!(
            html.contains("<span class=\"hl-entity hl-name hl-tag\">key</span>"),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"hl-comment\"># c</span>"),
            "{html}"
        );
        let html = code_block("ls -l\n", &info(Some("shell"), None));
        assert!(
            html.contains("<span class=\"hl-variable hl-function\">ls</span>"),
            "{html}"
        );
        let html = code_block("[1]\n", &info(Some("JSON"), None));
        assert!(
            html.contains("<span class=\"hl-constant hl-numeric\">1</span>"),
            "{html}"
        );
    }

    #[test]
    fn aliases_find_highlighters() {
        for lang in ["golang", "ts", "py", "diff", "Rust"] {
            assert!(
                matches!(highlighter(lang), Some(Highlighter::Syntect(_))),
                "{lang}"
            );
        }
        assert!(matches!(
            highlighter("console"),
            Some(Highlighter::Shell { session: true })
        ));
        assert!(matches!(highlighter("YAML"), Some(Highlighter::Yaml)));
        assert!(highlighter("text").is_none());
        assert!(highlighter("no-such-language").is_none());
    }

    #[test]
    fn unknown_language_is_escaped_text() {
        let html = code_block("<b>&</b>\n", &info(Some("nosuch"), Some("<t>")));
        assert_eq!(
            html,
            "<div class=\"highlight\"><span class=\"filename\">&lt;t&gt;</span><pre><code class=\"language-nosuch\">&lt;b&gt;&amp;&lt;/b&gt;\n</code></pre></div>\n"
        );
    }

    #[test]
    fn highlighted_code_is_escaped() {
        let html = code_block("echo '<script>'\n", &info(Some("bash"), None));
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }
}
