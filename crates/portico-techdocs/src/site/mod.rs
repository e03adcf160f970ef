//! Building a site: every Markdown page of the docs directory rendered, the
//! other files kept as assets, and the navigation resolved. The result is
//! data; [`crate::theme`] turns it into HTML documents.

mod include;
mod links;

pub use links::percent_decode;
mod render;

use std::collections::HashMap;

use portico_markdown::{RenderOptions, Section, TocEntry};

use crate::config::{load_config, ConfigError, MkdocsConfig, CONFIG_FILES};
use crate::layout::{content_type, default_title, is_markdown, page_output};
use crate::nav::{self, NavNode, NavTargets};
use crate::theme;
use crate::tree::{DocTree, TreeError};
use crate::warning::BuildWarning;
use links::SiteIndex;
use render::{Job, Renderer};

/// Where the theme's own files live in every site.
pub const THEME_DIR: &str = "_portico";

/// The mermaid build pages with diagrams load, unless configured otherwise.
pub const DEFAULT_MERMAID_URL: &str =
    "https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs";

#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The site name when there is no `mkdocs.yml` (or it names none):
    /// usually the entity's name.
    pub default_site_name: String,
    pub render: RenderOptions,
    /// The ES module pages with mermaid diagrams import.
    pub mermaid_url: String,
    /// Paths relative to the tree root (files or directories) left out of
    /// the site, e.g. a previous build's output inside the source.
    pub exclude: Vec<String>,
    /// Render threads; 0 uses every core.
    pub threads: usize,
}

impl Default for BuildOptions {
    fn default() -> BuildOptions {
        BuildOptions {
            default_site_name: "Documentation".to_string(),
            render: RenderOptions::default(),
            mermaid_url: DEFAULT_MERMAID_URL.to_string(),
            exclude: Vec::new(),
            threads: 0,
        }
    }
}

impl Page {
    /// What the theme needs of this page.
    pub fn parts(&self, build_time: Option<i64>) -> crate::theme::PageParts<'_> {
        crate::theme::PageParts {
            url: &self.url,
            title: &self.title,
            html: &self.html,
            toc: &self.toc,
            edit_url: self.edit_url.as_deref(),
            has_mermaid: self.has_mermaid,
            build_time,
        }
    }
}

/// Site-wide settings the theme needs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SiteMeta {
    pub site_name: String,
    pub site_description: Option<String>,
    pub repo_url: Option<String>,
    /// The resolved edit base (see [`MkdocsConfig::edit_uri`]).
    pub edit_uri: Option<String>,
    pub use_directory_urls: bool,
    pub mermaid_url: String,
    /// `docs_dir` relative to the source root; empty for the root itself.
    #[serde(default)]
    pub docs_dir: String,
}

impl Default for SiteMeta {
    fn default() -> SiteMeta {
        SiteMeta {
            site_name: String::new(),
            site_description: None,
            repo_url: None,
            edit_uri: None,
            use_directory_urls: true,
            mermaid_url: DEFAULT_MERMAID_URL.to_string(),
            docs_dir: "docs".to_string(),
        }
    }
}

/// One rendered page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Page {
    /// The output file, e.g. `runbook/index.html`.
    pub path: String,
    /// Site-relative URL, e.g. `runbook/` (`""` for the home page).
    pub url: String,
    /// Docs-relative source, e.g. `runbook.md`.
    pub source: String,
    /// The nav title, else front matter or first heading, else the file
    /// name prettified.
    pub title: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// The sanitized content fragment.
    pub html: String,
    pub toc: Vec<TocEntry>,
    pub sections: Vec<Section>,
    pub has_mermaid: bool,
    pub edit_url: Option<String>,
}

/// A file served as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Site-relative path, which is also its URL.
    pub path: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Site {
    pub meta: SiteMeta,
    /// Sorted by path.
    pub pages: Vec<Page>,
    /// Sorted by path; the theme's files included.
    pub assets: Vec<Asset>,
    pub nav: Vec<NavNode>,
    pub warnings: Vec<BuildWarning>,
    /// Remarks that do not fail a strict build.
    pub notes: Vec<String>,
}

/// Why no site could be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Tree(#[from] TreeError),
    #[error("the docs directory {docs_dir:?} does not exist in {source_name} (or holds no files)")]
    NoDocsDir {
        docs_dir: String,
        source_name: String,
    },
    #[error("the docs directory {docs_dir:?} holds no Markdown pages")]
    NoPages { docs_dir: String },
}

/// Builds the site of `tree`.
#[tracing::instrument(skip_all, fields(source = %tree.describe()))]
pub fn build_site(tree: &dyn DocTree, opts: &BuildOptions) -> Result<Site, BuildError> {
    let files = tree.files()?;
    let config = load_config(tree, &files, &opts.default_site_name)?;
    let docs = docs_files(&files, &config, opts);
    if docs.is_empty() {
        return Err(BuildError::NoDocsDir {
            docs_dir: display_dir(&config.docs_dir),
            source_name: tree.describe(),
        });
    }
    let mut warnings = config.warnings.clone();

    let mut notes = config.notes.clone();
    let pages = place_pages(&docs, &config, &mut warnings, &mut notes);
    if pages.is_empty() {
        return Err(BuildError::NoPages {
            docs_dir: display_dir(&config.docs_dir),
        });
    }
    let index = site_index(&pages, &docs);
    let jobs: Vec<Job> = pages
        .iter()
        .map(|(source, _, url)| Job {
            file: config.source_path(source),
            base: source.rsplit_once('/').map_or("", |(dir, _)| dir),
            url,
        })
        .collect();
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.threads
    };
    let renderer = Renderer {
        tree,
        index: &index,
        options: &opts.render,
    };
    let done = renderer.render_all(&jobs, threads);

    let mut built = Vec::with_capacity(pages.len());
    let mut page_warnings = Vec::new();
    for ((source, path, url), done) in pages.into_iter().zip(done) {
        page_warnings.extend(done.warnings);
        let Some(rendered) = done.rendered else {
            continue;
        };
        let title = rendered
            .title
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| default_title(&source));
        built.push(Page {
            edit_url: config.edit_url(&source),
            path,
            url,
            source,
            title,
            description: rendered.front_matter.description,
            tags: rendered.front_matter.tags,
            html: rendered.html,
            toc: rendered.toc,
            sections: rendered.sections,
            has_mermaid: rendered.has_mermaid,
        });
    }
    if built.is_empty() {
        warnings.extend(page_warnings);
        for w in &warnings {
            tracing::debug!(warning = %w, "no page could be built");
        }
        return Err(BuildError::NoPages {
            docs_dir: display_dir(&config.docs_dir),
        });
    }

    let mut assets = read_assets(tree, &config, &docs, &mut page_warnings);
    let nav = site_nav(&config, &mut built, &assets, &mut warnings);
    add_theme_assets(&mut assets, &config, &mut warnings);
    page_warnings.sort_by(|a, b| (&a.file, a.line, &a.message).cmp(&(&b.file, b.line, &b.message)));
    warnings.extend(page_warnings);

    Ok(Site {
        meta: SiteMeta {
            site_name: config.site_name.clone(),
            site_description: config.site_description.clone(),
            repo_url: config.repo_url.clone(),
            edit_uri: config.edit_uri.clone(),
            use_directory_urls: config.use_directory_urls,
            mermaid_url: opts.mermaid_url.clone(),
            docs_dir: config.docs_dir.clone(),
        },
        pages: built,
        assets,
        nav,
        warnings,
        notes,
    })
}

fn display_dir(dir: &str) -> String {
    if dir.is_empty() {
        ".".to_string()
    } else {
        dir.to_string()
    }
}

/// The docs-relative paths of the files that make up the site: under
/// `docs_dir`, not hidden (mkdocs skips dot files), not excluded.
fn docs_files<'a>(files: &'a [String], config: &MkdocsConfig, opts: &BuildOptions) -> Vec<&'a str> {
    let prefix = if config.docs_dir.is_empty() {
        String::new()
    } else {
        format!("{}/", config.docs_dir)
    };
    let excluded = |path: &str| {
        opts.exclude.iter().any(|e| {
            let e = e.trim_matches('/');
            !e.is_empty() && (path == e || path.starts_with(&format!("{e}/")))
        })
    };
    files
        .iter()
        .filter(|f| !excluded(f))
        .filter_map(|f| f.strip_prefix(&prefix))
        .filter(|rel| !rel.split('/').any(|part| part.starts_with('.')))
        // With the docs at the root the config is not a page or asset.
        .filter(|rel| !(prefix.is_empty() && CONFIG_FILES.contains(rel)))
        .collect()
}

/// (source, output path, URL) of every page, sorted by source. Index
/// pages own their directory's `index.html`; `index.md` wins over
/// `README.md` in one directory (as in mkdocs). With directory URLs a page
/// `a.md` beside a directory `a/` with an index page would share its output;
/// it is published as `a.html` instead, so every page stays reachable.
fn place_pages(
    docs: &[&str],
    config: &MkdocsConfig,
    warnings: &mut Vec<BuildWarning>,
    notes: &mut Vec<String>,
) -> Vec<(String, String, String)> {
    let rank = |p: &str| {
        let name = p.rsplit('/').next().unwrap_or(p);
        match name {
            "index.md" | "index.markdown" => 0,
            "README.md" => 1,
            _ => 2,
        }
    };
    let mut markdown: Vec<&str> = docs.iter().copied().filter(|p| is_markdown(p)).collect();
    markdown.sort_by_key(|p| (rank(p), *p));
    let mut owner: HashMap<String, String> = HashMap::new();
    let mut pages = Vec::with_capacity(markdown.len());
    for source in markdown {
        let (mut path, mut url) = page_output(source, config.use_directory_urls);
        if let Some(kept) = owner.get(&path) {
            let (flat_path, flat_url) = page_output(source, false);
            if rank(source) == 2 && !owner.contains_key(&flat_path) {
                notes.push(format!(
                    "{}: {kept} is served at {url:?}; this page is served at {flat_url:?}",
                    config.source_path(source)
                ));
                path = flat_path;
                url = flat_url;
            } else {
                warnings.push(BuildWarning::new(
                    config.source_path(source),
                    None,
                    format!("{kept} is also published as {path}; this page is left out"),
                ));
                continue;
            }
        }
        owner.insert(path.clone(), source.to_string());
        pages.push((source.to_string(), path, url));
    }
    pages.sort();
    pages
}

fn site_index(pages: &[(String, String, String)], docs: &[&str]) -> SiteIndex {
    let mut index = SiteIndex {
        pages: HashMap::with_capacity(pages.len()),
        assets: HashMap::new(),
        dirs: HashMap::new(),
    };
    for (source, _, url) in pages {
        index.pages.insert(source.clone(), url.clone());
        let (dir, name) = source.rsplit_once('/').unwrap_or(("", source));
        if matches!(name, "index.md" | "README.md" | "index.markdown") {
            index
                .dirs
                .entry(dir.to_string())
                .or_insert_with(|| url.clone());
        }
    }
    for (i, path) in docs.iter().enumerate() {
        if !is_markdown(path) {
            index.assets.insert(path.to_string(), i);
        }
    }
    index
}

fn read_assets(
    tree: &dyn DocTree,
    config: &MkdocsConfig,
    docs: &[&str],
    warnings: &mut Vec<BuildWarning>,
) -> Vec<Asset> {
    let mut assets = Vec::new();
    for path in docs.iter().filter(|p| !is_markdown(p)) {
        let file = config.source_path(path);
        match tree.read(&file) {
            Ok(bytes) => assets.push(Asset {
                path: path.to_string(),
                content_type: content_type(path),
                bytes,
            }),
            Err(e) => warnings.push(BuildWarning::new(
                file,
                None,
                format!("the file is left out of the site: {e}"),
            )),
        }
    }
    assets
}

/// The navigation, with each page's title settled: a nav title wins over
/// the page's own.
fn site_nav(
    config: &MkdocsConfig,
    pages: &mut [Page],
    assets: &[Asset],
    warnings: &mut Vec<BuildWarning>,
) -> Vec<NavNode> {
    let Some(entries) = &config.nav else {
        let layout: Vec<(String, String, String)> = pages
            .iter()
            .map(|p| (p.source.clone(), p.url.clone(), p.title.clone()))
            .collect();
        return nav::from_layout(&layout);
    };
    let by_source: HashMap<String, (String, String)> = pages
        .iter()
        .map(|p| (p.source.clone(), (p.url.clone(), p.title.clone())))
        .collect();
    let asset_index: HashMap<String, usize> = assets
        .iter()
        .enumerate()
        .map(|(i, a)| (a.path.clone(), i))
        .collect();
    let targets = NavTargets {
        pages: &by_source,
        assets: &asset_index,
        config_file: config.file.as_deref().unwrap_or(CONFIG_FILES[0]),
    };
    let nav = nav::from_config(entries, &targets, warnings);
    let mut titles: HashMap<&str, &str> = HashMap::new();
    collect_titles(&nav, &mut titles);
    for page in pages.iter_mut() {
        if let Some(title) = titles.get(page.url.as_str()) {
            page.title = title.to_string();
        }
    }
    nav
}

/// The first nav title of each page URL.
fn collect_titles<'a>(nodes: &'a [NavNode], out: &mut HashMap<&'a str, &'a str>) {
    for node in nodes {
        match node {
            NavNode::Page { title, url } => {
                out.entry(url.as_str()).or_insert(title.as_str());
            }
            NavNode::Section { children, .. } => collect_titles(children, out),
            NavNode::Link { .. } => {}
        }
    }
}

fn add_theme_assets(
    assets: &mut Vec<Asset>,
    config: &MkdocsConfig,
    warnings: &mut Vec<BuildWarning>,
) {
    let theme_files = [
        (
            format!("{THEME_DIR}/docs.css"),
            theme::stylesheet().into_bytes(),
        ),
        (
            format!("{THEME_DIR}/docs.js"),
            theme::script().as_bytes().to_vec(),
        ),
    ];
    let prefix = format!("{THEME_DIR}/");
    assets.retain(|a| {
        let clash = a.path.starts_with(&prefix);
        if clash {
            warnings.push(BuildWarning::new(
                config.source_path(&a.path),
                None,
                format!("{THEME_DIR}/ is reserved for the theme; this file is left out"),
            ));
        }
        !clash
    });
    for (path, bytes) in theme_files {
        assets.push(Asset {
            content_type: content_type(&path),
            path,
            bytes,
        });
    }
    assets.sort_by(|a, b| a.path.cmp(&b.path));
}
