//! Sorted, duplicate-free lists of slot ids and the set operations filters need.

/// Adds `slot`, keeping the list sorted. Appending is the common case: fresh slots are handed
/// out in increasing order during a bulk load.
pub(crate) fn insert(list: &mut Vec<u32>, slot: u32) {
    match list.last() {
        None => list.push(slot),
        Some(&last) if last < slot => list.push(slot),
        Some(_) => {
            if let Err(at) = list.binary_search(&slot) {
                list.insert(at, slot);
            }
        }
    }
}

pub(crate) fn remove(list: &mut Vec<u32>, slot: u32) {
    if let Ok(at) = list.binary_search(&slot) {
        list.remove(at);
    }
}

/// Index of the first element `>= x`, searching from the front with doubling steps so that
/// walking a long list with a short one costs O(short * log(long / short)).
fn gallop(list: &[u32], x: u32) -> usize {
    let mut hi = 1;
    while hi < list.len() && list[hi] < x {
        hi *= 2;
    }
    let lo = hi / 2;
    let hi = hi.min(list.len());
    lo + list[lo..hi].partition_point(|&v| v < x)
}

/// Intersection of all lists; the shortest one drives the walk.
pub(crate) fn intersect(mut lists: Vec<&[u32]>) -> Vec<u32> {
    lists.sort_by_key(|l| l.len());
    let Some((first, rest)) = lists.split_first() else {
        return Vec::new();
    };
    let mut acc = first.to_vec();
    for other in rest {
        if acc.is_empty() {
            break;
        }
        let mut remaining: &[u32] = other;
        acc.retain(|&x| {
            let at = gallop(remaining, x);
            remaining = &remaining[at..];
            remaining.first() == Some(&x)
        });
    }
    acc
}

/// Items of `a` not in `b`.
pub(crate) fn difference(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut rest = b;
    a.iter()
        .copied()
        .filter(|&x| {
            let at = gallop(rest, x);
            rest = &rest[at..];
            rest.first() != Some(&x)
        })
        .collect()
}

/// Union of two sorted lists.
pub(crate) fn union(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Union of any number of lists, merging the shortest ones first.
pub(crate) fn union_all(mut lists: Vec<Vec<u32>>) -> Vec<u32> {
    match lists.len() {
        0 => return Vec::new(),
        1 => return lists.pop().unwrap_or_default(),
        _ => {}
    }
    let total: usize = lists.iter().map(Vec::len).sum();
    if lists.len() > 8 {
        // Many small lists (a substring matching many values): one sort beats repeated merges.
        let mut all = Vec::with_capacity(total);
        for l in lists {
            all.extend_from_slice(&l);
        }
        all.sort_unstable();
        all.dedup();
        return all;
    }
    lists.sort_by_key(|l| std::cmp::Reverse(l.len()));
    let mut acc = lists.pop().unwrap_or_default();
    while let Some(next) = lists.pop() {
        acc = union(&acc, &next);
    }
    acc
}

/// Membership bitmap over slot ids.
#[derive(Default, Clone)]
pub(crate) struct SlotSet {
    words: Vec<u64>,
}

impl SlotSet {
    pub(crate) fn insert(&mut self, slot: u32) {
        let w = slot as usize / 64;
        if self.words.len() <= w {
            self.words.resize(w + 1, 0);
        }
        self.words[w] |= 1 << (slot % 64);
    }

    pub(crate) fn remove(&mut self, slot: u32) {
        if let Some(w) = self.words.get_mut(slot as usize / 64) {
            *w &= !(1 << (slot % 64));
        }
    }

    pub(crate) fn new(capacity: usize, slots: &[u32]) -> Self {
        let mut words = vec![0u64; capacity.div_ceil(64)];
        for &s in slots {
            if let Some(w) = words.get_mut(s as usize / 64) {
                *w |= 1 << (s % 64);
            }
        }
        SlotSet { words }
    }

    pub(crate) fn contains(&self, slot: u32) -> bool {
        self.words
            .get(slot as usize / 64)
            .is_some_and(|w| w & (1 << (slot % 64)) != 0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn insert_keeps_order_and_ignores_duplicates() {
        let mut l = Vec::new();
        for s in [5, 1, 9, 5, 3, 10] {
            insert(&mut l, s);
        }
        assert_eq!(l, vec![1, 3, 5, 9, 10]);
        remove(&mut l, 5);
        remove(&mut l, 42);
        assert_eq!(l, vec![1, 3, 9, 10]);
    }

    #[test]
    fn intersect_uses_all_lists() {
        let a: Vec<u32> = (0..1000).collect();
        let b: Vec<u32> = (0..1000).filter(|x| x % 3 == 0).collect();
        let c = vec![3, 4, 6, 999, 1500];
        assert_eq!(intersect(vec![&a, &b, &c]), vec![3, 6, 999]);
        assert!(intersect(vec![&a, &[]]).is_empty());
        assert!(intersect(vec![]).is_empty());
    }

    #[test]
    fn gallop_finds_lower_bound() {
        let l = [1, 3, 5, 7, 9, 11, 13];
        assert_eq!(gallop(&l, 0), 0);
        assert_eq!(gallop(&l, 1), 0);
        assert_eq!(gallop(&l, 6), 3);
        assert_eq!(gallop(&l, 13), 6);
        assert_eq!(gallop(&l, 14), 7);
        assert_eq!(gallop(&[], 3), 0);
    }

    #[test]
    fn unions_merge_and_dedup() {
        assert_eq!(union(&[1, 4, 6], &[2, 4, 7]), vec![1, 2, 4, 6, 7]);
        let many: Vec<Vec<u32>> = (0..20).map(|i| vec![i, i + 1, 100]).collect();
        let u = union_all(many);
        assert_eq!(u.len(), 22);
        assert_eq!(u.first(), Some(&0));
        assert_eq!(u.last(), Some(&100));
        assert_eq!(union_all(vec![vec![3], vec![1, 3]]), vec![1, 3]);
    }

    #[test]
    fn slot_set_membership() {
        let mut s = SlotSet::new(130, &[0, 64, 129]);
        assert!(s.contains(0) && s.contains(64) && s.contains(129));
        assert!(!s.contains(1) && !s.contains(128) && !s.contains(5000));
        s.insert(5000);
        s.remove(64);
        assert!(s.contains(5000) && !s.contains(64));
    }

    #[test]
    fn difference_keeps_items_missing_from_b() {
        assert_eq!(difference(&[1, 2, 3, 7, 9], &[2, 3, 4, 9]), vec![1, 7]);
        assert_eq!(difference(&[1, 2], &[]), vec![1, 2]);
    }
}
