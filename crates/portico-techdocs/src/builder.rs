//! Builds entities' doc sites into the store: only when the source changed
//! (its commit or content hash), one replica at a time per site (a lease in
//! `doc_sites`), a bounded number at once. A failed build keeps the last
//! good site and records why.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portico_store::{DocAssetRow, DocPageRow, DocSiteRow, Store, StoreError};
use serde_json::Value;

use crate::stored::{SiteRecord, StoredPage};
use crate::tree::DocTree;
use crate::{build_site, content_key, BuildOptions, BuildWarning, Site};

/// Bumped when a change to the builder or theme should rebuild every site
/// even though no source changed.
pub const BUILDER_VERSION: u32 = 1;

/// An entity's docs, opened and keyed.
pub struct DocsSource {
    /// The commit (git) or content hash (directory) of the source: the
    /// site's etag, and what decides whether it needs a build.
    pub etag: String,
    pub tree: Box<dyn DocTree>,
    /// Site name when there is no mkdocs.yml: the entity's title or name.
    pub default_site_name: String,
    /// Edit link of a file, given its path relative to the tree root,
    /// when mkdocs.yml names no `repo_url`/`edit_uri` (forge sources).
    pub edit_url: Option<EditLink>,
}

/// The edit link of a file given its path relative to the docs source.
pub type EditLink = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Finds and opens an entity's docs. The server implements it with the
/// catalog, which knows locations and what this server may read.
pub trait SourceLocator: Send + Sync {
    /// `Ok(None)` when the entity has no docs (no `backstage.io/techdocs-ref`).
    fn locate(&self, entity: &Value) -> Result<Option<DocsSource>, String>;
}

/// What one build attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildOutcome {
    /// The entity has no docs (a site it had is removed).
    NoDocs,
    /// The source is the one last built (or last failed): nothing to do.
    Unchanged,
    Built {
        pages: usize,
        warnings: usize,
    },
    /// The build failed; the last good site (if any) stays.
    Failed(String),
    /// Another replica is building it now.
    Busy,
}

impl BuildOutcome {
    /// Whether the served site changed.
    pub fn updated(&self) -> bool {
        matches!(self, BuildOutcome::Built { .. })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BuilderError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("entity {0} has no name")]
    BadEntity(String),
}

/// Builder settings.
#[derive(Debug, Clone)]
pub struct BuilderOptions {
    /// Sites built at once.
    pub workers: usize,
    /// How long a build lease lasts before another replica may take over.
    pub claim_ttl: Duration,
    pub build: BuildOptions,
}

impl Default for BuilderOptions {
    fn default() -> Self {
        BuilderOptions {
            workers: 2,
            claim_ttl: Duration::from_secs(300),
            build: BuildOptions {
                // mkdocs' default output folder: a local `mkdocs build` (or
                // `portico docs build`) left in the source is not the docs.
                exclude: vec!["site".to_string()],
                ..BuildOptions::default()
            },
        }
    }
}

/// Builds doc sites into the store.
pub struct DocBuilder {
    store: Store,
    locator: Arc<dyn SourceLocator>,
    replica: String,
    options: BuilderOptions,
}

impl DocBuilder {
    pub fn new(
        store: Store,
        locator: Arc<dyn SourceLocator>,
        replica: impl Into<String>,
        options: BuilderOptions,
    ) -> DocBuilder {
        DocBuilder {
            store,
            locator,
            replica: replica.into(),
            options,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn options(&self) -> &BuilderOptions {
        &self.options
    }

    /// Builds one entity's docs when its source changed (always with
    /// `force`). `log` receives progress lines, for the sync stream.
    pub fn build(
        &self,
        entity_ref: &str,
        entity: &Value,
        force: bool,
        log: &mut dyn FnMut(&str),
    ) -> Result<BuildOutcome, BuilderError> {
        let span = tracing::info_span!(
            "docs build",
            entity = entity_ref,
            outcome = tracing::field::Empty
        );
        let _entered = span.enter();
        let started = Instant::now();
        let outcome = self.build_in_span(entity_ref, entity, force, log);
        let result = match &outcome {
            Ok(BuildOutcome::Built { warnings: 0, .. }) => Some("built"),
            Ok(BuildOutcome::Built { .. }) => Some("warnings"),
            Ok(BuildOutcome::Failed(_)) | Err(_) => Some("failed"),
            // Nothing was built: current, taken by another replica, or gone.
            Ok(BuildOutcome::Unchanged | BuildOutcome::Busy | BuildOutcome::NoDocs) => None,
        };
        if let Some(result) = result {
            span.record("outcome", result);
            metrics::counter!("portico_techdocs_builds_total", "result" => result).increment(1);
            metrics::histogram!("portico_techdocs_build_duration_seconds")
                .record(started.elapsed().as_secs_f64());
        }
        outcome
    }

    fn build_in_span(
        &self,
        entity_ref: &str,
        entity: &Value,
        force: bool,
        log: &mut dyn FnMut(&str),
    ) -> Result<BuildOutcome, BuilderError> {
        let source = match self.locator.locate(entity) {
            Ok(Some(source)) => source,
            Ok(None) => {
                let removed = self
                    .store
                    .transaction(|tx| tx.delete_doc_site(entity_ref))?;
                if removed {
                    log("the entity no longer has docs; its site was removed");
                }
                return Ok(BuildOutcome::NoDocs);
            }
            Err(message) => {
                log(&format!("cannot open the docs source: {message}"));
                return self.fail(entity_ref, "", &message, &[]);
            }
        };
        let site = self.store.read(|tx| tx.doc_site(entity_ref))?;
        if !force {
            if let Some(site) = &site {
                let record = SiteRecord::parse(&site.metadata_json);
                let current = site.etag == source.etag && record.builder == BUILDER_VERSION;
                let failed = site.failed_etag.as_deref() == Some(source.etag.as_str());
                if current || failed {
                    return Ok(BuildOutcome::Unchanged);
                }
            }
        }
        let now = portico_store::now_ms();
        let ttl = i64::try_from(self.options.claim_ttl.as_millis()).unwrap_or(i64::MAX);
        let claimed = self.store.transaction(|tx| {
            tx.claim_doc_build(entity_ref, &self.replica, now, now.saturating_add(ttl))
        })?;
        if !claimed {
            log("another replica is building these docs");
            return Ok(BuildOutcome::Busy);
        }
        log(&format!(
            "building docs of {entity_ref} from {} at {}",
            source.tree.describe(),
            short(&source.etag)
        ));
        let started = Instant::now();
        let mut options = self.options.build.clone();
        options.default_site_name = source.default_site_name.clone();
        let built = build_site(source.tree.as_ref(), &options);
        let mut site = match built {
            Ok(site) => site,
            Err(e) => {
                let message = e.to_string();
                log(&format!("build failed: {message}"));
                return self.fail(entity_ref, &source.etag, &message, &[]);
            }
        };
        if let Some(edit) = &source.edit_url {
            fill_edit_links(&mut site, edit);
        }
        for warning in &site.warnings {
            log(&format!("warning: {warning}"));
        }
        let (pages, warnings) = (site.pages.len(), site.warnings.len());
        let rows = site_rows(entity_ref, &source.etag, &site)?;
        self.store
            .transaction(|tx| tx.replace_doc_site(&rows.site, &rows.pages, &rows.assets))?;
        tracing::info!(
            target: "portico::techdocs",
            entity = entity_ref,
            etag = %short(&source.etag),
            pages,
            warnings,
            ms = started.elapsed().as_millis() as u64,
            "docs built"
        );
        log(&format!(
            "built {pages} pages with {warnings} warnings in {} ms",
            started.elapsed().as_millis()
        ));
        Ok(BuildOutcome::Built { pages, warnings })
    }

    fn fail(
        &self,
        entity_ref: &str,
        etag: &str,
        message: &str,
        warnings: &[BuildWarning],
    ) -> Result<BuildOutcome, BuilderError> {
        // The same failure again (a broken source checked every recheck):
        // already recorded and logged once.
        let known = self
            .store
            .read(|tx| tx.doc_site(entity_ref))?
            .is_some_and(|site| {
                site.failure.as_deref() == Some(message)
                    && site.failed_etag.as_deref() == Some(etag)
            });
        if known {
            self.store
                .transaction(|tx| tx.release_doc_claim(entity_ref, &self.replica))?;
            return Ok(BuildOutcome::Failed(message.to_string()));
        }
        let mut all: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        all.push(message.to_string());
        let warnings_json = serde_json::to_string(&all).unwrap_or_else(|_| "[]".to_string());
        let now = portico_store::now_ms();
        self.store.transaction(|tx| {
            tx.record_doc_failure(entity_ref, etag, message, &warnings_json, now)
        })?;
        tracing::warn!(target: "portico::techdocs", entity = entity_ref, error = message, "docs build failed");
        Ok(BuildOutcome::Failed(message.to_string()))
    }

    /// Builds every listed entity whose source changed, `workers` at a
    /// time. Returns each entity's outcome (errors as `Failed`).
    pub fn build_all(&self, entities: Vec<(String, Value)>) -> Vec<(String, BuildOutcome)> {
        let queue = Mutex::new(entities.into_iter());
        let results = Mutex::new(Vec::new());
        let workers = self.options.workers.max(1);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    let item = match queue.lock() {
                        Ok(mut queue) => queue.next(),
                        Err(_) => None,
                    };
                    let Some((entity_ref, entity)) = item else {
                        break;
                    };
                    let outcome = self
                        .build(&entity_ref, &entity, false, &mut |_| {})
                        .unwrap_or_else(|e| BuildOutcome::Failed(e.to_string()));
                    if let Ok(mut results) = results.lock() {
                        results.push((entity_ref, outcome));
                    }
                });
            }
        });
        let mut results = results.into_inner().unwrap_or_default();
        results.sort_by(|a, b| a.0.cmp(&b.0));
        results
    }
}

/// Sets the edit link of every page that has none from the source's forge.
fn fill_edit_links(site: &mut Site, edit: &EditLink) {
    let docs_dir = site.meta.docs_dir.trim_matches('/').to_string();
    for page in &mut site.pages {
        if page.edit_url.is_none() {
            let path = if docs_dir.is_empty() {
                page.source.clone()
            } else {
                format!("{docs_dir}/{}", page.source)
            };
            page.edit_url = edit(&path);
        }
    }
}

struct SiteRows {
    site: DocSiteRow,
    pages: Vec<DocPageRow>,
    assets: Vec<DocAssetRow>,
}

fn site_rows(entity_ref: &str, etag: &str, site: &Site) -> Result<SiteRows, BuilderError> {
    let record = SiteRecord::of(site, BUILDER_VERSION);
    let warnings: Vec<String> = site.warnings.iter().map(ToString::to_string).collect();
    let now = portico_store::now_ms();
    let pages = site
        .pages
        .iter()
        .map(|page| DocPageRow {
            path: page.path.clone(),
            source_path: page.source.clone(),
            title: page.title.clone(),
            html: page.html.clone(),
            toc_json: StoredPage::of(page).to_json(),
            sections_json: serde_json::to_string(&page.sections)
                .unwrap_or_else(|_| "[]".to_string()),
        })
        .collect();
    let assets = site
        .assets
        .iter()
        .map(|asset| DocAssetRow {
            path: asset.path.clone(),
            content_type: asset.content_type.to_string(),
            body: asset.bytes.clone(),
        })
        .collect();
    Ok(SiteRows {
        site: DocSiteRow {
            entity_ref: entity_ref.to_string(),
            etag: etag.to_string(),
            site_name: site.meta.site_name.clone(),
            site_description: site.meta.site_description.clone().unwrap_or_default(),
            build_timestamp: now,
            metadata_json: record.to_json(),
            warnings_json: serde_json::to_string(&warnings).unwrap_or_else(|_| "[]".to_string()),
            failed_etag: None,
            failure: None,
            attempted_at: now,
        },
        pages,
        assets,
    })
}

/// The key a directory source is built under.
pub fn directory_etag(tree: &dyn DocTree) -> Result<String, String> {
    content_key(tree).map_err(|e| e.to_string())
}

fn short(etag: &str) -> &str {
    etag.get(..12).unwrap_or(etag)
}
