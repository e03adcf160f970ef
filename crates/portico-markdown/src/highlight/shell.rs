//! A shell highlighter for `bash`/`sh`/`shell` blocks and `console`
//! sessions: commands, options, strings, variables, comments, operators,
//! keywords and here-documents.

use super::lexer::{
    closing_quote, is_number, quoted_end, split_newline, Spans, COMMENT, FUNCTION, KEYWORD, NUMBER,
    OPERATOR, PARAMETER, PUNCTUATION, STRING, VARIABLE,
};

/// Keywords after which the next word is again a command.
const LEADING_KEYWORDS: [&str; 10] = [
    "if", "then", "else", "elif", "do", "while", "until", "!", "time", "exec",
];
/// Keywords after which it is not.
const OTHER_KEYWORDS: [&str; 12] = [
    "fi", "for", "done", "case", "esac", "function", "in", "select", "return", "export", "local",
    "readonly",
];

/// Lexer state that carries from one line to the next.
#[derive(Debug, Default)]
struct State {
    /// The next word is a command name.
    command: bool,
    /// A quote opened on an earlier line and not yet closed.
    open_quote: Option<u8>,
    /// The delimiter of a here-document whose body is next, and whether its
    /// closing line may be indented with tabs (`<<-`).
    heredoc: Option<(String, bool)>,
    /// A here-document announced on this line: its body starts next line.
    pending_heredoc: Option<(String, bool)>,
    /// After `for`/`select`/`case`, whose `in` is a keyword.
    expect_in: bool,
}

/// `session`: the block is a console transcript, where only lines after a
/// `$ ` prompt are commands and the rest is output.
pub(super) fn shell(code: &str, session: bool) -> String {
    let mut out = Spans::with_capacity(code.len());
    let mut state = State {
        command: true,
        ..State::default()
    };
    for line in code.split_inclusive('\n') {
        let (text, newline) = split_newline(line);
        if let Some((delimiter, tabs)) = &state.heredoc {
            let closing = if *tabs {
                text.trim_start_matches('\t')
            } else {
                text
            };
            if closing == delimiter {
                state.heredoc = None;
                out.span(PUNCTUATION, text);
            } else {
                out.span(STRING, text);
            }
            out.plain(newline);
            continue;
        }
        let continued = state.open_quote.is_some() || !state.command;
        let command_text = if session && !continued {
            match text.strip_prefix("$ ") {
                Some(command) => {
                    out.span(PUNCTUATION, "$");
                    out.plain(" ");
                    command
                }
                None => {
                    out.plain(text);
                    out.plain(newline);
                    continue;
                }
            }
        } else {
            text
        };
        lex_line(command_text, &mut state, &mut out);
        if state.open_quote.is_none() {
            // A line ending in `\` continues the command.
            state.command = !text.ends_with('\\');
        }
        state.heredoc = state.pending_heredoc.take();
        out.plain(newline);
    }
    out.finish()
}

fn lex_line(line: &str, state: &mut State, out: &mut Spans) {
    let mut rest = line;
    if let Some(quote) = state.open_quote {
        let end = closing_quote(rest, quote);
        out.span(STRING, &rest[..end.unwrap_or(rest.len())]);
        match end {
            Some(end) => {
                state.open_quote = None;
                rest = &rest[end..];
            }
            None => return,
        }
    }
    let mut word_start = true;
    while let Some(c) = rest.chars().next() {
        let len = token(rest, c, word_start, state, out);
        word_start = c.is_whitespace() || matches!(c, ';' | '|' | '&' | '(' | '{');
        rest = &rest[len..];
    }
}

/// Highlights the token at the start of `rest` (whose first char is `c`);
/// returns its length.
fn token(rest: &str, c: char, word_start: bool, state: &mut State, out: &mut Spans) -> usize {
    match c {
        c if c.is_whitespace() => {
            out.plain(&rest[..c.len_utf8()]);
            c.len_utf8()
        }
        '#' if word_start => {
            out.span(COMMENT, rest);
            rest.len()
        }
        '\'' | '"' => match quoted_end(rest) {
            Some(end) => {
                out.span(STRING, &rest[..end]);
                state.command = false;
                end
            }
            None => {
                out.span(STRING, rest);
                state.open_quote = Some(c as u8);
                rest.len()
            }
        },
        '$' => variable(rest, state, out),
        '\\' => {
            let len = rest.chars().nth(1).map_or(1, |next| 1 + next.len_utf8());
            out.plain(&rest[..len]);
            len
        }
        '|' | '&' | ';' | '<' | '>' => operator(rest, state, out),
        '(' | ')' | '{' | '}' | '`' => {
            out.span(PUNCTUATION, &rest[..1]);
            state.command = c != ')';
            1
        }
        _ => word(rest, state, out),
    }
}

fn variable(rest: &str, state: &mut State, out: &mut Spans) -> usize {
    let bytes = rest.as_bytes();
    let len = match bytes.get(1) {
        Some(b'{') => rest.find('}').map_or(rest.len(), |i| i + 1),
        Some(b'(') => {
            out.span(PUNCTUATION, "$(");
            state.command = true;
            return 2;
        }
        Some(b) if b.is_ascii_alphabetic() || *b == b'_' => {
            1 + bytes[1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count()
        }
        Some(b'@' | b'*' | b'#' | b'?' | b'$' | b'!' | b'-' | b'0'..=b'9') => 2,
        _ => {
            out.plain("$");
            return 1;
        }
    };
    out.span(VARIABLE, &rest[..len]);
    state.command = false;
    len
}

fn operator(rest: &str, state: &mut State, out: &mut Spans) -> usize {
    if let Some(after) = rest.strip_prefix("<<") {
        if !after.starts_with('<') {
            return heredoc_start(rest, after, state, out);
        }
    }
    let len = ["&&", "||", ";;", ">>", ">&", "&>", "<<<", "|&"]
        .iter()
        .find(|op| rest.starts_with(**op))
        .map_or(1, |op| op.len());
    let op = &rest[..len];
    out.span(OPERATOR, op);
    // After a pipe or list operator a new command starts; after a
    // redirection comes a file name.
    state.command = !op.starts_with(['<', '>']) && op != "&>" && op != ">&";
    len
}

/// `<<EOF`, `<<-'EOF'`, `<< "EOF"`: the body starts on the next line.
fn heredoc_start(rest: &str, after: &str, state: &mut State, out: &mut Spans) -> usize {
    let tabs = after.starts_with('-');
    let word_part = after.strip_prefix('-').unwrap_or(after);
    let spaced = word_part.trim_start();
    let word_end = spaced
        .find(|c: char| c.is_whitespace() || matches!(c, ';' | '|' | '&' | '>' | '<' | ')'))
        .unwrap_or(spaced.len());
    let word = &spaced[..word_end];
    let delimiter: String = word
        .chars()
        .filter(|c| !matches!(c, '\'' | '"' | '\\'))
        .collect();
    if delimiter.is_empty() {
        out.span(OPERATOR, "<<");
        return 2;
    }
    let len = rest.len() - spaced.len() + word_end;
    out.span(OPERATOR, &rest[..rest.len() - word_part.len()]);
    out.plain(&word_part[..word_part.len() - spaced.len()]);
    out.span(PUNCTUATION, word);
    state.pending_heredoc = Some((delimiter, tabs));
    len
}

/// A word: a command name, keyword, assignment, option or argument.
fn word(rest: &str, state: &mut State, out: &mut Spans) -> usize {
    let len = rest
        .find(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    '|' | '&' | ';' | '<' | '>' | '(' | ')' | '$' | '"' | '\'' | '`' | '\\'
                )
        })
        .unwrap_or(rest.len());
    // The caller only calls this on a character no other token takes, so
    // the word is never empty; still, never loop without progress.
    let len = if len == 0 {
        rest.chars().next().map_or(0, char::len_utf8)
    } else {
        len
    };
    let word = &rest[..len];
    if !state.command {
        let class = if state.expect_in && word == "in" {
            state.expect_in = false;
            Some(KEYWORD)
        } else if word.starts_with('-') && word.len() > 1 {
            Some(PARAMETER)
        } else if is_number(word) {
            Some(NUMBER)
        } else {
            None
        };
        match class {
            Some(class) => out.span(class, word),
            None => out.plain(word),
        }
        return word.len();
    }
    if LEADING_KEYWORDS.contains(&word) {
        out.span(KEYWORD, word);
    } else if OTHER_KEYWORDS.contains(&word) {
        out.span(KEYWORD, word);
        state.command = false;
        state.expect_in = matches!(word, "for" | "select" | "case");
    } else if let Some((name, value)) = word.split_once('=').filter(|(n, _)| is_name(n)) {
        // `VAR=value cmd`: the command is still to come.
        out.span(VARIABLE, name);
        out.span(OPERATOR, "=");
        out.plain(value);
    } else {
        out.span(FUNCTION, word);
        state.command = false;
    }
    word.len()
}

fn is_name(s: &str) -> bool {
    s.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The highlighted code with spans written as `[class|text]`.
    fn tokens(code: &str, session: bool) -> String {
        shell(code, session)
            .replace("<span class=\"hl-variable hl-function\">", "[cmd|")
            .replace("<span class=\"hl-variable hl-parameter\">", "[opt|")
            .replace("<span class=\"hl-variable\">", "[var|")
            .replace("<span class=\"hl-string\">", "[str|")
            .replace("<span class=\"hl-comment\">", "[#|")
            .replace("<span class=\"hl-keyword hl-operator\">", "[op|")
            .replace("<span class=\"hl-keyword\">", "[kw|")
            .replace("<span class=\"hl-punctuation\">", "[p|")
            .replace("<span class=\"hl-constant hl-numeric\">", "[num|")
            .replace("</span>", "]")
    }

    #[test]
    fn commands_options_and_pipes() {
        assert_eq!(
            tokens("kubectl get pods -n argocd | grep -v x > out.txt # note\n", false),
            "[cmd|kubectl] get pods [opt|-n] argocd [op||] [cmd|grep] [opt|-v] x [op|&gt;] out.txt [#|# note]\n"
        );
    }

    #[test]
    fn strings_variables_and_substitution() {
        assert_eq!(
            tokens("X=1 echo \"$HOME\" '${y}' ${Z} $(date +%s) $1\n", false),
            "[var|X][op|=]1 [cmd|echo] [str|\"$HOME\"] [str|'${y}'] [var|${Z}] [p|$(][cmd|date] +%s[p|)] [var|$1]\n"
        );
    }

    #[test]
    fn keywords_and_continuations() {
        assert_eq!(
            tokens("for i in 1 2; do echo $i; done\nargocd app sync \\\n  --prune app#1\n", false),
            "[kw|for] i [kw|in] [num|1] [num|2][op|;] [kw|do] [cmd|echo] [var|$i][op|;] [kw|done]\n[cmd|argocd] app sync \\\n  [opt|--prune] app#1\n"
        );
    }

    #[test]
    fn multi_line_strings_and_heredocs() {
        assert_eq!(
            tokens("echo 'a\nb' done\ncat <<-'EOF' > f\n\tbody $x\n\tEOF\nls\n", false),
            "[cmd|echo] [str|'a]\n[str|b'] done\n[cmd|cat] [op|&lt;&lt;-][p|'EOF'] [op|&gt;] f\n[str|\tbody $x]\n[p|\tEOF]\n[cmd|ls]\n"
        );
    }

    #[test]
    fn console_sessions_highlight_only_commands() {
        assert_eq!(
            tokens("$ argocd version\nargocd: v2.9\n$ ls\n", true),
            "[p|$] [cmd|argocd] version\nargocd: v2.9\n[p|$] [cmd|ls]\n"
        );
    }
}
