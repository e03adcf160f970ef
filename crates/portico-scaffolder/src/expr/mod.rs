//! Renders Backstage scaffolder step inputs such as `${{ parameters.name }}`,
//! `${{ steps['fetch'].output.remoteUrl }}` or `${{ parameters.repoUrl | parseRepoUrl }}`.
//!
//! Backstage renders these with Nunjucks; this is our own, smaller language with the same look:
//!
//! - literals: `'text'`, `"text"` (escapes `\\ \' \" \n \t \r`), `12`, `1.5`, `true`, `false`,
//!   `null`/`none`, `[a, b]`, `{ key: v, 'other key': w }`;
//! - paths: a root name looked up in the context, then `.member` and `[key or index]`; reading
//!   through a missing value gives *undefined* rather than an error, and `.length` works on
//!   strings and arrays as in JS;
//! - operators, loosest first: `a if c else b`, `or`/`||`, `and`/`&&`, `not`/`!`,
//!   `== != === !== < > <= >=`, `in`/`not in`, `~`, `+ -`, `* / %`, unary `-`, `| filter(args)`,
//!   then `.member`/`[key]`; parentheses group;
//! - filters: see `filters.rs`.
//!
//! Deliberate differences from Nunjucks/JS: one truthiness everywhere, in which empty arrays
//! and objects are false (as in Jinja); `==` never coerces types (`1 == '1'` is false) but
//! treats undefined and null as equal, which `===` does not; `<`/`>` and arithmetic on
//! mismatched types, and division by zero, are errors instead of `false`, `NaN` or
//! `Infinity`; numbers with no fractional part are integers (`6 / 3` is `2`).

mod filters;
mod parse;

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use parse::{BinaryOp, Kind, Node};

/// Bounds the strings that operators and filters build, so that a short expression cannot
/// multiply a large parameter into gigabytes.
const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;
/// Error messages quote at most this much of an expression.
const MAX_QUOTED_CHARS: usize = 200;

/// Errors name the expression text as written and what is wrong.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ExprError {
    #[error("cannot read expression `{expr}`: {message}")]
    Syntax { expr: String, message: String },
    #[error("expression `{expr}`: {message}")]
    Eval { expr: String, message: String },
}

/// Renders every string inside `input` (recursively through objects and arrays; object keys
/// are not rendered) against `context`.
///
/// A string that is exactly one `${{ … }}` (surrounding whitespace allowed) becomes the
/// expression's value with its JSON type kept; an undefined value becomes `null`, and an
/// object member whose value is undefined is removed. Other strings containing `${{` are
/// interpolated, `$${{` standing for a literal `${{`.
pub fn render(input: &Value, context: &Value) -> Result<Value, ExprError> {
    Ok(render_value(input, context)?.unwrap_or(Value::Null))
}

/// Evaluates a step's `if`: a string is rendered as by [`render`] first, then the value is
/// judged truthy: `false`, null, undefined, `0`, `""`, `[]` and `{}` are false.
pub fn condition(value: &Value, context: &Value) -> Result<bool, ExprError> {
    match value {
        Value::String(text) => Ok(render_string(text, context)?
            .as_ref()
            .is_some_and(json_truthy)),
        other => Ok(json_truthy(other)),
    }
}

/// `None` is an undefined result, which the caller drops or turns into null.
fn render_value(input: &Value, context: &Value) -> Result<Option<Value>, ExprError> {
    Ok(Some(match input {
        Value::String(text) => return render_string(text, context),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| Ok(render_value(item, context)?.unwrap_or(Value::Null)))
                .collect::<Result<_, ExprError>>()?,
        ),
        Value::Object(members) => {
            let mut rendered = Map::new();
            for (key, value) in members {
                if let Some(value) = render_value(value, context)? {
                    rendered.insert(key.clone(), value);
                }
            }
            Value::Object(rendered)
        }
        other => other.clone(),
    }))
}

fn render_string(text: &str, context: &Value) -> Result<Option<Value>, ExprError> {
    if !text.contains("${{") {
        return Ok(Some(Value::String(text.to_owned())));
    }
    let segments = split_template(text)?;
    if let Some(expression) = single_expression(&segments) {
        return expression.evaluate(context);
    }
    let mut rendered = String::new();
    for segment in &segments {
        match segment {
            Segment::Text(text) => rendered.push_str(text),
            Segment::Expression(expression) => {
                let value = expression.evaluate(context)?;
                let text = to_text(value.as_ref());
                if rendered.len().saturating_add(text.len()) > MAX_TEXT_BYTES {
                    return Err(eval_error(expression.source, text_too_long()));
                }
                rendered.push_str(&text);
            }
        }
    }
    Ok(Some(Value::String(rendered)))
}

/// The expression of a string that is one expression, maybe with whitespace around it.
fn single_expression<'s, 't>(segments: &'s [Segment<'t>]) -> Option<&'s Expression<'t>> {
    let mut single = None;
    for segment in segments {
        match segment {
            Segment::Text(text) if text.trim().is_empty() => {}
            Segment::Expression(expression) if single.is_none() => single = Some(expression),
            _ => return None,
        }
    }
    single
}

enum Segment<'t> {
    Text(String),
    Expression(Expression<'t>),
}

struct Expression<'t> {
    /// The whole `${{ … }}`, for error messages.
    source: &'t str,
    body: &'t str,
}

impl Expression<'_> {
    fn evaluate(&self, context: &Value) -> Result<Option<Value>, ExprError> {
        let tree = parse::parse(self.body).map_err(|message| ExprError::Syntax {
            expr: quote(self.source),
            message,
        })?;
        Ok(eval(&tree, context)
            .map_err(|message| eval_error(self.source, message))?
            .into_json())
    }
}

fn eval_error(source: &str, message: String) -> ExprError {
    ExprError::Eval {
        expr: quote(source),
        message,
    }
}

fn quote(source: &str) -> String {
    match source.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &source[..cut]),
        None => source.to_owned(),
    }
}

fn split_template(text: &str) -> Result<Vec<Segment<'_>>, ExprError> {
    let mut segments = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let (before, from_open) = rest.split_at(start);
        let after_open = &from_open[3..];
        if let Some(kept) = before.strip_suffix('$') {
            literal.push_str(kept);
            literal.push_str("${{");
            rest = after_open;
            continue;
        }
        literal.push_str(before);
        let Some(close) = find_close(after_open) else {
            return Err(ExprError::Syntax {
                expr: quote(from_open),
                message: "`${{` is never closed by `}}`".to_owned(),
            });
        };
        let (source, after) = from_open.split_at(3 + close + 2);
        if !literal.is_empty() {
            segments.push(Segment::Text(std::mem::take(&mut literal)));
        }
        segments.push(Segment::Expression(Expression {
            source,
            body: &after_open[..close],
        }));
        rest = after;
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        segments.push(Segment::Text(literal));
    }
    Ok(segments)
}

/// Byte offset of the `}}` that closes an expression, skipping braces of object literals and
/// anything inside quotes, so that `${{ {a: {b: '}}'}} }}` is one expression.
fn find_close(body: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut open_braces = 0usize;
    for (at, c) in body.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '{' => open_braces += 1,
            '}' if open_braces > 0 => open_braces -= 1,
            '}' if body[at + 1..].starts_with('}') => return Some(at),
            _ => {}
        }
    }
    None
}

/// A value during evaluation. JS tells undefined (absent) from null, and so must we: an
/// undefined step input is dropped, a null one is kept. Values read from the context are
/// borrowed, so walking a path does not copy the objects along it.
#[derive(Debug, Clone)]
enum Val<'c> {
    Undefined,
    Json(Cow<'c, Value>),
}

impl<'c> Val<'c> {
    fn owned(value: impl Into<Value>) -> Self {
        Self::Json(Cow::Owned(value.into()))
    }

    fn json(&self) -> Option<&Value> {
        match self {
            Self::Undefined => None,
            Self::Json(value) => Some(value),
        }
    }

    fn into_json(self) -> Option<Value> {
        match self {
            Self::Undefined => None,
            Self::Json(value) => Some(value.into_owned()),
        }
    }
}

fn eval<'c>(node: &Node, context: &'c Value) -> Result<Val<'c>, String> {
    Ok(match &node.kind {
        Kind::Literal(value) => Val::owned(value.clone()),
        Kind::Variable(name) => context
            .get(name)
            .map_or(Val::Undefined, |v| Val::Json(Cow::Borrowed(v))),
        Kind::Index(base, key) => {
            let base = eval(base, context)?;
            match eval(key, context)?.json() {
                Some(key) => access(base, key),
                None => Val::Undefined,
            }
        }
        Kind::Not(operand) => Val::owned(!truthy(&eval(operand, context)?)),
        Kind::Negate(operand) => Val::owned(negate(eval(operand, context)?.json())?),
        Kind::And(left, right) => {
            let left = eval(left, context)?;
            if truthy(&left) {
                eval(right, context)?
            } else {
                left
            }
        }
        Kind::Or(left, right) => {
            let left = eval(left, context)?;
            if truthy(&left) {
                left
            } else {
                eval(right, context)?
            }
        }
        Kind::Binary(op, left, right) => Val::owned(binary(
            *op,
            eval(left, context)?.json(),
            eval(right, context)?.json(),
        )?),
        Kind::Conditional {
            value,
            condition,
            otherwise,
        } => match (truthy(&eval(condition, context)?), otherwise) {
            (true, _) => eval(value, context)?,
            (false, Some(otherwise)) => eval(otherwise, context)?,
            (false, None) => Val::Undefined,
        },
        Kind::Filter {
            input,
            filter,
            args,
        } => {
            let input = eval(input, context)?;
            let args = args
                .iter()
                .map(|arg| eval(arg, context))
                .collect::<Result<Vec<_>, _>>()?;
            filters::apply(*filter, input, &args)?
        }
        // As JSON.stringify does: undefined array items become null, undefined members vanish.
        Kind::Array(items) => Val::owned(
            items
                .iter()
                .map(|item| Ok(eval(item, context)?.into_json().unwrap_or(Value::Null)))
                .collect::<Result<Vec<_>, String>>()?,
        ),
        Kind::Object(entries) => {
            let mut members = Map::new();
            for (key, value) in entries {
                if let Some(value) = eval(value, context)?.into_json() {
                    members.insert(key.clone(), value);
                }
            }
            Val::owned(Value::Object(members))
        }
    })
}

/// What `container[key]` finds: a value inside the container, or one derived from it.
enum Found<'v> {
    Inside(&'v Value),
    Derived(Value),
    Nothing,
}

fn find<'v>(container: &'v Value, key: &Value) -> Found<'v> {
    let position = |number: &Number| number.as_u64().and_then(|n| usize::try_from(n).ok());
    let inside = match (container, key) {
        (Value::Object(members), Value::String(name)) => members.get(name),
        (Value::Object(members), Value::Number(number)) => members.get(&number.to_string()),
        (Value::Array(items), Value::Number(number)) => position(number).and_then(|n| items.get(n)),
        (Value::Array(items), Value::String(name)) if name == "length" => {
            return Found::Derived(Value::from(items.len()))
        }
        (Value::String(text), Value::String(name)) if name == "length" => {
            return Found::Derived(Value::from(text.chars().count()))
        }
        (Value::String(text), Value::Number(number)) => {
            return position(number)
                .and_then(|n| text.chars().nth(n))
                .map_or(Found::Nothing, |c| {
                    Found::Derived(Value::from(c.to_string()))
                });
        }
        _ => None,
    };
    inside.map_or(Found::Nothing, Found::Inside)
}

fn access<'c>(base: Val<'c>, key: &Value) -> Val<'c> {
    match base {
        Val::Undefined => Val::Undefined,
        Val::Json(Cow::Borrowed(container)) => match find(container, key) {
            Found::Inside(value) => Val::Json(Cow::Borrowed(value)),
            Found::Derived(value) => Val::owned(value),
            Found::Nothing => Val::Undefined,
        },
        Val::Json(Cow::Owned(container)) => match find(&container, key) {
            Found::Inside(value) => Val::owned(value.clone()),
            Found::Derived(value) => Val::owned(value),
            Found::Nothing => Val::Undefined,
        },
    }
}

fn binary(op: BinaryOp, left: Option<&Value>, right: Option<&Value>) -> Result<Value, String> {
    let mismatch = |needs: &str| {
        format!(
            "`{}` needs {needs}, got {} and {}",
            op.symbol(),
            type_name(left),
            type_name(right)
        )
    };
    Ok(match op {
        BinaryOp::Eq => Value::Bool(loose_eq(left, right)),
        BinaryOp::NotEq => Value::Bool(!loose_eq(left, right)),
        BinaryOp::StrictEq => Value::Bool(strict_eq(left, right)),
        BinaryOp::StrictNotEq => Value::Bool(!strict_eq(left, right)),
        BinaryOp::Less | BinaryOp::Greater | BinaryOp::LessEq | BinaryOp::GreaterEq => {
            let order = match (left, right) {
                (Some(Value::Number(a)), Some(Value::Number(b))) => number_cmp(a, b),
                (Some(Value::String(a)), Some(Value::String(b))) => a.cmp(b),
                _ => return Err(mismatch("two numbers or two strings")),
            };
            Value::Bool(match op {
                BinaryOp::Less => order.is_lt(),
                BinaryOp::Greater => order.is_gt(),
                BinaryOp::LessEq => order.is_le(),
                _ => order.is_ge(),
            })
        }
        BinaryOp::In => Value::Bool(contains(right, left)?),
        BinaryOp::NotIn => Value::Bool(!contains(right, left)?),
        BinaryOp::Concat => Value::String(concat(&to_text(left), &to_text(right))?),
        BinaryOp::Add => match (left, right) {
            (Some(Value::Number(a)), Some(Value::Number(b))) => arithmetic(op, a, b)?,
            (Some(Value::String(_)), _) | (_, Some(Value::String(_))) => {
                Value::String(concat(&to_text(left), &to_text(right))?)
            }
            _ => return Err(mismatch("two numbers or a string")),
        },
        BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => match (left, right) {
            (Some(Value::Number(a)), Some(Value::Number(b))) => arithmetic(op, a, b)?,
            _ => return Err(mismatch("two numbers")),
        },
    })
}

fn arithmetic(op: BinaryOp, a: &Number, b: &Number) -> Result<Value, String> {
    if matches!(op, BinaryOp::Div | BinaryOp::Rem) && b.as_f64() == Some(0.0) {
        return Err(format!("`{}` by zero", op.symbol()));
    }
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        let exact = match op {
            BinaryOp::Add => x.checked_add(y),
            BinaryOp::Sub => x.checked_sub(y),
            BinaryOp::Mul => x.checked_mul(y),
            BinaryOp::Rem => x.checked_rem(y),
            _ => None,
        };
        if let Some(result) = exact {
            return Ok(Value::from(result));
        }
    }
    let (x, y) = (
        a.as_f64().unwrap_or(f64::NAN),
        b.as_f64().unwrap_or(f64::NAN),
    );
    number_value(match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => x * y,
        BinaryOp::Div => x / y,
        _ => x % y,
    })
}

fn negate(value: Option<&Value>) -> Result<Value, String> {
    match value {
        Some(Value::Number(number)) => match number.as_i64().and_then(i64::checked_neg) {
            Some(negated) => Ok(Value::from(negated)),
            None => number_value(-number.as_f64().unwrap_or(f64::NAN)),
        },
        other => Err(format!("`-` needs a number, got {}", type_name(other))),
    }
}

/// JS has a single number type, so a float with no fractional part is stored as an integer:
/// `${{ 6 / 3 }}` gives `2`, not `2.0`.
fn number_value(float: f64) -> Result<Value, String> {
    const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;
    if float.fract() == 0.0 && float.abs() < EXACT_INTEGERS {
        return Ok(Value::from(float as i64));
    }
    Number::from_f64(float)
        .map(Value::Number)
        .ok_or_else(|| "the result is not a finite number".to_owned())
}

fn number_cmp(a: &Number, b: &Number) -> Ordering {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return x.cmp(&y);
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return x.cmp(&y);
    }
    let (x, y) = (
        a.as_f64().unwrap_or(f64::NAN),
        b.as_f64().unwrap_or(f64::NAN),
    );
    x.partial_cmp(&y).unwrap_or(Ordering::Equal)
}

/// Deep equality in which `1 == 1.0`.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => number_cmp(x, y).is_eq(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, p)| y.get(key).is_some_and(|q| json_eq(p, q)))
        }
        _ => a == b,
    }
}

fn loose_eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None | Some(Value::Null), None | Some(Value::Null)) => true,
        (Some(x), Some(y)) => json_eq(x, y),
        _ => false,
    }
}

fn strict_eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => json_eq(x, y),
        _ => false,
    }
}

/// `needle in haystack`; a missing haystack contains nothing, so optional lists need no guard.
fn contains(haystack: Option<&Value>, needle: Option<&Value>) -> Result<bool, String> {
    match (haystack, needle) {
        (None | Some(Value::Null), _) => Ok(false),
        (Some(Value::String(text)), Some(Value::String(part))) => Ok(text.contains(part.as_str())),
        (Some(Value::Array(items)), _) => {
            Ok(needle.is_some_and(|n| items.iter().any(|item| json_eq(item, n))))
        }
        (Some(Value::Object(members)), Some(Value::String(key))) => Ok(members.contains_key(key)),
        _ => Err(format!(
            "`in` cannot look for {} in {}",
            type_name(needle),
            type_name(haystack)
        )),
    }
}

fn json_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(members) => !members.is_empty(),
    }
}

fn truthy(value: &Val<'_>) -> bool {
    value.json().is_some_and(json_truthy)
}

/// How a value reads inside text: null and undefined as "", containers as compact JSON.
fn to_text(value: Option<&Value>) -> Cow<'_, str> {
    match value {
        None | Some(Value::Null) => Cow::Borrowed(""),
        Some(Value::String(text)) => Cow::Borrowed(text),
        Some(other) => Cow::Owned(other.to_string()),
    }
}

fn concat(left: &str, right: &str) -> Result<String, String> {
    if left.len().saturating_add(right.len()) > MAX_TEXT_BYTES {
        return Err(text_too_long());
    }
    Ok([left, right].concat())
}

fn text_too_long() -> String {
    format!("the text would be longer than {MAX_TEXT_BYTES} bytes")
}

fn type_name(value: Option<&Value>) -> &'static str {
    value.map_or("undefined", portico_model::json_type_name)
}

#[cfg(test)]
mod tests;
