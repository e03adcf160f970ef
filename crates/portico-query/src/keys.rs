//! Everything indexed under one search key: its value dictionary, posting lists and the text
//! arena full-text search scans.

use std::collections::BTreeMap;
use std::sync::Arc;

/// Marks a dead arena entry.
const DEAD: u32 = u32::MAX;

/// One distinct original value of a key.
pub(crate) struct ValueEntry {
    pub original: Arc<str>,
    pub lower: Arc<str>,
    /// Slots having this value; may include tombstoned slots until the next compaction.
    pub postings: Vec<u32>,
    pub live: bool,
    text_at: u32,
}

/// The lower-cased values of a key, back to back and NUL-separated, so a substring search is
/// one SIMD pass over contiguous memory instead of a pointer chase per value.
#[derive(Default)]
struct TextArena {
    text: Vec<u8>,
    starts: Vec<u32>,
    owners: Vec<u32>,
    dead_bytes: usize,
}

impl TextArena {
    fn push(&mut self, lower: &str, owner: u32) -> u32 {
        self.starts.push(self.text.len() as u32);
        self.owners.push(owner);
        self.text.extend_from_slice(lower.as_bytes());
        self.text.push(0);
        (self.starts.len() - 1) as u32
    }

    fn end_of(&self, at: usize) -> usize {
        self.starts
            .get(at + 1)
            .map_or(self.text.len(), |&s| s as usize)
            - 1
    }

    fn kill(&mut self, at: u32) {
        let at = at as usize;
        if let Some(owner) = self.owners.get_mut(at) {
            if *owner != DEAD {
                *owner = DEAD;
                self.dead_bytes += self.end_of(at) + 1 - self.starts[at] as usize;
            }
        }
    }

    fn wasteful(&self) -> bool {
        self.dead_bytes > 4096 && self.dead_bytes * 2 > self.text.len()
    }

    /// Index of the entry holding byte `pos`, searching forward from entry `from`: one step
    /// when matches are dense, doubling steps then a binary search when they are sparse.
    fn entry_at(&self, from: usize, pos: usize) -> usize {
        let starts = &self.starts[from..];
        let mut hi = 1;
        while hi < starts.len() && starts[hi] as usize <= pos {
            hi *= 2;
        }
        let lo = hi / 2;
        let hi = hi.min(starts.len());
        from + lo + starts[lo..hi].partition_point(|&s| s as usize <= pos) - 1
    }

    /// Owners of the entries containing `term` (non-empty), each once, in arena order.
    fn find(&self, term: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let mut entry = 0usize;
        let mut last = usize::MAX;
        for pos in memchr::memmem::find_iter(&self.text, term.as_bytes()) {
            entry = self.entry_at(entry, pos);
            // A match running over the separator (a term containing NUL) is not a match.
            if entry != last && pos + term.len() <= self.end_of(entry) {
                let owner = self.owners[entry];
                if owner != DEAD {
                    out.push(owner);
                }
                last = entry;
            }
        }
        out
    }
}

#[derive(Default)]
pub(crate) struct KeyIndex {
    /// Slots that have the key at all, including null and over-long values ("exists").
    pub exists: Vec<u32>,
    /// Slots with at least one matchable value (what ordering treats as "has the field").
    pub valued: Vec<u32>,
    /// Value entries by id; dead ones are reused via `free`.
    pub values: Vec<ValueEntry>,
    free: Vec<u32>,
    /// Lower-cased value -> ids of the original spellings lower-casing to it, in value order
    /// so ordering can walk it.
    pub by_lower: BTreeMap<Arc<str>, Vec<u32>>,
    /// Live slots holding more than one value for this key; while zero, ordering can skip
    /// the "is this the slot's first value" check.
    pub multi_valued: usize,
    arena: TextArena,
}

impl KeyIndex {
    pub(crate) fn intern(&mut self, original: &str, lower: &str) -> u32 {
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
        let id = self.free.pop().unwrap_or(self.values.len() as u32);
        let entry = ValueEntry {
            original,
            lower: lower.clone(),
            postings: Vec::new(),
            live: true,
            text_at: self.arena.push(&lower, id),
        };
        match self.values.get_mut(id as usize) {
            Some(slot) => *slot = entry,
            None => {
                // Most keys only ever hold one value (`spec.dependsOn.<ref>` = "true", one
                // key per array item), where `Vec`'s first growth to four entries would
                // waste three. Doubling from one keeps pushes amortised O(1).
                if self.values.len() == self.values.capacity() {
                    self.values.reserve_exact(self.values.len().max(1));
                }
                self.values.push(entry)
            }
        }
        self.by_lower.entry(lower).or_default().push(id);
        id
    }

    /// Frees a value entry once no slot has it, so churn does not grow the dictionary.
    pub(crate) fn release_if_unused(&mut self, id: u32) {
        let entry = &mut self.values[id as usize];
        if !entry.live || !entry.postings.is_empty() {
            return;
        }
        entry.live = false;
        entry.original = Arc::from("");
        let lower = std::mem::replace(&mut entry.lower, Arc::from(""));
        let text_at = entry.text_at;
        if let Some(ids) = self.by_lower.get_mut(&lower) {
            ids.retain(|&x| x != id);
            if ids.is_empty() {
                self.by_lower.remove(&lower);
            }
        }
        self.free.push(id);
        self.arena.kill(text_at);
        if self.arena.wasteful() {
            self.rebuild_arena();
        }
    }

    /// Copies the live entries into a fresh arena, reading the old one front to back (the
    /// values themselves are scattered over the heap; the old arena is contiguous).
    fn rebuild_arena(&mut self) {
        let old = std::mem::take(&mut self.arena);
        let live = old
            .owners
            .iter()
            .filter(|&&o| o != DEAD && self.values[o as usize].live)
            .count();
        let mut arena = TextArena {
            text: Vec::with_capacity(old.text.len() - old.dead_bytes.min(old.text.len())),
            starts: Vec::with_capacity(live),
            owners: Vec::with_capacity(live),
            dead_bytes: 0,
        };
        for (at, &owner) in old.owners.iter().enumerate() {
            if owner == DEAD || !self.values[owner as usize].live {
                continue;
            }
            let bytes = &old.text[old.starts[at] as usize..=old.end_of(at)];
            self.values[owner as usize].text_at = arena.starts.len() as u32;
            arena.starts.push(arena.text.len() as u32);
            arena.owners.push(owner);
            arena.text.extend_from_slice(bytes);
        }
        self.arena = arena;
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

    /// Ids of the live values containing `term` (lower-cased, non-empty).
    pub(crate) fn values_containing(&self, term: &str) -> Vec<u32> {
        self.arena.find(term)
    }

    /// Number of distinct lower-cased values.
    pub(crate) fn distinct_values(&self) -> usize {
        self.by_lower.len()
    }

    /// Rewrites every posting list through `remap` (old slot -> new slot, `u32::MAX` for
    /// dropped slots). The remap is monotonic, so lists stay sorted. Values left without
    /// slots are freed in one pass over the dictionary rather than one by one.
    pub(crate) fn remap_slots(&mut self, remap: &[u32]) {
        let apply = |list: &mut Vec<u32>| {
            list.retain_mut(|s| match remap.get(*s as usize) {
                Some(&m) if m != u32::MAX => {
                    *s = m;
                    true
                }
                _ => false,
            })
        };
        apply(&mut self.exists);
        apply(&mut self.valued);
        let empty: Arc<str> = Arc::from("");
        let mut freed = 0;
        for (id, entry) in self.values.iter_mut().enumerate() {
            if !entry.live {
                continue;
            }
            apply(&mut entry.postings);
            if entry.postings.is_empty() {
                entry.live = false;
                entry.original = empty.clone();
                entry.lower = empty.clone();
                self.free.push(id as u32);
                freed += 1;
            }
        }
        if freed > 0 {
            let values = &self.values;
            self.by_lower.retain(|_, ids| {
                ids.retain(|&id| values[id as usize].live);
                !ids.is_empty()
            });
            self.rebuild_arena();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn arena_finds_each_value_once_and_not_across_separators() {
        let mut a = TextArena::default();
        a.push("banana", 7);
        a.push("an", 8);
        a.push("x", 9);
        assert_eq!(a.find("an"), vec![7, 8]);
        assert_eq!(a.find("a\0a"), Vec::<u32>::new());
        assert_eq!(a.find("x"), vec![9]);
        a.kill(1);
        assert_eq!(a.find("an"), vec![7]);
        assert_eq!(a.dead_bytes, 3);
    }

    #[test]
    fn released_values_leave_the_dictionary_and_the_arena() {
        let mut k = KeyIndex::default();
        let a = k.intern("Service", "service");
        let b = k.intern("service", "service");
        assert_ne!(a, b);
        assert_eq!(k.intern("Service", "service"), a);
        k.values[a as usize].postings.push(0);
        assert_eq!(k.values_containing("erv"), vec![a, b]);
        k.release_if_unused(b);
        assert_eq!(k.values_containing("erv"), vec![a]);
        assert_eq!(k.by_lower["service"], vec![a]);
        // The freed id is reused.
        assert_eq!(k.intern("web", "web"), b);
        assert_eq!(k.values_containing("w"), vec![b]);
    }

    #[test]
    fn arena_is_rebuilt_when_mostly_dead() {
        let mut k = KeyIndex::default();
        let ids: Vec<u32> = (0..2000)
            .map(|i| {
                let v = format!("value-{i}");
                k.intern(&v, &v)
            })
            .collect();
        for &id in &ids[..1500] {
            k.release_if_unused(id);
        }
        assert!(
            k.arena.text.len() < 2000 * 8,
            "rebuilt: {}",
            k.arena.text.len()
        );
        assert_eq!(k.values_containing("value-1999"), vec![ids[1999]]);
        // value-1500 .. value-1999 all contain "value-1".
        assert_eq!(k.values_containing("value-1").len(), 500);
    }
}
