//! Small text helpers shared by the renderer: HTML escaping, plain text with
//! collapsed whitespace, and heading slugs.

use std::collections::{HashMap, HashSet};

/// Appends `s` escaped for a double-quoted attribute value: `&`, `"`, `<`,
/// `>` and no-break spaces, exactly what html5ever (and so ammonia) escapes
/// there, so pages that skip the sanitizer serialise like pages that do not.
pub(crate) fn escape_into(out: &mut String, s: &str) {
    escape_chars(out, s, |c| match c {
        '&' => Some("&amp;"),
        '"' => Some("&quot;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '\u{a0}' => Some("&nbsp;"),
        _ => None,
    });
}

/// Appends `s` escaped for element content: `&`, `<`, `>` and no-break
/// spaces, again as html5ever writes text.
pub(crate) fn escape_text_into(out: &mut String, s: &str) {
    escape_chars(out, s, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '\u{a0}' => Some("&nbsp;"),
        _ => None,
    });
}

fn escape_chars(out: &mut String, s: &str, replacement: impl Fn(char) -> Option<&'static str>) {
    out.reserve(s.len());
    let mut last = 0;
    for (i, c) in s.char_indices() {
        if let Some(rep) = replacement(c) {
            out.push_str(&s[last..i]);
            out.push_str(rep);
            last = i + c.len_utf8();
        }
    }
    out.push_str(&s[last..]);
}

pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

pub(crate) fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_text_into(&mut out, s);
    out
}

/// Text with markup removed, built piece by piece: runs of whitespace
/// (including the gaps between blocks) become one space, and there is never
/// leading or trailing whitespace.
#[derive(Debug, Default)]
pub(crate) struct PlainText {
    text: String,
    pending_space: bool,
}

impl PlainText {
    pub(crate) fn push(&mut self, s: &str) {
        for (i, word) in s.split(char::is_whitespace).enumerate() {
            // Every piece after the first had whitespace before it.
            if i > 0 {
                self.pending_space = true;
            }
            if word.is_empty() {
                continue;
            }
            if self.pending_space && !self.text.is_empty() {
                self.text.push(' ');
            }
            self.pending_space = false;
            self.text.push_str(word);
        }
    }

    /// Marks a block boundary, so `a` and `b` of `<p>a</p><p>b</p>` do not
    /// become one word.
    pub(crate) fn gap(&mut self) {
        self.pending_space = true;
    }

    pub(crate) fn take(&mut self) -> String {
        self.pending_space = false;
        std::mem::take(&mut self.text)
    }
}

/// The `id` python-markdown's `toc` extension gives a heading: lower case,
/// characters other than word characters, spaces and `-` dropped, runs of
/// spaces and `-` made one `-`.
///
/// One deliberate difference: mkdocs' default slugify decomposes and then
/// drops non-ASCII letters (`Über` → `ber`); we keep them (`über`), as
/// mkdocs-material recommends for non-English sites, because a slug that
/// loses letters is worse for readers and HTML5 ids allow any character.
pub(crate) fn slugify(title: &str) -> String {
    let kept: String = title
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_' || *c == '-' || c.is_whitespace())
        .collect();
    let mut slug = String::with_capacity(kept.len());
    let mut in_separator = false;
    for c in kept.trim().chars() {
        if c == '-' || c.is_whitespace() {
            if !in_separator {
                slug.push('-');
            }
            in_separator = true;
        } else {
            in_separator = false;
            slug.extend(c.to_lowercase());
        }
    }
    slug
}

/// Heading ids already used on a page, handing out python-markdown's
/// `_1`, `_2`, ... suffixes on collisions.
#[derive(Debug, Default)]
pub(crate) struct Ids {
    used: HashSet<String>,
    /// Per stem, the last suffix handed out: numbers below it are taken, so
    /// a page of a thousand `## Example` headings costs no quadratic search.
    last: HashMap<String, u64>,
}

impl Ids {
    /// Records an id the author chose (`{#id}`); it is kept even if taken.
    pub(crate) fn claim(&mut self, id: &str) {
        self.used.insert(id.to_string());
    }

    /// A free id based on `id`: `x` then `x_1`, `x_2`; an id that already
    /// ends in `_N` counts up from N, as python-markdown does.
    pub(crate) fn unique(&mut self, id: String) -> String {
        if !id.is_empty() && !self.used.contains(&id) {
            self.used.insert(id.clone());
            return id;
        }
        let (stem, mut n) = match split_counter(&id) {
            // A counter near the top of the range counts as text, so that
            // counting up cannot get stuck at `u64::MAX`.
            Some((stem, n)) if n < u64::MAX / 2 => (stem.to_string(), n),
            _ => (id, 0),
        };
        if let Some(&last) = self.last.get(&stem) {
            n = n.max(last);
        }
        loop {
            n = n.saturating_add(1);
            let candidate = format!("{stem}_{n}");
            if self.used.insert(candidate.clone()) {
                self.last.insert(stem, n);
                return candidate;
            }
        }
    }
}

fn split_counter(id: &str) -> Option<(&str, u64)> {
    let (stem, digits) = id.rsplit_once('_')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((stem, digits.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_escape_is_html5evers() {
        assert_eq!(
            escape("<a href=\"x\">'&'\u{a0}"),
            "&lt;a href=&quot;x&quot;&gt;'&amp;'&nbsp;"
        );
    }

    #[test]
    fn text_escape_leaves_quotes() {
        assert_eq!(
            escape_text("<a href=\"x\">'&'\u{a0}</a>"),
            "&lt;a href=\"x\"&gt;'&amp;'&nbsp;&lt;/a&gt;"
        );
    }

    #[test]
    fn plain_text_collapses_whitespace_and_gaps() {
        let mut t = PlainText::default();
        t.push("  one \n two three");
        t.gap();
        t.push("four");
        t.push(" ");
        t.gap();
        assert_eq!(t.take(), "one two three four");
        assert_eq!(t.take(), "");
    }

    #[test]
    fn plain_text_joins_pieces_without_space_when_there_was_none() {
        let mut t = PlainText::default();
        t.push("foo");
        t.push("bar");
        assert_eq!(t.take(), "foobar");
    }

    #[test]
    fn slugify_matches_toc_for_ascii() {
        assert_eq!(slugify("Hello, World!"), "hello-world");
        assert_eq!(slugify("  The `kubectl` -- way  "), "the-kubectl-way");
        assert_eq!(slugify("snake_case stays"), "snake_case-stays");
        assert_eq!(slugify("v1.2 (beta)"), "v12-beta");
        assert_eq!(slugify("Über Straße"), "über-straße");
        assert_eq!(slugify("!!!"), "");
        assert_eq!(slugify("- a -"), "-a-");
        assert_eq!(slugify("Why? "), "why");
    }

    #[test]
    fn ids_are_unique_with_counters() {
        let mut ids = Ids::default();
        assert_eq!(ids.unique("a".into()), "a");
        assert_eq!(ids.unique("a".into()), "a_1");
        assert_eq!(ids.unique("a".into()), "a_2");
        assert_eq!(ids.unique("".into()), "_1");
        ids.claim("b");
        assert_eq!(ids.unique("b".into()), "b_1");
        assert_eq!(ids.unique("b_1".into()), "b_2");
        ids.claim("c_2");
        assert_eq!(ids.unique("c".into()), "c");
        assert_eq!(ids.unique("c".into()), "c_1");
        assert_eq!(ids.unique("c".into()), "c_3");
        assert_eq!(ids.unique("c".into()), "c_4");
        let max = format!("d_{}", u64::MAX);
        assert_eq!(ids.unique(max.clone()), max);
        assert_eq!(ids.unique(max.clone()), format!("{max}_1"));
    }
}
