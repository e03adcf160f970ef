//! Answering without an index: while a fresh index is being built (first
//! start, a schema change, a corrupt directory), catalog entities are
//! matched by reading them one by one. Slower and plainer (no stemming,
//! no typos, no docs), but search keeps answering meanwhile.

use std::collections::BTreeMap;

use super::highlight::Highlighter;
use super::lex::{self, Item, Parsed};
use super::{page_bounds, page_of};
use crate::convert::entity_document;
use crate::doc::{full_owner_ref, EntityDoc};
use crate::schema::{english_analyzer, words, TYPE_CATALOG};
use crate::types::{Highlight, SearchPage, SearchQuery, SearchResult, POST_TAG, PRE_TAG};
use crate::SearchError;

/// Answers `q` over `entities` (any order) with software-catalog results:
/// every word must start a word of the entity's name, title, description,
/// tags, type, owner, lifecycle, system or kind; quoted phrases must appear
/// as written; filters and paging work as with the index. Entities whose
/// name is the whole term come first, then those whose name matched, then
/// the rest, each by name.
pub fn scan(
    entities: impl IntoIterator<Item = EntityDoc>,
    q: &SearchQuery,
) -> Result<SearchPage, SearchError> {
    let (offset, limit) = page_bounds(q)?;
    let parsed = lex::lex(&q.term);
    let wanted_type = q.types.is_empty()
        || q.types
            .iter()
            .any(|t| t.trim().eq_ignore_ascii_case(TYPE_CATALOG));
    let whole = parsed.single_value();

    let mut hits: Vec<(u8, String, EntityDoc)> = Vec::new();
    if wanted_type {
        for entity in entities {
            if !passes_filters(&entity, &q.filters) {
                continue;
            }
            let text = Haystack::of(&entity);
            let Some(name_matched) = matches(&parsed, &text) else {
                continue;
            };
            let name = entity.name.to_lowercase();
            let class = if whole.as_deref() == Some(name.as_str()) {
                0
            } else if name_matched {
                1
            } else {
                2
            };
            hits.push((class, format!("{name}\u{1}{}", entity.entity_ref), entity));
        }
    }
    hits.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));

    let total = hits.len();
    let mut highlighter = Highlighter::new(english_analyzer(), &parsed, false);
    let results = hits
        .into_iter()
        .enumerate()
        .skip(offset)
        .take(limit)
        .map(|(i, (_, _, entity))| {
            let document = entity_document(&entity);
            let title = highlighter.whole(entity.display_title());
            let text = highlighter
                .fragment(entity.description.as_deref().unwrap_or_default())
                .marked;
            SearchResult {
                result_type: TYPE_CATALOG.to_owned(),
                document,
                highlight: Highlight {
                    pre_tag: PRE_TAG.to_owned(),
                    post_tag: POST_TAG.to_owned(),
                    fields: BTreeMap::from([
                        ("title".to_owned(), title),
                        ("text".to_owned(), text),
                    ]),
                },
                rank: i + 1,
            }
        })
        .collect();
    Ok(page_of(results, offset, limit, total))
}

/// An entity's words: its name's, and all of its searchable text's.
struct Haystack {
    name: Vec<String>,
    all: Vec<String>,
}

impl Haystack {
    fn of(e: &EntityDoc) -> Haystack {
        let name: Vec<String> = words(&e.name).collect();
        let mut all = name.clone();
        let texts = [
            &e.title,
            &e.description,
            &e.spec_type,
            &e.owner,
            &e.lifecycle,
            &e.system,
        ];
        for text in texts.into_iter().flatten() {
            all.extend(words(text));
        }
        for text in e.tags.iter().chain([&e.kind, &e.extra_text]) {
            all.extend(words(text));
        }
        Haystack { name, all }
    }
}

/// `None` when the entity does not match; else whether every positive
/// word matched its name.
fn matches(parsed: &Parsed, text: &Haystack) -> Option<bool> {
    if parsed.groups.is_empty() {
        return Some(false);
    }
    parsed
        .groups
        .iter()
        .filter_map(|items| group_matches(items, text))
        .max()
}

fn group_matches(items: &[Item], text: &Haystack) -> Option<bool> {
    let mut in_name = true;
    let mut positive = false;
    for item in items {
        let item_words: Vec<String> = words(&item.text).collect();
        let found = if item.phrase {
            contains_run(&text.all, &item_words)
        } else {
            item_words.iter().all(|w| starts_a_word(&text.all, w))
        };
        if found == item.negated {
            return None;
        }
        if !item.negated {
            positive = true;
            in_name &= !item.phrase && item_words.iter().all(|w| starts_a_word(&text.name, w));
        }
    }
    Some(positive && in_name)
}

fn starts_a_word(words: &[String], prefix: &str) -> bool {
    words.iter().any(|w| w.starts_with(prefix))
}

fn contains_run(words: &[String], run: &[String]) -> bool {
    run.is_empty() || words.windows(run.len()).any(|window| window == run)
}

fn passes_filters(e: &EntityDoc, filters: &BTreeMap<String, Vec<String>>) -> bool {
    filters.iter().all(|(key, values)| {
        let values: Vec<&String> = values.iter().filter(|v| !v.trim().is_empty()).collect();
        if values.is_empty() {
            return true;
        }
        let have: Vec<String> = match key.as_str() {
            "kind" => vec![e.kind.clone()],
            "namespace" => vec![e.namespace.clone()],
            "name" => vec![e.name.clone()],
            "type" | "componentType" | "spec.type" => {
                vec![e.spec_type.clone().unwrap_or_else(|| "other".to_owned())]
            }
            "owner" | "spec.owner" => e.owner.iter().cloned().collect(),
            "lifecycle" | "spec.lifecycle" => e.lifecycle.iter().cloned().collect(),
            "tag" | "tags" | "metadata.tags" => e.tags.clone(),
            _ => return false,
        };
        let is_owner = matches!(key.as_str(), "owner" | "spec.owner");
        values.iter().any(|v| {
            let v = v.trim();
            let v = if is_owner {
                full_owner_ref(v, "default")
            } else {
                v.to_owned()
            };
            have.iter().any(|h| h.eq_ignore_ascii_case(&v))
        })
    })
}
