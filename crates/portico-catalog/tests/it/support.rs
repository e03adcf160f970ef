//! Helpers for reading catalog trees written into temp dirs.

use std::path::{Path, PathBuf};

use portico_catalog::read::{
    read_location, LocationRead, LocationSpec, Problem, ProcessedEntity, ReadOptions, Severity,
};

/// A temp directory of catalog files.
pub struct Tree {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Tree {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // The reader reports canonical paths; compare against the same.
        let root = dir.path().canonicalize().unwrap();
        Tree { _dir: dir, root }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// The absolute path of `rel`, as the reader prints it.
    pub fn abs(&self, rel: &str) -> String {
        self.path(rel).to_string_lossy().into_owned()
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    pub fn spec(&self, rel: &str) -> LocationSpec {
        LocationSpec::file(self.abs(rel))
    }

    pub fn read(&self, rel: &str) -> LocationRead {
        self.read_with(rel, &ReadOptions::default())
    }

    pub fn read_with(&self, rel: &str, opts: &ReadOptions) -> LocationRead {
        read_location(&self.spec(rel), opts).unwrap()
    }
}

pub fn component(name: &str, owner: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n\
         spec:\n  type: service\n  lifecycle: production\n  owner: {owner}\n"
    )
}

pub fn location(targets: &[&str]) -> String {
    location_named("loc", targets)
}

pub fn location_named(name: &str, targets: &[&str]) -> String {
    let mut out = format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: {name}\nspec:\n  targets:\n"
    );
    for t in targets {
        out.push_str(&format!("    - {t}\n"));
    }
    out
}

pub fn entity<'a>(read: &'a LocationRead, key: &str) -> &'a ProcessedEntity {
    read.entities
        .iter()
        .find(|e| e.entity_ref == key)
        .unwrap_or_else(|| {
            let keys: Vec<_> = read
                .entities
                .iter()
                .map(|e| e.entity_ref.as_str())
                .collect();
            panic!("no entity {key} among {keys:?}")
        })
}

pub fn keys(read: &LocationRead) -> Vec<&str> {
    read.entities
        .iter()
        .map(|e| e.entity_ref.as_str())
        .collect()
}

/// The one problem whose message contains `needle`; fails showing all of them.
pub fn problem<'a>(problems: &'a [Problem], needle: &str) -> &'a Problem {
    let found: Vec<_> = problems
        .iter()
        .filter(|p| p.message.contains(needle))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one problem containing {needle:?} in {problems:#?}"
    );
    found[0]
}

pub fn errors(problems: &[Problem]) -> Vec<&Problem> {
    problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect()
}

/// Every problem of a read, shown, for failure messages.
pub fn shown(read: &LocationRead) -> Vec<String> {
    read.all_problems().map(ToString::to_string).collect()
}

pub fn annotation<'a>(e: &'a ProcessedEntity, key: &str) -> &'a str {
    e.entity
        .as_ref()
        .unwrap()
        .metadata
        .annotations
        .get(key)
        .map(String::as_str)
        .unwrap_or("")
}

pub fn file_of(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
