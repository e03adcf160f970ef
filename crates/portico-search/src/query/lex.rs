//! Reading the search box. We do not hand the term to tantivy's query
//! parser: people type `foo AND (`, `"unclosed`, `:::` and half-finished
//! words, and every one of those must get an answer, never a syntax error.
//!
//! Understood: words (all must match), `"phrases"` (an unclosed quote runs
//! to the end), `-word` / `-"phrase"` / `NOT word` (must not match), `OR`
//! between alternatives. `AND`, `&&`, `+` and parentheses are accepted and
//! ignored; any other punctuation only separates words.

/// A term read into alternatives (`OR`), each a list of items that all
/// apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub groups: Vec<Vec<Item>>,
    /// The last item is a word still being typed: it also matches as a
    /// prefix. False when the term ends with whitespace or a quote.
    pub last_is_open: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    pub text: String,
    pub phrase: bool,
    pub negated: bool,
}

impl Parsed {
    /// The whole term as one lowercase value when it is a single positive
    /// word or phrase without spaces, for the exact-name boost.
    pub fn single_value(&self) -> Option<String> {
        match self.groups.as_slice() {
            [group] => match group.as_slice() {
                [item] if !item.negated && !item.text.contains(char::is_whitespace) => {
                    Some(item.text.to_lowercase())
                }
                _ => None,
            },
            _ => None,
        }
    }
}

/// Words and phrases read from one term, at most. Each becomes several
/// tantivy clauses; a pasted page of text must not become a slow query.
const MAX_ITEMS: usize = 32;

pub(crate) fn lex(term: &str) -> Parsed {
    let mut lexer = Lexer::default();
    let mut chars = term.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                // `-"x y"`: the minus written just before the quote.
                let negate = matches!(lexer.word.as_str(), "-" | "!");
                if negate {
                    lexer.word.clear();
                }
                lexer.end_word();
                let mut phrase = String::new();
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    phrase.push(c);
                }
                lexer.push_item(phrase, true, negate);
            }
            '(' | ')' => lexer.end_word(),
            c if c.is_whitespace() => lexer.end_word(),
            c => lexer.word.push(c),
        }
    }
    lexer.end_word();
    let last_is_open = term
        .chars()
        .last()
        .is_some_and(|c| !c.is_whitespace() && c != '"' && c != ')');
    let mut groups = lexer.groups;
    groups.push(lexer.current);
    groups.retain(|g| !g.is_empty());
    let last_is_open = last_is_open
        && groups
            .last()
            .and_then(|g| g.last())
            .is_some_and(|item| !item.phrase && !item.negated);
    Parsed {
        groups,
        last_is_open,
    }
}

#[derive(Default)]
struct Lexer {
    word: String,
    current: Vec<Item>,
    groups: Vec<Vec<Item>>,
    negate_next: bool,
    items: usize,
}

impl Lexer {
    fn end_word(&mut self) {
        let word = std::mem::take(&mut self.word);
        match word.as_str() {
            "" => {}
            "OR" | "||" | "|" => {
                let group = std::mem::take(&mut self.current);
                self.groups.push(group);
                self.negate_next = false;
            }
            "AND" | "&&" | "&" | "+" => {}
            "NOT" | "!" | "-" => self.negate_next = true,
            _ => {
                let (negated, rest) = match word.strip_prefix(['-', '!']) {
                    Some(rest) => (true, rest),
                    None => (false, word.strip_prefix('+').unwrap_or(&word)),
                };
                self.push_item(rest.to_owned(), false, negated);
            }
        }
    }

    fn push_item(&mut self, text: String, phrase: bool, negated: bool) {
        let negated = negated || std::mem::take(&mut self.negate_next);
        if self.items >= MAX_ITEMS {
            return;
        }
        // Items without any letter or digit can never match; dropping them
        // here turns `:::` or `*` into "no term", which lists everything.
        if text.chars().any(char::is_alphanumeric) {
            self.items += 1;
            self.current.push(Item {
                text,
                phrase,
                negated,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(text: &str, phrase: bool, negated: bool) -> Item {
        Item {
            text: text.into(),
            phrase,
            negated,
        }
    }

    #[test]
    fn words_phrases_and_negation() {
        let p = lex(r#"pay "roll back" -legacy NOT old"#);
        assert_eq!(
            p.groups,
            vec![vec![
                item("pay", false, false),
                item("roll back", true, false),
                item("legacy", false, true),
                item("old", false, true),
            ]]
        );
        assert!(!p.last_is_open, "a negated last word is no prefix");
    }

    #[test]
    fn or_splits_groups_and_and_is_ignored() {
        let p = lex("a AND b OR c");
        assert_eq!(
            p.groups,
            vec![
                vec![item("a", false, false), item("b", false, false)],
                vec![item("c", false, false)]
            ]
        );
        assert!(p.last_is_open);
    }

    #[test]
    fn unclosed_quote_runs_to_the_end() {
        let p = lex(r#"x "half open"#);
        assert_eq!(p.groups[0][1], item("half open", true, false));
        assert!(!p.last_is_open);
    }

    #[test]
    fn punctuation_only_is_nothing() {
        for nasty in [":::", "*", "-", "(", "\"", "OR", "AND (", "\"\"", "!!!"] {
            assert!(lex(nasty).groups.is_empty(), "{nasty:?}");
        }
    }

    #[test]
    fn trailing_space_closes_the_last_word() {
        assert!(lex("paym").last_is_open);
        assert!(!lex("paym ").last_is_open);
        assert_eq!(
            lex("payments-api").single_value().as_deref(),
            Some("payments-api")
        );
        assert_eq!(lex("a b").single_value(), None);
    }

    #[test]
    fn long_terms_are_cut() {
        let p = lex(&"word ".repeat(1000));
        assert_eq!(p.groups[0].len(), MAX_ITEMS);
    }

    #[test]
    fn negated_phrase() {
        let p = lex(r#"x -"a b""#);
        assert_eq!(p.groups[0][1], item("a b", true, true));
    }
}
