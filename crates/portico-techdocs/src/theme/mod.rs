//! The HTML around each page: a complete document with mkdocs-material's
//! class names, so Backstage's TechDocs reader finds the navigation and the
//! content where it looks for them. Every link is relative, so the same
//! document works from the portal's static route and from a plain folder.

mod nav_html;
mod output;

use portico_markdown::TocEntry;

use crate::layout::root_prefix;
use crate::nav::NavNode;
use crate::site::{SiteMeta, THEME_DIR};

pub use output::{now_ms, output_files, search_index, write_static, OutputFile, SEARCH_INDEX_PATH};

const BASE_CSS: &str = include_str!("docs.css");
const SCRIPT: &str = include_str!("docs.js");

/// Content tabs switch by CSS alone: the nth radio button shows the nth
/// block. Sets with more tabs than this show only the first ones' content.
const MAX_TABS: usize = 20;

/// What one page contributes to its document.
#[derive(Debug, Clone, Copy)]
pub struct PageParts<'a> {
    /// Site-relative URL of the page (`""` for the home page).
    pub url: &'a str,
    pub title: &'a str,
    /// The sanitized content fragment.
    pub html: &'a str,
    pub toc: &'a [TocEntry],
    pub edit_url: Option<&'a str>,
    pub has_mermaid: bool,
    /// When the site was built, in milliseconds since the Unix epoch (the
    /// store's timestamps); shown in the footer when set.
    pub build_time: Option<i64>,
}

pub use portico_markdown::escape_html;

/// Whether a configured URL may be put in an `href`: `javascript:` and
/// other schemes from a config file must not become clickable.
pub(crate) fn is_safe_href(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || (lower.starts_with('/') && !lower.starts_with("//"))
}

/// The complete HTML document of one page.
pub fn page_document(meta: &SiteMeta, nav: &[NavNode], page: &PageParts) -> String {
    let root = root_prefix(page.url);
    let home = if root.is_empty() { "./" } else { &root };
    let site_name = escape_html(&meta.site_name);
    let title = escape_html(page.title);
    let mut doc = String::with_capacity(page.html.len() + 8 * 1024);

    doc.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    doc.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    doc.push_str("<meta name=\"generator\" content=\"Portico\">\n");
    if page.title.is_empty() || page.title == meta.site_name {
        doc.push_str(&format!("<title>{site_name}</title>\n"));
    } else {
        doc.push_str(&format!("<title>{title} - {site_name}</title>\n"));
    }
    if let Some(description) = &meta.site_description {
        doc.push_str(&format!(
            "<meta name=\"description\" content=\"{}\">\n",
            escape_html(description)
        ));
    }
    doc.push_str(&format!(
        "<link rel=\"stylesheet\" href=\"{root}{THEME_DIR}/docs.css\">\n"
    ));
    if page.has_mermaid {
        // Read by docs.js, which imports mermaid only on pages that need it.
        doc.push_str(&format!(
            "<meta name=\"portico:mermaid\" content=\"{}\">\n",
            escape_html(&meta.mermaid_url)
        ));
    }
    doc.push_str(&format!(
        "<script src=\"{root}{THEME_DIR}/docs.js\" defer></script>\n</head>\n"
    ));

    doc.push_str("<body dir=\"ltr\">\n");
    doc.push_str(
        "<input class=\"md-toggle\" type=\"checkbox\" id=\"__drawer\" autocomplete=\"off\">\n",
    );
    doc.push_str("<header class=\"md-header\" data-md-component=\"header\">\n");
    doc.push_str("<nav class=\"md-header__inner md-grid\" aria-label=\"Header\">\n");
    doc.push_str(
        "<label class=\"md-header__button md-icon\" for=\"__drawer\" title=\"Navigation\">&#9776;</label>\n",
    );
    doc.push_str(&format!(
        "<a class=\"md-header__title\" href=\"{home}\">{site_name}</a>\n"
    ));
    doc.push_str(&format!(
        "<span class=\"md-header__topic\">{title}</span>\n"
    ));
    if let Some(repo) = meta.repo_url.as_deref().filter(|u| is_safe_href(u)) {
        doc.push_str(&format!(
            "<a class=\"md-source\" href=\"{}\" rel=\"noopener\">Repository</a>\n",
            escape_html(repo)
        ));
    }
    doc.push_str("</nav>\n</header>\n");

    doc.push_str("<div class=\"md-container\">\n<main class=\"md-main\">\n");
    doc.push_str("<div class=\"md-main__inner md-grid\">\n");
    doc.push_str(
        "<div class=\"md-sidebar md-sidebar--primary\" data-md-component=\"sidebar\" data-md-type=\"navigation\">\n",
    );
    doc.push_str("<div class=\"md-sidebar__scrollwrap\"><div class=\"md-sidebar__inner\">\n");
    doc.push_str("<nav class=\"md-nav md-nav--primary\" aria-label=\"Navigation\">\n");
    doc.push_str(&format!(
        "<label class=\"md-nav__title\" for=\"__drawer\">{site_name}</label>\n"
    ));
    nav_html::primary(&mut doc, nav, page.url);
    doc.push_str("</nav>\n</div></div>\n</div>\n");

    doc.push_str(
        "<div class=\"md-sidebar md-sidebar--secondary\" data-md-component=\"sidebar\" data-md-type=\"toc\">\n",
    );
    doc.push_str("<div class=\"md-sidebar__scrollwrap\"><div class=\"md-sidebar__inner\">\n");
    nav_html::toc(&mut doc, page.toc);
    doc.push_str("</div></div>\n</div>\n");

    doc.push_str("<div class=\"md-content\" data-md-component=\"content\">\n");
    doc.push_str("<article class=\"md-content__inner md-typeset\">\n");
    if let Some(edit) = page.edit_url.filter(|u| is_safe_href(u)) {
        doc.push_str(&format!(
            "<a class=\"md-content__button md-icon\" href=\"{}\" title=\"Edit this page\" rel=\"edit noopener\">Edit</a>\n",
            escape_html(edit)
        ));
    }
    // mkdocs-material adds the title when the page has no heading of its own.
    if !page.html.contains("<h1") {
        doc.push_str(&format!("<h1>{title}</h1>\n"));
    }
    doc.push_str(page.html);
    doc.push_str("\n</article>\n</div>\n</div>\n</main>\n");

    doc.push_str("<footer class=\"md-footer\">\n<div class=\"md-footer-meta md-typeset\">\n");
    doc.push_str("<div class=\"md-footer-meta__inner md-grid\">Built by Portico");
    if let Some(time) = page.build_time {
        let (stamp, shown) = format_time(time);
        doc.push_str(&format!(" on <time datetime=\"{stamp}\">{shown}</time>"));
    }
    doc.push_str("</div>\n</div>\n</footer>\n</div>\n</body>\n</html>\n");
    doc
}

/// The theme's stylesheet: the static rules, the tab rules and the code
/// highlighting colours.
pub fn stylesheet() -> String {
    let mut css = String::with_capacity(BASE_CSS.len() + 16 * 1024);
    css.push_str(BASE_CSS);
    css.push_str(&tab_rules());
    css.push_str(&highlight_rules());
    css
}

/// The theme's script: copy buttons on code blocks, and mermaid on pages
/// that ask for it.
pub fn script() -> &'static str {
    SCRIPT
}

fn tab_rules() -> String {
    let mut shown = Vec::with_capacity(MAX_TABS);
    let mut labels = Vec::with_capacity(MAX_TABS);
    for n in 1..=MAX_TABS {
        shown.push(format!(
            ".md-typeset .tabbed-set > input:nth-child({n}):checked ~ .tabbed-content > .tabbed-block:nth-child({n})"
        ));
        labels.push(format!(
            ".md-typeset .tabbed-set > input:nth-child({n}):checked ~ .tabbed-labels > label:nth-child({n})"
        ));
    }
    format!(
        "\n/* Content tabs: the nth checked radio shows the nth block. */\n{} {{ display: block; }}\n{} {{ color: var(--md-accent); border-bottom-color: var(--md-accent); }}\n",
        shown.join(",\n"),
        labels.join(",\n")
    )
}

/// Syntax colours for the highlighter's `hl-` classes: the renderer's own
/// palettes, the dark one when the reader prefers a dark scheme.
fn highlight_rules() -> String {
    let light = portico_markdown::highlight_css(false);
    let dark = portico_markdown::highlight_css(true);
    format!("\n/* Code highlighting. */\n{light}@media (prefers-color-scheme: dark) {{\n{dark}}}\n")
}

/// `(RFC 3339 UTC, "YYYY-MM-DD HH:MM UTC")` of epoch milliseconds `ms`.
fn format_time(ms: i64) -> (String, String) {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    let (y, mo, d) = portico_model::time::civil_from_days(days);
    (
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}Z"),
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02} UTC"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(format_time(1_700_000_000_123).0, "2023-11-14T22:13:20Z");
        assert_eq!(format_time(0).1, "1970-01-01 00:00 UTC");
    }
}
