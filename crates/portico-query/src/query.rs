//! Listing and by-query paging: ordering, offsets and keyset cursors.

use std::sync::Arc;

use crate::cursor::{self, Direction, Position};
use crate::entity_json::EntityJson;
use crate::filter::{EntityFilter, FullTextFilter};
use crate::index::CatalogIndex;
use crate::order::SortField;
use crate::walk::{Bound, Plan};
use crate::QueryError;
use serde::Serialize;

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
    pub items: Vec<Arc<EntityJson>>,
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
    pub items: Vec<Arc<EntityJson>>,
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

impl CatalogIndex {
    /// Legacy listing: matching entities in order, from `offset`, at most `limit` of them.
    pub fn list(&self, req: &ListRequest) -> ListPage {
        let plan = Plan::new(self, &req.order, self.eval_filter(&req.filter));
        let end = req
            .limit
            .map_or(usize::MAX, |l| req.offset.saturating_add(l));
        let found = plan.collect(Direction::Next, None, end.saturating_add(1));
        ListPage {
            has_more: found.len() > end,
            items: found
                .into_iter()
                .take(end)
                .skip(req.offset)
                .filter_map(|s| self.entity_at(s))
                .collect(),
        }
    }

    /// By-query: one page of matching entities, the total count, and cursors to the
    /// neighbouring pages.
    pub fn query(&self, req: &QueryRequest) -> QueryPage {
        let mut matched = self.eval_filter(&req.filter);
        if let Some(ft) = &req.full_text {
            matched = self.apply_full_text(matched, ft, &req.order);
        }
        let mut page = QueryPage {
            items: Vec::new(),
            total_items: matched.len(),
            next_cursor: None,
            prev_cursor: None,
        };
        if req.limit == 0 {
            return page;
        }
        let plan = Plan::new(self, &req.order, matched);
        // A position only means something under the order it was taken in; should a caller
        // change `order` on a cursor request, start from the beginning instead.
        let start = req
            .position
            .as_ref()
            .filter(|p| p.values.len() == req.order.len());
        let bound = start.map(Bound::of);
        let want = req.limit.saturating_add(1);
        let (items, has_prev, has_next) = match (start, &bound) {
            (Some(pos), Some(b)) if pos.direction == Direction::Prev => {
                let mut items = plan.collect(Direction::Prev, Some(b), want);
                let more = items.len() > req.limit;
                items.truncate(req.limit);
                items.reverse();
                let after = !plan
                    .collect(Direction::Next, Some(&b.complement()), 1)
                    .is_empty();
                (items, more, after)
            }
            _ => {
                let mut items = plan.collect(Direction::Next, bound.as_ref(), want);
                let more = items.len() > req.limit;
                items.truncate(req.limit);
                let before = bound.as_ref().is_some_and(|b| {
                    !plan
                        .collect(Direction::Prev, Some(&b.complement()), 1)
                        .is_empty()
                });
                (items, before, more)
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
        let position_of = |slot: u32, direction: Direction| Position {
            direction,
            values: plan
                .values_of(slot)
                .into_iter()
                .map(|v| v.map(str::to_owned))
                .collect(),
            key: plan.key_of(slot).to_owned(),
            inclusive: false,
        };
        match (items.first(), items.last()) {
            (Some(&first), Some(&last)) => {
                if has_next {
                    page.next_cursor = Some(encode(position_of(last, Direction::Next)));
                }
                if has_prev {
                    page.prev_cursor = Some(encode(position_of(first, Direction::Prev)));
                }
            }
            _ => {
                // An empty page after a cursor (its neighbours were removed): point back at
                // everything on the other side of the same position.
                if let Some(pos) = start {
                    let flipped = Position {
                        direction: match pos.direction {
                            Direction::Next => Direction::Prev,
                            Direction::Prev => Direction::Next,
                        },
                        inclusive: !pos.inclusive,
                        ..pos.clone()
                    };
                    match pos.direction {
                        Direction::Next if has_prev => page.prev_cursor = Some(encode(flipped)),
                        Direction::Prev if has_next => page.next_cursor = Some(encode(flipped)),
                        _ => {}
                    }
                }
            }
        }
        page.items = items
            .into_iter()
            .filter_map(|s| self.entity_at(s))
            .collect();
        page
    }

    fn entity_at(&self, slot: u32) -> Option<Arc<EntityJson>> {
        self.slot(slot).map(|s| s.entity.clone())
    }
}
