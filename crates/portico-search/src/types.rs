//! The crate's public value types: what goes in (updates, queries) and what
//! comes out (pages of results in Backstage's JSON shape).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::doc::{DocPageDoc, EntityDoc};

/// The change-log positions an index reflects: everything up to and
/// including these has been applied. Stored in the commit, so a restart
/// replays only what came after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub entities: i64,
    pub docs: i64,
}

/// What `SearchIndex::open` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// A usable index of this schema version, reflecting this position.
    Reused(Position),
    /// A new empty index: there was none, it had another schema version,
    /// or it was unreadable. The caller rebuilds it from the store.
    Created,
}

/// One change to apply.
// Updates are built once, moved into a batch and consumed by the writer;
// boxing the entity would only add an allocation per entity.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// Add or replace the entity's catalog document.
    UpsertEntity(EntityDoc),
    /// Remove the catalog document of this ref (its docs stay: see
    /// `RemoveDocs`).
    RemoveEntity(String),
    /// Replace every doc section of the entity by these pages.
    ReplaceDocs {
        entity_ref: String,
        pages: Vec<DocPageDoc>,
    },
    /// Remove every doc section of the entity.
    RemoveDocs(String),
}

/// Updates committed together, and the position they bring the index to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    pub updates: Vec<Update>,
    pub position: Position,
}

pub const DEFAULT_PAGE_LIMIT: usize = 25;
pub const MAX_PAGE_LIMIT: usize = 100;

/// Highlighted terms are wrapped in these; everything else in a
/// highlighted field is HTML-escaped text.
pub const PRE_TAG: &str = "<mark>";
pub const POST_TAG: &str = "</mark>";

/// Backstage's `/api/search/query` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// Free text. Never a syntax error: see the crate docs for what it
    /// understands.
    pub term: String,
    /// `software-catalog`, `techdocs`; empty means all.
    pub types: Vec<String>,
    /// `kind`, `type`, `owner`, `lifecycle`, `tag` (or `tags`),
    /// `namespace`, `name`: case-insensitive exact match; several values
    /// of one filter are alternatives, different filters all apply. An
    /// unknown filter matches nothing, as a filter on a missing document
    /// field does in Backstage.
    pub filters: BTreeMap<String, Vec<String>>,
    /// 0 means the default (25); more than 100 is read as 100.
    pub page_limit: usize,
    pub page_cursor: Option<String>,
}

impl Default for SearchQuery {
    fn default() -> Self {
        SearchQuery {
            term: String::new(),
            types: Vec::new(),
            filters: BTreeMap::new(),
            page_limit: DEFAULT_PAGE_LIMIT,
            page_cursor: None,
        }
    }
}

impl SearchQuery {
    pub fn term(term: impl Into<String>) -> Self {
        SearchQuery {
            term: term.into(),
            ..SearchQuery::default()
        }
    }

    /// Adds one filter value (builder style, for callers and tests).
    pub fn filter(mut self, key: &str, value: &str) -> Self {
        self.filters
            .entry(key.to_owned())
            .or_default()
            .push(value.to_owned());
        self
    }

    pub(crate) fn effective_limit(&self) -> usize {
        match self.page_limit {
            0 => DEFAULT_PAGE_LIMIT,
            n => n.min(MAX_PAGE_LIMIT),
        }
    }
}

/// One page of results, serialized in Backstage's camelCase shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchPage {
    pub results: Vec<SearchResult>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub next_page_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub previous_page_cursor: Option<String>,
    /// Results over all pages (a page with several matching sections
    /// counts once).
    pub number_of_results: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResult {
    #[serde(rename = "type")]
    pub result_type: String,
    pub document: serde_json::Value,
    pub highlight: Highlight,
    /// 1-based position over the whole result list.
    pub rank: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Highlight {
    pub pre_tag: String,
    pub post_tag: String,
    /// `title` and `text`: escaped HTML with the matches wrapped in the
    /// tags; `text` is a fragment around the best matches.
    pub fields: BTreeMap<String, String>,
}
