//! What checks see beyond the entity: the catalog's in-memory index for
//! other entities, and the docs sites and definition times the engine keeps
//! current from the store.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use portico_catalog::Catalog;
use portico_scorecards::{DocPage, DocsFacts, Facts};
use portico_store::{DocSiteRow, StoreError, Tx};
use portico_techdocs::StoredPage;
use serde_json::Value;

/// Docs sites and definition times, by entity ref: read once in full, then
/// for the entities the change logs name.
#[derive(Default)]
pub struct Inputs {
    pub docs: HashMap<String, Arc<DocsFacts>>,
    pub updated: HashMap<String, i64>,
}

impl Inputs {
    /// Everything, from the store.
    pub fn load(tx: &mut Tx<'_>) -> Result<Inputs, StoreError> {
        let mut inputs = Inputs {
            updated: tx.entity_update_times(None)?.into_iter().collect(),
            ..Inputs::default()
        };
        let sites = tx.doc_sites()?;
        let pages = tx.doc_page_outlines(None)?;
        inputs.put_docs(sites, pages, None);
        Ok(inputs)
    }

    /// Reads again the definition times of `refs`.
    pub fn reload_times(&mut self, tx: &mut Tx<'_>, refs: &[String]) -> Result<(), StoreError> {
        for entity_ref in refs {
            self.updated.remove(entity_ref);
        }
        self.updated.extend(tx.entity_update_times(Some(refs))?);
        Ok(())
    }

    /// Reads again the docs sites of `refs`.
    pub fn reload_docs(&mut self, tx: &mut Tx<'_>, refs: &[String]) -> Result<(), StoreError> {
        let mut sites = Vec::new();
        for entity_ref in refs {
            if let Some(site) = tx.doc_site(entity_ref)? {
                sites.push(site);
            }
        }
        let pages = tx.doc_page_outlines(Some(refs))?;
        self.put_docs(sites, pages, Some(refs));
        Ok(())
    }

    /// Replaces the docs of `refs` (of every entity when `None`) with
    /// `sites` and their `pages` (`(entity_ref, source_path, toc_json)`).
    fn put_docs(
        &mut self,
        sites: Vec<DocSiteRow>,
        pages: Vec<(String, String, String)>,
        refs: Option<&[String]>,
    ) {
        match refs {
            None => self.docs.clear(),
            Some(refs) => {
                for entity_ref in refs {
                    self.docs.remove(entity_ref);
                }
            }
        }
        let mut by_site: HashMap<String, Vec<DocPage>> = HashMap::new();
        for (entity_ref, source_path, toc_json) in pages {
            by_site.entry(entity_ref).or_default().push(DocPage {
                path: source_path,
                tags: StoredPage::parse(&toc_json).tags,
            });
        }
        for site in sites {
            // A row with neither a good build nor a failure is a build not
            // yet tried.
            let built = !site.etag.is_empty();
            let failed = site.failure.is_some();
            if !built && !failed {
                continue;
            }
            let warnings =
                serde_json::from_str::<Vec<Value>>(&site.warnings_json).map_or(0, |w| w.len());
            let pages = by_site.remove(&site.entity_ref).unwrap_or_default();
            self.docs.insert(
                site.entity_ref,
                Arc::new(DocsFacts {
                    failed,
                    warnings,
                    pages,
                }),
            );
        }
    }
}

/// The facts of one evaluation pass on one thread: other entities are
/// parsed once per pass, and each evaluation records which ones it read,
/// so that a change to them evaluates it again.
pub struct CatalogFacts<'a> {
    catalog: &'a Catalog,
    inputs: &'a Inputs,
    now_ms: i64,
    parsed: RefCell<HashMap<String, Option<Arc<Value>>>>,
    /// The entity being evaluated and its errors, and the other refs it read.
    current: RefCell<Current>,
}

#[derive(Default)]
struct Current {
    entity_ref: String,
    errors: usize,
    /// Whose docs site it shows (`backstage.io/techdocs-entity`), when
    /// another's.
    docs_from: Option<String>,
    consulted: Vec<Arc<str>>,
}

impl<'a> CatalogFacts<'a> {
    pub fn new(catalog: &'a Catalog, inputs: &'a Inputs, now_ms: i64) -> CatalogFacts<'a> {
        CatalogFacts {
            catalog,
            inputs,
            now_ms,
            parsed: RefCell::default(),
            current: RefCell::default(),
        }
    }

    /// Starts the evaluation of `entity_ref`, which is `entity`.
    pub fn begin(&self, entity_ref: &str, entity: &Value) {
        let mut current = self.current.borrow_mut();
        current.entity_ref.clear();
        current.entity_ref.push_str(entity_ref);
        current.consulted.clear();
        current.errors = error_count(entity);
        current.docs_from = crate::routes::techdocs::site_owner(entity_ref, entity)
            .ok()
            .filter(|owner| owner != entity_ref);
    }

    /// The refs the evaluation since [`CatalogFacts::begin`] read.
    pub fn consulted(&self) -> Vec<Arc<str>> {
        let mut refs = std::mem::take(&mut self.current.borrow_mut().consulted);
        refs.sort_unstable();
        refs.dedup();
        refs
    }

    fn lookup(&self, entity_ref: &str) -> Option<Arc<Value>> {
        if let Some(found) = self.parsed.borrow().get(entity_ref) {
            return found.clone();
        }
        let json = self.catalog.index().get(entity_ref);
        let value = json.map(|json| Arc::new(outline(json.as_str())));
        self.parsed
            .borrow_mut()
            .insert(entity_ref.to_owned(), value.clone());
        value
    }
}

impl Facts for CatalogFacts<'_> {
    fn entity(&self, entity_ref: &str) -> Option<Arc<Value>> {
        {
            let mut current = self.current.borrow_mut();
            if current.entity_ref != entity_ref {
                current.consulted.push(Arc::from(entity_ref));
            }
        }
        self.lookup(entity_ref)
    }

    fn docs(&self, entity_ref: &str) -> Option<Arc<DocsFacts>> {
        // An entity that borrows another's docs has that site; a change to
        // it evaluates the borrower again.
        let site = {
            let mut current = self.current.borrow_mut();
            match current.docs_from.clone() {
                Some(owner) if current.entity_ref == entity_ref => {
                    current.consulted.push(Arc::from(owner.as_str()));
                    owner
                }
                _ => entity_ref.to_owned(),
            }
        };
        self.inputs.docs.get(&site).cloned()
    }

    fn processing_errors(&self, entity_ref: &str) -> usize {
        let current = self.current.borrow();
        if current.entity_ref == entity_ref {
            return current.errors;
        }
        drop(current);
        self.lookup(entity_ref)
            .map_or(0, |entity| error_count(&entity))
    }

    fn source_updated_at(&self, entity_ref: &str) -> Option<i64> {
        self.inputs.updated.get(entity_ref).copied()
    }

    fn now_ms(&self) -> i64 {
        self.now_ms
    }
}

/// What checks read of other entities: kind, name, namespace, the spec's
/// type, lifecycle and members, relations and status. A full parse of
/// every owner and dependency would cost most of a pass over a large
/// catalog, and keep all of them in memory.
#[derive(serde::Deserialize, serde::Serialize, Default)]
#[serde(default)]
struct Outline {
    #[serde(rename = "apiVersion", skip_serializing_if = "Option::is_none")]
    api_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    metadata: OutlineMetadata,
    spec: OutlineSpec,
    relations: Vec<OutlineRelation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Value>,
}

#[derive(serde::Deserialize, serde::Serialize, Default)]
#[serde(default)]
struct OutlineMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotations: Option<std::collections::BTreeMap<String, Value>>,
}

#[derive(serde::Deserialize, serde::Serialize, Default)]
#[serde(default)]
struct OutlineSpec {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lifecycle: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<Value>,
}

#[derive(serde::Deserialize, serde::Serialize)]
struct OutlineRelation {
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "targetRef")]
    target_ref: String,
}

fn outline(json: &str) -> Value {
    serde_json::from_str::<Outline>(json)
        .ok()
        .and_then(|outline| serde_json::to_value(outline).ok())
        .unwrap_or(Value::Null)
}

/// Errors of the entity's last processing: the catalog serves them in
/// `status.items`.
fn error_count(entity: &Value) -> usize {
    entity
        .pointer("/status/items")
        .and_then(Value::as_array)
        .map_or(0, |items| {
            items
                .iter()
                .filter(|item| item.get("level").and_then(Value::as_str) == Some("error"))
                .count()
        })
}
