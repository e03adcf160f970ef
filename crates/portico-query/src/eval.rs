//! Evaluating filters, full-text filters and facets against the inverted index.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use crate::filter::{Condition, EntityFilter, FullTextFilter};
use crate::index::CatalogIndex;
use crate::postings::{self, SlotSet};
use crate::query::FacetCount;
use crate::SortField;

/// The field Backstage searches when neither text fields nor a sort field are given.
const DEFAULT_FULL_TEXT_FIELD: &str = "metadata.uid";

impl CatalogIndex {
    /// Sorted slots matching `filter`.
    pub(crate) fn eval_filter(&self, filter: &EntityFilter) -> Vec<u32> {
        if filter.is_all() {
            return self.all_slots();
        }
        let results: Vec<Vec<u32>> = filter
            .alternatives()
            .iter()
            .map(|all_of| self.eval_all_of(all_of))
            .collect();
        let mut matched = postings::union_all(results);
        if self.dead_slots() > 0 {
            matched.retain(|&s| self.live.contains(s));
        }
        matched
    }

    fn eval_all_of(&self, conditions: &[Condition]) -> Vec<u32> {
        let mut lists: Vec<Cow<'_, [u32]>> = Vec::with_capacity(conditions.len());
        for c in conditions {
            let Some(key) = self.key_index(&c.key) else {
                return Vec::new();
            };
            if c.values.is_empty() {
                lists.push(Cow::Borrowed(&key.exists));
                continue;
            }
            let mut found: Vec<&[u32]> =
                c.values.iter().flat_map(|v| key.postings_for(v)).collect();
            match found.len() {
                0 => return Vec::new(),
                1 => lists.push(Cow::Borrowed(found.remove(0))),
                _ => lists.push(Cow::Owned(postings::union_all(
                    found.into_iter().map(<[u32]>::to_vec).collect(),
                ))),
            }
        }
        postings::intersect(lists.iter().map(|l| l.as_ref()).collect())
    }

    /// Keeps the slots whose value of one of the full-text fields contains the term.
    pub(crate) fn apply_full_text(
        &self,
        candidates: Vec<u32>,
        full_text: &FullTextFilter,
        order: &[SortField],
    ) -> Vec<u32> {
        let term = full_text.term.trim().to_lowercase();
        if term.is_empty() {
            return candidates;
        }
        let fields: Vec<String> = if full_text.fields.is_empty() {
            vec![order
                .first()
                .map_or(DEFAULT_FULL_TEXT_FIELD, |o| o.field.as_str())
                .to_lowercase()]
        } else {
            full_text.fields.iter().map(|f| f.to_lowercase()).collect()
        };
        let mut key_ids: Vec<u32> = fields.iter().filter_map(|f| self.key_id(f)).collect();
        key_ids.sort_unstable();
        key_ids.dedup();
        let dictionary: usize = key_ids
            .iter()
            .map(|&k| self.keys[k as usize].distinct_values())
            .sum();
        // Checking each candidate's own values chases pointers per candidate; scanning the
        // keys' text arenas is one pass over contiguous memory. Only a small candidate set
        // makes the first cheaper.
        if candidates.len() * 16 < dictionary {
            self.full_text_by_slots(candidates, &key_ids, &term)
        } else {
            self.full_text_by_arena(candidates, &key_ids, &term)
        }
    }

    pub(crate) fn full_text_by_slots(
        &self,
        candidates: Vec<u32>,
        keys: &[u32],
        term: &str,
    ) -> Vec<u32> {
        candidates
            .into_iter()
            .filter(|&slot| {
                keys.iter()
                    .any(|&k| self.values_of(slot, k).any(|v| v.contains(term)))
            })
            .collect()
    }

    pub(crate) fn full_text_by_arena(
        &self,
        mut candidates: Vec<u32>,
        keys: &[u32],
        term: &str,
    ) -> Vec<u32> {
        let mut hits = SlotSet::new(self.slots.len(), &[]);
        for &k in keys {
            let key = &self.keys[k as usize];
            for id in key.values_containing(term) {
                for &slot in &key.values[id as usize].postings {
                    hits.insert(slot);
                }
            }
        }
        candidates.retain(|&s| hits.contains(s));
        candidates
    }

    /// Counts, per facet, the entities matching `filter` that have each (original-case) value.
    /// An entity counts once per distinct value. Sorted by count descending, then value.
    pub fn facets(
        &self,
        filter: &EntityFilter,
        facets: &[String],
    ) -> BTreeMap<String, Vec<FacetCount>> {
        let filtered;
        let members = if filter.is_all() {
            &self.live
        } else {
            filtered = SlotSet::new(self.slots.len(), &self.eval_filter(filter));
            &filtered
        };
        let mut out = BTreeMap::new();
        for facet in facets {
            let mut counts: HashMap<&str, usize> = HashMap::new();
            if let Some(key) = self.key_index(&facet.to_lowercase()) {
                for entry in key.values.iter().filter(|e| e.live) {
                    let n = entry
                        .postings
                        .iter()
                        .filter(|&&s| members.contains(s))
                        .count();
                    if n > 0 {
                        *counts.entry(&entry.original).or_default() += n;
                    }
                }
            }
            let mut list: Vec<FacetCount> = counts
                .into_iter()
                .map(|(value, count)| FacetCount {
                    value: value.to_owned(),
                    count,
                })
                .collect();
            list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            out.insert(facet.clone(), list);
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_full_text_strategies_agree() {
        let mut idx = CatalogIndex::new();
        for i in 0..50 {
            idx.upsert(json!({"kind": "Component",
                "metadata": {"name": format!("svc-{i}"), "title": format!("Title {}", i % 7)}}))
                .unwrap();
        }
        let keys = vec![idx.key_id("metadata.title").unwrap()];
        let all = idx.all_slots();
        let a = idx.full_text_by_slots(all.clone(), &keys, "tle 3");
        let b = idx.full_text_by_arena(all, &keys, "tle 3");
        assert_eq!(a, b);
        assert_eq!(a.len(), 7); // 3, 10, 17, ..., 45
    }
}
