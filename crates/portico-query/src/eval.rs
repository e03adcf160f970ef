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
        postings::union_all(results)
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
            let mut found: Vec<&[u32]> = c
                .values
                .iter()
                .flat_map(|v| key.postings_for(v))
                .collect();
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
            .map(|&k| self.keys[k as usize].by_lower.len())
            .sum();
        // Scan whichever is smaller: the candidates' own values, or the distinct values of the
        // searched keys (each matching value then contributes its whole posting list).
        if candidates.len() < dictionary {
            self.full_text_by_slots(candidates, &key_ids, &term)
        } else {
            self.full_text_by_dictionary(candidates, &key_ids, &term)
        }
    }

    pub(crate) fn full_text_by_slots(&self, candidates: Vec<u32>, keys: &[u32], term: &str) -> Vec<u32> {
        candidates
            .into_iter()
            .filter(|&slot| {
                keys.iter()
                    .any(|&k| self.values_of(slot, k).any(|v| v.contains(term)))
            })
            .collect()
    }

    pub(crate) fn full_text_by_dictionary(
        &self,
        candidates: Vec<u32>,
        keys: &[u32],
        term: &str,
    ) -> Vec<u32> {
        let mut lists = Vec::new();
        for &k in keys {
            let key = &self.keys[k as usize];
            for (lower, ids) in &key.by_lower {
                if lower.contains(term) {
                    for &id in ids {
                        lists.push(key.values[id as usize].postings.clone());
                    }
                }
            }
        }
        let matching = postings::union_all(lists);
        postings::intersect(vec![&candidates, &matching])
    }

    /// Counts, per facet, the entities matching `filter` that have each (original-case) value.
    /// An entity counts once per distinct value. Sorted by count descending, then value.
    pub fn facets(
        &self,
        filter: &EntityFilter,
        facets: &[String],
    ) -> BTreeMap<String, Vec<FacetCount>> {
        let members = (!filter.is_all())
            .then(|| SlotSet::new(self.slots.len(), &self.eval_filter(filter)));
        let mut out = BTreeMap::new();
        for facet in facets {
            let mut counts: HashMap<&str, usize> = HashMap::new();
            if let Some(key) = self.key_index(&facet.to_lowercase()) {
                for entry in &key.values {
                    if entry.postings.is_empty() {
                        continue;
                    }
                    let n = match &members {
                        None => entry.postings.len(),
                        Some(set) => entry.postings.iter().filter(|&&s| set.contains(s)).count(),
                    };
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
        let b = idx.full_text_by_dictionary(all, &keys, "tle 3");
        assert_eq!(a, b);
        assert_eq!(a.len(), 7); // 3, 10, 17, ..., 45
    }
}
