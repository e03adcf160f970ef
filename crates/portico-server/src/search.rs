//! Search wiring: one index per replica, under the data dir, following the
//! store's two change logs (entities, doc sites) so that a change is
//! searchable within a second.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use portico_search::{
    Batch, DocPageDoc, EntityDoc, Opened, Position, SearchError, SearchIndex, SearchWriter,
    SectionDoc, Update,
};
use portico_store::{Store, StoreError, Tx};
use portico_techdocs::served;
use serde_json::Value;

/// How often the follower looks at the change logs.
const FOLLOW_POLL: Duration = Duration::from_millis(200);
/// Wait before trying a failed rebuild again.
const PREPARE_RETRY: Duration = Duration::from_secs(5);
/// Changes read per round.
const CHANGES_PER_ROUND: i64 = 5_000;
/// Entities read per page while rebuilding.
const REBUILD_PAGE: i64 = 2_000;
/// Doc sections sent to the writer at once while rebuilding, about.
const REBUILD_SECTIONS: usize = 5_000;

/// The search index of this replica and the thread that keeps it current.
pub struct Search {
    index: Arc<SearchIndex>,
    /// The index was reused at start: it has (possibly dated) content.
    has_content: bool,
    ready: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Search {
    /// Opens (or creates) the index in `dir`, or in memory without one, and
    /// starts following `store`. An index that cannot be reused is rebuilt
    /// from the database in the background; until then [`Search::is_ready`]
    /// is false.
    pub fn start(store: Store, dir: Option<&Path>) -> Result<Search, SearchError> {
        let (index, opened) = match dir {
            Some(dir) => SearchIndex::open(dir)?,
            None => (SearchIndex::in_memory()?, Opened::Created),
        };
        let index = Arc::new(index);
        let writer = index.writer()?;
        let ready = Arc::new(AtomicBool::new(false));
        // A reused index answers while it catches up or is rebuilt; a new
        // one is empty until its rebuild commits.
        let has_content = matches!(opened, Opened::Reused(_));
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, done) = (stop.clone(), ready.clone());
        let follower_index = index.clone();
        let handle = std::thread::Builder::new()
            .name("portico-search".to_string())
            .spawn(move || follow(&store, &follower_index, &writer, opened, &done, &flag))
            .map_err(|e| tracing::error!(error = %e, "cannot start the search thread"))
            .ok();
        Ok(Search {
            index,
            has_content,
            ready,
            stop,
            handle,
        })
    }

    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// Whether the index holds everything up to a recent change-log position.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Changes in the database's logs that the index does not have yet,
    /// read on `tx`.
    pub fn lag(&self, tx: &mut Tx<'_>) -> Result<Position, StoreError> {
        let heads = heads_in(tx)?;
        let at = self.index.position();
        Ok(Position {
            entities: heads.entities.saturating_sub(at.entities).max(0),
            docs: heads.docs.saturating_sub(at.docs).max(0),
        })
    }

    /// Whether queries should go to the index: it is ready, or it was
    /// reused and serves its last content while it is brought up to date.
    /// Otherwise [`portico_search::scan`] answers from the catalog.
    pub fn answers_from_index(&self) -> bool {
        self.has_content || self.is_ready()
    }
}

impl Drop for Search {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

fn heads(store: &Store) -> Result<Position, StoreError> {
    store.read(heads_in)
}

fn heads_in(tx: &mut Tx<'_>) -> Result<Position, StoreError> {
    Ok(Position {
        entities: tx.last_change_seq()?,
        docs: tx.doc_change_head()?,
    })
}

fn follow(
    store: &Store,
    index: &SearchIndex,
    writer: &SearchWriter,
    opened: Opened,
    ready: &AtomicBool,
    stop: &AtomicBool,
) {
    // A database that is briefly away must not turn search off for good:
    // the rebuild is tried again until it succeeds or the server stops.
    let mut position = loop {
        match prepare(store, index, writer, opened) {
            Ok(position) => break position,
            Err(e) => tracing::error!(
                error = %e,
                retry_in_s = PREPARE_RETRY.as_secs(),
                "the search index cannot be built"
            ),
        }
        let until = std::time::Instant::now() + PREPARE_RETRY;
        while std::time::Instant::now() < until {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(FOLLOW_POLL);
        }
    };
    ready.store(true, Ordering::Release);
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(FOLLOW_POLL);
        match catch_up(store, writer, position) {
            Ok(next) => position = next,
            Err(e) => tracing::warn!(error = %e, "search index update failed"),
        }
    }
}

/// Reuses the index when it is at or behind the database's change logs
/// (then catching up is enough), else rebuilds it from the database.
fn prepare(
    store: &Store,
    index: &SearchIndex,
    writer: &SearchWriter,
    opened: Opened,
) -> Result<Position, FollowError> {
    let heads = heads(store)?;
    if let Opened::Reused(position) = opened {
        if position.entities <= heads.entities && position.docs <= heads.docs {
            tracing::info!(?position, "search index reused");
            return Ok(position);
        }
        tracing::info!(
            ?position,
            ?heads,
            "search index is ahead of the database; rebuilding"
        );
    }
    let started = std::time::Instant::now();
    // Positions first: what changes while we read is applied again after.
    // The database is read in pages and fed to the writer as it goes; the
    // old index answers queries until the rebuild is committed.
    let mut rebuild = writer.begin_rebuild()?;
    let mut count = 0usize;
    let mut after: Option<String> = None;
    loop {
        let page = store.read(|tx| tx.final_entities_page(after.as_deref(), REBUILD_PAGE))?;
        let Some(last) = page.last() else {
            break;
        };
        after = Some(last.0.clone());
        let updates: Vec<Update> = page
            .iter()
            .filter_map(|(_, json)| parse(json).as_ref().and_then(EntityDoc::from_entity_json))
            .map(Update::UpsertEntity)
            .collect();
        count += updates.len();
        rebuild.add(updates)?;
    }
    let sites = store.read(|tx| tx.doc_sites())?;
    let mut docs = Vec::new();
    let mut sections = 0usize;
    for site in sites.iter().filter(|s| !s.etag.is_empty()) {
        let update = doc_update(store, &site.entity_ref)?;
        if let Update::ReplaceDocs { pages, .. } = &update {
            sections += pages.iter().map(|p| p.sections.len()).sum::<usize>();
        }
        count += 1;
        docs.push(update);
        if sections >= REBUILD_SECTIONS {
            rebuild.add(std::mem::take(&mut docs))?;
            sections = 0;
        }
    }
    rebuild.add(docs)?;
    rebuild.finish(heads)?;
    writer.flush()?;
    tracing::info!(
        documents = count,
        ms = started.elapsed().as_millis() as u64,
        entries = index.num_docs(),
        "search index rebuilt"
    );
    Ok(heads)
}

/// Sends what changed since `position`; returns the new position.
fn catch_up(
    store: &Store,
    writer: &SearchWriter,
    position: Position,
) -> Result<Position, FollowError> {
    let (entity_changes, doc_changes) = store.read(|tx| {
        Ok::<_, StoreError>((
            tx.changes_since(position.entities, CHANGES_PER_ROUND)?,
            tx.doc_changes_since(position.docs, CHANGES_PER_ROUND)?,
        ))
    })?;
    if entity_changes.is_empty() && doc_changes.is_empty() {
        return Ok(position);
    }
    let next = Position {
        entities: entity_changes.last().map_or(position.entities, |c| c.seq),
        docs: doc_changes.last().map_or(position.docs, |c| c.seq),
    };
    let _span = tracing::info_span!(
        "index update",
        entity_changes = entity_changes.len(),
        doc_changes = doc_changes.len(),
        to_entities = next.entities,
        to_docs = next.docs,
    )
    .entered();
    let entity_refs: Vec<String> = entity_changes
        .into_iter()
        .map(|c| c.entity_ref)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let doc_refs: BTreeSet<String> = doc_changes.into_iter().map(|c| c.entity_ref).collect();
    let mut updates = Vec::with_capacity(entity_refs.len() + doc_refs.len());
    let rows = store.read(|tx| tx.final_json_by_refs(&entity_refs))?;
    let mut found = BTreeSet::new();
    for (entity_ref, json) in rows {
        let doc = json
            .as_deref()
            .and_then(parse)
            .as_ref()
            .and_then(EntityDoc::from_entity_json);
        match doc {
            Some(doc) => {
                found.insert(entity_ref);
                updates.push(Update::UpsertEntity(doc));
            }
            None => updates.push(Update::RemoveEntity(entity_ref)),
        }
    }
    for entity_ref in entity_refs.iter().filter(|r| !found.contains(*r)) {
        updates.push(Update::RemoveEntity(entity_ref.clone()));
        updates.push(Update::RemoveDocs(entity_ref.clone()));
    }
    // Doc sections carry their entity's title, owner and lifecycle: an
    // entity change re-sends the docs of an entity that has a site.
    let mut doc_refs = doc_refs;
    if !found.is_empty() {
        let sites = store.read(|tx| tx.doc_sites())?;
        doc_refs.extend(
            sites
                .into_iter()
                .filter(|site| !site.etag.is_empty() && found.contains(&site.entity_ref))
                .map(|site| site.entity_ref),
        );
    }
    for entity_ref in doc_refs {
        updates.push(doc_update(store, &entity_ref)?);
    }
    let count = updates.len() as u64;
    writer.send(Batch {
        updates,
        position: next,
    })?;
    metrics::counter!("portico_search_index_updates_total").increment(count);
    Ok(next)
}

/// The doc pages of an entity's site as search documents (removal when
/// the site or the entity is gone).
fn doc_update(store: &Store, entity_ref: &str) -> Result<Update, FollowError> {
    let pages = served::search_pages(store, entity_ref)?;
    let entity = store
        .read(|tx| tx.final_json_by_refs(&[entity_ref.to_string()]))?
        .into_iter()
        .next()
        .and_then(|(_, json)| json.as_deref().and_then(parse));
    let (Some(entity), false) = (entity, pages.is_empty()) else {
        return Ok(Update::RemoveDocs(entity_ref.to_string()));
    };
    let text = |pointer: &str| {
        entity
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let kind = text("/kind").unwrap_or_default();
    let namespace = text("/metadata/namespace").unwrap_or_else(|| "default".to_string());
    let name = text("/metadata/name").unwrap_or_default();
    let entity_title = text("/metadata/title").unwrap_or_else(|| name.clone());
    // The same owner form as catalog documents, so one owner filter finds both.
    let owner = text("/spec/owner").map(|o| portico_search::full_owner_ref(&o, &namespace));
    let lifecycle = text("/spec/lifecycle");
    let pages = pages
        .into_iter()
        .map(|page| DocPageDoc {
            entity_ref: entity_ref.to_string(),
            entity_title: entity_title.clone(),
            kind: kind.clone(),
            namespace: namespace.clone(),
            name: name.clone(),
            owner: owner.clone(),
            lifecycle: lifecycle.clone(),
            page_title: page.title,
            page_url: page.url,
            sections: page
                .sections
                .into_iter()
                .map(|s| SectionDoc {
                    heading: s.heading,
                    anchor: s.anchor,
                    text: s.text,
                })
                .collect(),
        })
        .collect();
    Ok(Update::ReplaceDocs {
        entity_ref: entity_ref.to_string(),
        pages,
    })
}

fn parse(json: &str) -> Option<Value> {
    serde_json::from_str(json).ok()
}

#[derive(Debug, thiserror::Error)]
enum FollowError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] SearchError),
}
