//! One set of entity writes inside one transaction: rows to upsert, rows to
//! delete, relations to replace, and at the end the stitch of every entity
//! whose relations or content changed, with a change-log entry for each
//! entity a reader would now see differently.

use std::collections::{BTreeSet, HashMap, HashSet};

use portico_store::{EntityRow, RelationRow, Tx};

use crate::error::CatalogError;
use crate::stitch::final_entity;

pub(crate) struct Changeset {
    now: i64,
    dirty: HashMap<String, EntityRow>,
    to_stitch: HashSet<String>,
    deleted: HashSet<String>,
    changed: BTreeSet<String>,
}

impl Changeset {
    pub(crate) fn new(now: i64) -> Self {
        Changeset {
            now,
            dirty: HashMap::new(),
            to_stitch: HashSet::new(),
            deleted: HashSet::new(),
            changed: BTreeSet::new(),
        }
    }

    pub(crate) fn now(&self) -> i64 {
        self.now
    }

    /// Writes this row (as given) and re-stitches it.
    pub(crate) fn put(&mut self, row: EntityRow) {
        self.deleted.remove(&row.entity_ref);
        self.to_stitch.insert(row.entity_ref.clone());
        // A row whose errors changed is visible (status.items, or the failed
        // list) even when its final JSON does not change.
        self.changed.insert(row.entity_ref.clone());
        self.dirty.insert(row.entity_ref.clone(), row);
    }

    /// Replaces every relation row that `origins` made with `rows`, and marks
    /// every entity on either end of an old or new row for stitching.
    pub(crate) fn replace_relations(
        &mut self,
        tx: &mut Tx<'_>,
        origins: &[String],
        rows: Vec<RelationRow>,
    ) -> Result<(), CatalogError> {
        if origins.is_empty() {
            return Ok(());
        }
        for old in tx.relations_by_origins(origins)? {
            self.to_stitch.insert(old.source_ref);
        }
        tx.delete_relations_by_origins(origins)?;
        for row in &rows {
            self.to_stitch.insert(row.source_ref.clone());
        }
        tx.insert_relations(&rows)?;
        Ok(())
    }

    /// Deletes these entities and the relations their specs made; neighbours
    /// that lose an inverse relation are re-stitched.
    pub(crate) fn delete(&mut self, tx: &mut Tx<'_>, refs: &[String]) -> Result<(), CatalogError> {
        if refs.is_empty() {
            return Ok(());
        }
        self.replace_relations(tx, refs, Vec::new())?;
        tx.delete_entities(refs)?;
        for r in refs {
            self.dirty.remove(r);
            self.to_stitch.remove(r);
            self.deleted.insert(r.clone());
            self.changed.insert(r.clone());
        }
        Ok(())
    }

    /// Stitches, writes and logs everything; returns the refs that changed.
    pub(crate) fn finish(mut self, tx: &mut Tx<'_>) -> Result<Vec<String>, CatalogError> {
        let stitch: Vec<String> = self
            .to_stitch
            .iter()
            .filter(|k| !self.deleted.contains(*k))
            .cloned()
            .collect();
        let to_load: Vec<String> = stitch
            .iter()
            .filter(|k| !self.dirty.contains_key(*k))
            .cloned()
            .collect();
        let mut clean: HashMap<String, EntityRow> = tx
            .entities_by_refs(&to_load)?
            .into_iter()
            .map(|r| (r.entity_ref.clone(), r))
            .collect();

        let relation_rows = tx.relations_by_sources(&stitch)?;
        let mut by_source: HashMap<&str, Vec<&RelationRow>> = HashMap::new();
        for r in &relation_rows {
            by_source.entry(r.source_ref.as_str()).or_default().push(r);
        }

        let mut restitched: Vec<EntityRow> = Vec::new();
        for key in &stitch {
            let rels = by_source
                .get(key.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            if let Some(row) = self.dirty.get_mut(key) {
                apply_final(row, rels)?;
            } else if let Some(mut row) = clean.remove(key) {
                if apply_final(&mut row, rels)? {
                    self.changed.insert(key.clone());
                    restitched.push(row);
                }
            }
            // Neither: a relation points at an entity that does not exist
            // (yet). Nothing to stitch; it gets its relations when it arrives.
        }

        let mut rows: Vec<EntityRow> = self.dirty.into_values().collect();
        rows.extend(restitched);
        rows.sort_by(|a, b| a.entity_ref.cmp(&b.entity_ref));
        tx.upsert_entities(&rows)?;
        let changed: Vec<String> = self.changed.into_iter().collect();
        tx.append_changes(&changed, self.now)?;
        Ok(changed)
    }
}

/// Sets the row's final JSON and etag; true when they changed.
fn apply_final(row: &mut EntityRow, rels: &[&RelationRow]) -> Result<bool, CatalogError> {
    let (json, etag) = match final_entity(row, rels)? {
        Some((json, etag)) => (Some(json), etag),
        None => (None, String::new()),
    };
    if row.final_json == json {
        return Ok(false);
    }
    row.final_json = json;
    row.etag = etag;
    // `updated_at` stays: it says when the entity's own definition changed,
    // and relations other entities add to it are not that.
    Ok(true)
}
