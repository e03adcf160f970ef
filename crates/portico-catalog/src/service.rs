//! `Catalog`: the one object the server talks to. Writes go through the store
//! in one transaction each; reads are answered from an in-memory index that
//! follows the store's change log, so every replica converges on the same
//! state.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};

use portico_query::{CatalogIndex, EntityJson};
use portico_store::{now_ms, EntityRow, LocationRow, Store};

use crate::changeset::Changeset;
use crate::commit::{commit_read, new_uid, retire, to_json, OrphanStrategy, StoredProblem};
use crate::error::CatalogError;
use crate::read::{
    read_location, read_location_if_changed, GitTarget, LocationRead, LocationSpec, Problem,
    ProcessedEntity, ReadOptions, Severity,
};
use crate::schedule::{millis, RefreshPolicy};

#[derive(Debug, Clone, Default)]
pub struct CatalogConfig {
    pub orphan_strategy: OrphanStrategy,
    pub read: ReadOptions,
    pub refresh: RefreshPolicy,
    /// Locations registered by discovery providers: what they stop emitting
    /// is deleted whatever `orphan_strategy` says, as a provider's set of
    /// entities is complete by definition.
    pub provider_locations: Vec<LocationSpec>,
    /// The only locations whose Group and User entities are taken, when
    /// set: memberships decide what a signed-in user may do, so they must
    /// not come from a file anyone could register. `None`: any location.
    pub org_locations: Option<Vec<LocationSpec>>,
}

/// How `add_location` treats a read with problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddMode {
    /// Process and report; store nothing. Errors refuse, as `Strict` would.
    DryRun,
    /// Registration through the API: any error refuses the whole location.
    Strict,
    /// Locations from configuration: register what can be read, record the
    /// rest. One registered already is made due for refresh.
    Lenient,
}

#[derive(Debug, Clone)]
pub struct AddedLocation {
    pub location: LocationRow,
    pub entities: Vec<Arc<EntityJson>>,
    /// Only for dry runs: the location is already registered.
    pub exists: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The content hash matched the last read: nothing was written.
    Unchanged,
    /// The read was committed; these entity refs changed.
    Committed(Vec<String>),
    /// The location could not be read; its entities were kept.
    Failed(String),
    /// Another replica is refreshing it and did not finish in time.
    Busy { owner: String, until: i64 },
}

#[derive(Debug, Clone)]
pub struct AncestryItem {
    pub entity: Arc<EntityJson>,
    pub parent_entity_refs: Vec<String>,
}

/// Change-log entries read at a time by `sync`.
const SYNC_CHANGES: i64 = 5_000;

/// Entities `sync` loads and indexes together. Only one batch of store rows is held besides
/// the index, and readers wait for one batch at most. The store looks refs up 500 at a time,
/// so this costs no extra queries.
const SYNC_BATCH: usize = 500;
/// Entities per page when the index is rebuilt from the store.
const RELOAD_PAGE: i64 = 2_000;

pub struct Catalog {
    store: Store,
    config: CatalogConfig,
    index: RwLock<CatalogIndex>,
    /// The last change-log sequence applied to `index`.
    synced_seq: Mutex<i64>,
    /// Serialises this process's writers; the database serialises replicas.
    write_lock: Mutex<()>,
    /// Names this process in location claims.
    replica_id: String,
    /// Set at shutdown: `refresh_due` claims no more locations.
    stop_refreshing: std::sync::atomic::AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave our data half-written (the
    // store rolls back), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Catalog {
    /// Opens the catalog over a store and loads the index from it.
    pub fn open(store: Store, config: CatalogConfig) -> Result<Catalog, CatalogError> {
        let catalog = Catalog {
            store,
            config,
            index: RwLock::new(CatalogIndex::new()),
            synced_seq: Mutex::new(0),
            write_lock: Mutex::new(()),
            replica_id: replica_id(),
            stop_refreshing: std::sync::atomic::AtomicBool::new(false),
        };
        catalog.reload_index()?;
        Ok(catalog)
    }

    /// Stops scheduled refreshing: reads under way finish, no more
    /// locations are claimed. For shutdown; other replicas take over.
    pub fn stop_refreshing(&self) {
        self.stop_refreshing
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn refreshing_stopped(&self) -> bool {
        self.stop_refreshing
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &CatalogConfig {
        &self.config
    }

    /// This process's name in location claims: host, pid and a random part.
    pub fn replica_id(&self) -> &str {
        &self.replica_id
    }

    /// Read access to the in-memory index. Hold it briefly.
    pub fn index(&self) -> RwLockReadGuard<'_, CatalogIndex> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    fn reload_index(&self) -> Result<(), CatalogError> {
        let mut seq = lock(&self.synced_seq);
        let last = self.store.read(|tx| tx.last_change_seq())?;
        let mut index = CatalogIndex::new();
        // Page by ref through two columns only, so a restart holds one page
        // of JSON at a time beside the index, not every full row.
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store
                .read(|tx| tx.final_entities_page(after.as_deref(), RELOAD_PAGE))?;
            let Some((last, _)) = page.last() else { break };
            after = Some(last.clone());
            for (entity_ref, json) in &page {
                index_final(&mut index, entity_ref, json)?;
            }
        }
        *self.index.write().unwrap_or_else(|e| e.into_inner()) = index;
        *seq = last;
        Ok(())
    }

    /// Applies every change-log entry since the last sync to the index:
    /// this process's writes and other replicas' alike. Returns how many
    /// entities were updated. A large change reaches readers in batches of
    /// `SYNC_BATCH` entities.
    pub fn sync(&self) -> Result<usize, CatalogError> {
        let mut seq = lock(&self.synced_seq);
        let mut applied = 0;
        loop {
            let changes = self.store.read(|tx| tx.changes_since(*seq, SYNC_CHANGES))?;
            let Some(last) = changes.last().map(|c| c.seq) else {
                break;
            };
            let mut refs: Vec<String> = changes.into_iter().map(|c| c.entity_ref).collect();
            refs.sort();
            refs.dedup();
            for batch in refs.chunks(SYNC_BATCH) {
                let rows = self.store.read(|tx| tx.final_json_by_refs(batch))?;
                let finals: HashMap<&str, &str> = rows
                    .iter()
                    .filter_map(|(r, json)| Some((r.as_str(), json.as_deref()?)))
                    .collect();
                let mut index = self.index.write().unwrap_or_else(|e| e.into_inner());
                for r in batch {
                    match finals.get(r.as_str()) {
                        Some(json) => index_final(&mut index, r, json)?,
                        None => {
                            index.remove(r);
                        }
                    }
                }
            }
            applied += refs.len();
            *seq = last;
        }
        Ok(applied)
    }

    pub fn locations(&self) -> Result<Vec<LocationRow>, CatalogError> {
        Ok(self.store.read(|tx| tx.locations())?)
    }

    pub fn location(&self, id: &str) -> Result<LocationRow, CatalogError> {
        self.store
            .read(|tx| tx.location(id))?
            .ok_or_else(|| CatalogError::NotFound(format!("Found no location with ID {id}")))
    }

    /// Problems recorded by the location's last read.
    pub fn location_problems(location: &LocationRow) -> Vec<StoredProblem> {
        serde_json::from_str(&location.errors_json).unwrap_or_default()
    }

    /// Registers (or, for `DryRun`, only processes) a location.
    pub fn add_location(
        &self,
        location_type: &str,
        target: &str,
        mode: AddMode,
    ) -> Result<AddedLocation, CatalogError> {
        let spec = normalize_spec(location_type, target, &self.config.read)?;
        let existing = self
            .store
            .read(|tx| tx.location_by_target(&spec.location_type, &spec.target))?;
        if let Some(existing) = &existing {
            match mode {
                AddMode::Strict => {
                    return Err(CatalogError::Conflict(format!(
                        "Location {}:{} already exists",
                        spec.location_type, spec.target
                    )))
                }
                AddMode::Lenient => {
                    // Made due rather than read here: a start-up with many
                    // configured locations then refreshes them in parallel
                    // (`refresh_due`), with claims, instead of one by one.
                    self.store.transaction(|tx| {
                        tx.schedule_location(&existing.id, 0)
                            .map_err(CatalogError::from)
                    })?;
                    let entities = self.entities_of_location(&existing.id)?;
                    return Ok(AddedLocation {
                        location: existing.clone(),
                        entities,
                        exists: true,
                    });
                }
                AddMode::DryRun => {}
            }
        }
        let mut read = read_location(&spec, &self.config.read)?;
        self.confine_org(&spec, &mut read);
        if mode != AddMode::Lenient && read.has_errors() {
            let mut errors: Vec<_> = read
                .problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .cloned()
                .collect();
            for e in &read.entities {
                errors.extend(
                    e.problems
                        .iter()
                        .filter(|p| p.severity == Severity::Error)
                        .cloned(),
                );
            }
            return Err(CatalogError::Invalid(errors));
        }
        let now = now_ms();
        let row = LocationRow {
            id: existing
                .as_ref()
                .map(|l| l.id.clone())
                .unwrap_or_else(new_uid),
            location_type: spec.location_type.clone(),
            target: spec.target.clone(),
            content_hash: None,
            errors_json: "[]".to_string(),
            refreshed_at: None,
            created_at: now,
        };
        if mode == AddMode::DryRun {
            let conflicts =
                self.conflicting_owners(&read.entities, existing.as_ref().map(|l| l.id.as_str()))?;
            if !conflicts.is_empty() {
                return Err(CatalogError::Conflict(conflicts.join("; ")));
            }
            let entities = dry_run_entities(&read.entities)?;
            return Ok(AddedLocation {
                location: row,
                entities,
                exists: existing.is_some(),
            });
        }

        let _writer = lock(&self.write_lock);
        let strategy = self.strategy_for(&spec);
        let next_refresh = now.saturating_add(millis(self.config.refresh.next_delay(0)));
        self.store.transaction(|tx| {
            tx.insert_location(&row)?;
            tx.schedule_location(&row.id, next_refresh)?;
            let outcome = commit_read(tx, &row, &read, strategy, now)?;
            if mode == AddMode::Strict && !outcome.conflicts.is_empty() {
                let msgs: Vec<String> = outcome
                    .conflicts
                    .iter()
                    .map(|p| p.message.clone())
                    .collect();
                return Err(CatalogError::Conflict(msgs.join("; ")));
            }
            Ok(())
        })?;
        // The read holds every parsed document; free it before the index
        // grows, so the peak is one copy of the catalog, not two.
        drop(read);
        drop(_writer);
        self.sync()?;
        let location = self.location(&row.id)?;
        let entities = self.entities_of_location(&row.id)?;
        Ok(AddedLocation {
            location,
            entities,
            exists: false,
        })
    }

    fn conflicting_owners(
        &self,
        entities: &[ProcessedEntity],
        own_id: Option<&str>,
    ) -> Result<Vec<String>, CatalogError> {
        let keys: Vec<String> = entities.iter().map(|e| e.entity_ref.clone()).collect();
        let rows = self.store.read(|tx| tx.entities_by_refs(&keys))?;
        Ok(rows
            .into_iter()
            .filter(|r| Some(r.location_id.as_str()) != own_id && !r.orphan)
            .map(|r| {
                format!(
                    "conflict: entity {} is already managed by another location",
                    r.entity_ref
                )
            })
            .collect())
    }

    /// Final entities managed by a location, as served.
    pub fn entities_of_location(&self, id: &str) -> Result<Vec<Arc<EntityJson>>, CatalogError> {
        let refs = self.store.read(|tx| tx.entity_refs_of_location(id))?;
        let index = self.index();
        Ok(refs.iter().filter_map(|r| index.get(r)).collect())
    }

    /// Re-reads a location and commits what changed. A read identical to the
    /// last one writes nothing; a failed read keeps every entity. Callers
    /// hold the location's claim (see `schedule.rs`).
    pub(crate) fn refresh_unclaimed(&self, id: &str) -> Result<RefreshOutcome, CatalogError> {
        let location = self.location(id)?;
        let spec = LocationSpec {
            location_type: location.location_type.clone(),
            target: location.target.clone(),
        };
        // Reading (maybe fetching) happens outside the write lock: refreshes
        // of different locations proceed in parallel, commits one at a time.
        let last_hash = location.content_hash.as_deref();
        let mut read = match read_location_if_changed(&spec, &self.config.read, last_hash) {
            Ok(Some(read)) => read,
            Ok(None) => return Ok(RefreshOutcome::Unchanged),
            Err(e) => {
                let _writer = lock(&self.write_lock);
                let message = e.to_string();
                let problems = vec![StoredProblem {
                    level: "error".to_string(),
                    file: Some(location.target.clone()),
                    line: None,
                    column: None,
                    field: None,
                    message: message.clone(),
                }];
                let errors_json = to_json(&problems)?;
                if location.errors_json != errors_json || location.content_hash.is_some() {
                    // No content hash: the next good read must be committed
                    // even if it equals the last good one, to clear the error.
                    self.store.transaction(|tx| {
                        tx.update_location_state(&location.id, None, &errors_json, now_ms())
                            .map_err(CatalogError::from)
                    })?;
                }
                return Ok(RefreshOutcome::Failed(message));
            }
        };
        self.confine_org(&spec, &mut read);
        let _writer = lock(&self.write_lock);
        let strategy = self.strategy_for(&spec);
        let outcome = self
            .store
            .transaction(|tx| commit_read(tx, &location, &read, strategy, now_ms()))?;
        drop(read);
        drop(_writer);
        self.sync()?;
        Ok(RefreshOutcome::Committed(outcome.changed))
    }

    /// Fails the Group and User entities of a location that may not define
    /// the organisation (see [`CatalogConfig::org_locations`]): they are
    /// not stored, nor are the memberships they declare.
    fn confine_org(&self, spec: &LocationSpec, read: &mut LocationRead) {
        let Some(allowed) = &self.config.org_locations else {
            return;
        };
        if allowed.contains(spec) {
            return;
        }
        for pe in &mut read.entities {
            let kind = pe.entity_ref.split(':').next().unwrap_or_default();
            if kind == "group" || kind == "user" {
                pe.problems.push(
                    Problem::error(format!(
                        "{} cannot be registered here: Group and User entities come only from locations in the configuration (catalog.locations and providers), as they decide who may do what; set catalog.allowOrgFromRegisteredLocations to allow it",
                        pe.entity_ref
                    ))
                    .at(&pe.file, Some(pe.line)),
                );
            }
        }
    }

    fn strategy_for(&self, spec: &LocationSpec) -> OrphanStrategy {
        if self.config.provider_locations.contains(spec) {
            OrphanStrategy::Delete
        } else {
            self.config.orphan_strategy
        }
    }

    /// Refreshes the location that manages an entity.
    pub fn refresh_entity(&self, entity_ref: &str) -> Result<RefreshOutcome, CatalogError> {
        let row = self.entity_row(entity_ref)?;
        self.refresh_location(&row.location_id)
    }

    fn entity_row(&self, entity_ref: &str) -> Result<EntityRow, CatalogError> {
        let key = entity_ref.to_lowercase();
        let rows = self
            .store
            .read(|tx| tx.entities_by_refs(std::slice::from_ref(&key)))?;
        rows.into_iter()
            .next()
            .ok_or_else(|| CatalogError::NotFound(format!("No entity named '{entity_ref}' found")))
    }

    /// Removes a location; its entities are deleted or orphaned per config.
    pub fn delete_location(&self, id: &str) -> Result<(), CatalogError> {
        let _writer = lock(&self.write_lock);
        let strategy = self.config.orphan_strategy;
        self.store.transaction(|tx| {
            if tx.location(id)?.is_none() {
                return Err(CatalogError::NotFound(format!(
                    "Found no location with ID {id}"
                )));
            }
            let owned = tx.entities_of_location(id)?;
            let mut changes = Changeset::new(now_ms());
            retire(
                tx,
                &mut changes,
                &owned.iter().collect::<Vec<_>>(),
                strategy,
            )?;
            tx.delete_location(id)?;
            forget_read_hashes(tx)?;
            changes.finish(tx)?;
            Ok(())
        })?;
        drop(_writer);
        self.sync()?;
        Ok(())
    }

    /// Makes the configuration file's list the truth for the locations it
    /// registers: those in `listed` (ids) are marked as registered by the
    /// configuration, and the ones it registered before but no longer lists
    /// are deleted, with their entities. Returns the deleted ids.
    pub fn retain_config_locations(&self, listed: &[String]) -> Result<Vec<String>, CatalogError> {
        let previous = self.store.transaction(|tx| {
            for id in listed {
                tx.set_registered_by(id, "config")?;
            }
            tx.locations_registered_by("config")
                .map_err(CatalogError::from)
        })?;
        let mut deleted = Vec::new();
        for location in previous {
            if !listed.contains(&location.id) {
                self.delete_location(&location.id)?;
                tracing::info!(
                    target = %location.target,
                    "location removed from the configuration: unregistered"
                );
                deleted.push(location.id);
            }
        }
        Ok(deleted)
    }

    /// Deletes one entity. Like Backstage, it comes back on its location's
    /// next refresh if the location still emits it.
    pub fn delete_entity_by_uid(&self, uid: &str) -> Result<(), CatalogError> {
        let _writer = lock(&self.write_lock);
        self.store.transaction(|tx| {
            let Some(row) = tx.entity_by_uid(uid)? else {
                return Err(CatalogError::NotFound(format!("No entity with uid {uid}")));
            };
            let mut changes = Changeset::new(now_ms());
            changes.delete(tx, std::slice::from_ref(&row.entity_ref))?;
            if let Some(loc) = tx.location(&row.location_id)? {
                forget_read_hash(tx, &loc)?;
            }
            changes.finish(tx)?;
            Ok(())
        })?;
        drop(_writer);
        self.sync()?;
        Ok(())
    }

    /// The location that manages an entity.
    pub fn location_of_entity(&self, entity_ref: &str) -> Result<LocationRow, CatalogError> {
        let row = self.entity_row(entity_ref)?;
        self.location(&row.location_id)
    }

    /// The entity and the chain of Location entities that emitted it.
    pub fn ancestry(&self, entity_ref: &str) -> Result<Vec<AncestryItem>, CatalogError> {
        let mut items = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut next = Some(entity_ref.to_lowercase());
        while let Some(key) = next.take() {
            // Parent links come from our own reads, which refuse cycles; the
            // guard only keeps a hand-edited database from looping forever.
            if !seen.insert(key.clone()) {
                break;
            }
            let row = self.entity_row(&key)?;
            let entity = self
                .index()
                .get(&key)
                .ok_or_else(|| CatalogError::NotFound(format!("No entity named '{key}' found")))?;
            let parents: Vec<String> = row.parent_ref.iter().cloned().collect();
            next = row.parent_ref.clone();
            items.push(AncestryItem {
                entity,
                parent_entity_refs: parents,
            });
        }
        Ok(items)
    }

    /// Entities whose last processing failed (the served version, if any, is
    /// the last good one), with their errors.
    pub fn failed_entities(&self) -> Result<Vec<EntityRow>, CatalogError> {
        let rows = self.store.read(|tx| tx.all_entities())?;
        Ok(rows
            .into_iter()
            .filter(|r| has_error_items(&r.errors_json))
            .collect())
    }
}

fn replica_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_string());
    format!("{host}-{}-{}", std::process::id(), &new_uid()[..8])
}

fn has_error_items(errors_json: &str) -> bool {
    crate::stitch::status_items(errors_json)
        .map(|items| items.iter().any(|i| i.level == "error"))
        .unwrap_or(true)
}

/// After a location is deleted, entities it owned may now be claimable by a
/// location that was refused them; forgetting read hashes makes the next
/// refresh re-commit every location.
fn forget_read_hashes(tx: &mut portico_store::Tx<'_>) -> Result<(), CatalogError> {
    for loc in tx.locations()? {
        forget_read_hash(tx, &loc)?;
    }
    Ok(())
}

/// Makes the next refresh of `loc` commit its read even if the content is
/// unchanged, keeping its recorded problems and last read time.
fn forget_read_hash(tx: &mut portico_store::Tx<'_>, loc: &LocationRow) -> Result<(), CatalogError> {
    if loc.content_hash.is_some() {
        tx.update_location_state(
            &loc.id,
            None,
            &loc.errors_json,
            loc.refreshed_at.unwrap_or(0),
        )?;
    }
    Ok(())
}

/// Indexes a stored final entity from its JSON text, which the index keeps as is.
fn index_final(index: &mut CatalogIndex, key: &str, json: &str) -> Result<(), CatalogError> {
    index
        .upsert_json(json)
        .map_err(|e| CatalogError::Corrupt(format!("{key}: {e}")))
}

/// Checks the type and turns a file target into an absolute, canonical path,
/// so the same file registered twice is recognised. With allowed roots, a
/// target outside them is refused before the filesystem is touched (so the
/// answer says nothing about what exists there), and again after symlinks
/// are resolved.
pub fn normalize_spec(
    location_type: &str,
    target: &str,
    opts: &ReadOptions,
) -> Result<LocationSpec, CatalogError> {
    let target = target.trim();
    if target.is_empty() {
        return Err(CatalogError::Input(
            "Location target must not be empty".to_string(),
        ));
    }
    match location_type {
        "file" => {
            let absolute = confined_path(target, opts)?;
            let canonical = absolute.canonicalize().map_err(|e| {
                CatalogError::NotFound(format!(
                    "Location target {} cannot be read: {e}",
                    absolute.display()
                ))
            })?;
            check_resolved(&canonical, opts)?;
            Ok(LocationSpec {
                location_type: "file".to_string(),
                target: canonical.to_string_lossy().into_owned(),
            })
        }
        "url" | "git" => {
            let parsed = GitTarget::parse(location_type, target)?;
            parsed.check_allowed(opts)?;
            // A `url` target is kept as written: it is also the link users
            // follow. A `git` target is stored in one canonical form.
            let target = match location_type {
                "git" => parsed.git_target(),
                _ => target.to_string(),
            };
            Ok(LocationSpec {
                location_type: location_type.to_string(),
                target,
            })
        }
        other => Err(CatalogError::Input(format!(
            "Location type '{other}' is not supported; supported types: file, url, git"
        ))),
    }
}

/// A file target (a path or `file://` URL) made absolute with `.` and `..`
/// resolved lexically, refused if outside the allowed roots. Touches no file.
pub(crate) fn confined_path(target: &str, opts: &ReadOptions) -> Result<PathBuf, CatalogError> {
    let path = target.strip_prefix("file://").unwrap_or(target);
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let absolute = crate::read::join_normalized(&cwd, path);
    check_resolved(&absolute, opts)?;
    Ok(absolute)
}

/// Refuses a path outside the allowed roots.
pub(crate) fn check_resolved(path: &Path, opts: &ReadOptions) -> Result<(), CatalogError> {
    if opts.allows(path) {
        Ok(())
    } else {
        Err(CatalogError::Read(crate::read::ReadError::NotAllowed(
            path.to_string_lossy().into_owned(),
        )))
    }
}

/// What a dry run returns: each entity as it would be served, with the
/// relations this read alone makes (no uid: nothing was stored).
fn dry_run_entities(entities: &[ProcessedEntity]) -> Result<Vec<Arc<EntityJson>>, CatalogError> {
    let mut by_source: HashMap<String, Vec<portico_model::Relation>> = HashMap::new();
    for e in entities.iter().flat_map(|pe| pe.relations.iter()) {
        by_source
            .entry(e.source.key())
            .or_default()
            .push(portico_model::Relation {
                relation_type: e.relation_type.to_string(),
                target_ref: e.target.key(),
                target: e.target.compound(),
            });
    }
    let mut out = Vec::new();
    for pe in entities {
        let Some(entity) = &pe.entity else { continue };
        let mut entity = entity.clone();
        let mut rels = by_source.remove(&pe.entity_ref).unwrap_or_default();
        rels.sort();
        rels.dedup();
        entity.relations = rels;
        // Serialised as the stitcher writes final entities, so the fields come in the order
        // a registered entity is served in.
        let json = EntityJson::from_serialize(&entity)
            .map_err(|e| CatalogError::Corrupt(e.to_string()))?;
        out.push(Arc::new(json));
    }
    Ok(out)
}
