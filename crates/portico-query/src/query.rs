//! Listing and by-query paging: ordering, offsets and keyset cursors.

use std::cmp::Ordering;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::cursor::{self, Direction, Position};
use crate::filter::{EntityFilter, FullTextFilter};
use crate::index::CatalogIndex;
use crate::order::SortField;
use crate::QueryError;

/// One facet value and how many matching entities have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: usize,
}

/// Legacy `GET /entities`: filter, order, offset and optional limit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListRequest {
    pub filter: EntityFilter,
    pub order: Vec<SortField>,
    pub offset: usize,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct ListPage {
    pub items: Vec<Arc<Value>>,
    /// More items follow `offset + limit`.
    pub has_more: bool,
}

/// `GET /entities/by-query`, either a first request or one continued from a cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRequest {
    pub filter: EntityFilter,
    pub order: Vec<SortField>,
    pub full_text: Option<FullTextFilter>,
    pub limit: usize,
    position: Option<Position>,
}

#[derive(Debug, Clone)]
pub struct QueryPage {
    pub items: Vec<Arc<Value>>,
    /// Entities matching the filter and full-text filter, regardless of the page.
    pub total_items: usize,
    pub next_cursor: Option<String>,
    pub prev_cursor: Option<String>,
}

impl QueryRequest {
    /// A first request. `filter_params` are the raw `filter` parameters.
    pub fn new(
        filter_params: &[String],
        order: Vec<SortField>,
        full_text: Option<FullTextFilter>,
        limit: usize,
    ) -> Result<Self, QueryError> {
        if let Some(bad) = order.iter().find(|o| o.field.trim().is_empty()) {
            return Err(QueryError::InvalidOrder(format!(
                "sort field '{}' is empty",
                bad.field
            )));
        }
        Ok(QueryRequest {
            filter: EntityFilter::parse(filter_params)?,
            order,
            full_text,
            limit,
            position: None,
        })
    }

    /// A request continued from a cursor. The cursor carries filter, order, full-text filter
    /// and page size, so any other parameters sent with it are to be ignored; `limit`, when
    /// given, changes the page size.
    pub fn from_cursor(cursor: &str, limit: Option<usize>) -> Result<Self, QueryError> {
        let d = cursor::decode(cursor)?;
        Ok(QueryRequest {
            filter: d.filter,
            order: d.order,
            full_text: d.full_text,
            limit: limit.unwrap_or(d.limit),
            position: Some(d.position),
        })
    }

    /// True when this request continues from a cursor.
    pub fn has_cursor(&self) -> bool {
        self.position.is_some()
    }
}

/// The matching slots with their sort values precomputed, so comparisons during selection are
/// plain string comparisons.
struct Sorted<'a> {
    index: &'a CatalogIndex,
    slots: Vec<u32>,
    descending: Vec<bool>,
    /// `descending.len()` values per slot, row-major.
    values: Vec<Option<&'a str>>,
}

fn compare(
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

impl<'a> Sorted<'a> {
    fn new(index: &'a CatalogIndex, slots: Vec<u32>, order: &[SortField]) -> Self {
        let keys: Vec<Option<u32>> = order
            .iter()
            .map(|o| index.key_id(&o.field.to_lowercase()))
            .collect();
        let mut values = Vec::with_capacity(slots.len() * keys.len());
        for &slot in &slots {
            for &k in &keys {
                values.push(index.first_value(slot, k));
            }
        }
        Sorted {
            index,
            slots,
            descending: order.iter().map(|o| o.descending).collect(),
            values,
        }
    }

    fn len(&self) -> usize {
        self.slots.len()
    }

    fn values(&self, i: usize) -> &[Option<&'a str>] {
        let n = self.descending.len();
        &self.values[i * n..(i + 1) * n]
    }

    fn key(&self, i: usize) -> &str {
        self.index
            .slot(self.slots[i])
            .map_or("", |s| &s.entity_ref)
    }

    fn cmp(&self, a: usize, b: usize) -> Ordering {
        compare(&self.descending, self.values(a), self.key(a), self.values(b), self.key(b))
    }

    fn cmp_position(&self, i: usize, pos: &Position) -> Ordering {
        let theirs: Vec<Option<&str>> = pos.values.iter().map(|v| v.as_deref()).collect();
        compare(&self.descending, self.values(i), self.key(i), &theirs, &pos.key)
    }

    /// The `n` first of `items` in order.
    fn first_n(&self, items: &mut Vec<usize>, n: usize) {
        if items.len() > n {
            if n == 0 {
                items.clear();
                return;
            }
            items.select_nth_unstable_by(n, |&a, &b| self.cmp(a, b));
            items.truncate(n);
        }
        items.sort_unstable_by(|&a, &b| self.cmp(a, b));
    }

    /// The `n` last of `items` in order.
    fn last_n(&self, items: &mut Vec<usize>, n: usize) {
        if items.len() > n {
            let skip = items.len() - n;
            items.select_nth_unstable_by(skip, |&a, &b| self.cmp(a, b));
            items.drain(..skip);
        }
        items.sort_unstable_by(|&a, &b| self.cmp(a, b));
    }

    fn position(&self, i: usize, direction: Direction) -> Position {
        Position {
            direction,
            values: self.values(i).iter().map(|v| v.map(str::to_owned)).collect(),
            key: self.key(i).to_owned(),
            inclusive: false,
        }
    }

    fn entity(&self, i: usize) -> Option<Arc<Value>> {
        self.index.slot(self.slots[i]).map(|s| s.entity.clone())
    }
}

impl CatalogIndex {
    /// Legacy listing: matching entities in order, from `offset`, at most `limit` of them.
    pub fn list(&self, req: &ListRequest) -> ListPage {
        let sorted = Sorted::new(self, self.eval_filter(&req.filter), &req.order);
        let mut items: Vec<usize> = (0..sorted.len()).collect();
        let end = req.limit.map_or(usize::MAX, |l| req.offset.saturating_add(l));
        sorted.first_n(&mut items, end);
        let has_more = sorted.len() > end;
        ListPage {
            items: items
                .into_iter()
                .skip(req.offset)
                .filter_map(|i| sorted.entity(i))
                .collect(),
            has_more,
        }
    }

    /// By-query: one page of matching entities, the total count, and cursors to the
    /// neighbouring pages.
    pub fn query(&self, req: &QueryRequest) -> QueryPage {
        let mut matched = self.eval_filter(&req.filter);
        if let Some(ft) = &req.full_text {
            matched = self.apply_full_text(matched, ft, &req.order);
        }
        let total_items = matched.len();
        let mut page = QueryPage {
            items: Vec::new(),
            total_items,
            next_cursor: None,
            prev_cursor: None,
        };
        if req.limit == 0 {
            return page;
        }
        let sorted = Sorted::new(self, matched, &req.order);
        let all = 0..sorted.len();
        let (items, has_prev, has_next) = match &req.position {
            None => {
                let mut items: Vec<usize> = all.collect();
                let more = items.len() > req.limit;
                sorted.first_n(&mut items, req.limit);
                (items, false, more)
            }
            Some(pos) if pos.direction == Direction::Next => {
                let mut items: Vec<usize> = all
                    .filter(|&i| match sorted.cmp_position(i, pos) {
                        Ordering::Greater => true,
                        Ordering::Equal => pos.inclusive,
                        Ordering::Less => false,
                    })
                    .collect();
                let before = items.len() < sorted.len();
                let more = items.len() > req.limit;
                sorted.first_n(&mut items, req.limit);
                (items, before, more)
            }
            Some(pos) => {
                let mut items: Vec<usize> = all
                    .filter(|&i| match sorted.cmp_position(i, pos) {
                        Ordering::Less => true,
                        Ordering::Equal => pos.inclusive,
                        Ordering::Greater => false,
                    })
                    .collect();
                let after = items.len() < sorted.len();
                let more = items.len() > req.limit;
                sorted.last_n(&mut items, req.limit);
                (items, more, after)
            }
        };

        let encode = |position: Position| {
            cursor::encode(
                &req.filter,
                &req.order,
                req.full_text.as_ref(),
                req.limit,
                position,
            )
        };
        match (items.first(), items.last()) {
            (Some(&first), Some(&last)) => {
                if has_next {
                    page.next_cursor = Some(encode(sorted.position(last, Direction::Next)));
                }
                if has_prev {
                    page.prev_cursor = Some(encode(sorted.position(first, Direction::Prev)));
                }
            }
            _ => {
                // An empty page after a cursor (its neighbours were removed): point back at
                // everything on the other side of the same position.
                if let Some(pos) = &req.position {
                    let flipped = Position {
                        direction: match pos.direction {
                            Direction::Next => Direction::Prev,
                            Direction::Prev => Direction::Next,
                        },
                        inclusive: !pos.inclusive,
                        ..pos.clone()
                    };
                    let cursor = Some(encode(flipped));
                    match pos.direction {
                        Direction::Next if has_prev => page.prev_cursor = cursor,
                        Direction::Prev if has_next => page.next_cursor = cursor,
                        _ => {}
                    }
                }
            }
        }
        page.items = items.into_iter().filter_map(|i| sorted.entity(i)).collect();
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_puts_missing_last_in_both_directions() {
        let asc = [false];
        let desc = [true];
        assert_eq!(compare(&asc, &[Some("a")], "x", &[None], "a"), Ordering::Less);
        assert_eq!(compare(&desc, &[Some("a")], "x", &[None], "a"), Ordering::Less);
        assert_eq!(compare(&desc, &[Some("a")], "x", &[Some("b")], "a"), Ordering::Greater);
        assert_eq!(compare(&asc, &[None], "a", &[None], "b"), Ordering::Less);
        assert_eq!(compare(&[], &[], "b", &[], "a"), Ordering::Greater);
    }
}
