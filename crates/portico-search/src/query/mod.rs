//! Answering a search: read the term, run the ranked query (and the fuzzy
//! fallback when it finds almost nothing), group sections by page, cut the
//! page, highlight.

mod build;
mod collect;
mod highlight;
pub(crate) mod lex;
mod scan;

pub use self::scan::scan;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query};
use tantivy::schema::Value as _;
use tantivy::{DocAddress, Searcher, TantivyDocument};

use self::build::{filter_clauses, Builder};
use self::collect::{collect, Collected, Group, Ranking, MAX_SUB_HITS};
use self::highlight::Highlighter;
use crate::schema::{english_analyzer, Fields};
use crate::types::{Highlight, SearchPage, SearchQuery, SearchResult, POST_TAG, PRE_TAG};
use crate::SearchError;

/// Below this many results the query is run again with typo tolerance and
/// the new results are appended.
const FUZZY_BELOW: usize = 3;

pub(crate) fn search(
    searcher: &Searcher,
    fields: &Fields,
    q: &SearchQuery,
) -> Result<SearchPage, SearchError> {
    let (offset, limit) = page_bounds(q)?;
    let need = offset.saturating_add(limit);
    let parsed = lex::lex(&q.term);
    let filters = filter_clauses(fields, &q.types, &q.filters);

    let mut builder = Builder {
        fields,
        searcher,
        analyzer: english_analyzer(),
        fuzzy: false,
    };
    let mut used_fuzzy = false;
    let collected = match builder.text_query(&parsed) {
        None => {
            let query = with_clauses(None, filters, Vec::new());
            collect(searcher, &*query, Ranking::Name, need, Arc::default())?
        }
        Some(text) => {
            let mut extra = Vec::new();
            if let Some(exact) = builder.exact_name(&parsed) {
                extra.push((Occur::Should, exact));
            }
            let query = with_clauses(Some(text.box_clone()), clone_clauses(&filters), extra);
            let exact = collect(searcher, &*query, Ranking::Score, need, Arc::default())?;
            if exact.total < FUZZY_BELOW && builder.has_fuzzy_words(&parsed) {
                builder.fuzzy = true;
                used_fuzzy = true;
                match builder.text_query(&parsed) {
                    Some(fuzzy) => {
                        let query =
                            with_clauses(Some(fuzzy), filters, vec![(Occur::MustNot, text)]);
                        append_fuzzy(searcher, exact, &*query, need)?
                    }
                    None => exact,
                }
            } else {
                exact
            }
        }
    };

    let mut highlighter = Highlighter::new(english_analyzer(), &parsed, used_fuzzy);
    let mut results = Vec::new();
    for (i, group) in collected.groups.iter().enumerate().skip(offset).take(limit) {
        // Ranks count over the whole list, not the page.
        let rank = i + 1;
        results.extend(result(searcher, fields, group, rank, &mut highlighter)?);
    }
    Ok(page_of(results, offset, limit, collected.total))
}

/// Where the requested page starts, and how long it is.
fn page_bounds(q: &SearchQuery) -> Result<(usize, usize), SearchError> {
    let offset = match &q.page_cursor {
        Some(cursor) => decode_cursor(cursor)?,
        None => 0,
    };
    Ok((offset, q.effective_limit()))
}

/// The page at `offset` of `total` results, with cursors to its
/// neighbours.
fn page_of(results: Vec<SearchResult>, offset: usize, limit: usize, total: usize) -> SearchPage {
    let end = offset.saturating_add(limit);
    SearchPage {
        results,
        next_page_cursor: (end < total).then(|| encode_cursor(end)),
        previous_page_cursor: (offset > 0).then(|| encode_cursor(offset.saturating_sub(limit))),
        number_of_results: total,
    }
}

fn clone_clauses(clauses: &[(Occur, Box<dyn Query>)]) -> Vec<(Occur, Box<dyn Query>)> {
    clauses.iter().map(|(o, q)| (*o, q.box_clone())).collect()
}

/// The text query (if any) with filters and extra clauses; with no text,
/// everything the filters let through.
fn with_clauses(
    text: Option<Box<dyn Query>>,
    mut clauses: Vec<(Occur, Box<dyn Query>)>,
    extra: Vec<(Occur, Box<dyn Query>)>,
) -> Box<dyn Query> {
    if let Some(text) = text {
        clauses.push((Occur::Must, text));
    }
    clauses.extend(extra);
    if !clauses.iter().any(|(occur, _)| *occur == Occur::Must) {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// Runs the fuzzy query (which excludes every exact hit) and appends its
/// results. A page that had exact hits keeps its place; its fuzzy sections
/// join its sub-hits instead of forming a second result.
fn append_fuzzy(
    searcher: &Searcher,
    mut exact: Collected,
    fuzzy: &dyn Query,
    need: usize,
) -> Result<Collected, SearchError> {
    let known: HashSet<u64> = exact
        .groups
        .iter()
        .map(|g| g.page)
        .filter(|&p| p != 0)
        .collect();
    let more = collect(
        searcher,
        fuzzy,
        Ranking::Score,
        need.saturating_sub(exact.groups.len()).max(1),
        Arc::new(known),
    )?;
    for group in more.groups {
        match exact
            .groups
            .iter_mut()
            .find(|g| g.page != 0 && g.page == group.page)
        {
            Some(existing) => {
                let room = (MAX_SUB_HITS + 1).saturating_sub(existing.hits.len());
                existing.hits.extend(group.hits.into_iter().take(room));
            }
            None => exact.groups.push(group),
        }
    }
    exact.total += more.total;
    Ok(exact)
}

fn stored_document(
    searcher: &Searcher,
    fields: &Fields,
    address: DocAddress,
) -> Result<Value, SearchError> {
    let doc: TantivyDocument = searcher
        .doc(address)
        .map_err(SearchError::tantivy("reading a stored document"))?;
    let json = doc
        .get_first(fields.doc)
        .and_then(|v| v.as_str())
        .unwrap_or("{}");
    Ok(serde_json::from_str(json).unwrap_or_else(|error| {
        tracing::warn!(%error, "stored search document is not JSON; showing it empty");
        json!({})
    }))
}

fn str_field<'a>(document: &'a Value, key: &str) -> &'a str {
    document
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn result(
    searcher: &Searcher,
    fields: &Fields,
    group: &Group,
    rank: usize,
    highlighter: &mut Highlighter,
) -> Result<Option<SearchResult>, SearchError> {
    let mut hits = group.hits.iter();
    // Groups are made from hits, so there is always a first one.
    let Some(&best) = hits.next() else {
        return Ok(None);
    };
    let mut document = stored_document(searcher, fields, best)?;
    let title = highlighter.whole(str_field(&document, "title"));
    let text = highlighter.fragment(str_field(&document, "text")).marked;

    let is_page = group.page != 0;
    if is_page {
        let mut sub_hits = Vec::new();
        for &address in hits.take(MAX_SUB_HITS) {
            let sub = stored_document(searcher, fields, address)?;
            let fragment = highlighter.fragment(str_field(&sub, "text"));
            sub_hits.push(json!({
                "title": str_field(&sub, "title"),
                "location": str_field(&sub, "location"),
                "text": fragment.plain,
                "highlight": {
                    "title": highlighter.whole(str_field(&sub, "title")),
                    "text": fragment.marked,
                },
            }));
        }
        if let Some(object) = document.as_object_mut() {
            object.insert("subHits".into(), Value::Array(sub_hits));
        }
    }
    let result_type = if is_page {
        crate::schema::TYPE_TECHDOCS
    } else {
        crate::schema::TYPE_CATALOG
    };
    Ok(Some(SearchResult {
        result_type: result_type.to_owned(),
        document,
        highlight: Highlight {
            pre_tag: PRE_TAG.to_owned(),
            post_tag: POST_TAG.to_owned(),
            fields: BTreeMap::from([("title".to_owned(), title), ("text".to_owned(), text)]),
        },
        rank,
    }))
}

fn encode_cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("o{offset}"))
}

fn decode_cursor(cursor: &str) -> Result<usize, SearchError> {
    let invalid = || SearchError::InvalidCursor(cursor.to_owned());
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| invalid())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| invalid())?;
    text.strip_prefix('o')
        .and_then(|n| n.parse().ok())
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_rejects_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(75)).ok(), Some(75));
        for bad in ["", "!!", "bm9wZQ", "o12"] {
            assert!(
                matches!(decode_cursor(bad), Err(SearchError::InvalidCursor(_))),
                "{bad}"
            );
        }
    }
}
