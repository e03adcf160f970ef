//! Entity storage and the inverted index, kept in step by `upsert` and `remove`.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::flatten::{self, Row};
use crate::postings;
use crate::QueryError;

/// Marks a field whose value is null or too long: the key exists, no value matches.
pub(crate) const NO_VALUE: u32 = u32::MAX;

/// One distinct original value of a key.
pub(crate) struct ValueEntry {
    pub original: Arc<str>,
    pub lower: Arc<str>,
    pub postings: Vec<u32>,
}

/// Everything indexed under one search key.
#[derive(Default)]
pub(crate) struct KeyIndex {
    /// Slots that have the key at all (including null and over-long values).
    pub exists: Vec<u32>,
    /// Value entries by id; freed ids have empty postings and sit in `free`.
    pub values: Vec<ValueEntry>,
    free: Vec<u32>,
    /// Lower-cased value -> ids of the original spellings that lower-case to it.
    pub by_lower: HashMap<Arc<str>, Vec<u32>>,
}

impl KeyIndex {
    fn intern(&mut self, original: &str, lower: &str) -> u32 {
        if let Some(ids) = self.by_lower.get(lower) {
            if let Some(&id) = ids
                .iter()
                .find(|&&id| &*self.values[id as usize].original == original)
            {
                return id;
            }
        }
        let original: Arc<str> = Arc::from(original);
        let lower: Arc<str> = if &*original == lower {
            original.clone()
        } else {
            Arc::from(lower)
        };
        let entry = ValueEntry {
            original,
            lower: lower.clone(),
            postings: Vec::new(),
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.values[id as usize] = entry;
                id
            }
            None => {
                self.values.push(entry);
                (self.values.len() - 1) as u32
            }
        };
        self.by_lower.entry(lower).or_default().push(id);
        id
    }

    /// Frees a value entry once no entity has it, so churn does not grow the dictionary.
    fn release_if_unused(&mut self, id: u32) {
        let entry = &mut self.values[id as usize];
        if !entry.postings.is_empty() {
            return;
        }
        let lower = std::mem::replace(&mut entry.lower, Arc::from(""));
        entry.original = Arc::from("");
        if let Some(ids) = self.by_lower.get_mut(&lower) {
            ids.retain(|&x| x != id);
            if ids.is_empty() {
                self.by_lower.remove(&lower);
            }
        }
        self.free.push(id);
    }

    /// Postings of every original spelling of a lower-cased value.
    pub(crate) fn postings_for(&self, lower: &str) -> Vec<&[u32]> {
        self.by_lower
            .get(lower)
            .map(|ids| {
                ids.iter()
                    .map(|&id| self.values[id as usize].postings.as_slice())
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub(crate) struct Slot {
    pub entity_ref: Box<str>,
    pub uid: Option<Box<str>>,
    pub entity: Arc<Value>,
    /// (key id, value id or NO_VALUE), sorted by key id, document order within a key.
    pub fields: Vec<(u32, u32)>,
}

/// All final entities, indexed for the catalog read API. See the crate docs.
#[derive(Default)]
pub struct CatalogIndex {
    pub(crate) slots: Vec<Option<Slot>>,
    free_slots: Vec<u32>,
    by_ref: HashMap<Box<str>, u32>,
    by_uid: HashMap<Box<str>, u32>,
    key_ids: HashMap<Box<str>, u32>,
    pub(crate) keys: Vec<KeyIndex>,
}

/// Distinct (key, value) pairs and distinct keys of a slot's fields, sorted.
fn pairs_and_keys(fields: &[(u32, u32)]) -> (Vec<(u32, u32)>, Vec<u32>) {
    let mut pairs: Vec<(u32, u32)> = fields.iter().copied().filter(|f| f.1 != NO_VALUE).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut keys: Vec<u32> = fields.iter().map(|f| f.0).collect();
    keys.dedup(); // fields are grouped by key already
    (pairs, keys)
}

/// Items only in `old` and items only in `new`, both sorted and duplicate-free.
fn diff<T: Ord + Copy>(old: &[T], new: &[T]) -> (Vec<T>, Vec<T>) {
    let (mut gone, mut added) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                gone.push(*a);
                i += 1;
            }
            (Some(a), None) => {
                gone.push(*a);
                i += 1;
            }
            (_, Some(b)) => {
                added.push(*b);
                j += 1;
            }
            (None, None) => break,
        }
    }
    (gone, added)
}

impl CatalogIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entities.
    pub fn len(&self) -> usize {
        self.by_ref.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_ref.is_empty()
    }

    /// Entity by ref (`kind:namespace/name`, case-insensitive; `kind:name` means the default
    /// namespace).
    pub fn get(&self, entity_ref: &str) -> Option<Arc<Value>> {
        let slot = *self.by_ref.get(flatten::normalize_ref(entity_ref).as_str())?;
        self.slot(slot).map(|s| s.entity.clone())
    }

    /// Entity by `metadata.uid` (exact match: uids are opaque).
    pub fn get_by_uid(&self, uid: &str) -> Option<Arc<Value>> {
        let slot = *self.by_uid.get(uid)?;
        self.slot(slot).map(|s| s.entity.clone())
    }

    /// Adds a final entity, or replaces the entity with the same ref. Only the search rows
    /// that changed touch the index, so re-upserting an unchanged entity is cheap.
    pub fn upsert(&mut self, entity: Value) -> Result<(), QueryError> {
        let id = flatten::identity(&entity)?;
        let rows = flatten::flatten(&entity);
        let mut fields = self.intern_rows(rows);
        fields.sort_by_key(|f| f.0); // stable: keeps document order within a key

        let (slot, old_fields, old_uid) = match self.by_ref.get(id.entity_ref.as_str()) {
            Some(&slot) => match self.slots[slot as usize].take() {
                Some(old) => (slot, old.fields, old.uid),
                None => (slot, Vec::new(), None),
            },
            None => {
                let slot = self.allocate_slot();
                self.by_ref.insert(id.entity_ref.clone().into(), slot);
                (slot, Vec::new(), None)
            }
        };

        let (old_pairs, old_keys) = pairs_and_keys(&old_fields);
        let (new_pairs, new_keys) = pairs_and_keys(&fields);
        let (gone_pairs, added_pairs) = diff(&old_pairs, &new_pairs);
        let (gone_keys, added_keys) = diff(&old_keys, &new_keys);
        for &(k, v) in &added_pairs {
            postings::insert(&mut self.keys[k as usize].values[v as usize].postings, slot);
        }
        for &k in &added_keys {
            postings::insert(&mut self.keys[k as usize].exists, slot);
        }
        self.unindex(slot, &gone_pairs, &gone_keys);

        if let Some(old_uid) = old_uid {
            if self.by_uid.get(&old_uid) == Some(&slot) {
                self.by_uid.remove(&old_uid);
            }
        }
        let uid = id.uid.map(String::into_boxed_str);
        if let Some(uid) = &uid {
            self.by_uid.insert(uid.clone(), slot);
        }
        self.slots[slot as usize] = Some(Slot {
            entity_ref: id.entity_ref.into(),
            uid,
            entity: Arc::new(entity),
            fields,
        });
        Ok(())
    }

    /// Removes the entity with this ref (case-insensitive). Returns whether it was there.
    pub fn remove(&mut self, entity_ref: &str) -> bool {
        let Some(slot) = self.by_ref.remove(flatten::normalize_ref(entity_ref).as_str()) else {
            return false;
        };
        let Some(old) = self.slots[slot as usize].take() else {
            return false;
        };
        let (pairs, keys) = pairs_and_keys(&old.fields);
        self.unindex(slot, &pairs, &keys);
        if let Some(uid) = old.uid {
            if self.by_uid.get(&uid) == Some(&slot) {
                self.by_uid.remove(&uid);
            }
        }
        self.free_slots.push(slot);
        true
    }

    fn allocate_slot(&mut self) -> u32 {
        match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn intern_rows(&mut self, rows: Vec<Row>) -> Vec<(u32, u32)> {
        rows.into_iter()
            .map(|row| {
                let k = match self.key_ids.get(row.key.as_str()) {
                    Some(&k) => k,
                    None => {
                        self.keys.push(KeyIndex::default());
                        let k = (self.keys.len() - 1) as u32;
                        self.key_ids.insert(row.key.into(), k);
                        k
                    }
                };
                let v = match row.value {
                    Some(v) => self.keys[k as usize].intern(&v.original, &v.lower),
                    None => NO_VALUE,
                };
                (k, v)
            })
            .collect()
    }

    fn unindex(&mut self, slot: u32, pairs: &[(u32, u32)], keys: &[u32]) {
        for &(k, v) in pairs {
            let key = &mut self.keys[k as usize];
            postings::remove(&mut key.values[v as usize].postings, slot);
            key.release_if_unused(v);
        }
        for &k in keys {
            postings::remove(&mut self.keys[k as usize].exists, slot);
        }
    }

    pub(crate) fn slot(&self, slot: u32) -> Option<&Slot> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    pub(crate) fn key_index(&self, key: &str) -> Option<&KeyIndex> {
        let k = *self.key_ids.get(key)?;
        self.keys.get(k as usize)
    }

    pub(crate) fn key_id(&self, key: &str) -> Option<u32> {
        self.key_ids.get(key).copied()
    }

    /// Every live slot, sorted.
    pub(crate) fn all_slots(&self) -> Vec<u32> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some())
            .map(|(i, _)| i as u32)
            .collect()
    }

    /// The first non-null lower-cased value of `key` in `slot`: what ordering compares.
    pub(crate) fn first_value(&self, slot: u32, key: Option<u32>) -> Option<&str> {
        let key = key?;
        let fields = &self.slot(slot)?.fields;
        let start = fields.partition_point(|f| f.0 < key);
        fields[start..]
            .iter()
            .take_while(|f| f.0 == key)
            .find(|f| f.1 != NO_VALUE)
            .map(|f| &*self.keys[key as usize].values[f.1 as usize].lower)
    }

    /// Lower-cased values of `key` in `slot`.
    pub(crate) fn values_of(&self, slot: u32, key: u32) -> impl Iterator<Item = &str> {
        let fields: &[(u32, u32)] = self.slot(slot).map(|s| s.fields.as_slice()).unwrap_or(&[]);
        let start = fields.partition_point(|f| f.0 < key);
        fields[start..]
            .iter()
            .take_while(move |f| f.0 == key)
            .filter(|f| f.1 != NO_VALUE)
            .map(move |f| &*self.keys[key as usize].values[f.1 as usize].lower)
    }

    #[cfg(test)]
    pub(crate) fn live_value_count(&self, key: &str) -> usize {
        self.key_index(key).map_or(0, |k| k.by_lower.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entity(name: &str, ty: &str) -> Value {
        json!({"kind": "Component", "metadata": {"name": name, "uid": format!("uid-{name}")},
               "spec": {"type": ty}})
    }

    #[test]
    fn diff_splits_gone_and_added() {
        assert_eq!(diff(&[1, 3, 5], &[2, 3, 6]), (vec![1, 5], vec![2, 6]));
        assert_eq!(diff::<u32>(&[], &[1]), (vec![], vec![1]));
    }

    #[test]
    fn replacing_frees_unused_values_and_reuses_slots() {
        let mut idx = CatalogIndex::new();
        idx.upsert(entity("a", "Service")).unwrap();
        idx.upsert(entity("a", "Website")).unwrap();
        assert_eq!(idx.live_value_count("spec.type"), 1);
        let ty = idx.key_index("spec.type").unwrap();
        assert!(ty.postings_for("service").is_empty());
        assert_eq!(ty.postings_for("website"), vec![&[0u32][..]]);

        assert!(idx.remove("component:default/a"));
        assert_eq!(idx.live_value_count("spec.type"), 0);
        assert!(idx.key_index("spec.type").unwrap().exists.is_empty());
        idx.upsert(entity("b", "Service")).unwrap();
        assert_eq!(idx.slots.len(), 1, "slot of the removed entity is reused");
    }

    #[test]
    fn originals_sharing_a_lower_case_value_are_kept_apart() {
        let mut idx = CatalogIndex::new();
        idx.upsert(entity("a", "Service")).unwrap();
        idx.upsert(entity("b", "service")).unwrap();
        let ty = idx.key_index("spec.type").unwrap();
        assert_eq!(ty.postings_for("service").len(), 2);
        assert_eq!(idx.first_value(1, idx.key_id("spec.type")), Some("service"));
        assert_eq!(idx.values_of(0, idx.key_id("spec.type").unwrap()).collect::<Vec<_>>(), vec!["service"]);
    }
}
