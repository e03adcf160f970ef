//! TechDocs: documentation sites built natively from `mkdocs.yml` and
//! Markdown, stored so every replica serves the same pages.
//!
//! [`build_site`] reads a [`DocTree`] (a directory or a repository
//! directory at one commit) and returns a [`Site`]: rendered page
//! fragments, assets, the navigation and the warnings. [`page_document`]
//! wraps one page in the theme; [`write_static`] writes a whole site to a
//! folder.

pub mod builder;
pub mod config;
pub mod layout;
pub mod nav;
pub mod served;
pub mod site;
mod stored;
pub mod theme;
pub mod tree;
mod warning;

pub use builder::{
    BuildOutcome, BuilderError, BuilderOptions, DocBuilder, DocsSource, SourceLocator,
    BUILDER_VERSION,
};
pub use config::{load_config, parse_config, ConfigError, MkdocsConfig, NavEntry};
pub use nav::NavNode;
pub use site::{
    build_site, Asset, BuildError, BuildOptions, Page, Site, SiteMeta, DEFAULT_MERMAID_URL,
    THEME_DIR,
};
pub use stored::StoredPage;
pub use theme::{
    escape_html, now_ms, output_files, page_document, search_index, write_static, OutputFile,
    PageParts, SEARCH_INDEX_PATH,
};
pub use tree::{content_key, DirTree, DocTree, GitTree, TreeError, TreeLimits};
pub use warning::BuildWarning;
