//! Tokens, syntax tree and recursive-descent parser for the text between `${{` and `}}`.

use std::fmt;

use serde_json::Value;

use super::filters::{self, Filter};
use super::number_value;

/// Far longer than any real step input; the bound keeps parsing cheap and error texts short.
pub(super) const MAX_EXPRESSION_CHARS: usize = 4096;
/// Bounds both the parser's recursion and the syntax tree's height (and so the evaluator's
/// recursion), so that hostile input cannot overflow the stack.
pub(super) const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinaryOp {
    Eq,
    NotEq,
    StrictEq,
    StrictNotEq,
    Less,
    Greater,
    LessEq,
    GreaterEq,
    In,
    NotIn,
    Concat,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub(super) fn symbol(self) -> &'static str {
        match self {
            Self::Eq => "==",
            Self::NotEq => "!=",
            Self::StrictEq => "===",
            Self::StrictNotEq => "!==",
            Self::Less => "<",
            Self::Greater => ">",
            Self::LessEq => "<=",
            Self::GreaterEq => ">=",
            Self::In => "in",
            Self::NotIn => "not in",
            Self::Concat => "~",
            Self::Add => "+",
            Self::Sub => "-",
            Self::Mul => "*",
            Self::Div => "/",
            Self::Rem => "%",
        }
    }
}

/// How tightly operators bind, loosest first; prefix `not` sits between `and` and comparisons.
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const COMPARE: u8 = 4;
const IN: u8 = 5;
const CONCAT: u8 = 6;
const ADD: u8 = 7;
const MUL: u8 = 8;

fn binding(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Eq
        | BinaryOp::NotEq
        | BinaryOp::StrictEq
        | BinaryOp::StrictNotEq
        | BinaryOp::Less
        | BinaryOp::Greater
        | BinaryOp::LessEq
        | BinaryOp::GreaterEq => COMPARE,
        BinaryOp::In | BinaryOp::NotIn => IN,
        BinaryOp::Concat => CONCAT,
        BinaryOp::Add | BinaryOp::Sub => ADD,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => MUL,
    }
}

#[derive(Clone, Copy)]
enum Operator {
    Or,
    And,
    Binary(BinaryOp),
}

#[derive(Debug)]
pub(super) enum Kind {
    Literal(Value),
    /// A root identifier, looked up in the context object.
    Variable(String),
    /// Both `base.name` and `base[key]`.
    Index(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Negate(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Binary(BinaryOp, Box<Node>, Box<Node>),
    /// `value if condition else otherwise`.
    Conditional {
        value: Box<Node>,
        condition: Box<Node>,
        otherwise: Option<Box<Node>>,
    },
    Filter {
        input: Box<Node>,
        filter: Filter,
        args: Vec<Node>,
    },
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

#[derive(Debug)]
pub(super) struct Node {
    pub(super) kind: Kind,
    /// Height of this subtree, kept so that the limit is checked without walking the tree.
    height: usize,
}

/// Builds a node, refusing trees taller than [`MAX_DEPTH`]: a long flat chain like
/// `a ~ b ~ c ~ …` is as tall as it is long, and evaluating it recurses that deep.
fn node(kind: Kind) -> Result<Node, String> {
    let children = match &kind {
        Kind::Literal(_) | Kind::Variable(_) => 0,
        Kind::Not(a) | Kind::Negate(a) => a.height,
        Kind::Index(a, b) | Kind::And(a, b) | Kind::Or(a, b) | Kind::Binary(_, a, b) => {
            a.height.max(b.height)
        }
        Kind::Conditional {
            value,
            condition,
            otherwise,
        } => value
            .height
            .max(condition.height)
            .max(otherwise.as_ref().map_or(0, |o| o.height)),
        Kind::Filter { input, args, .. } => {
            args.iter().map(|a| a.height).fold(input.height, usize::max)
        }
        Kind::Array(items) => items.iter().map(|i| i.height).max().unwrap_or(0),
        Kind::Object(entries) => entries.iter().map(|(_, v)| v.height).max().unwrap_or(0),
    };
    let height = children + 1;
    if height > MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(Node { kind, height })
}

fn too_deep() -> String {
    format!("the expression is nested more than {MAX_DEPTH} levels deep")
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(String),
    Text(String),
    Number(Value),
    Symbol(&'static str),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name(name) => write!(f, "`{name}`"),
            Self::Text(text) => write!(f, "the string {text:?}"),
            Self::Number(number) => write!(f, "`{number}`"),
            Self::Symbol(symbol) => write!(f, "`{symbol}`"),
        }
    }
}

/// Longest first, so that `===` is not read as `==` followed by `=`.
const SYMBOLS: [&str; 27] = [
    "===", "!==", "==", "!=", "<=", ">=", "&&", "||", ".", "[", "]", "(", ")", "{", "}", ",", ":",
    "|", "~", "+", "-", "*", "/", "%", "!", "<", ">",
];

const KEYWORDS: [&str; 6] = ["and", "or", "not", "if", "else", "in"];

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

fn lex(source: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut rest = source;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if c == '\'' || c == '"' {
            let (text, after) = lex_string(rest, c)?;
            tokens.push(Token::Text(text));
            rest = after;
        } else if c.is_ascii_digit() {
            let (number, after) = lex_number(rest)?;
            tokens.push(Token::Number(number));
            rest = after;
        } else if is_name_start(c) {
            let end = rest.find(|c| !is_name_char(c)).unwrap_or(rest.len());
            let (name, after) = rest.split_at(end);
            tokens.push(Token::Name(name.to_owned()));
            rest = after;
        } else if let Some(symbol) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) {
            tokens.push(Token::Symbol(symbol));
            rest = &rest[symbol.len()..];
        } else {
            return Err(format!("unexpected character `{c}`"));
        }
    }
    Ok(tokens)
}

/// `rest` starts with the opening quote; returns the unescaped text and what follows the closing quote.
fn lex_string(rest: &str, quote: char) -> Result<(String, &str), String> {
    let mut text = String::new();
    let mut chars = rest.char_indices().skip(1);
    while let Some((at, c)) = chars.next() {
        if c == quote {
            return Ok((text, &rest[at + c.len_utf8()..]));
        }
        if c != '\\' {
            text.push(c);
            continue;
        }
        match chars.next().map(|(_, escaped)| escaped) {
            Some('n') => text.push('\n'),
            Some('t') => text.push('\t'),
            Some('r') => text.push('\r'),
            Some(same @ ('\\' | '\'' | '"')) => text.push(same),
            Some(other) => return Err(format!("unknown escape `\\{other}` in a string")),
            None => break,
        }
    }
    Err("a string is never closed".to_owned())
}

fn lex_number(rest: &str) -> Result<(Value, &str), String> {
    let digits_end = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let whole = digits_end(rest);
    // `1.` and `1.x` leave the dot to the parser; only `1.5` is a decimal.
    let fraction = rest[whole..].strip_prefix('.').map_or(0, digits_end);
    let end = if fraction > 0 {
        whole + 1 + fraction
    } else {
        whole
    };
    let (digits, after) = rest.split_at(end);
    if fraction == 0 {
        if let Ok(integer) = digits.parse::<i64>() {
            return Ok((Value::from(integer), after));
        }
    }
    let float = digits
        .parse::<f64>()
        .map_err(|e| format!("cannot read number `{digits}`: {e}"))?;
    Ok((number_value(float)?, after))
}

pub(super) fn parse(source: &str) -> Result<Node, String> {
    if source.chars().count() > MAX_EXPRESSION_CHARS {
        return Err(format!(
            "the expression is longer than {MAX_EXPRESSION_CHARS} characters"
        ));
    }
    let tokens = lex(source)?;
    if tokens.is_empty() {
        return Err("the expression is empty".to_owned());
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let parsed = parser.expression()?;
    match parser.peek() {
        None => Ok(parsed),
        Some(token) => Err(format!("unexpected {token} after a complete expression")),
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn peek_symbol(&self) -> Option<&'static str> {
        match self.peek() {
            Some(Token::Symbol(symbol)) => Some(symbol),
            _ => None,
        }
    }

    fn is_word_at(&self, offset: usize, word: &str) -> bool {
        matches!(self.tokens.get(self.pos + offset), Some(Token::Name(name)) if name == word)
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let found = self.is_word_at(0, word);
        self.pos += usize::from(found);
        found
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        let found = self.peek_symbol() == Some(symbol);
        self.pos += usize::from(found);
        found
    }

    fn expect_symbol(&mut self, symbol: &str) -> Result<(), String> {
        if self.eat_symbol(symbol) {
            return Ok(());
        }
        Err(format!(
            "expected `{symbol}` but found {}",
            self.describe_next()
        ))
    }

    fn expect_name(&mut self, what: &str) -> Result<String, String> {
        match self.peek() {
            Some(Token::Name(name)) => {
                let name = name.clone();
                self.pos += 1;
                Ok(name)
            }
            _ => Err(format!(
                "expected {what} but found {}",
                self.describe_next()
            )),
        }
    }

    fn describe_next(&self) -> String {
        self.peek()
            .map_or_else(|| "the end of the expression".to_owned(), Token::to_string)
    }

    /// Every recursive path of the grammar goes through here, so a run of `(((` or `not not`
    /// cannot recurse deeper than the limit even before any node is built.
    fn nested(&mut self, parse: fn(&mut Self) -> Result<Node, String>) -> Result<Node, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(too_deep());
        }
        let parsed = parse(self);
        self.depth -= 1;
        parsed
    }

    fn expression(&mut self) -> Result<Node, String> {
        self.nested(Self::inline_if)
    }

    fn inline_if(&mut self) -> Result<Node, String> {
        let value = self.binary(OR)?;
        if !self.eat_word("if") {
            return Ok(value);
        }
        let condition = self.binary(OR)?;
        let otherwise = if self.eat_word("else") {
            Some(Box::new(self.expression()?))
        } else {
            None
        };
        node(Kind::Conditional {
            value: Box::new(value),
            condition: Box::new(condition),
            otherwise,
        })
    }

    /// Which binary operator comes next, how tightly it binds and how many tokens it spans.
    fn operator(&self) -> Option<(Operator, u8, usize)> {
        let binary = |op| Some((Operator::Binary(op), binding(op), 1));
        match self.peek()? {
            Token::Name(word) => match word.as_str() {
                "or" => Some((Operator::Or, OR, 1)),
                "and" => Some((Operator::And, AND, 1)),
                "in" => binary(BinaryOp::In),
                "not" if self.is_word_at(1, "in") => {
                    Some((Operator::Binary(BinaryOp::NotIn), IN, 2))
                }
                _ => None,
            },
            Token::Symbol(symbol) => match *symbol {
                "||" => Some((Operator::Or, OR, 1)),
                "&&" => Some((Operator::And, AND, 1)),
                "==" => binary(BinaryOp::Eq),
                "!=" => binary(BinaryOp::NotEq),
                "===" => binary(BinaryOp::StrictEq),
                "!==" => binary(BinaryOp::StrictNotEq),
                "<" => binary(BinaryOp::Less),
                ">" => binary(BinaryOp::Greater),
                "<=" => binary(BinaryOp::LessEq),
                ">=" => binary(BinaryOp::GreaterEq),
                "~" => binary(BinaryOp::Concat),
                "+" => binary(BinaryOp::Add),
                "-" => binary(BinaryOp::Sub),
                "*" => binary(BinaryOp::Mul),
                "/" => binary(BinaryOp::Div),
                "%" => binary(BinaryOp::Rem),
                _ => None,
            },
            _ => None,
        }
    }

    /// Precedence climbing over every binary operator and prefix `not`: one function instead
    /// of one per level keeps the stack used per nesting level small.
    fn binary(&mut self, min_binding: u8) -> Result<Node, String> {
        let mut left = if min_binding <= NOT && (self.eat_word("not") || self.eat_symbol("!")) {
            let operand = self.nested(|parser| parser.binary(NOT))?;
            node(Kind::Not(Box::new(operand)))?
        } else {
            self.unary()?
        };
        while let Some((operator, binds, width)) = self
            .operator()
            .filter(|&(_, binds, _)| binds >= min_binding)
        {
            self.pos += width;
            let right = Box::new(self.binary(binds + 1)?);
            let left_box = Box::new(left);
            left = node(match operator {
                Operator::Or => Kind::Or(left_box, right),
                Operator::And => Kind::And(left_box, right),
                Operator::Binary(op) => Kind::Binary(op, left_box, right),
            })?;
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node, String> {
        if self.eat_symbol("-") {
            let operand = self.nested(Self::unary)?;
            return node(Kind::Negate(Box::new(operand)));
        }
        self.filtered()
    }

    fn filtered(&mut self) -> Result<Node, String> {
        let mut value = self.postfix()?;
        while self.eat_symbol("|") {
            let name = self.expect_name("a filter name after `|`")?;
            let Some((filter, min, max)) = filters::lookup(&name) else {
                return Err(format!("unknown filter `{name}`"));
            };
            let args = if self.eat_symbol("(") {
                self.list(")")?
            } else {
                Vec::new()
            };
            if args.len() < min || args.len() > max {
                let expected = if min == max {
                    min.to_string()
                } else {
                    format!("{min} to {max}")
                };
                return Err(format!(
                    "filter `{name}` takes {expected} argument(s) but was given {}",
                    args.len()
                ));
            }
            value = node(Kind::Filter {
                input: Box::new(value),
                filter,
                args,
            })?;
        }
        Ok(value)
    }

    fn postfix(&mut self) -> Result<Node, String> {
        let mut value = self.primary()?;
        loop {
            let key = if self.eat_symbol(".") {
                node(Kind::Literal(Value::String(
                    self.expect_name("a member name after `.`")?,
                )))?
            } else if self.eat_symbol("[") {
                let key = self.expression()?;
                self.expect_symbol("]")?;
                key
            } else {
                return Ok(value);
            };
            value = node(Kind::Index(Box::new(value), Box::new(key)))?;
        }
    }

    fn primary(&mut self) -> Result<Node, String> {
        let kind = match self.next() {
            Some(Token::Number(number)) => Kind::Literal(number),
            Some(Token::Text(text)) => Kind::Literal(Value::String(text)),
            Some(Token::Name(name)) => match name.as_str() {
                "true" | "True" => Kind::Literal(Value::Bool(true)),
                "false" | "False" => Kind::Literal(Value::Bool(false)),
                "null" | "none" | "None" => Kind::Literal(Value::Null),
                keyword if KEYWORDS.contains(&keyword) => {
                    return Err(format!("unexpected `{keyword}`"))
                }
                _ => Kind::Variable(name),
            },
            Some(Token::Symbol("(")) => {
                let inner = self.expression()?;
                self.expect_symbol(")")?;
                return Ok(inner);
            }
            Some(Token::Symbol("[")) => Kind::Array(self.list("]")?),
            Some(Token::Symbol("{")) => Kind::Object(self.object_entries()?),
            Some(other) => return Err(format!("unexpected {other}")),
            None => return Err("the expression ends too early".to_owned()),
        };
        node(kind)
    }

    /// Comma-separated expressions up to `close`; a trailing comma is allowed.
    fn list(&mut self, close: &str) -> Result<Vec<Node>, String> {
        let mut items = Vec::new();
        while !self.eat_symbol(close) {
            items.push(self.expression()?);
            if !self.eat_symbol(",") {
                self.expect_symbol(close)?;
                break;
            }
        }
        Ok(items)
    }

    fn object_entries(&mut self) -> Result<Vec<(String, Node)>, String> {
        let mut entries = Vec::new();
        while !self.eat_symbol("}") {
            let key = match self.next() {
                Some(Token::Name(key) | Token::Text(key)) => key,
                Some(other) => return Err(format!("expected an object key but found {other}")),
                None => return Err("an object literal is never closed".to_owned()),
            };
            self.expect_symbol(":")?;
            entries.push((key, self.expression()?));
            if !self.eat_symbol(",") {
                self.expect_symbol("}")?;
                break;
            }
        }
        Ok(entries)
    }
}
