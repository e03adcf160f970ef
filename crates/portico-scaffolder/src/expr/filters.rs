//! The filters usable after `|`. Names and argument counts are checked by the parser, so a
//! misspelt filter fails before anything is evaluated.

use std::borrow::Cow;

use serde_json::{json, Map, Value};

use super::{access, number_value, text_too_long, to_text, type_name, Val, MAX_TEXT_BYTES};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Filter {
    ParseRepoUrl,
    ParseEntityRef,
    Pick,
    ProjectSlug,
    Lower,
    Upper,
    Trim,
    Capitalize,
    Replace,
    Join,
    Default,
    Dump,
    Length,
    First,
    Last,
    String,
    Int,
    Float,
}

/// Name, filter, fewest and most arguments.
const FILTERS: [(&str, Filter, usize, usize); 18] = [
    ("parseRepoUrl", Filter::ParseRepoUrl, 0, 0),
    ("parseEntityRef", Filter::ParseEntityRef, 0, 1),
    ("pick", Filter::Pick, 1, 1),
    ("projectSlug", Filter::ProjectSlug, 0, 0),
    ("lower", Filter::Lower, 0, 0),
    ("upper", Filter::Upper, 0, 0),
    ("trim", Filter::Trim, 0, 0),
    ("capitalize", Filter::Capitalize, 0, 0),
    ("replace", Filter::Replace, 2, 2),
    ("join", Filter::Join, 0, 1),
    ("default", Filter::Default, 1, 1),
    ("dump", Filter::Dump, 0, 0),
    ("length", Filter::Length, 0, 0),
    ("first", Filter::First, 0, 0),
    ("last", Filter::Last, 0, 0),
    ("string", Filter::String, 0, 0),
    ("int", Filter::Int, 0, 0),
    ("float", Filter::Float, 0, 0),
];

pub(super) fn lookup(name: &str) -> Option<(Filter, usize, usize)> {
    FILTERS
        .iter()
        .find(|entry| entry.0 == name)
        .map(|&(_, filter, min, max)| (filter, min, max))
}

impl Filter {
    fn name(self) -> &'static str {
        FILTERS
            .iter()
            .find(|entry| entry.1 == self)
            .map_or("?", |entry| entry.0)
    }
}

pub(super) fn apply<'c>(
    filter: Filter,
    input: Val<'c>,
    args: &[Val<'c>],
) -> Result<Val<'c>, String> {
    run(filter, input, args).map_err(|message| format!("filter `{}` {message}", filter.name()))
}

fn run<'c>(filter: Filter, input: Val<'c>, args: &[Val<'c>]) -> Result<Val<'c>, String> {
    let arg = |index: usize| args.get(index).and_then(Val::json);
    let value = input.json();
    Ok(match filter {
        Filter::ParseRepoUrl => Val::owned(Value::Object(parse_repo_url(string_input(value)?)?)),
        Filter::ProjectSlug => Val::owned(project_slug(string_input(value)?)?),
        Filter::ParseEntityRef => Val::owned(parse_entity_ref(string_input(value)?, arg(0))?),
        Filter::Pick => {
            let key = match arg(0) {
                Some(Value::String(key)) => key.clone(),
                other => return Err(format!("needs a string key, got {}", type_name(other))),
            };
            match value {
                Some(Value::Object(_)) => access(input, &Value::String(key)),
                None | Some(Value::Null) => Val::Undefined,
                other => return Err(format!("expects an object, got {}", type_name(other))),
            }
        }
        Filter::Lower => Val::owned(text_input(value)?.to_lowercase()),
        Filter::Upper => Val::owned(text_input(value)?.to_uppercase()),
        Filter::Trim => Val::owned(text_input(value)?.trim()),
        Filter::Capitalize => Val::owned(capitalize(&text_input(value)?)),
        Filter::Replace => Val::owned(replace(
            &text_input(value)?,
            &to_text(arg(0)),
            &to_text(arg(1)),
        )?),
        Filter::Join => {
            let separator = arg(0).map_or(Cow::Borrowed(","), |s| to_text(Some(s)));
            Val::owned(join(value, &separator)?)
        }
        Filter::Default => match value {
            None | Some(Value::Null) => args.first().cloned().unwrap_or(Val::Undefined),
            Some(_) => input,
        },
        Filter::Dump => value.map_or(Val::Undefined, |v| Val::owned(v.to_string())),
        Filter::Length => Val::owned(match value {
            None | Some(Value::Null) => 0,
            Some(Value::String(text)) => text.chars().count(),
            Some(Value::Array(items)) => items.len(),
            Some(Value::Object(members)) => members.len(),
            other => {
                return Err(format!(
                    "expects a string, array or object, got {}",
                    type_name(other)
                ))
            }
        }),
        Filter::First | Filter::Last => {
            let len = match value {
                None | Some(Value::Null) => 0,
                Some(Value::String(text)) => text.chars().count(),
                Some(Value::Array(items)) => items.len(),
                other => {
                    return Err(format!(
                        "expects a string or an array, got {}",
                        type_name(other)
                    ))
                }
            };
            let index = if filter == Filter::First {
                0
            } else {
                len.saturating_sub(1)
            };
            if len == 0 {
                Val::Undefined
            } else {
                access(input, &Value::from(index))
            }
        }
        Filter::String => Val::owned(to_text(value).into_owned()),
        Filter::Int => Val::owned(to_int(value)?),
        Filter::Float => Val::owned(to_float(value)?),
    })
}

fn string_input(value: Option<&Value>) -> Result<&str, String> {
    match value {
        Some(Value::String(text)) => Ok(text),
        other => Err(format!("expects a string, got {}", type_name(other))),
    }
}

/// Scalars read as their text and a missing value as "", so that optional parameters can be
/// piped through text filters without guarding them first.
fn text_input(value: Option<&Value>) -> Result<Cow<'_, str>, String> {
    match value {
        Some(Value::Array(_) | Value::Object(_)) => {
            Err(format!("expects text, got {}", type_name(value)))
        }
        _ => Ok(to_text(value)),
    }
}

/// Reads the RepoUrlPicker format `host?owner=o&repo=r&organization=…&workspace=…&project=…`.
fn parse_repo_url(url: &str) -> Result<Map<String, Value>, String> {
    let (host, query) = url.split_once('?').unwrap_or((url, ""));
    if host.is_empty() {
        return Err(format!("found no host in `{url}`"));
    }
    let mut parts = Map::new();
    parts.insert("host".to_owned(), Value::from(host));
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = url_decode(key);
        if matches!(
            key.as_str(),
            "owner" | "repo" | "organization" | "workspace" | "project"
        ) {
            let value = url_decode(value);
            if !value.is_empty() {
                parts.insert(key, Value::from(value));
            }
        }
    }
    if !parts.contains_key("repo") {
        return Err(format!("found no repo in `{url}`"));
    }
    Ok(parts)
}

/// Form decoding as browsers build these query strings: `+` is a space, `%XX` a byte.
fn url_decode(text: &str) -> String {
    let hex = |byte: u8| char::from(byte).to_digit(16);
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let escaped = match (byte, bytes.get(at + 1), bytes.get(at + 2)) {
            (b'%', Some(&high), Some(&low)) => hex(high).zip(hex(low)).map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match (byte, escaped) {
            (_, Some(code)) => {
                decoded.push(u8::try_from(code).unwrap_or(b'?'));
                at += 3;
            }
            (b'+', None) => {
                decoded.push(b' ');
                at += 1;
            }
            (other, None) => {
                decoded.push(other);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn project_slug(url: &str) -> Result<Value, String> {
    let parts = parse_repo_url(url)?;
    let owner = parts
        .get("owner")
        .or_else(|| parts.get("organization"))
        .and_then(Value::as_str)
        .ok_or_else(|| format!("found no owner or organization in `{url}`"))?;
    let repo = parts
        .get("repo")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Ok(Value::from(format!("{owner}/{repo}")))
}

fn parse_entity_ref(reference: &str, options: Option<&Value>) -> Result<Value, String> {
    if !matches!(options, None | Some(Value::Null | Value::Object(_))) {
        return Err(format!(
            "expects an options object, got {}",
            type_name(options)
        ));
    }
    let invalid = |why: &str| format!("cannot read entity reference `{reference}`: {why}");
    let (kind, rest) = match reference.split_once(':') {
        Some((kind, rest)) => (Some(kind), rest),
        None => (None, reference),
    };
    let (namespace, name) = match rest.split_once('/') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, rest),
    };
    if kind == Some("") || namespace == Some("") || name.is_empty() {
        return Err(invalid("a part is empty"));
    }
    if kind.is_some_and(|k| k.contains('/')) || name.contains([':', '/']) {
        return Err(invalid("expected `kind:namespace/name`"));
    }
    let Some(kind) = kind.or(string_option(options, "defaultKind")?) else {
        return Err(invalid("it has no kind and no `defaultKind` was given"));
    };
    let namespace = namespace
        .or(string_option(options, "defaultNamespace")?)
        .unwrap_or("default");
    Ok(json!({ "kind": kind, "namespace": namespace, "name": name }))
}

fn string_option<'v>(options: Option<&'v Value>, name: &str) -> Result<Option<&'v str>, String> {
    match options.and_then(|o| o.get(name)) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        other => Err(format!(
            "needs option `{name}` to be a string, got {}",
            type_name(other)
        )),
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.as_str().to_lowercase().chars())
            .collect(),
        None => String::new(),
    }
}

fn replace(text: &str, from: &str, to: &str) -> Result<String, String> {
    // Replacing "" would insert `to` between every character: surprising, and a cheap way to
    // blow a string up, so it leaves the text unchanged instead.
    if from.is_empty() {
        return Ok(text.to_owned());
    }
    let grown = text.matches(from).count().saturating_mul(to.len());
    if text.len().saturating_add(grown) > MAX_TEXT_BYTES {
        return Err(text_too_long());
    }
    Ok(text.replace(from, to))
}

fn join(value: Option<&Value>, separator: &str) -> Result<String, String> {
    let items = match value {
        None | Some(Value::Null) => return Ok(String::new()),
        Some(Value::Array(items)) => items,
        other => return Err(format!("expects an array, got {}", type_name(other))),
    };
    let mut joined = String::new();
    for (index, item) in items.iter().enumerate() {
        let separator = if index == 0 { "" } else { separator };
        let text = to_text(Some(item));
        if joined
            .len()
            .saturating_add(separator.len())
            .saturating_add(text.len())
            > MAX_TEXT_BYTES
        {
            return Err(text_too_long());
        }
        joined.push_str(separator);
        joined.push_str(&text);
    }
    Ok(joined)
}

fn to_int(value: Option<&Value>) -> Result<Value, String> {
    match value {
        Some(Value::Number(number)) if number.is_i64() || number.is_u64() => {
            Ok(Value::Number(number.clone()))
        }
        Some(Value::Number(number)) => number_value(number.as_f64().unwrap_or(f64::NAN).trunc()),
        Some(Value::String(text)) => match text.trim().parse::<i64>() {
            Ok(integer) => Ok(Value::from(integer)),
            Err(_) => number_value(parse_float(text)?.trunc()),
        },
        other => Err(format!(
            "expects a number or numeric text, got {}",
            type_name(other)
        )),
    }
}

fn to_float(value: Option<&Value>) -> Result<Value, String> {
    match value {
        Some(Value::Number(number)) => Ok(Value::Number(number.clone())),
        Some(Value::String(text)) => number_value(parse_float(text)?),
        other => Err(format!(
            "expects a number or numeric text, got {}",
            type_name(other)
        )),
    }
}

fn parse_float(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(float) if float.is_finite() => Ok(float),
        _ => Err(format!("cannot read {text:?} as a number")),
    }
}
