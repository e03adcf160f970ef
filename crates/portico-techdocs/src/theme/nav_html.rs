//! The navigation and table of contents of one page. Only the sections on
//! the way to the current page are expanded; the others are one link to
//! their first page, so a page of a 5000-page site does not carry 5000
//! links.

use portico_markdown::TocEntry;

use super::{escape_html, is_safe_href};
use crate::layout::{encode_path, relative_url};
use crate::nav::NavNode;

/// The primary navigation as seen from the page at `current`.
pub(super) fn primary(out: &mut String, nav: &[NavNode], current: &str) {
    list(out, nav, current, 1);
}

fn list(out: &mut String, nodes: &[NavNode], current: &str, level: usize) {
    out.push_str("<ul class=\"md-nav__list\">\n");
    for node in nodes {
        item(out, node, current, level);
    }
    out.push_str("</ul>\n");
}

fn item(out: &mut String, node: &NavNode, current: &str, level: usize) {
    match node {
        NavNode::Page { title, url } => {
            let href = escape_html(&encode_path(&relative_url(current, url)));
            let title = escape_html(title);
            if url == current {
                out.push_str(&format!(
                    "<li class=\"md-nav__item md-nav__item--active\"><a class=\"md-nav__link md-nav__link--active\" href=\"{href}\" aria-current=\"page\">{title}</a></li>\n"
                ));
            } else {
                out.push_str(&format!(
                    "<li class=\"md-nav__item\"><a class=\"md-nav__link\" href=\"{href}\">{title}</a></li>\n"
                ));
            }
        }
        NavNode::Link { title, url } => {
            let title = escape_html(title);
            if is_safe_href(url) {
                out.push_str(&format!(
                    "<li class=\"md-nav__item\"><a class=\"md-nav__link md-nav__link--external\" href=\"{}\" rel=\"noopener\">{title}</a></li>\n",
                    escape_html(url)
                ));
            } else {
                out.push_str(&format!(
                    "<li class=\"md-nav__item\"><span class=\"md-nav__link\">{title}</span></li>\n"
                ));
            }
        }
        NavNode::Section { title, children } => {
            let title = escape_html(title);
            if node.contains(current) {
                out.push_str(&format!(
                    "<li class=\"md-nav__item md-nav__item--active md-nav__item--nested\">\n<span class=\"md-nav__link md-nav__link--section\">{title}</span>\n<nav class=\"md-nav\" data-md-level=\"{level}\" aria-label=\"{title}\">\n"
                ));
                list(out, children, current, level + 1);
                out.push_str("</nav>\n</li>\n");
            } else {
                match node.first_page() {
                    Some(first) => {
                        let href = escape_html(&encode_path(&relative_url(current, first)));
                        out.push_str(&format!(
                            "<li class=\"md-nav__item md-nav__item--nested\"><a class=\"md-nav__link md-nav__link--collapsed\" href=\"{href}\">{title}</a></li>\n"
                        ));
                    }
                    None => out.push_str(&format!(
                        "<li class=\"md-nav__item md-nav__item--nested\"><span class=\"md-nav__link\">{title}</span></li>\n"
                    )),
                }
            }
        }
    }
}

/// The table of contents: the page's headings below its title.
pub(super) fn toc(out: &mut String, toc: &[TocEntry]) {
    let entries: Vec<&TocEntry> = toc.iter().filter(|e| (2..=3).contains(&e.level)).collect();
    if entries.is_empty() {
        return;
    }
    out.push_str("<nav class=\"md-nav md-nav--secondary\" aria-label=\"Table of contents\">\n");
    out.push_str("<label class=\"md-nav__title\">Table of contents</label>\n");
    out.push_str("<ul class=\"md-nav__list\">\n");
    for entry in entries {
        out.push_str(&format!(
            "<li class=\"md-nav__item md-nav__item--level-{}\"><a class=\"md-nav__link\" href=\"#{}\">{}</a></li>\n",
            entry.level,
            escape_html(&entry.id),
            escape_html(&entry.title)
        ));
    }
    out.push_str("</ul>\n</nav>\n");
}
