//! In-memory query engine over final (stitched) entity JSON.
//!
//! The server keeps every final entity in a [`CatalogIndex`] and answers the catalog read API
//! (`GET /entities`, `GET /entities/by-query`, `GET /entity-facets`, by-ref and by-uid lookups)
//! from it. The store stays the source of truth; the index is fed with [`CatalogIndex::upsert`]
//! (or [`CatalogIndex::upsert_json`]) and [`CatalogIndex::remove`]. Entities are kept and
//! returned as their compact JSON text ([`EntityJson`]), which responses embed verbatim.
//!
//! Each entity is flattened once, at upsert, into Backstage's search rows (lower-cased dotted
//! keys, one value per array element) and those rows feed an inverted index: key -> ordered
//! value dictionary -> sorted posting list of slot ids, plus key -> slots for "exists" filters.
//! Filters evaluate by intersecting posting lists (smallest first) and uniting the
//! alternatives. Pages come from walking the ordered refs or the sort key's ordered values when
//! many entities match, and from sorting the matches when few do (`walk`). Full-text search
//! scans each key's contiguous text arena (`keys`). Removal tombstones slots; compaction
//! renumbers them once a quarter are dead (`index`).
//!
//! The index is not internally synchronised: share it behind an `RwLock` (reads take `&self`).

mod cursor;
mod entity_json;
mod eval;
mod fields;
mod filter;
mod flatten;
mod index;
mod keys;
mod order;
mod postings;
mod query;
mod walk;

pub use entity_json::EntityJson;
pub use fields::{parse_fields, select_fields};
pub use filter::{EntityFilter, FullTextFilter};
pub use index::CatalogIndex;
pub use order::{parse_order, parse_order_field, SortField};
pub use query::{FacetCount, ListPage, ListRequest, QueryPage, QueryRequest};

/// Errors for bad input; every variant maps to a 400 `InputError` at the HTTP layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("Invalid filter: {0}")]
    InvalidFilter(String),
    #[error("Invalid order: {0}")]
    InvalidOrder(String),
    #[error("Invalid cursor: {0}")]
    InvalidCursor(String),
    #[error("Invalid entity: {0}")]
    InvalidEntity(String),
}
