//! Search: one tantivy index over the catalog and every doc page.
//!
//! A pure library: the store's change logs feed it [`Update`]s through the
//! one [`SearchWriter`], and [`SearchIndex::query`] answers Backstage's
//! `/api/search/query` with a [`SearchPage`] that serializes to Backstage's
//! JSON shape.
//!
//! Documents: one per entity (`software-catalog`) and one per section of a
//! doc page (`techdocs`), so a hit lands on a heading; several hits on one
//! page are shown as one result with `document.subHits`.
//!
//! The term is never a syntax error. Words must all match (common English
//! words like "how" or "the" are optional; of three or more words, one may
//! be missing, and documents with all of them rank first), stemmed (`rollbacks` finds
//! `rollback`); the last word also matches as a prefix while it is being
//! typed (`paym` finds `payments-api`); `"quoted phrases"`, `-word`,
//! `NOT word` and `OR` work; any other punctuation only separates words. A
//! term without any word lists everything the filters allow, by name. When
//! a query finds fewer than three results it is run again tolerating one
//! typo per word of five or more letters, and those results are appended.
//!
//! Highlights wrap matches in `<mark>`…`</mark>` ([`PRE_TAG`],
//! [`POST_TAG`]); the text around them is HTML-escaped, so the tags are
//! the only markup. Documents themselves carry plain, unescaped text.
//!
//! Filters (`kind`, `type`, `owner`, `lifecycle`, `tag`, `namespace`,
//! `name`) compare case-insensitively and exactly; an owner may be given
//! short (`team-a`) or as a full ref. `numberOfResults` counts results
//! after grouping. Cursors are opaque; one this crate did not make is
//! [`SearchError::InvalidCursor`], the only error a query's input can
//! cause.
//!
//! The index lives in one directory ([`SearchIndex::open`]); each commit
//! records the schema version and the change-log [`Position`] it reflects,
//! so a restart either reuses it and catches up from there, or gets a fresh
//! empty index to rebuild (see [`Opened`]). A rebuild is fed in parts and
//! committed once ([`SearchWriter::begin_rebuild`]); until then queries see
//! the last commit, and [`scan`] answers from the catalog's entities where
//! there is none.

mod convert;
mod doc;
mod error;
mod index;
mod query;
mod schema;
mod types;
mod writer;

pub use doc::{entity_ref, full_owner_ref, DocPageDoc, EntityDoc, SectionDoc};
pub use error::SearchError;
pub use index::SearchIndex;
pub use query::scan;
pub use schema::{SCHEMA_VERSION, TYPE_CATALOG, TYPE_TECHDOCS};
pub use types::{
    Batch, Highlight, Opened, Position, SearchPage, SearchQuery, SearchResult, Update,
    DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, POST_TAG, PRE_TAG,
};
pub use writer::{Rebuild, SearchWriter};
