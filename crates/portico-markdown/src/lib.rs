//! Markdown as documentation teams write it for mkdocs-material, rendered to
//! safe HTML: CommonMark with the GFM extensions, admonitions, alerts,
//! content tabs, highlighted code, heading anchors, a table of contents and
//! the page's sections for search.
//!
//! The output is a content fragment (no `<html>`/`<body>`) that cannot run
//! script: raw HTML in the source is sanitized, and only `http`, `https`,
//! `mailto` and relative URLs survive.
//!
//! # The HTML the theme styles
//!
//! Admonitions (`!!! note "Title"`) and GFM alerts (`> [!NOTE]`), as mkdocs
//! writes them; no title paragraph for `!!! note ""`; words after the type
//! are extra classes (`!!! note inline end`):
//! ```html
//! <div class="admonition note"><p class="admonition-title">Title</p> …body… </div>
//! ```
//! Collapsible blocks (`??? note "Title"`; `???+` adds `open=""`):
//! ```html
//! <details class="note"><summary>Title</summary> …body… </details>
//! ```
//! Content tabs (consecutive `=== "Title"` blocks), CSS-only like
//! mkdocs-material's alternate style. The radio inputs come first so that,
//! for tab *n*, `.tabbed-set > input:nth-child(n):checked ~ .tabbed-content >
//! .tabbed-block:nth-child(n)` can be shown and
//! `… ~ .tabbed-labels > label:nth-child(n)` marked active. `data-tabs` is
//! `set:count`; sets count from 1 per page, so ids are unique on the page.
//! ```html
//! <div class="tabbed-set tabbed-alternate" data-tabs="1:2">
//! <input checked="" id="__tabbed_1_1" name="__tabbed_1" type="radio">
//! <input id="__tabbed_1_2" name="__tabbed_1" type="radio">
//! <div class="tabbed-labels"><label for="__tabbed_1_1">A</label><label for="__tabbed_1_2">B</label></div>
//! <div class="tabbed-content">
//! <div class="tabbed-block"> …A… </div>
//! <div class="tabbed-block"> …B… </div>
//! </div>
//! </div>
//! ```
//! Code: `hl-*` classes are TextMate scope atoms (`hl-comment`,
//! `hl-string`, `hl-entity hl-name hl-tag`, …), styled by [`highlight_css`];
//! the `filename` span only for ```` ```yaml title="x.yaml" ````. Copy
//! buttons are the theme's to add. Mermaid blocks are left for mermaid.js
//! ([`RenderedPage::has_mermaid`] says when to load it).
//! ```html
//! <div class="highlight"><span class="filename">x.yaml</span><pre><code class="language-yaml">…</code></pre></div>
//! <pre class="mermaid">graph TD; A--&gt;B</pre>
//! ```
//! Headings carry their id and mkdocs' permalink:
//! ```html
//! <h2 id="install">Install<a class="headerlink" href="#install" title="Permanent link">¶</a></h2>
//! ```
//! Also: task lists are `<input disabled="" type="checkbox">` in `li`,
//! footnotes pulldown-cmark's `sup.footnote-reference` and
//! `div.footnote-definition`, table cell alignment an `align` attribute.

mod frontmatter;
mod highlight;
mod markup;
mod prepass;
mod render;
mod sanitize;
mod text;

pub use highlight::highlight_css;

/// `s` safe to place in HTML text and in quoted attribute values (single or
/// double): for HTML that code, not a template engine, writes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A code block highlighted as a fenced block in `lang` would be (the same
/// HTML and `hl-*` classes; see the crate docs), for code shown outside a
/// page, such as an API definition.
pub fn highlight_block(code: &str, lang: &str) -> String {
    highlight::code_block(
        code,
        &highlight::Info {
            lang: Some(lang.to_owned()).filter(|l| !l.is_empty()),
            title: None,
        },
    )
}

/// One entry of a page's table of contents.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TocEntry {
    /// 1 for `#`, 2 for `##`, ...
    pub level: u8,
    /// The heading's `id`, the anchor links use.
    pub id: String,
    /// The heading as plain text.
    pub title: String,
}

/// A run of a page's text under one heading: what a search hit points at.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Section {
    /// The heading as plain text; empty for text before the first heading.
    pub heading: String,
    /// The heading's `id`; empty for text before the first heading.
    pub anchor: String,
    /// Heading level (0 for text before the first heading).
    pub level: u8,
    /// The section's text, markup removed, whitespace collapsed.
    pub text: String,
}

/// Front matter (`---` YAML block at the top of a page) fields a site uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
}

/// A problem in a page that does not stop it rendering, at a 1-based line of
/// the source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageWarning {
    pub line: usize,
    pub message: String,
}

/// What the site makes of a relative link or image URL found in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRewrite {
    /// The URL to put in the HTML.
    pub href: String,
    /// Set when the target does not exist (a broken link): reported with the
    /// link's line; `href` is still used.
    pub warning: Option<String>,
}

/// Rewrites relative URLs (no scheme, not starting with `#`, `/` or `//`)
/// of links and images: `other.md#x` becomes the rendered page's URL.
/// The renderer passes the URL as written and its 1-based source line.
pub trait Links {
    fn rewrite(&self, url: &str, line: usize) -> LinkRewrite;
}

/// Leaves every URL as written.
pub struct KeepLinks;

impl Links for KeepLinks {
    fn rewrite(&self, url: &str, _line: usize) -> LinkRewrite {
        LinkRewrite {
            href: url.to_string(),
            warning: None,
        }
    }
}

/// Rendering settings.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {}

/// A rendered page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedPage {
    pub front_matter: FrontMatter,
    /// Front matter `title`, else the first level-1 heading's text.
    pub title: Option<String>,
    /// The sanitized HTML fragment.
    pub html: String,
    pub toc: Vec<TocEntry>,
    pub sections: Vec<Section>,
    pub warnings: Vec<PageWarning>,
    /// The page has ```` ```mermaid ```` blocks (the page must load mermaid).
    pub has_mermaid: bool,
}

/// Renders one page. `text` is the whole file, front matter included.
///
/// Never fails: what is wrong with the page (broken front matter, links the
/// site reports as broken) comes back in [`RenderedPage::warnings`], with
/// lines of `text`.
pub fn render(text: &str, links: &dyn Links, _options: &RenderOptions) -> RenderedPage {
    let split = frontmatter::split(text);
    let prepared = prepass::Prepared::new(split.body, split.first_line);
    let walked = render::walk(&prepared, links);
    // ammonia re-parses and re-serialises the fragment, which costs
    // several times as much as everything else together on a page with
    // highlighted code (every token is a span). It can only remove what raw
    // HTML brought in: without raw HTML events every tag was written by
    // pulldown-cmark or by us, all text and attribute values are escaped,
    // no `style` or event attribute is ever written, and every link and
    // image URL passed `sanitize::classify`, the scheme allow-list ammonia
    // applies. The `skipping_the_sanitizer_loses_nothing` test checks that
    // ammonia leaves such output unchanged.
    let html = if walked.has_raw_html {
        sanitize::clean(&walked.html)
    } else {
        walked.html
    };
    let mut warnings = split.warnings;
    warnings.extend(walked.warnings);
    let title = split.front_matter.title.clone().or(walked.first_h1);
    RenderedPage {
        front_matter: split.front_matter,
        title,
        html,
        toc: walked.toc,
        sections: walked.sections,
        warnings,
        has_mermaid: walked.has_mermaid,
    }
}
