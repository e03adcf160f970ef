//! Committing one read of a location: upsert what it emits, refuse what
//! another location already owns, orphan (or delete) what it no longer emits.
//! The caller runs this inside one transaction.

use std::collections::{HashMap, HashSet};

use portico_model::{annotations, ErrorInfo, StatusItem};
use portico_store::{EntityRow, LocationRow, RelationRow, Tx};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use crate::changeset::Changeset;
use crate::error::CatalogError;
use crate::read::{LocationRead, Problem, ProcessedEntity, Severity};
use crate::stitch::compound_from_key;

/// What happens to entities their location no longer emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrphanStrategy {
    /// Keep them, marked `backstage.io/orphan: "true"`, until deleted by hand.
    Keep,
    /// Delete them at once (Backstage's default since catalog-backend 3.0).
    #[default]
    Delete,
}

/// A problem as stored on a location and served by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredProblem {
    pub level: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
}

impl From<&Problem> for StoredProblem {
    fn from(p: &Problem) -> Self {
        StoredProblem {
            level: level(p.severity).to_string(),
            file: p.file.clone(),
            line: p.line,
            column: p.column,
            field: p.field.clone(),
            message: p.to_string(),
        }
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

pub(crate) const PROCESSING_STATUS: &str = "backstage.io/catalog-processing";

pub(crate) fn status_item(p: &Problem) -> StatusItem {
    let message = p.to_string();
    StatusItem {
        item_type: PROCESSING_STATUS.to_string(),
        level: level(p.severity).to_string(),
        message: message.clone(),
        error: Some(ErrorInfo {
            name: "InputError".to_string(),
            message,
        }),
    }
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String, CatalogError> {
    serde_json::to_string(value).map_err(|e| CatalogError::Corrupt(e.to_string()))
}

pub(crate) struct CommitOutcome {
    pub changed: Vec<String>,
    pub conflicts: Vec<Problem>,
}

pub(crate) fn commit_read(
    tx: &mut Tx<'_>,
    location: &LocationRow,
    read: &LocationRead,
    strategy: OrphanStrategy,
    now: i64,
) -> Result<CommitOutcome, CatalogError> {
    let keys: Vec<String> = read.entities.iter().map(|e| e.entity_ref.clone()).collect();
    let existing: HashMap<String, EntityRow> = tx
        .entities_by_refs(&keys)?
        .into_iter()
        .map(|r| (r.entity_ref.clone(), r))
        .collect();
    let owned = tx.entities_of_location(&location.id)?;

    let mut changes = Changeset::new(now);
    let mut conflicts = Vec::new();
    let mut emitted: HashSet<&str> = HashSet::new();
    let mut relation_origins = Vec::new();
    let mut relation_rows = Vec::new();

    for pe in &read.entities {
        let prev = existing.get(&pe.entity_ref);
        if let Some(prev) = prev {
            if prev.location_id != location.id && !prev.orphan {
                conflicts.push(conflict_problem(tx, pe, prev)?);
                continue;
            }
        }
        emitted.insert(pe.entity_ref.as_str());
        let items: Vec<StatusItem> = pe.problems.iter().map(status_item).collect();
        let errors_json = to_json(&items)?;
        match (&pe.entity, pe.has_errors()) {
            (Some(entity), false) => {
                let processed = to_json(entity)?;
                let mut rels: Vec<RelationRow> = pe
                    .relations
                    .iter()
                    .map(|e| RelationRow {
                        source_ref: e.source.key(),
                        relation_type: e.relation_type.to_string(),
                        target_ref: e.target.key(),
                        origin_ref: pe.entity_ref.clone(),
                    })
                    .collect();
                rels.sort_by(|a, b| {
                    (&a.source_ref, &a.relation_type, &a.target_ref).cmp(&(
                        &b.source_ref,
                        &b.relation_type,
                        &b.target_ref,
                    ))
                });
                rels.dedup();
                let hash = content_hash(&processed, &rels, &errors_json);
                if let Some(prev) = prev {
                    let same_place = prev.location_id == location.id
                        && prev.parent_ref == pe.parent_ref
                        && prev.source_file == pe.file
                        && prev.source_line == line(pe);
                    if same_place && !prev.orphan && prev.content_hash == hash {
                        continue;
                    }
                }
                changes.put(EntityRow {
                    entity_ref: pe.entity_ref.clone(),
                    uid: prev.map(|p| p.uid.clone()).unwrap_or_else(new_uid),
                    etag: prev.map(|p| p.etag.clone()).unwrap_or_default(),
                    kind: entity.kind.clone(),
                    namespace: entity.namespace().to_string(),
                    name: entity.metadata.name.clone(),
                    location_id: location.id.clone(),
                    parent_ref: pe.parent_ref.clone(),
                    source_file: pe.file.clone(),
                    source_line: line(pe),
                    processed_json: Some(processed),
                    final_json: prev.and_then(|p| p.final_json.clone()),
                    errors_json,
                    content_hash: hash,
                    orphan: false,
                    created_at: prev.map(|p| p.created_at).unwrap_or(now),
                    updated_at: now,
                });
                relation_origins.push(pe.entity_ref.clone());
                relation_rows.extend(rels);
            }
            _ => {
                // Processing failed: the last good version (if any) stays
                // served, with the errors in its status.
                let row = match prev {
                    Some(prev) => {
                        if prev.errors_json == errors_json
                            && prev.location_id == location.id
                            && !prev.orphan
                        {
                            continue;
                        }
                        EntityRow {
                            location_id: location.id.clone(),
                            errors_json,
                            // Forces a full write when the document is fixed.
                            content_hash: String::new(),
                            orphan: false,
                            processed_json: match &prev.processed_json {
                                Some(p) => Some(set_orphan_annotation(p, false)?),
                                None => None,
                            },
                            updated_at: now,
                            ..prev.clone()
                        }
                    }
                    None => {
                        let c = compound_from_key(&pe.entity_ref);
                        EntityRow {
                            entity_ref: pe.entity_ref.clone(),
                            uid: new_uid(),
                            etag: String::new(),
                            kind: c.kind,
                            namespace: c.namespace,
                            name: c.name,
                            location_id: location.id.clone(),
                            parent_ref: pe.parent_ref.clone(),
                            source_file: pe.file.clone(),
                            source_line: line(pe),
                            processed_json: None,
                            final_json: None,
                            errors_json,
                            content_hash: String::new(),
                            orphan: false,
                            created_at: now,
                            updated_at: now,
                        }
                    }
                };
                changes.put(row);
            }
        }
    }
    changes.replace_relations(tx, &relation_origins, relation_rows)?;

    // A read that failed anywhere in the tree cannot tell "gone" from
    // "unreadable", so it orphans nothing.
    if read.complete {
        let gone: Vec<&EntityRow> = owned
            .iter()
            .filter(|r| !emitted.contains(r.entity_ref.as_str()))
            .collect();
        retire(tx, &mut changes, &gone, strategy)?;
    }

    let mut problems: Vec<StoredProblem> = read.problems.iter().map(StoredProblem::from).collect();
    problems.extend(conflicts.iter().map(StoredProblem::from));
    tx.update_location_state(
        &location.id,
        Some(&read.content_hash),
        &to_json(&problems)?,
        now,
    )?;
    let changed = changes.finish(tx)?;
    Ok(CommitOutcome { changed, conflicts })
}

/// Orphans (or deletes, per strategy) entities whose location stopped
/// emitting them or was deleted.
pub(crate) fn retire(
    tx: &mut Tx<'_>,
    changes: &mut Changeset,
    rows: &[&EntityRow],
    strategy: OrphanStrategy,
) -> Result<(), CatalogError> {
    match strategy {
        OrphanStrategy::Delete => {
            let refs: Vec<String> = rows.iter().map(|r| r.entity_ref.clone()).collect();
            changes.delete(tx, &refs)?;
        }
        OrphanStrategy::Keep => {
            for row in rows.iter().filter(|r| !r.orphan) {
                let processed = match &row.processed_json {
                    Some(p) => Some(set_orphan_annotation(p, true)?),
                    None => None,
                };
                changes.put(EntityRow {
                    orphan: true,
                    processed_json: processed,
                    content_hash: String::new(),
                    updated_at: changes.now(),
                    ..(*row).clone()
                });
            }
        }
    }
    Ok(())
}

fn conflict_problem(
    tx: &mut Tx<'_>,
    pe: &ProcessedEntity,
    owner: &EntityRow,
) -> Result<Problem, CatalogError> {
    let owner_desc = match tx.location(&owner.location_id)? {
        Some(l) => format!("{}:{}", l.location_type, l.target),
        None => format!("location {}", owner.location_id),
    };
    Ok(Problem {
        severity: Severity::Error,
        file: Some(pe.file.clone()),
        line: Some(pe.line),
        column: None,
        field: None,
        message: format!(
            "conflict: entity {} is already managed by {owner_desc}; the first location keeps it",
            pe.entity_ref
        ),
    })
}

fn set_orphan_annotation(processed_json: &str, orphan: bool) -> Result<String, CatalogError> {
    let mut entity: portico_model::Entity =
        serde_json::from_str(processed_json).map_err(|e| CatalogError::Corrupt(e.to_string()))?;
    if orphan {
        entity
            .metadata
            .annotations
            .insert(annotations::ORPHAN.to_string(), "true".to_string());
    } else {
        entity.metadata.annotations.remove(annotations::ORPHAN);
    }
    to_json(&entity)
}

fn content_hash(processed: &str, rels: &[RelationRow], errors_json: &str) -> String {
    let mut h = Sha1::new();
    h.update(processed.as_bytes());
    for r in rels {
        h.update(format!("\n{} {} {}", r.source_ref, r.relation_type, r.target_ref).as_bytes());
    }
    h.update(b"\n");
    h.update(errors_json.as_bytes());
    hex::encode(h.finalize())
}

fn line(pe: &ProcessedEntity) -> i32 {
    i32::try_from(pe.line).unwrap_or(i32::MAX)
}

pub(crate) fn new_uid() -> String {
    uuid::Uuid::new_v4().to_string()
}
