//! Entity storage and the inverted index, kept in step by `upsert` and `remove`.
//!
//! Slots are append-only: a new entity always takes the next slot id, so adding it to a
//! posting list is a push. Removing an entity only tombstones its slot (posting lists keep it
//! until the next compaction and readers filter it out), because deleting from the long lists
//! every entity is on (`apiVersion`, `metadata.namespace`, ...) would move hundreds of
//! kilobytes per removal. Once enough slots are dead, compaction renumbers the live ones.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;

use crate::entity_json::EntityJson;
use crate::flatten::{self, Identity, Row};
use crate::keys::KeyIndex;
use crate::postings::{self, SlotSet};
use crate::QueryError;

/// Marks a field whose value is null or too long: the key exists, no value matches.
pub(crate) const NO_VALUE: u32 = u32::MAX;

/// Compact when at least this many slots are dead and they are a quarter of all slots.
const COMPACT_MIN_DEAD: usize = 256;

/// Posting lists up to this length drop a removed slot at once (a tiny memmove), so values
/// unique to the entity (uid, name, description, ...) are freed immediately rather than
/// left for compaction.
const SHORT_POSTINGS: usize = 64;

pub(crate) struct Slot {
    pub entity_ref: Arc<str>,
    pub uid: Option<Box<str>>,
    pub entity: Arc<EntityJson>,
    /// (key id, value id or NO_VALUE), sorted by key id, document order within a key.
    pub fields: Vec<(u32, u32)>,
}

/// All final entities, indexed for the catalog read API. See the crate docs.
#[derive(Default)]
pub struct CatalogIndex {
    /// `None` marks a tombstone.
    pub(crate) slots: Vec<Option<Slot>>,
    pub(crate) live: SlotSet,
    by_ref: HashMap<Arc<str>, u32>,
    /// The same refs in order: the default sort order, walked for paging.
    pub(crate) ordered: BTreeMap<Arc<str>, u32>,
    by_uid: HashMap<Box<str>, u32>,
    key_ids: HashMap<Box<str>, u32>,
    pub(crate) keys: Vec<KeyIndex>,
}

/// What a slot contributes to the index, as sorted duplicate-free lists.
struct Contribution {
    pairs: Vec<(u32, u32)>,
    exists: Vec<u32>,
    valued: Vec<u32>,
    multi: Vec<u32>,
}

fn contribution(fields: &[(u32, u32)]) -> Contribution {
    let mut pairs: Vec<(u32, u32)> = fields.iter().copied().filter(|f| f.1 != NO_VALUE).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut exists: Vec<u32> = fields.iter().map(|f| f.0).collect();
    exists.dedup(); // fields are grouped by key
    let mut valued: Vec<u32> = pairs.iter().map(|p| p.0).collect();
    valued.dedup();
    let mut multi: Vec<u32> = pairs
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| w[0].0)
        .collect();
    multi.dedup();
    Contribution {
        pairs,
        exists,
        valued,
        multi,
    }
}

/// Items only in `old` and items only in `new`, both sorted and duplicate-free.
fn diff<T: Ord + Copy>(old: &[T], new: &[T]) -> (Vec<T>, Vec<T>) {
    let (mut gone, mut added) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    loop {
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
            (None, None) => return (gone, added),
        }
    }
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
    pub fn get(&self, entity_ref: &str) -> Option<Arc<EntityJson>> {
        let slot = *self
            .by_ref
            .get(flatten::normalize_ref(entity_ref).as_str())?;
        self.slot(slot).map(|s| s.entity.clone())
    }

    /// Every entity with its (normalized) ref, in ref order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Arc<EntityJson>)> + '_ {
        self.ordered
            .iter()
            .filter_map(|(entity_ref, slot)| Some((&**entity_ref, &self.slot(*slot)?.entity)))
    }

    /// Entity by `metadata.uid` (exact match: uids are opaque).
    pub fn get_by_uid(&self, uid: &str) -> Option<Arc<EntityJson>> {
        let slot = *self.by_uid.get(uid)?;
        self.slot(slot).map(|s| s.entity.clone())
    }

    /// Adds a final entity, or replaces the entity with the same ref. Only the search rows
    /// that changed touch the index, so re-upserting an unchanged entity is cheap. The index
    /// keeps the entity's compact JSON text, not the tree.
    pub fn upsert(&mut self, entity: Value) -> Result<(), QueryError> {
        let id = flatten::identity(&entity)?;
        let json = EntityJson::from_value(&entity);
        self.insert(id, &entity, json);
        Ok(())
    }

    /// Like [`upsert`](Self::upsert), from the entity's JSON text: parsed once to find its
    /// search rows, then kept as given (re-serialised only if it is not compact) and served
    /// verbatim.
    pub fn upsert_json(&mut self, json: &str) -> Result<(), QueryError> {
        let entity: Value =
            serde_json::from_str(json).map_err(|e| QueryError::InvalidEntity(e.to_string()))?;
        let id = flatten::identity(&entity)?;
        let json = EntityJson::from_text(json, &entity)?;
        self.insert(id, &entity, json);
        Ok(())
    }

    fn insert(&mut self, id: Identity, entity: &Value, json: EntityJson) {
        let rows = flatten::flatten(entity);
        let mut fields = self.intern_rows(rows);
        fields.sort_by_key(|f| f.0); // stable: keeps document order within a key
        let new = contribution(&fields);

        let (slot, entity_ref, old) = match self.by_ref.get_key_value(id.entity_ref.as_str()) {
            Some((r, &slot)) => {
                let r = r.clone();
                let old = self.slots[slot as usize].take();
                (slot, r, old)
            }
            None => {
                let slot = self.slots.len() as u32;
                self.slots.push(None);
                self.live.insert(slot);
                let r: Arc<str> = Arc::from(id.entity_ref.as_str());
                self.by_ref.insert(r.clone(), slot);
                self.ordered.insert(r.clone(), slot);
                (slot, r, None)
            }
        };
        let old_fields = old.as_ref().map(|o| o.fields.as_slice()).unwrap_or(&[]);
        let old_c = contribution(old_fields);

        let (gone_pairs, added_pairs) = diff(&old_c.pairs, &new.pairs);
        for &(k, v) in &added_pairs {
            postings::insert(&mut self.keys[k as usize].values[v as usize].postings, slot);
        }
        for (old_list, new_list, which) in [
            (&old_c.exists, &new.exists, 0),
            (&old_c.valued, &new.valued, 1),
        ] {
            let (gone, added) = diff(old_list, new_list);
            for k in added {
                let key = &mut self.keys[k as usize];
                postings::insert(
                    if which == 0 {
                        &mut key.exists
                    } else {
                        &mut key.valued
                    },
                    slot,
                );
            }
            for k in gone {
                let key = &mut self.keys[k as usize];
                postings::remove(
                    if which == 0 {
                        &mut key.exists
                    } else {
                        &mut key.valued
                    },
                    slot,
                );
            }
        }
        let (gone_multi, added_multi) = diff(&old_c.multi, &new.multi);
        for k in gone_multi {
            self.keys[k as usize].multi_valued -= 1;
        }
        for k in added_multi {
            self.keys[k as usize].multi_valued += 1;
        }
        for &(k, v) in &gone_pairs {
            let key = &mut self.keys[k as usize];
            postings::remove(&mut key.values[v as usize].postings, slot);
            key.release_if_unused(v);
        }

        if let Some(old_uid) = old.and_then(|o| o.uid) {
            if self.by_uid.get(&old_uid) == Some(&slot) {
                self.by_uid.remove(&old_uid);
            }
        }
        let uid = id.uid.map(String::into_boxed_str);
        if let Some(uid) = &uid {
            self.by_uid.insert(uid.clone(), slot);
        }
        self.slots[slot as usize] = Some(Slot {
            entity_ref,
            uid,
            entity: Arc::new(json),
            fields,
        });
    }

    /// Removes the entity with this ref (case-insensitive). Returns whether it was there.
    pub fn remove(&mut self, entity_ref: &str) -> bool {
        let key = flatten::normalize_ref(entity_ref);
        let Some(slot) = self.by_ref.remove(key.as_str()) else {
            return false;
        };
        self.ordered.remove(key.as_str());
        self.live.remove(slot);
        if let Some(old) = self.slots[slot as usize].take() {
            let c = contribution(&old.fields);
            for (k, v) in c.pairs {
                let key = &mut self.keys[k as usize];
                let list = &mut key.values[v as usize].postings;
                if list.len() <= SHORT_POSTINGS {
                    postings::remove(list, slot);
                    key.release_if_unused(v);
                }
            }
            for k in c.multi {
                self.keys[k as usize].multi_valued -= 1;
            }
            if let Some(uid) = old.uid {
                if self.by_uid.get(&uid) == Some(&slot) {
                    self.by_uid.remove(&uid);
                }
            }
        }
        let dead = self.dead_slots();
        if dead >= COMPACT_MIN_DEAD && dead * 4 >= self.slots.len() {
            self.compact();
        }
        true
    }

    pub(crate) fn dead_slots(&self) -> usize {
        self.slots.len() - self.by_ref.len()
    }

    /// Drops tombstones: renumbers live slots densely, in their current order, everywhere.
    pub(crate) fn compact(&mut self) {
        let mut remap = vec![u32::MAX; self.slots.len()];
        let mut next = 0u32;
        for (old, slot) in self.slots.iter().enumerate() {
            if slot.is_some() {
                remap[old] = next;
                next += 1;
            }
        }
        self.slots.retain(Option::is_some);
        for key in &mut self.keys {
            key.remap_slots(&remap);
        }
        for map_slot in self
            .by_ref
            .values_mut()
            .chain(self.ordered.values_mut())
            .chain(self.by_uid.values_mut())
        {
            *map_slot = remap[*map_slot as usize];
        }
        self.live = SlotSet::new(self.slots.len(), &(0..next).collect::<Vec<_>>());
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

    /// The first matchable lower-cased value of `key` in `slot`: what ordering compares.
    pub(crate) fn first_value(&self, slot: u32, key: Option<u32>) -> Option<&str> {
        let key = key?;
        self.values_of(slot, key).next()
    }

    /// Lower-cased values of `key` in `slot`, in document order.
    pub(crate) fn values_of(&self, slot: u32, key: u32) -> impl Iterator<Item = &str> {
        let fields: &[(u32, u32)] = self.slot(slot).map_or(&[], |s| s.fields.as_slice());
        let start = fields.partition_point(|f| f.0 < key);
        fields[start..]
            .iter()
            .take_while(move |f| f.0 == key)
            .filter(|f| f.1 != NO_VALUE)
            .map(move |f| &*self.keys[key as usize].values[f.1 as usize].lower)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entity(name: &str, ty: &str) -> Value {
        json!({"kind": "Component", "metadata": {"name": name, "uid": format!("uid-{name}")},
               "spec": {"type": ty}})
    }

    fn distinct(idx: &CatalogIndex, key: &str) -> usize {
        idx.key_index(key).map_or(0, KeyIndex::distinct_values)
    }

    #[test]
    fn diff_splits_gone_and_added() {
        assert_eq!(diff(&[1, 3, 5], &[2, 3, 6]), (vec![1, 5], vec![2, 6]));
        assert_eq!(diff::<u32>(&[], &[1]), (vec![], vec![1]));
    }

    #[test]
    fn replacing_updates_postings_and_frees_unused_values() {
        let mut idx = CatalogIndex::new();
        idx.upsert(entity("a", "Service")).unwrap();
        idx.upsert(entity("a", "Website")).unwrap();
        assert_eq!(distinct(&idx, "spec.type"), 1);
        let ty = idx.key_index("spec.type").unwrap();
        assert!(ty.postings_for("service").is_empty());
        assert_eq!(ty.postings_for("website"), vec![&[0u32][..]]);
        assert_eq!(idx.slots.len(), 1);
    }

    #[test]
    fn remove_tombstones_and_compaction_renumbers() {
        let mut idx = CatalogIndex::new();
        for i in 0..10 {
            idx.upsert(entity(
                &format!("e{i}"),
                if i % 2 == 0 { "even" } else { "odd" },
            ))
            .unwrap();
        }
        for i in [0, 1, 2, 5] {
            assert!(idx.remove(&format!("component:default/e{i}")));
        }
        assert_eq!((idx.slots.len(), idx.dead_slots()), (10, 4));
        assert!(!idx.live.contains(0) && idx.live.contains(3));
        idx.compact();
        assert_eq!((idx.slots.len(), idx.dead_slots()), (6, 0));
        let ty = idx.key_index("spec.type").unwrap();
        // Live e3 e4 e6 e7 e8 e9 are now slots 0..6.
        assert_eq!(ty.postings_for("even"), vec![&[1u32, 2, 4][..]]);
        assert_eq!(ty.postings_for("odd"), vec![&[0u32, 3, 5][..]]);
        assert_eq!(ty.exists, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(
            idx.get("component:default/e3").unwrap().value()["metadata"]["name"],
            "e3"
        );
        assert_eq!(idx.ordered.get("component:default/e9"), Some(&5));
        assert_eq!(
            idx.get_by_uid("uid-e4").unwrap().value()["metadata"]["name"],
            "e4"
        );
        assert!((0..6).all(|s| idx.live.contains(s)));
        assert_eq!(
            distinct(&idx, "metadata.uid"),
            6,
            "values of dropped slots are freed"
        );
    }

    #[test]
    fn many_removals_trigger_compaction() {
        let mut idx = CatalogIndex::new();
        for i in 0..400 {
            idx.upsert(entity(&format!("e{i}"), "t")).unwrap();
        }
        for i in 0..300 {
            idx.remove(&format!("component:default/e{i}"));
        }
        assert!(idx.slots.len() < 400, "compacted: {}", idx.slots.len());
        assert_eq!(idx.len(), 100);
    }

    #[test]
    fn multi_valued_counter_follows_upserts_and_removes() {
        let mut idx = CatalogIndex::new();
        let tags = |t: Value| json!({"kind": "A", "metadata": {"name": "a", "tags": t}});
        idx.upsert(tags(json!(["x", "y"]))).unwrap();
        assert_eq!(idx.key_index("metadata.tags").unwrap().multi_valued, 1);
        idx.upsert(tags(json!(["x"]))).unwrap();
        assert_eq!(idx.key_index("metadata.tags").unwrap().multi_valued, 0);
        idx.upsert(tags(json!(["x", "z"]))).unwrap();
        idx.remove("a:default/a");
        assert_eq!(idx.key_index("metadata.tags").unwrap().multi_valued, 0);
    }

    #[test]
    fn first_value_skips_null_and_keeps_document_order() {
        let mut idx = CatalogIndex::new();
        idx.upsert(
            json!({"kind": "A", "metadata": {"name": "a", "tags": [null, "Beta", "alpha"]}}),
        )
        .unwrap();
        let k = idx.key_id("metadata.tags");
        assert_eq!(idx.first_value(0, k), Some("beta"));
        assert_eq!(
            idx.values_of(0, k.unwrap()).collect::<Vec<_>>(),
            vec!["beta", "alpha"]
        );
    }
}
