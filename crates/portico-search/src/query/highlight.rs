//! Highlighting. Ours rather than tantivy's `SnippetGenerator`, because the
//! things that made a document match are not all terms of the shown field:
//! prefixes (`paym` in `Payments API`) and typo matches live in other
//! fields or in no term at all. Built once per query, it re-tokenizes only
//! the title and text of the results on the page.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use tantivy::tokenizer::TextAnalyzer;

use super::build::{analyze, MIN_FUZZY_LEN};
use super::lex::Parsed;
use crate::schema;
use crate::types::{POST_TAG, PRE_TAG};

/// Longest highlighted text fragment, in bytes (~ two lines).
pub(crate) const FRAGMENT_BYTES: usize = 240;
/// Context kept before the first match of a fragment.
const LEAD_BYTES: usize = 40;
/// A prefix shorter than this marks only titles: in running text, `p`
/// would mark every other word.
const MIN_TEXT_PREFIX: usize = 3;

pub(crate) struct Highlighter {
    /// Splits, lowercases and folds, without stemming.
    words: TextAnalyzer,
    /// Stems one word.
    stemmer: TextAnalyzer,
    /// Texts repeat their words: stem each distinct word once per query.
    stemmed: HashMap<String, String>,
    stems: HashSet<String>,
    prefix: Option<String>,
    fuzzy: Vec<String>,
}

/// A highlighted piece of text: `marked` is escaped HTML with tags,
/// `plain` the same fragment as plain text.
pub(crate) struct Fragment {
    pub marked: String,
    pub plain: String,
}

impl Highlighter {
    pub fn new(mut analyzer: TextAnalyzer, parsed: &Parsed, fuzzy: bool) -> Highlighter {
        let mut stems = HashSet::new();
        let mut fuzzy_stems = Vec::new();
        let mut prefix = None;
        let last_group = parsed.groups.len().saturating_sub(1);
        for (g, items) in parsed.groups.iter().enumerate() {
            for (i, item) in items.iter().enumerate() {
                if item.negated {
                    continue;
                }
                let tokens = analyze(&mut analyzer, &item.text);
                let open = parsed.last_is_open && g == last_group && i + 1 == items.len();
                if open {
                    prefix = tokens.last().map(|t| t.raw.clone());
                }
                for t in tokens {
                    if fuzzy && !item.phrase && t.raw.chars().count() >= MIN_FUZZY_LEN {
                        fuzzy_stems.push(t.stem.clone());
                    }
                    stems.insert(t.stem);
                }
            }
        }
        Highlighter {
            words: schema::folded_words_analyzer(),
            stemmer: schema::stem_analyzer(),
            stemmed: HashMap::new(),
            stems,
            prefix,
            fuzzy: fuzzy_stems,
        }
    }

    /// The whole value, escaped, matches marked.
    pub fn whole(&mut self, text: &str) -> String {
        let ranges = self.matches(text, true);
        render(text, 0..text.len(), &ranges)
    }

    /// A fragment of at most `FRAGMENT_BYTES` around the densest matches
    /// (the start of the text when nothing matches).
    pub fn fragment(&mut self, text: &str) -> Fragment {
        let ranges = self.matches(text, false);
        let window = window(text, &ranges);
        let mut marked = String::new();
        let mut plain = String::new();
        if window.start > 0 {
            marked.push('…');
            plain.push('…');
        }
        marked.push_str(&render(text, window.clone(), &ranges));
        plain.push_str(text.get(window.clone()).unwrap_or_default());
        if window.end < text.len() {
            marked.push('…');
            plain.push('…');
        }
        Fragment { marked, plain }
    }

    fn matches(&mut self, text: &str, is_title: bool) -> Vec<Range<usize>> {
        let prefix = self
            .prefix
            .clone()
            .filter(|p| is_title || p.chars().count() >= MIN_TEXT_PREFIX);
        let mut words = Vec::new();
        {
            let mut stream = self.words.token_stream(text);
            while stream.advance() {
                let token = stream.token();
                words.push((token.offset_from..token.offset_to, token.text.clone()));
            }
        }
        let mut ranges = Vec::new();
        for (range, word) in words {
            let prefix_hit = prefix.as_deref().is_some_and(|p| {
                word.starts_with(p)
                    || text
                        .get(range.clone())
                        .is_some_and(|raw| raw.to_lowercase().starts_with(p))
            });
            if prefix_hit || self.stem_matches(word) {
                ranges.push(range);
            }
        }
        ranges
    }
}

impl Highlighter {
    fn stem_matches(&mut self, word: String) -> bool {
        if !self.could_match(&word) {
            return false;
        }
        if !self.stemmed.contains_key(&word) {
            let stem = stem_one(&mut self.stemmer, &word);
            self.stemmed.insert(word.clone(), stem);
        }
        let stem = self.stemmed.get(&word).map_or("", String::as_str);
        self.stems.contains(stem) || self.fuzzy.iter().any(|f| within_one_edit(f, stem))
    }
}

impl Highlighter {
    /// Cheap test before stemming: an English stem keeps all but at most
    /// its last letter as the start of the word (`happy` -> `happi`), and a
    /// one-edit typo keeps the first or the second letter. Most words of a
    /// text fail it, and stemming is the costly part of highlighting.
    fn could_match(&self, word: &str) -> bool {
        let starts = |stem: &str| {
            let keep = stem.chars().count().saturating_sub(1).max(1);
            let head: String = stem.chars().take(keep).collect();
            word.starts_with(&head)
        };
        let near = |stem: &str| {
            let mut w = word.chars();
            let mut s = stem.chars();
            let (w0, s0) = (w.next(), s.next());
            w0 == s0 || (w.next() == s.next() && w0.is_some())
        };
        self.stems.iter().any(|s| starts(s)) || self.fuzzy.iter().any(|f| near(f))
    }
}

fn stem_one(stemmer: &mut TextAnalyzer, word: &str) -> String {
    let mut stream = stemmer.token_stream(word);
    if stream.advance() {
        stream.token().text.clone()
    } else {
        word.to_owned()
    }
}

/// The byte range of `text` to show: the window of `FRAGMENT_BYTES` that
/// starts just before a match and holds the most matches.
fn window(text: &str, ranges: &[Range<usize>]) -> Range<usize> {
    if text.len() <= FRAGMENT_BYTES {
        return 0..text.len();
    }
    let mut best = (0, 0usize);
    let mut end = 0;
    for (i, r) in ranges.iter().enumerate() {
        end = end.max(i);
        while end < ranges.len() && ranges[end].end <= r.start + FRAGMENT_BYTES - LEAD_BYTES {
            end += 1;
        }
        if end - i > best.1 {
            best = (i, end - i);
        }
    }
    let start = match ranges.get(best.0) {
        Some(first) if best.1 > 0 => {
            let earliest = floor_char(text, first.start.saturating_sub(LEAD_BYTES));
            // Start at a word boundary inside the lead, if there is one.
            match text[earliest..first.start].find(char::is_whitespace) {
                Some(ws) => earliest + ws + 1,
                None => earliest,
            }
        }
        _ => 0,
    };
    let mut stop = floor_char(text, (start + FRAGMENT_BYTES).min(text.len()));
    if stop < text.len() {
        if let Some(ws) = text[start..stop].rfind(char::is_whitespace) {
            if ws > FRAGMENT_BYTES / 2 {
                stop = start + ws;
            }
        }
    }
    start..stop
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `text[window]` HTML-escaped, with the ranges inside it wrapped in tags.
fn render(text: &str, window: Range<usize>, ranges: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(window.len() + 32);
    let mut at = window.start;
    for r in ranges {
        if r.start < at || r.end > window.end {
            continue;
        }
        escape_into(&mut out, text.get(at..r.start).unwrap_or_default());
        out.push_str(PRE_TAG);
        escape_into(&mut out, text.get(r.clone()).unwrap_or_default());
        out.push_str(POST_TAG);
        at = r.end;
    }
    escape_into(&mut out, text.get(at..window.end).unwrap_or_default());
    out
}

pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Edit distance (insert, delete, substitute, swap neighbours) at most one,
/// the same tolerance the fuzzy query uses.
fn within_one_edit(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    let tail_eq = |x: &[char], y: &[char]| x == y;
    match (ra.len(), rb.len()) {
        (0, 0) => true,
        (la, lb) if la == lb => {
            tail_eq(&ra[1..], &rb[1..])
                || (la >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && tail_eq(&ra[2..], &rb[2..]))
        }
        (la, lb) if la == lb + 1 => tail_eq(&ra[1..], rb),
        (la, lb) if la + 1 == lb => tail_eq(ra, &rb[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::lex::lex;
    use crate::schema::english_analyzer;

    fn highlighter(term: &str, fuzzy: bool) -> Highlighter {
        Highlighter::new(english_analyzer(), &lex(term), fuzzy)
    }

    #[test]
    fn marks_stems_and_escapes() {
        let mut h = highlighter("rollbacks", false);
        assert_eq!(
            h.whole("<b>Rollback</b> & co"),
            "&lt;b&gt;<mark>Rollback</mark>&lt;/b&gt; &amp; co"
        );
    }

    #[test]
    fn marks_prefix_in_titles_only_when_short() {
        let mut h = highlighter("pa", false);
        assert_eq!(h.whole("Payments API"), "<mark>Payments</mark> API");
        assert_eq!(h.fragment("Payments API").marked, "Payments API");
    }

    #[test]
    fn fragment_moves_to_the_match() {
        let text = format!(
            "{} the needle is here {}",
            "filler ".repeat(60),
            "tail ".repeat(60)
        );
        let f = highlighter("needle", false).fragment(&text);
        assert!(
            f.marked.starts_with('…') && f.marked.ends_with('…'),
            "{}",
            f.marked
        );
        assert!(f.marked.contains("<mark>needle</mark>"));
        assert!(f.plain.len() <= FRAGMENT_BYTES + 2 * '…'.len_utf8());
        assert!(!f.plain.contains("<mark>"));
    }

    #[test]
    fn one_edit() {
        assert!(within_one_edit("payment", "paymnt"));
        assert!(within_one_edit("payment", "pyament"));
        assert!(within_one_edit("payment", "paymenx"));
        assert!(!within_one_edit("payment", "pymnt"));
        let mut h = highlighter("paymnet", true);
        assert_eq!(h.whole("payment"), "<mark>payment</mark>");
    }
}
