//! TechDocs wiring: the catalog tells where an entity's docs are
//! ([`CatalogDocs`]), the builder builds them, and [`DocsFollower`] keeps
//! every site current by following the catalog's change log.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portico_catalog::read::docs::{docs_origin, DocsOrigin};
use portico_catalog::read::ReadOptions;
use portico_catalog::Catalog;
use portico_model::annotations::TECHDOCS_REF;
use portico_techdocs::{BuilderOptions, DirTree, DocBuilder, DocsSource, GitTree, SourceLocator};
use serde_json::Value;

use crate::config::TechDocsSection;

/// Opens entities' docs sources under the catalog's read rules.
pub struct CatalogDocs {
    read: ReadOptions,
}

impl CatalogDocs {
    pub fn new(read: ReadOptions) -> CatalogDocs {
        CatalogDocs { read }
    }
}

fn annotations(entity: &Value) -> BTreeMap<String, String> {
    entity
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Site name when the docs have no mkdocs.yml: the entity's title, else name.
fn display_name(entity: &Value) -> String {
    ["/metadata/title", "/metadata/name"]
        .iter()
        .find_map(|p| entity.pointer(p).and_then(Value::as_str))
        .unwrap_or("docs")
        .to_string()
}

impl SourceLocator for CatalogDocs {
    fn locate(&self, entity: &Value) -> Result<Option<DocsSource>, String> {
        let origin = docs_origin(&annotations(entity), &self.read).map_err(|e| e.to_string())?;
        let default_site_name = display_name(entity);
        match origin {
            None => Ok(None),
            Some(DocsOrigin::Dir(path)) => {
                let tree = DirTree::open(&path).map_err(|e| e.to_string())?;
                let etag = portico_techdocs::content_key(&tree).map_err(|e| e.to_string())?;
                Ok(Some(DocsSource {
                    etag,
                    tree: Box::new(tree),
                    default_site_name,
                    edit_url: None,
                }))
            }
            Some(DocsOrigin::Git {
                repo,
                commit,
                dir,
                hosted,
            }) => {
                let snapshot = self
                    .read
                    .git
                    .mirrors()
                    .snapshot(&repo, &commit)
                    .map_err(|e| e.to_string())?;
                let tree = GitTree::new(snapshot, &dir);
                let edit_url = hosted.map(|hosted| {
                    let dir = dir.clone();
                    Box::new(move |path: &str| {
                        let full = if dir.is_empty() {
                            path.to_string()
                        } else {
                            format!("{dir}/{path}")
                        };
                        Some(hosted.with_path(&full).edit_url())
                    }) as portico_techdocs::builder::EditLink
                });
                Ok(Some(DocsSource {
                    etag: commit,
                    tree: Box::new(tree),
                    default_site_name,
                    edit_url,
                }))
            }
        }
    }
}

/// The builder for a catalog, configured from the `techdocs` section.
pub fn docs_builder(catalog: &Catalog, section: &TechDocsSection) -> Arc<DocBuilder> {
    let mut options = BuilderOptions {
        workers: section.build_workers.clamp(1, 16),
        ..BuilderOptions::default()
    };
    options.build.mermaid_url = section.mermaid_url.clone();
    Arc::new(DocBuilder::new(
        catalog.store().clone(),
        Arc::new(CatalogDocs::new(catalog.config().read.clone())),
        catalog.replica_id(),
        options,
    ))
}

/// Keeps doc sites current: builds every site at start, then the sites of
/// entities the change log names (a push moves an entity's commit), and
/// every `recheck` all of them (directory sources change without the
/// catalog noticing).
pub struct DocsFollower {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

const FOLLOW_POLL: Duration = Duration::from_millis(500);

impl DocsFollower {
    pub fn spawn(
        catalog: Arc<Catalog>,
        builder: Arc<DocBuilder>,
        recheck: Option<Duration>,
    ) -> DocsFollower {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("portico-docs".to_string())
            .spawn(move || follow(&catalog, &builder, recheck, &flag))
            .map_err(|e| tracing::error!(error = %e, "cannot start the docs builder thread"))
            .ok();
        DocsFollower { stop, handle }
    }
}

impl Drop for DocsFollower {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

fn follow(catalog: &Catalog, builder: &DocBuilder, recheck: Option<Duration>, stop: &AtomicBool) {
    let mut seq = match catalog.store().read(|tx| tx.last_change_seq()) {
        Ok(seq) => seq,
        Err(e) => {
            tracing::error!(error = %e, "docs builder cannot read the change log; not building");
            return;
        }
    };
    build_everything(catalog, builder);
    let mut last_full = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(FOLLOW_POLL);
        if recheck.is_some_and(|every| last_full.elapsed() >= every) {
            build_everything(catalog, builder);
            last_full = Instant::now();
            continue;
        }
        let changes = match catalog.store().read(|tx| tx.changes_since(seq, 10_000)) {
            Ok(changes) => changes,
            Err(e) => {
                tracing::warn!(error = %e, "docs builder cannot read the change log");
                continue;
            }
        };
        let Some(last) = changes.last() else {
            continue;
        };
        seq = last.seq;
        let refs: BTreeSet<String> = changes.into_iter().map(|c| c.entity_ref).collect();
        let index = catalog.index();
        let mut todo = Vec::new();
        let mut gone = Vec::new();
        for entity_ref in refs {
            match index.get(&entity_ref) {
                Some(entity) => todo.push((entity_ref, entity.value())),
                None => gone.push(entity_ref),
            }
        }
        drop(index);
        remove_sites(builder, &gone);
        builder.build_all(todo);
    }
}

/// Builds the site of every entity with docs whose source changed, and
/// removes sites whose entity is gone.
fn build_everything(catalog: &Catalog, builder: &DocBuilder) {
    let with_docs: Vec<(String, Value)> = {
        let index = catalog.index();
        index
            .iter()
            .filter(|(_, entity)| entity.as_str().contains(TECHDOCS_REF))
            .map(|(entity_ref, entity)| (entity_ref.to_string(), entity.value()))
            .collect()
    };
    let sites = match builder.store().read(|tx| tx.doc_sites()) {
        Ok(sites) => sites,
        Err(e) => {
            tracing::warn!(error = %e, "docs builder cannot list sites");
            Vec::new()
        }
    };
    let index = catalog.index();
    let gone: Vec<String> = sites
        .into_iter()
        .map(|s| s.entity_ref)
        .filter(|r| index.get(r).is_none())
        .collect();
    drop(index);
    remove_sites(builder, &gone);
    builder.build_all(with_docs);
}

fn remove_sites(builder: &DocBuilder, refs: &[String]) {
    for entity_ref in refs {
        if let Err(e) = builder
            .store()
            .transaction(|tx| tx.delete_doc_site(entity_ref))
        {
            tracing::warn!(entity = %entity_ref, error = %e, "removing a deleted entity's docs failed");
        }
    }
}
