//! Integration tests of `portico_markdown::render`, one module per feature.

mod blocks;
mod code;
mod front_matter;
mod headings;
mod links;
mod markdown;
mod security;

use std::cell::RefCell;

use portico_markdown::{render, KeepLinks, LinkRewrite, Links, RenderOptions, RenderedPage};

/// Renders with URLs kept as written.
pub fn page(md: &str) -> RenderedPage {
    render(md, &KeepLinks, &RenderOptions::default())
}

pub fn html(md: &str) -> String {
    page(md).html
}

/// A site that records what it was asked, prefixes hrefs with `/site/`, and
/// reports targets starting with `missing` as broken.
#[derive(Default)]
pub struct Recorder {
    pub calls: RefCell<Vec<(String, usize)>>,
}

impl Links for Recorder {
    fn rewrite(&self, url: &str, line: usize) -> LinkRewrite {
        self.calls.borrow_mut().push((url.to_string(), line));
        LinkRewrite {
            href: format!("/site/{url}"),
            warning: url.starts_with("missing").then(|| format!("no page {url}")),
        }
    }
}

impl Recorder {
    pub fn render(&self, md: &str) -> RenderedPage {
        render(md, self, &RenderOptions::default())
    }

    pub fn calls(&self) -> Vec<(String, usize)> {
        self.calls.borrow().clone()
    }
}
