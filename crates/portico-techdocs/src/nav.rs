//! The site navigation: from `nav` in `mkdocs.yml`, or made from the
//! directory layout when there is none.

use std::collections::{BTreeMap, HashMap};

use crate::config::NavEntry;
use crate::layout::prettify;
use crate::tree::normalize;
use crate::warning::BuildWarning;

/// One entry of the navigation, stored as JSON with the site.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum NavNode {
    /// A page (or file) of the site; `url` is site-relative.
    Page { title: String, url: String },
    /// Anywhere else; `url` as written in the config.
    Link { title: String, url: String },
    Section {
        title: String,
        children: Vec<NavNode>,
    },
}

impl NavNode {
    pub fn title(&self) -> &str {
        match self {
            NavNode::Page { title, .. }
            | NavNode::Link { title, .. }
            | NavNode::Section { title, .. } => title,
        }
    }

    /// The first page under this node, depth first: where a collapsed
    /// section leads.
    pub fn first_page(&self) -> Option<&str> {
        match self {
            NavNode::Page { url, .. } => Some(url),
            NavNode::Link { .. } => None,
            NavNode::Section { children, .. } => children.iter().find_map(NavNode::first_page),
        }
    }

    /// Whether the page at `url` is this node or under it.
    pub fn contains(&self, url: &str) -> bool {
        match self {
            NavNode::Page { url: u, .. } => u == url,
            NavNode::Link { .. } => false,
            NavNode::Section { children, .. } => children.iter().any(|c| c.contains(url)),
        }
    }
}

/// What the navigation needs to know about the built files.
pub(crate) struct NavTargets<'a> {
    /// Docs-relative source → (url, title) of every built page.
    pub pages: &'a HashMap<String, (String, String)>,
    /// Docs-relative paths of the assets (their URL is the path).
    pub assets: &'a HashMap<String, usize>,
    /// The config file, for warnings.
    pub config_file: &'a str,
}

/// The configured navigation resolved against the built pages. An entry
/// naming a missing file is left out with a warning at its config line.
pub(crate) fn from_config(
    entries: &[NavEntry],
    targets: &NavTargets,
    warnings: &mut Vec<BuildWarning>,
) -> Vec<NavNode> {
    let mut out = Vec::new();
    for entry in entries {
        match entry {
            NavEntry::Page { title, path, line } => match resolve(path, targets) {
                Some((url, page_title)) => out.push(NavNode::Page {
                    title: title.clone().unwrap_or(page_title),
                    url,
                }),
                None => warnings.push(BuildWarning::new(
                    targets.config_file,
                    *line,
                    format!("the nav names {path:?}, which is not a page of the docs"),
                )),
            },
            NavEntry::Link { title, url } => out.push(NavNode::Link {
                title: title.clone(),
                url: url.clone(),
            }),
            NavEntry::Section { title, children } => {
                let children = from_config(children, targets, warnings);
                if !children.is_empty() {
                    out.push(NavNode::Section {
                        title: title.clone(),
                        children,
                    });
                }
            }
        }
    }
    out
}

/// A nav path's URL and default title: a page, a directory with an index
/// page, or an asset.
fn resolve(path: &str, targets: &NavTargets) -> Option<(String, String)> {
    let normalized = normalize(path)?.join("/");
    if let Some((url, title)) = targets.pages.get(&normalized) {
        return Some((url.clone(), title.clone()));
    }
    for index in ["index.md", "README.md"] {
        let candidate = if normalized.is_empty() {
            index.to_string()
        } else {
            format!("{normalized}/{index}")
        };
        if let Some((url, title)) = targets.pages.get(&candidate) {
            return Some((url.clone(), title.clone()));
        }
    }
    if targets.assets.contains_key(&normalized) {
        let name = normalized.rsplit('/').next().unwrap_or(&normalized);
        return Some((normalized.clone(), name.to_string()));
    }
    None
}

/// A navigation made from the layout of the pages: in each directory its
/// index page first, then the other pages by file name, then the
/// subdirectories, each a section named after the directory.
pub(crate) fn from_layout(pages: &[(String, String, String)]) -> Vec<NavNode> {
    #[derive(Default)]
    struct Dir<'a> {
        index: Option<NavNode>,
        pages: Vec<NavNode>,
        dirs: BTreeMap<&'a str, Dir<'a>>,
    }
    fn into_nodes(dir: Dir) -> Vec<NavNode> {
        let mut out: Vec<NavNode> = dir.index.into_iter().collect();
        out.extend(dir.pages);
        for (name, sub) in dir.dirs {
            let children = into_nodes(sub);
            if !children.is_empty() {
                out.push(NavNode::Section {
                    title: prettify(name),
                    children,
                });
            }
        }
        out
    }
    let mut root = Dir::default();
    // `pages` is (source, url, title), sorted by source.
    for (source, url, title) in pages {
        let mut parts: Vec<&str> = source.split('/').collect();
        let file = parts.pop().unwrap_or_default();
        let mut dir = &mut root;
        for part in parts {
            dir = dir.dirs.entry(part).or_default();
        }
        let node = NavNode::Page {
            title: title.clone(),
            url: url.clone(),
        };
        let is_index = matches!(file, "index.md" | "README.md" | "index.markdown");
        if is_index && dir.index.is_none() {
            dir.index = Some(node);
        } else {
            dir.pages.push(node);
        }
    }
    into_nodes(root)
}
