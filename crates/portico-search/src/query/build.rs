//! Parsed term + filters -> tantivy queries.
//!
//! Ranking is done with field boosts inside one query rather than several
//! passes: each query word is a disjunction-max over the fields it can hit
//! (name > title > heading > page title > body > the rest), and a whole-term
//! clause on the untokenized name and ref puts exact matches first. Fuzzy
//! matching is a separate, second query, only run when the first finds
//! almost nothing (see `query::mod`).

use std::collections::BTreeMap;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery,
    FuzzyTermQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, Term};

use super::lex::{Item, Parsed};
use crate::doc::full_owner_ref;
use crate::schema::{
    folded_words_analyzer, Fields, MAX_NAME_PREFIX, MAX_WORD_PREFIX, TYPE_CATALOG, TYPE_TECHDOCS,
};

type BoxQuery = Box<dyn Query>;

/// Boosts of the fields a word can match.
const NAME: f32 = 8.0;
const TITLE: f32 = 5.0;
const HEADING: f32 = 4.0;
const PAGE_TITLE: f32 = 2.0;
const BODY: f32 = 1.0;
const EXTRA: f32 = 0.5;
const CONTEXT: f32 = 0.5;
const NAME_PREFIX: f32 = 6.0;
const TITLE_PREFIX: f32 = 3.0;
const BODY_PREFIX: f32 = 0.3;
/// The whole term equals the name or ref: far above any field match.
const EXACT_NAME: f32 = 40.0;
/// The whole term equals a tag or the spec type (`spring-boot`,
/// `asyncapi`): above a match of its words in a description or doc page.
const EXACT_TAG: f32 = 12.0;
/// A long word may be two words run together (`rollback`: `roll back`).
const MIN_COMPOUND_LEN: usize = 6;
const MIN_COMPOUND_PART: usize = 3;
/// The two-word reading of a compound counts a little less than the word.
const COMPOUND: f32 = 0.8;
/// With this many typed content words or more, one of them may be missing:
/// a runbook on `search latency` still answers `search latency spike`.
const MIN_WORDS_FOR_ONE_MISSING: usize = 3;
/// Other fields a word matched add this share of their score.
const TIE_BREAKER: f32 = 0.1;
/// Body prefixes shorter than this would expand to most of the dictionary.
const MIN_BODY_PREFIX: usize = 3;
/// Terms a body prefix expands to, at most (tantivy takes the first ones).
const MAX_BODY_EXPANSIONS: u32 = 50;
/// Words shorter than this get no typo tolerance: one edit in a short word
/// matches too many unrelated words.
pub(crate) const MIN_FUZZY_LEN: usize = 5;

/// Words that only narrow a result by accident: optional when the
/// alternative has any other word.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "do", "for", "from", "how", "i", "in", "is",
    "it", "of", "on", "or", "the", "this", "to", "what", "when", "where", "why", "with",
];

/// One analyzed query word.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    /// As indexed: lowercased, folded, stemmed.
    pub stem: String,
    /// The word as typed, lowercased.
    pub raw: String,
    /// Lowercased and folded to ASCII, not stemmed (`identiy`).
    pub word: String,
    pub position: usize,
}

pub(crate) fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        let raw = text
            .get(t.offset_from..t.offset_to)
            .unwrap_or_default()
            .to_lowercase();
        tokens.push(Token {
            stem: t.text.clone(),
            word: fold(&raw),
            raw,
            position: t.position,
        });
    }
    tokens
}

/// One lowercase word folded to ASCII the way the indexed words are.
fn fold(word: &str) -> String {
    let mut folder = folded_words_analyzer();
    let mut stream = folder.token_stream(word);
    let mut out = String::new();
    while stream.advance() {
        out.push_str(&stream.token().text);
    }
    out
}

pub(crate) struct Builder<'a> {
    pub fields: &'a Fields,
    pub searcher: &'a Searcher,
    pub analyzer: TextAnalyzer,
    /// Add typo-tolerant alternatives to words of `MIN_FUZZY_LEN`+ chars.
    pub fuzzy: bool,
}

impl Builder<'_> {
    /// The text part of the query; `None` when the term has no word at all
    /// (the caller then lists by name).
    pub fn text_query(&mut self, parsed: &Parsed) -> Option<BoxQuery> {
        let last_group = parsed.groups.len().saturating_sub(1);
        let mut groups: Vec<BoxQuery> = Vec::new();
        for (g, items) in parsed.groups.iter().enumerate() {
            let open_last = parsed.last_is_open && g == last_group;
            if let Some(q) = self.group_query(items, open_last) {
                groups.push(q);
            }
        }
        match groups.len() {
            0 => None,
            1 => groups.pop(),
            _ => Some(Box::new(BooleanQuery::new(
                groups.into_iter().map(|q| (Occur::Should, q)).collect(),
            ))),
        }
    }

    /// True when some positive word is long enough for typo tolerance.
    pub fn has_fuzzy_words(&mut self, parsed: &Parsed) -> bool {
        parsed.groups.iter().flatten().any(|item| {
            !item.negated
                && !item.phrase
                && analyze(&mut self.analyzer, &item.text)
                    .iter()
                    .any(|t| t.raw.chars().count() >= MIN_FUZZY_LEN)
        })
    }

    fn group_query(&mut self, items: &[Item], open_last: bool) -> Option<BoxQuery> {
        let analyzed: Vec<(&Item, Vec<Token>)> = items
            .iter()
            .map(|item| (item, analyze(&mut self.analyzer, &item.text)))
            .filter(|(_, tokens)| !tokens.is_empty())
            .collect();
        let has_content_word = analyzed.iter().any(|(item, tokens)| {
            !item.negated && tokens.iter().any(|t| !STOP_WORDS.contains(&t.raw.as_str()))
        });

        let mut clauses: Vec<(Occur, BoxQuery)> = Vec::new();
        // Required words; with enough of them, all but one are required.
        let mut required: Vec<BoxQuery> = Vec::new();
        let last = analyzed.len().saturating_sub(1);
        for (i, (item, tokens)) in analyzed.iter().enumerate() {
            if item.phrase && tokens.len() > 1 {
                let occur = if item.negated {
                    Occur::MustNot
                } else {
                    Occur::Must
                };
                clauses.push((occur, self.phrase(tokens)));
                continue;
            }
            let open = open_last && i == last && !item.phrase && !item.negated;
            // The words of one typed item (`payments-ledger-service`) are
            // required together: the one-missing rule counts items.
            let mut item_words: Vec<BoxQuery> = Vec::new();
            for (t, token) in tokens.iter().enumerate() {
                let prefix = (open && t + 1 == tokens.len()).then(|| Prefix {
                    word: &token.raw,
                    whole: item.text.to_lowercase(),
                });
                let fuzzy = self.fuzzy && !item.negated && !item.phrase;
                let query = self.word(token, prefix, fuzzy);
                if item.negated {
                    clauses.push((Occur::MustNot, query));
                } else if has_content_word && STOP_WORDS.contains(&token.raw.as_str()) {
                    clauses.push((Occur::Should, query));
                } else {
                    item_words.push(query);
                }
            }
            match item_words.len() {
                0 => {}
                1 => required.extend(item_words),
                _ => required.push(Box::new(BooleanQuery::intersection(item_words))),
            }
        }
        if required.len() >= MIN_WORDS_FOR_ONE_MISSING {
            // Matching every word counts twice: the words' scores again,
            // through a clause only documents with all of them match.
            let all_words = BooleanQuery::new(
                required
                    .iter()
                    .map(|q| (Occur::Must, q.box_clone()))
                    .collect(),
            );
            let words = required.len();
            let any_but_one = BooleanQuery::with_minimum_required_clauses(
                required.into_iter().map(|q| (Occur::Should, q)).collect(),
                words - 1,
            );
            clauses.push((Occur::Must, Box::new(any_but_one)));
            clauses.push((Occur::Should, Box::new(all_words)));
        } else {
            clauses.extend(required.into_iter().map(|q| (Occur::Must, q)));
        }
        if clauses.is_empty() {
            return None;
        }
        if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    fn word(&mut self, token: &Token, prefix: Option<Prefix<'_>>, fuzzy: bool) -> BoxQuery {
        let f = self.fields;
        let mut alternatives: Vec<BoxQuery> = [
            (f.name, NAME),
            (f.title, TITLE),
            (f.heading, HEADING),
            (f.page_title, PAGE_TITLE),
            (f.body, BODY),
            (f.extra, EXTRA),
            (f.context, CONTEXT),
        ]
        .into_iter()
        .map(|(field, boost)| boosted(term_query(field, &token.stem), boost))
        .collect();

        if let Some(prefix) = prefix {
            let word: String = prefix.word.chars().take(MAX_WORD_PREFIX).collect();
            alternatives.push(boosted(term_query(f.name_prefix, &word), NAME_PREFIX));
            alternatives.push(boosted(term_query(f.title_prefix, &word), TITLE_PREFIX));
            let whole: String = prefix.whole.chars().take(MAX_NAME_PREFIX).collect();
            if whole != word && !whole.contains(char::is_whitespace) {
                alternatives.push(boosted(term_query(f.name_prefix, &whole), NAME_PREFIX));
            }
            let finished = self.is_body_word(&word) || self.is_body_word(&token.stem);
            if word.chars().count() >= MIN_BODY_PREFIX && !finished {
                let mut body = PhrasePrefixQuery::new(vec![Term::from_field_text(f.body, &word)]);
                body.set_max_expansions(MAX_BODY_EXPANSIONS);
                alternatives.push(boosted(Box::new(body), BODY_PREFIX));
            }
        }

        if !fuzzy {
            alternatives.extend(self.compound(token));
        }
        if fuzzy && token.raw.chars().count() >= MIN_FUZZY_LEN {
            // Fuzzy scores are constant; the boosts keep the field order.
            // Names and titles are matched unstemmed: a typo often changes
            // the stem more than the word (`identiy` / `ident`).
            for (field, boost, text) in [
                (f.name_words, NAME / 2.0, &token.word),
                (f.title_words, TITLE / 2.0, &token.word),
                (f.body, BODY / 2.0, &token.stem),
            ] {
                let fuzzy = FuzzyTermQuery::new(Term::from_field_text(field, text), 1, true);
                alternatives.push(boosted(Box::new(fuzzy), boost));
            }
        }
        Box::new(DisjunctionMaxQuery::with_tie_breaker(
            alternatives,
            TIE_BREAKER,
        ))
    }

    /// `rollback` read as the phrase `roll back`, for each split of a long
    /// word into two parts that both occur in the body text. Documents
    /// write compounds either way; the index knows which parts are words.
    fn compound(&mut self, token: &Token) -> Vec<BoxQuery> {
        let chars: Vec<(usize, char)> = token.word.char_indices().collect();
        if chars.len() < MIN_COMPOUND_LEN || !token.word.chars().all(char::is_alphabetic) {
            return Vec::new();
        }
        let f = self.fields;
        let mut readings = Vec::new();
        let splits = &chars[MIN_COMPOUND_PART..=chars.len() - MIN_COMPOUND_PART];
        for &(at, _) in splits {
            let parts = [&token.word[..at], &token.word[at..]];
            let stems: Vec<String> = parts
                .iter()
                .filter_map(|part| analyze(&mut self.analyzer, part).pop().map(|t| t.stem))
                .collect();
            if stems.len() != 2 || !stems.iter().all(|stem| self.is_body_word(stem)) {
                continue;
            }
            for (field, boost) in [(f.heading, HEADING * COMPOUND), (f.body, BODY * COMPOUND)] {
                let terms = stems
                    .iter()
                    .enumerate()
                    .map(|(i, stem)| (i, Term::from_field_text(field, stem)))
                    .collect();
                readings.push(boosted(
                    Box::new(PhraseQuery::new_with_offset(terms)),
                    boost,
                ));
            }
        }
        readings
    }

    /// A typed prefix that is itself a word of some text (or whose stem
    /// is: `logs`) is most likely a finished word; expanding it over the body dictionary would cost a
    /// pass over every posting of it (the expensive part of common-word
    /// queries) to add what the exact match already found.
    fn is_body_word(&self, word: &str) -> bool {
        self.searcher
            .doc_freq(&Term::from_field_text(self.fields.body, word))
            .is_ok_and(|n| n > 0)
    }

    /// Phrases are matched where word order means something.
    fn phrase(&self, tokens: &[Token]) -> BoxQuery {
        let f = self.fields;
        let alternatives = [
            (f.name, NAME),
            (f.title, TITLE),
            (f.heading, HEADING),
            (f.body, BODY),
        ]
        .into_iter()
        .map(|(field, boost)| {
            let terms = tokens
                .iter()
                .map(|t| (t.position, Term::from_field_text(field, &t.stem)))
                .collect();
            boosted(Box::new(PhraseQuery::new_with_offset(terms)), boost)
        })
        .collect();
        Box::new(DisjunctionMaxQuery::with_tie_breaker(
            alternatives,
            TIE_BREAKER,
        ))
    }

    /// Should-clause putting an entity whose name or ref is the whole term
    /// first, and one whose tag or spec type is the whole term next.
    pub fn exact_name(&self, parsed: &Parsed) -> Option<BoxQuery> {
        let value = parsed.single_value()?;
        let f = self.fields;
        let exact_value = |field: Field, boost: f32| -> BoxQuery {
            let term = TermQuery::new(
                Term::from_field_text(field, &value),
                IndexRecordOption::Basic,
            );
            Box::new(ConstScoreQuery::new(Box::new(term), boost))
        };
        Some(Box::new(DisjunctionMaxQuery::new(vec![
            boosted(term_query(f.name_exact, &value), EXACT_NAME),
            boosted(term_query(f.entity_ref, &value), EXACT_NAME),
            exact_value(f.f_tag, EXACT_TAG),
            exact_value(f.f_type, EXACT_TAG),
        ])))
    }
}

struct Prefix<'a> {
    /// The last word as typed, lowercased (`paym`).
    word: &'a str,
    /// The whole last item (`payments-a`), for names with separators.
    whole: String,
}

fn term_query(field: Field, text: &str) -> BoxQuery {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn boosted(query: BoxQuery, boost: f32) -> BoxQuery {
    Box::new(BoostQuery::new(query, boost))
}

/// Filters and type selection as non-scoring must-clauses. Values compare
/// lowercase (the filter fields are indexed lowercase).
pub(crate) fn filter_clauses(
    fields: &Fields,
    types: &[String],
    filters: &BTreeMap<String, Vec<String>>,
) -> Vec<(Occur, BoxQuery)> {
    let mut clauses = Vec::new();
    let types: Vec<String> = types
        .iter()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    if !types.is_empty() {
        let known: Vec<&str> = types
            .iter()
            .map(String::as_str)
            .filter(|t| [TYPE_CATALOG, TYPE_TECHDOCS].contains(t))
            .collect();
        clauses.push((Occur::Must, any_of(fields.doc_type, &known)));
    }
    for (key, values) in filters {
        let values: Vec<&String> = values.iter().filter(|v| !v.trim().is_empty()).collect();
        if values.is_empty() {
            continue;
        }
        let field = match key.as_str() {
            "kind" => fields.f_kind,
            "namespace" => fields.f_namespace,
            "name" => fields.f_name,
            "type" | "componentType" | "spec.type" => fields.f_type,
            "owner" | "spec.owner" => fields.f_owner,
            "lifecycle" | "spec.lifecycle" => fields.f_lifecycle,
            "tag" | "tags" | "metadata.tags" => fields.f_tag,
            other => {
                tracing::debug!(filter = other, "unknown search filter matches nothing");
                clauses.push((Occur::Must, Box::new(EmptyQuery)));
                continue;
            }
        };
        let normalized: Vec<String> = values
            .iter()
            .map(|v| {
                let v = v.trim();
                if field == fields.f_owner {
                    full_owner_ref(v, "default").to_lowercase()
                } else {
                    v.to_lowercase()
                }
            })
            .collect();
        let refs: Vec<&str> = normalized.iter().map(String::as_str).collect();
        clauses.push((Occur::Must, any_of(field, &refs)));
    }
    clauses
}

/// Matches documents with any of `values` in `field`, scoring nothing.
fn any_of(field: Field, values: &[&str]) -> BoxQuery {
    if values.is_empty() {
        return Box::new(EmptyQuery);
    }
    let terms: Vec<(Occur, BoxQuery)> = values
        .iter()
        .map(|v| {
            let q: BoxQuery = Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ));
            (Occur::Should, q)
        })
        .collect();
    Box::new(ConstScoreQuery::new(
        Box::new(BooleanQuery::new(terms)),
        0.0,
    ))
}
