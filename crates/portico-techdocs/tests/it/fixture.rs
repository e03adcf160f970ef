//! Documentation sources written into temporary directories.

use std::path::Path;

use portico_techdocs::{build_site, BuildOptions, DirTree, Site};
use tempfile::TempDir;

/// A temporary directory holding `files` (path, content).
pub fn source(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), files);
    dir
}

pub fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }
}

pub fn options() -> BuildOptions {
    BuildOptions {
        default_site_name: "my-service".to_string(),
        ..BuildOptions::default()
    }
}

/// Builds the site of `files`; panics on a fatal error.
pub fn build(files: &[(&str, &str)]) -> Site {
    let dir = source(files);
    build_dir(dir.path())
}

pub fn build_dir(root: &Path) -> Site {
    let tree = DirTree::open(root).unwrap();
    build_site(&tree, &options()).unwrap()
}

/// The page built from docs-relative `source`.
pub fn page<'a>(site: &'a Site, source: &str) -> &'a portico_techdocs::Page {
    site.pages
        .iter()
        .find(|p| p.source == source)
        .unwrap_or_else(|| panic!("no page from {source}; pages: {:?}", sources(site)))
}

pub fn sources(site: &Site) -> Vec<&str> {
    site.pages.iter().map(|p| p.source.as_str()).collect()
}

pub fn warnings(site: &Site) -> Vec<String> {
    site.warnings.iter().map(|w| w.to_string()).collect()
}
