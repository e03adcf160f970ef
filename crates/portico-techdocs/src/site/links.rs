//! Relative links between the files of a site: `other.md#x` written in a
//! page becomes the URL the other page is served at, relative to this
//! page's URL, so the site works under any prefix.

use std::cell::RefCell;
use std::collections::HashMap;

use portico_markdown::{LinkRewrite, Links};

use crate::config::is_url;
use crate::layout::{encode_path, relative_url};
use crate::tree::normalize;

/// Every file of the site a link can name, by docs-relative path.
pub(crate) struct SiteIndex {
    /// Source → URL of each page.
    pub pages: HashMap<String, String>,
    /// Docs-relative paths of the assets (their URL is their path).
    pub assets: HashMap<String, usize>,
    /// Directory → URL of its index page.
    pub dirs: HashMap<String, String>,
}

/// Why a link leads nowhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Broken {
    /// The path climbs out of the docs directory.
    Escapes,
    /// Nothing of the site is at the path (docs-relative, normalized).
    Missing(String),
}

impl SiteIndex {
    /// The site URL `path` names, read from the directory `base`
    /// (docs-relative, `""` for the top).
    pub fn target(&self, base: &str, path: &str) -> Result<String, Broken> {
        let joined = if base.is_empty() {
            path.to_string()
        } else {
            format!("{base}/{path}")
        };
        let parts = normalize(&joined).ok_or(Broken::Escapes)?;
        let resolved = parts.join("/");
        // A trailing slash is dropped as mkdocs' path normalization does:
        // `page.md/#x` still names `page.md`.
        if let Some(url) = self.pages.get(&resolved) {
            return Ok(url.clone());
        }
        if self.assets.contains_key(&resolved) {
            return Ok(resolved);
        }
        // `dir/` or `dir`: the directory's index page.
        if let Some(url) = self.dirs.get(&resolved) {
            return Ok(url.clone());
        }
        Err(Broken::Missing(resolved))
    }
}

/// The links of one page, with the problems found while rewriting them.
pub(crate) struct PageLinks<'a> {
    pub index: &'a SiteIndex,
    /// The page's docs-relative directory.
    pub base: &'a str,
    /// The page's URL.
    pub url: &'a str,
    /// (line, message) of each broken link; the renderer reports them as
    /// well, and the builder keeps one of each.
    pub broken: RefCell<Vec<(usize, String)>>,
}

impl PageLinks<'_> {
    fn broken(&self, line: usize, message: String) {
        if let Ok(mut broken) = self.broken.try_borrow_mut() {
            broken.push((line, message));
        }
    }
}

impl Links for PageLinks<'_> {
    fn rewrite(&self, url: &str, line: usize) -> LinkRewrite {
        let keep = |href: &str| LinkRewrite {
            href: href.to_string(),
            warning: None,
        };
        if url.is_empty() || url.starts_with('#') || url.starts_with("//") || is_url(url) {
            return keep(url);
        }
        let (rest, fragment) = match url.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (url, None),
        };
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        if path.is_empty() {
            return keep(url);
        }
        let decoded = percent_decode(path);
        match self.index.target(self.base, &decoded) {
            Ok(target) => {
                let mut href = encode_path(&relative_url(self.url, &target));
                if let Some(query) = query {
                    href.push('?');
                    href.push_str(query);
                }
                if let Some(fragment) = fragment {
                    href.push('#');
                    href.push_str(fragment);
                }
                keep(&href)
            }
            Err(Broken::Escapes) => {
                let message = format!(
                    "the link {url:?} leads outside the docs directory; it is not resolved"
                );
                self.broken(line, message.clone());
                LinkRewrite {
                    href: "#".to_string(),
                    warning: Some(message),
                }
            }
            Err(Broken::Missing(resolved)) => {
                let what = if crate::layout::is_markdown(&resolved) {
                    "page"
                } else {
                    "file"
                };
                let message = format!(
                    "the link {url:?} names {resolved:?}, which is not a {what} of the docs"
                );
                self.broken(line, message.clone());
                LinkRewrite {
                    href: url.to_string(),
                    warning: Some(message),
                }
            }
        }
    }
}

/// `%XX` escapes decoded, so `my%20page.md` finds `my page.md`. Invalid
/// escapes and non-UTF-8 results leave the text as written.
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(value) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(value);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}
