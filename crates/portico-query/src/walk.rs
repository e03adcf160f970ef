//! Producing matching entities in sort order, from a keyset bound, a few at a time.
//!
//! Two strategies give the same result. A small match set is simply sorted. A large one is
//! walked in order instead: the ordered ref map for the default order, or the sort key's
//! ordered value dictionary, taking matches as they come. A 50-item page of 30,000 matches
//! then costs about 50 * (catalog / matches) steps rather than 30,000 sort-value lookups.

use std::cmp::Ordering;
use std::ops::Bound as Edge;

use crate::cursor::{Direction, Position};
use crate::index::CatalogIndex;
use crate::order::SortField;
use crate::postings::{self, SlotSet};

/// Everything strictly after (or before, by direction) a position; `inclusive` also takes
/// an item exactly at it.
pub(crate) struct Bound<'p> {
    pub values: Vec<Option<&'p str>>,
    pub key: &'p str,
    pub inclusive: bool,
}

impl<'p> Bound<'p> {
    pub(crate) fn of(pos: &'p Position) -> Self {
        Bound {
            values: pos.values.iter().map(|v| v.as_deref()).collect(),
            key: &pos.key,
            inclusive: pos.inclusive,
        }
    }

    /// The rest of the order: what lies on the other side of this bound.
    pub(crate) fn complement(&self) -> Self {
        Bound {
            values: self.values.clone(),
            key: self.key,
            inclusive: !self.inclusive,
        }
    }

    fn admits(&self, dir: Direction, item_vs_bound: Ordering) -> bool {
        match (dir, item_vs_bound) {
            (_, Ordering::Equal) => self.inclusive,
            (Direction::Next, o) => o == Ordering::Greater,
            (Direction::Prev, o) => o == Ordering::Less,
        }
    }
}

pub(crate) fn compare(
    descending: &[bool],
    a_values: &[Option<&str>],
    a_key: &str,
    b_values: &[Option<&str>],
    b_key: &str,
) -> Ordering {
    for (i, &desc) in descending.iter().enumerate() {
        let o = match (a_values[i], b_values[i]) {
            (Some(a), Some(b)) if desc => b.cmp(a),
            (Some(a), Some(b)) => a.cmp(b),
            // Missing values go last whatever the direction.
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a_key.cmp(b_key)
}

/// Tests force each strategy to check they agree; production always picks automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) enum Strategy {
    Auto,
    Sort,
    Walk,
}

/// A set of matching slots and the order to produce them in.
pub(crate) struct Plan<'a> {
    index: &'a CatalogIndex,
    keys: Vec<Option<u32>>,
    descending: Vec<bool>,
    candidates: Vec<u32>,
    members: SlotSet,
    strategy: Strategy,
}

impl<'a> Plan<'a> {
    pub(crate) fn new(index: &'a CatalogIndex, order: &[SortField], candidates: Vec<u32>) -> Self {
        Plan {
            index,
            keys: order
                .iter()
                .map(|o| index.key_id(&o.field.to_lowercase()))
                .collect(),
            descending: order.iter().map(|o| o.descending).collect(),
            members: SlotSet::new(index.slots.len(), &candidates),
            candidates,
            strategy: Strategy::Auto,
        }
    }

    #[cfg(test)]
    pub(crate) fn with_strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Sort values of a slot, as stored in cursors.
    pub(crate) fn values_of(&self, slot: u32) -> Vec<Option<&'a str>> {
        self.keys
            .iter()
            .map(|&k| self.index.first_value(slot, k))
            .collect()
    }

    pub(crate) fn key_of(&self, slot: u32) -> &'a str {
        self.index.slot(slot).map_or("", |s| &*s.entity_ref)
    }

    /// Up to `n` matching slots beyond `bound` in direction `dir`, nearest first.
    pub(crate) fn collect(&self, dir: Direction, bound: Option<&Bound>, n: usize) -> Vec<u32> {
        if n == 0 || self.candidates.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        if !self.prefers_walk(self.candidates.len(), n) {
            self.take_sorted(self.candidates.clone(), dir, bound, n, &mut out);
        } else if self.keys.is_empty() {
            self.walk_refs(&self.members, dir, bound, n, &mut out);
        } else {
            self.walk_values(dir, bound, n, &mut out);
        }
        out
    }

    /// Whether finding `n` of `matches` entities by walking an ordered map (about
    /// `n * catalog / matches` steps, at most the catalog) beats sorting the matches, whose
    /// per-item cost is several times a walking step.
    fn prefers_walk(&self, matches: usize, n: usize) -> bool {
        match self.strategy {
            Strategy::Sort => false,
            Strategy::Walk => true,
            Strategy::Auto => {
                let total = self.index.len() as u128;
                let matches = matches.max(1) as u128;
                let steps = total.min((n as u128).saturating_mul(total) / matches);
                steps < 4 * matches
            }
        }
    }

    /// Sorts `slots` and appends the `n` nearest beyond `bound` to `out`.
    fn take_sorted(
        &self,
        slots: Vec<u32>,
        dir: Direction,
        bound: Option<&Bound>,
        n: usize,
        out: &mut Vec<u32>,
    ) {
        if slots.len() == 1 && bound.is_none() {
            out.extend(slots);
            return;
        }
        let k = self.keys.len();
        let mut values: Vec<Option<&str>> = Vec::with_capacity(slots.len() * k);
        let mut refs: Vec<&str> = Vec::with_capacity(slots.len());
        for &s in &slots {
            values.extend(self.keys.iter().map(|&key| self.index.first_value(s, key)));
            refs.push(self.key_of(s));
        }
        let vals = |i: usize| &values[i * k..(i + 1) * k];
        let mut items: Vec<usize> = (0..slots.len()).collect();
        if let Some(b) = bound {
            items.retain(|&i| {
                b.admits(
                    dir,
                    compare(&self.descending, vals(i), refs[i], &b.values, b.key),
                )
            });
        }
        let cmp = |a: &usize, b: &usize| {
            let o = compare(&self.descending, vals(*a), refs[*a], vals(*b), refs[*b]);
            if dir == Direction::Prev {
                o.reverse()
            } else {
                o
            }
        };
        if items.len() > n {
            items.select_nth_unstable_by(n, cmp);
            items.truncate(n);
        }
        items.sort_unstable_by(cmp);
        out.extend(items.into_iter().map(|i| slots[i]));
    }

    /// Appends `n` of a tie group (equal on the first sort field). When nothing but the ref
    /// orders the group and it is large, walking refs beats sorting it.
    fn take_group(
        &self,
        slots: Vec<u32>,
        dir: Direction,
        bound: Option<&Bound>,
        n: usize,
        out: &mut Vec<u32>,
    ) {
        let only_ref_left = self.keys.iter().skip(1).all(Option::is_none);
        if only_ref_left && slots.len() > 1 && self.prefers_walk(slots.len(), n) {
            let set = SlotSet::new(self.index.slots.len(), &slots);
            self.walk_refs(&set, dir, bound, n, out);
        } else {
            self.take_sorted(slots, dir, bound, n, out);
        }
    }

    /// Walks refs in order, appending up to `n` members of `set`. `bound`, if any, must lie
    /// in the same tie group, so only its ref matters.
    fn walk_refs(
        &self,
        set: &SlotSet,
        dir: Direction,
        bound: Option<&Bound>,
        n: usize,
        out: &mut Vec<u32>,
    ) {
        fn edge<'b>(b: &Bound<'b>) -> Edge<&'b str> {
            if b.inclusive {
                Edge::Included(b.key)
            } else {
                Edge::Excluded(b.key)
            }
        }
        let ordered = &self.index.ordered;
        let wanted = |&(_, &s): &(_, &u32)| set.contains(s);
        let found: Vec<u32> = match (dir, bound) {
            (Direction::Next, None) => ordered
                .iter()
                .filter(wanted)
                .take(n)
                .map(|e| *e.1)
                .collect(),
            (Direction::Next, Some(b)) => ordered
                .range::<str, _>((edge(b), Edge::Unbounded))
                .filter(wanted)
                .take(n)
                .map(|e| *e.1)
                .collect(),
            (Direction::Prev, None) => ordered
                .iter()
                .rev()
                .filter(wanted)
                .take(n)
                .map(|e| *e.1)
                .collect(),
            (Direction::Prev, Some(b)) => ordered
                .range::<str, _>((Edge::Unbounded, edge(b)))
                .rev()
                .filter(wanted)
                .take(n)
                .map(|e| *e.1)
                .collect(),
        };
        out.extend(found);
    }

    /// Walks the first sort key's values in order. Entities without a value form one last
    /// group (last in either direction), which is only computed when the walk gets there.
    fn walk_values(&self, dir: Direction, bound: Option<&Bound>, n: usize, out: &mut Vec<u32>) {
        let start = bound.map(|b| b.values[0]);
        let bound_in_missing = matches!(start, Some(None));
        match dir {
            Direction::Next => {
                if !bound_in_missing {
                    self.walk_groups(dir, bound, start.flatten(), n, out);
                }
                if out.len() < n {
                    self.walk_missing(dir, bound.filter(|_| bound_in_missing), n, out);
                }
            }
            Direction::Prev => {
                // Going backwards the missing group comes first, unless the bound is already
                // among the valued groups.
                if start.is_none() || bound_in_missing {
                    self.walk_missing(dir, bound, n, out);
                }
                if out.len() < n {
                    let from = if bound_in_missing {
                        None
                    } else {
                        start.flatten()
                    };
                    self.walk_groups(dir, bound.filter(|_| !bound_in_missing), from, n, out);
                }
            }
        }
    }

    fn walk_groups(
        &self,
        dir: Direction,
        bound: Option<&Bound>,
        from: Option<&str>,
        n: usize,
        out: &mut Vec<u32>,
    ) {
        let Some(k) = self.keys[0] else {
            return;
        };
        let key = &self.index.keys[k as usize];
        let ascending = (dir == Direction::Next) != self.descending[0];
        let groups: Box<dyn Iterator<Item = (&std::sync::Arc<str>, &Vec<u32>)>> =
            match (ascending, from) {
                (true, None) => Box::new(key.by_lower.iter()),
                (true, Some(v)) => Box::new(
                    key.by_lower
                        .range::<str, _>((Edge::Included(v), Edge::Unbounded)),
                ),
                (false, None) => Box::new(key.by_lower.iter().rev()),
                (false, Some(v)) => Box::new(
                    key.by_lower
                        .range::<str, _>((Edge::Unbounded, Edge::Included(v)))
                        .rev(),
                ),
            };
        for (lower, ids) in groups {
            let mut members: Vec<u32> = ids
                .iter()
                .flat_map(|&id| key.values[id as usize].postings.iter().copied())
                .filter(|&s| self.members.contains(s))
                .collect();
            if ids.len() > 1 {
                members.sort_unstable();
                members.dedup();
            }
            if key.multi_valued > 0 {
                // A slot sorts by its first value only; its other values must not place it.
                members.retain(|&s| self.index.first_value(s, Some(k)) == Some(&**lower));
            }
            if members.is_empty() {
                continue;
            }
            let at_bound = from == Some(&**lower);
            self.take_group(members, dir, bound.filter(|_| at_bound), n - out.len(), out);
            if out.len() >= n {
                return;
            }
        }
    }

    fn walk_missing(&self, dir: Direction, bound: Option<&Bound>, n: usize, out: &mut Vec<u32>) {
        let missing = match self.keys[0] {
            Some(k) => postings::difference(&self.candidates, &self.index.keys[k as usize].valued),
            None => self.candidates.clone(),
        };
        self.take_group(missing, dir, bound, n - out.len(), out);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn catalog() -> CatalogIndex {
        let mut idx = CatalogIndex::new();
        for i in 0..120u32 {
            let mut spec = json!({"owner": format!("Team-{}", i % 5)});
            if i % 4 != 0 {
                spec["type"] = json!(["b", "A", "c", "a"][(i % 4) as usize]);
            }
            let mut meta = json!({"name": format!("n{:03}", (i * 37) % 120)});
            if i % 9 == 0 {
                meta["tags"] = json!(["zeta", "alpha"]);
            } else if i % 3 == 0 {
                meta["tags"] = json!(["mid"]);
            }
            idx.upsert(
                json!({"kind": if i % 2 == 0 { "A" } else { "B" }, "metadata": meta, "spec": spec}),
            )
            .unwrap();
        }
        for i in [3u32, 50, 51, 77] {
            idx.remove(&format!(
                "{}:default/n{:03}",
                if i % 2 == 0 { "a" } else { "b" },
                (i * 37) % 120
            ));
        }
        idx
    }

    #[test]
    fn compare_puts_missing_last_in_both_directions() {
        assert_eq!(
            compare(&[false], &[Some("a")], "x", &[None], "a"),
            Ordering::Less
        );
        assert_eq!(
            compare(&[true], &[Some("a")], "x", &[None], "a"),
            Ordering::Less
        );
        assert_eq!(
            compare(&[true], &[Some("a")], "x", &[Some("b")], "a"),
            Ordering::Greater
        );
        assert_eq!(
            compare(&[false], &[None], "a", &[None], "b"),
            Ordering::Less
        );
        assert_eq!(compare(&[], &[], "b", &[], "a"), Ordering::Greater);
    }

    /// Walking and sorting must agree for every order, bound, direction and page size.
    #[test]
    fn walking_and_sorting_agree() {
        let idx = catalog();
        let orders: Vec<Vec<SortField>> = vec![
            vec![],
            vec![SortField::asc("spec.type")],
            vec![SortField::desc("spec.type")],
            vec![SortField::asc("metadata.tags")],
            vec![
                SortField::desc("metadata.tags"),
                SortField::desc("spec.owner"),
            ],
            vec![SortField::asc("spec.owner"), SortField::asc("spec.type")],
            vec![SortField::asc("spec.nothing")],
            vec![SortField::desc("spec.type"), SortField::asc("spec.nothing")],
        ];
        let filters = [
            idx.all_slots(),
            idx.eval_filter(&crate::EntityFilter::parse(&["kind=b".into()]).unwrap()),
        ];
        for order in &orders {
            for candidates in &filters {
                let sort = Plan::new(&idx, order, candidates.clone()).with_strategy(Strategy::Sort);
                let walk = Plan::new(&idx, order, candidates.clone()).with_strategy(Strategy::Walk);
                let everything = sort.collect(Direction::Next, None, usize::MAX);
                assert_eq!(everything.len(), candidates.len());
                for n in [1, 7, 500] {
                    for dir in [Direction::Next, Direction::Prev] {
                        assert_eq!(
                            sort.collect(dir, None, n),
                            walk.collect(dir, None, n),
                            "{order:?} {n}"
                        );
                    }
                }
                // Bounds at, and just beside, every item.
                for &slot in everything.iter().step_by(3) {
                    let values = sort.values_of(slot);
                    for inclusive in [false, true] {
                        let b = Bound {
                            values: values.clone(),
                            key: sort.key_of(slot),
                            inclusive,
                        };
                        for dir in [Direction::Next, Direction::Prev] {
                            let s = sort.collect(dir, Some(&b), 5);
                            assert_eq!(
                                s,
                                walk.collect(dir, Some(&b), 5),
                                "{order:?} {dir:?} {inclusive}"
                            );
                            let pos = everything.iter().position(|&x| x == slot).unwrap();
                            let expect: Vec<u32> = match (dir, inclusive) {
                                (Direction::Next, false) => {
                                    everything[pos + 1..].iter().take(5).copied().collect()
                                }
                                (Direction::Next, true) => {
                                    everything[pos..].iter().take(5).copied().collect()
                                }
                                (Direction::Prev, false) => {
                                    everything[..pos].iter().rev().take(5).copied().collect()
                                }
                                (Direction::Prev, true) => {
                                    everything[..=pos].iter().rev().take(5).copied().collect()
                                }
                            };
                            assert_eq!(s, expect);
                        }
                    }
                }
            }
        }
    }
}
