//! The index schema, in one place, with its version.
//!
//! One tantivy document per catalog entity and one per doc-page *section*.
//! Text that is shown is stored once as the finished Backstage document
//! (`doc`, JSON); everything else is index-only, so a result costs one
//! stored-field read.

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STORED,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, TextAnalyzer, WhitespaceTokenizer,
};
use tantivy::{Index, IndexSettings};

/// Bump whenever the schema, an analyzer, or what goes into a field
/// changes: an index written with another version is wiped and rebuilt at
/// open.
pub const SCHEMA_VERSION: u32 = 3;

/// English words split on anything not alphanumeric, lowercased, folded to
/// ASCII, stemmed (`rollbacks` -> `rollback`).
pub(crate) const ENGLISH: &str = "portico_en";
/// The whole value as one lowercase token (names, refs, filter values).
pub(crate) const LOWER: &str = "portico_lower";
/// Tokens we prepared ourselves (prefixes), split on whitespace only.
pub(crate) const PREPARED: &str = "portico_prepared";
/// English words without stemming, for typo tolerance: one edit from
/// `identiy` is `identity`, but its stem `ident` is two away.
pub(crate) const WORDS: &str = "portico_words";

/// Result types, as Backstage names them.
pub const TYPE_CATALOG: &str = "software-catalog";
pub const TYPE_TECHDOCS: &str = "techdocs";

/// Longest prefix of a word we index; a longer query prefix is cut to this.
pub(crate) const MAX_WORD_PREFIX: usize = 20;
/// Longest prefix of a whole name we index (names are at most 63 chars).
pub(crate) const MAX_NAME_PREFIX: usize = 64;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    /// `e:<ref>` for an entity, `d:<ref>` for every section of its docs:
    /// one term deletes exactly what an update replaces.
    pub key: Field,
    /// `software-catalog` or `techdocs`.
    pub doc_type: Field,
    /// The entity ref, for entities only (exact-ref boost).
    pub entity_ref: Field,
    /// Name split into words (`payments-api` -> `payment`, `api`).
    pub name: Field,
    /// The whole name as one lowercase token.
    pub name_exact: Field,
    /// Every prefix of the whole name and of each name word.
    pub name_prefix: Field,
    /// Entity `metadata.title`.
    pub title: Field,
    /// Section heading.
    pub heading: Field,
    /// Page title, on every section of the page.
    pub page_title: Field,
    /// Prefixes of title, heading and page-title words.
    pub title_prefix: Field,
    /// Name words unstemmed (typo tolerance).
    pub name_words: Field,
    /// Title or heading words unstemmed (typo tolerance).
    pub title_words: Field,
    /// Description, or section text.
    pub body: Field,
    /// Tags, type, owner, lifecycle, system, kind, namespace, annotations.
    pub extra: Field,
    /// On sections: the owning entity's name and title, so
    /// `payments rollback` finds the rollback section of payments' docs.
    pub context: Field,
    pub f_kind: Field,
    pub f_namespace: Field,
    pub f_name: Field,
    pub f_type: Field,
    pub f_owner: Field,
    pub f_lifecycle: Field,
    pub f_tag: Field,
    /// Prior and tie-breaker in one fast field (one read per hit, see
    /// [`rank_value`]).
    pub rank: Field,
    /// Groups the sections of one page (0 for entities), fast field.
    pub group: Field,
    /// Order of the no-term listing, fast field.
    pub sort: Field,
    /// The finished Backstage document, JSON.
    pub doc: Field,
}

pub(crate) const GROUP_FIELD: &str = "group";
pub(crate) const RANK_FIELD: &str = "rank";
/// The prior of documents without one: the score as it is.
pub(crate) const NEUTRAL_PRIOR: u64 = 100;
/// Bits of a rank value below the prior.
pub(crate) const PRIOR_SHIFT: u32 = 56;
pub(crate) const SORT_FIELD: &str = "sort";

pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str, record: IndexRecordOption, norms: bool| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(record)
                .set_fieldnorms(norms),
        )
    };
    // Phrases need positions on every field a phrase can match.
    let english = text(ENGLISH, IndexRecordOption::WithFreqsAndPositions, true);
    let exact = text(LOWER, IndexRecordOption::WithFreqs, true);
    // No length normalisation on prefixes: `paym` is as good a start of
    // `payments-service` as of `payments`; which comes first is the prior's
    // call, not the name length's.
    let prepared = text(PREPARED, IndexRecordOption::WithFreqs, false);
    let words = text(WORDS, IndexRecordOption::WithFreqs, true);
    let filter = text(LOWER, IndexRecordOption::Basic, false);

    let fields = Fields {
        key: b.add_text_field("key", text("raw", IndexRecordOption::Basic, false)),
        doc_type: b.add_text_field("doc_type", filter.clone()),
        entity_ref: b.add_text_field("ref", exact.clone()),
        name: b.add_text_field("name", english.clone()),
        name_exact: b.add_text_field("name_exact", exact),
        name_prefix: b.add_text_field("name_prefix", prepared.clone()),
        title: b.add_text_field("title", english.clone()),
        heading: b.add_text_field("heading", english.clone()),
        page_title: b.add_text_field("page_title", english.clone()),
        title_prefix: b.add_text_field("title_prefix", prepared),
        name_words: b.add_text_field("name_words", words.clone()),
        title_words: b.add_text_field("title_words", words),
        body: b.add_text_field("body", english.clone()),
        extra: b.add_text_field("extra", english.clone()),
        context: b.add_text_field("context", english),
        f_kind: b.add_text_field("f_kind", filter.clone()),
        f_namespace: b.add_text_field("f_namespace", filter.clone()),
        f_name: b.add_text_field("f_name", filter.clone()),
        f_type: b.add_text_field("f_type", filter.clone()),
        f_owner: b.add_text_field("f_owner", filter.clone()),
        f_lifecycle: b.add_text_field("f_lifecycle", filter.clone()),
        f_tag: b.add_text_field("f_tag", filter),
        rank: b.add_u64_field(RANK_FIELD, NumericOptions::default().set_fast()),
        group: b.add_u64_field(GROUP_FIELD, NumericOptions::default().set_fast()),
        sort: b.add_text_field(SORT_FIELD, TextOptions::default().set_fast("raw")),
        doc: b.add_text_field("doc", STORED),
    };
    (b.build(), fields)
}

/// The prior of an entity kind, in percent of the score: the kinds people search for most count a little more,
/// enough to order equally good matches (`paym`: the service before the
/// team), too little to lift a weaker match over a better one.
pub(crate) fn kind_prior(kind: &str) -> u64 {
    match kind.to_ascii_lowercase().as_str() {
        "component" => 115,
        "api" => 112,
        "system" | "domain" | "resource" => 108,
        "group" => 104,
        _ => NEUTRAL_PRIOR,
    }
}

/// A document's `rank` value: its prior (percent the score is multiplied
/// by) in the top byte, and below it a stable number from `key` ordering
/// equal products, so ties fall the same way however the indexing threads
/// cut the index into segments.
pub(crate) fn rank_value(prior: u64, key: &str) -> u64 {
    (prior.min(255) << PRIOR_SHIFT) | (stable_hash(&[key]) >> (64 - PRIOR_SHIFT))
}

/// Smaller stored-field blocks than tantivy's 16 KiB: a page of results
/// reads 25 scattered documents, and each read decompresses its block.
pub(crate) fn index_settings() -> IndexSettings {
    IndexSettings {
        docstore_blocksize: 4096,
        ..IndexSettings::default()
    }
}

/// Analyzers are not persisted in the index: register them on every open.
pub(crate) fn register_tokenizers(index: &Index) {
    let manager = index.tokenizers();
    manager.register(ENGLISH, english_analyzer());
    manager.register(
        LOWER,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
    manager.register(WORDS, folded_words_analyzer());
    manager.register(
        PREPARED,
        TextAnalyzer::builder(WhitespaceTokenizer::default()).build(),
    );
}

pub(crate) fn english_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The English analyzer without its stemmer (for highlighting).
pub(crate) fn folded_words_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Stems one already lowercased, folded word.
pub(crate) fn stem_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Lowercase words of a text split the way the English analyzer splits
/// (on anything not alphanumeric), without stemming: the unit of prefix
/// matching.
pub(crate) fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// Every prefix (1..=`max` chars) of `word`, added to `out`.
pub(crate) fn push_prefixes(word: &str, max: usize, out: &mut Vec<String>) {
    for (count, (end, c)) in word.char_indices().enumerate() {
        if count >= max {
            break;
        }
        out.push(word[..end + c.len_utf8()].to_owned());
    }
}

/// Whitespace-joined distinct prefixes of the words of `texts`, for a
/// prefix field. Each prefix once per document: a long title should not
/// outrank a short one just by repeating a letter.
pub(crate) fn word_prefixes<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = Vec::new();
    for text in texts {
        for word in words(text) {
            push_prefixes(&word, MAX_WORD_PREFIX, &mut out);
        }
    }
    join_distinct(out)
}

/// Prefixes of a name's words plus prefixes of the whole lowercase name
/// (so `payments-a` finds `payments-api`).
pub(crate) fn name_prefixes(name: &str) -> String {
    let mut out = Vec::new();
    let whole = name.trim().to_lowercase();
    if !whole.chars().any(char::is_whitespace) {
        push_prefixes(&whole, MAX_NAME_PREFIX, &mut out);
    }
    for word in words(name) {
        push_prefixes(&word, MAX_WORD_PREFIX, &mut out);
    }
    join_distinct(out)
}

fn join_distinct(mut prefixes: Vec<String>) -> String {
    prefixes.sort_unstable();
    prefixes.dedup();
    prefixes.join(" ")
}

/// FNV-1a: a hash that stays the same across Rust releases, because group
/// ids are written to disk.
pub(crate) fn stable_hash(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0xff)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_prefixes_cover_whole_name_and_words() {
        let p = name_prefixes("Payments-API");
        let set: Vec<&str> = p.split(' ').collect();
        for want in ["p", "paym", "payments-a", "payments-api", "a", "api"] {
            assert!(set.contains(&want), "{want} missing from {p}");
        }
        assert!(!set.contains(&"payments-api-"));
    }

    #[test]
    fn word_prefix_length_is_capped() {
        let p = word_prefixes(["abcdefghijklmnopqrstuvwxyz"]);
        assert!(p.split(' ').all(|w| w.chars().count() <= MAX_WORD_PREFIX));
    }

    #[test]
    fn rank_value_holds_prior_and_tie() {
        let value = rank_value(kind_prior("component"), "k");
        assert_eq!(value >> PRIOR_SHIFT, 115);
        assert_ne!(value & ((1 << PRIOR_SHIFT) - 1), 0);
    }

    #[test]
    fn stable_hash_separates_parts() {
        assert_ne!(stable_hash(&["ab", "c"]), stable_hash(&["a", "bc"]));
        assert_eq!(stable_hash(&["x"]), stable_hash(&["x"]));
    }
}
