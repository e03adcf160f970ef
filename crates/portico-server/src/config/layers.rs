//! Where settings come from, in order: defaults, each `--config` file (later
//! files override earlier ones, key by key), then `PORTICO__SECTION__KEY`
//! environment overrides. `${VAR}` and `${VAR:-default}` in a file's values
//! are replaced from the environment. Every layer is checked on its own
//! before it is merged, so an unknown key or a wrong type is reported with
//! the file (or variable) it came from and the key's full path.

use std::path::PathBuf;

use serde_yaml::{Mapping, Value};

use super::{Config, ConfigError};

/// The prefix of environment overrides: `PORTICO__SERVER__PORT=8088`.
pub const ENV_PREFIX: &str = "PORTICO__";

/// The configuration from these files and this environment.
pub fn load_layers(files: &[PathBuf], env: &[(String, String)]) -> Result<Config, ConfigError> {
    let lookup = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let mut merged = Value::Mapping(Mapping::new());
    for file in files {
        let origin = file.display().to_string();
        let text = std::fs::read_to_string(file).map_err(|e| ConfigError::Read {
            path: origin.clone(),
            message: e.to_string(),
        })?;
        let parsed: Value = serde_yaml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: origin.clone(),
            message: e.to_string(),
        })?;
        if parsed.is_null() {
            continue; // an empty file
        }
        let layer = substitute(parsed, &lookup, &origin, &mut Vec::new())?;
        check(&layer, &origin)?;
        merge(&mut merged, layer);
    }
    let overrides = env_overrides(env)?;
    check(&overrides, "the environment (PORTICO__ variables)")?;
    merge(&mut merged, overrides);
    typed(merged, "the merged configuration")
}

/// A layer must make a valid configuration by itself (every key has a
/// default), so its mistakes are reported against it.
fn check(layer: &Value, origin: &str) -> Result<(), ConfigError> {
    typed(layer.clone(), origin).map(drop)
}

fn typed(value: Value, origin: &str) -> Result<Config, ConfigError> {
    if value.is_null() {
        return Ok(Config::default());
    }
    serde_path_to_error::deserialize::<_, Config>(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        ConfigError::Parse {
            path: origin.to_owned(),
            message: if path == "." {
                message
            } else {
                format!("{path}: {message}")
            },
        }
    })
}

/// `config` as YAML with its secrets replaced by `***`: tokens, secrets,
/// passwords, and the password in a URL's user part.
pub fn redacted_yaml(config: &Config) -> Result<String, ConfigError> {
    let invalid = |e: serde_yaml::Error| ConfigError::Invalid {
        key: "(all)".to_owned(),
        message: e.to_string(),
    };
    let mut value = serde_yaml::to_value(config).map_err(invalid)?;
    redact(&mut value);
    serde_yaml::to_string(&value).map_err(invalid)
}

fn redact(value: &mut Value) {
    match value {
        Value::Mapping(map) => {
            for (key, value) in map.iter_mut() {
                let key = key.as_str().unwrap_or_default().to_ascii_lowercase();
                let secret = key == "token" || key.ends_with("secret") || key.contains("password");
                match value {
                    Value::Null => {}
                    _ if secret => *value = Value::String("***".to_owned()),
                    Value::String(text) => {
                        if let Some(hidden) = hide_url_password(text) {
                            *text = hidden;
                        }
                    }
                    other => redact(other),
                }
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// `postgres://user:pw@host/db` → `postgres://user:***@host/db`.
fn hide_url_password(text: &str) -> Option<String> {
    let (scheme, rest) = text.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, host) = authority.rsplit_once('@')?;
    let (user, _) = userinfo.split_once(':')?;
    Some(format!("{scheme}://{user}:***@{host}{tail}"))
}

/// `later` over `base`: mappings merge key by key, anything else replaces.
fn merge(base: &mut Value, later: Value) {
    match (base, later) {
        (Value::Mapping(base), Value::Mapping(later)) => {
            for (key, value) in later {
                match base.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, later) => *base = later,
    }
}

/// Replaces `${VAR}` and `${VAR:-default}` in string values. A value that is
/// only a reference takes the variable's YAML type (`port: ${PORT}` is a
/// number); `$${` stands for a literal `${`. An unset variable without a
/// default is an error naming it and the key.
fn substitute(
    value: Value,
    lookup: &dyn Fn(&str) -> Option<String>,
    origin: &str,
    path: &mut Vec<String>,
) -> Result<Value, ConfigError> {
    Ok(match value {
        Value::String(s) => {
            let (text, whole) = expand(&s, lookup).map_err(|name| ConfigError::Parse {
                path: origin.to_owned(),
                message: format!(
                    "{}: the environment variable {name} is not set (write ${{{name}:-default}} for a default)",
                    path.join(".")
                ),
            })?;
            if whole && text != s {
                scalar(&text)
            } else {
                Value::String(text)
            }
        }
        Value::Mapping(map) => {
            let mut out = Mapping::new();
            for (key, value) in map {
                path.push(key.as_str().unwrap_or("?").to_owned());
                let value = substitute(value, lookup, origin, path)?;
                path.pop();
                out.insert(key, value);
            }
            Value::Mapping(out)
        }
        Value::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                path.push(format!("[{i}]"));
                out.push(substitute(item, lookup, origin, path)?);
                path.pop();
            }
            Value::Sequence(out)
        }
        other => other,
    })
}

/// The string with its references replaced, and whether it was exactly one
/// reference; `Err(name)` for an unset variable without a default.
fn expand(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<(String, bool), String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut references = 0;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
            continue;
        }
        let Some(body) = tail.strip_prefix("${") else {
            out.push('$');
            rest = &tail[1..];
            continue;
        };
        let Some(end) = body.find('}') else {
            out.push_str(tail);
            rest = "";
            break;
        };
        let inner = &body[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inner, None),
        };
        let valid = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            // Not a reference (e.g. a template's `${{ }}`): kept as written.
            out.push_str("${");
            rest = body;
            continue;
        }
        match lookup(name).or_else(|| default.map(str::to_owned)) {
            Some(value) => out.push_str(&value),
            None => return Err(name.to_owned()),
        }
        references += 1;
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    let whole =
        references == 1 && s.starts_with("${") && s.ends_with('}') && !s[2..].contains("${");
    Ok((out, whole))
}

/// A value as YAML reads it: `8088` a number, `true` a bool, `[a, b]` a
/// list; what does not parse stays a string.
fn scalar(text: &str) -> Value {
    if text.trim().is_empty() {
        return Value::String(text.to_owned());
    }
    match serde_yaml::from_str::<Value>(text) {
        Ok(Value::Null)
            if !text.trim().is_empty() && text.trim() != "null" && text.trim() != "~" =>
        {
            Value::String(text.to_owned())
        }
        Ok(value) => value,
        Err(_) => Value::String(text.to_owned()),
    }
}

/// `PORTICO__SERVER__PORT=8088` → `server: { port: 8088 }`. Segments are
/// separated by `__`; within one, `_` separates words of a camelCase key
/// (`PORTICO__CATALOG__REFRESH_INTERVAL` → `catalog.refreshInterval`).
fn env_overrides(env: &[(String, String)]) -> Result<Value, ConfigError> {
    let mut root = Value::Mapping(Mapping::new());
    for (name, value) in env {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let keys: Vec<String> = rest.split("__").map(camel).collect();
        if keys.iter().any(String::is_empty) {
            return Err(ConfigError::Parse {
                path: "the environment (PORTICO__ variables)".to_owned(),
                message: format!("{name}: a variable names a key as PORTICO__SECTION__KEY"),
            });
        }
        let mut layer = scalar(value);
        for key in keys.iter().rev() {
            let mut map = Mapping::new();
            map.insert(Value::String(key.clone()), layer);
            layer = Value::Mapping(map);
        }
        merge(&mut root, layer);
    }
    Ok(root)
}

/// `REFRESH_INTERVAL` → `refreshInterval`.
fn camel(segment: &str) -> String {
    let mut out = String::new();
    for (i, word) in segment.split('_').filter(|w| !w.is_empty()).enumerate() {
        let word = word.to_ascii_lowercase();
        if i == 0 {
            out.push_str(&word);
        } else {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.push(first.to_ascii_uppercase());
                out.extend(chars);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{camel, expand, hide_url_password};

    #[test]
    fn passwords_in_urls_are_hidden() {
        assert_eq!(
            hide_url_password("postgres://portico:s3cret@db:5432/portico").as_deref(),
            Some("postgres://portico:***@db:5432/portico")
        );
        assert_eq!(hide_url_password("postgres://db/portico"), None);
        assert_eq!(hide_url_password("sqlite://data/portico.db"), None);
    }

    fn env(name: &str) -> Option<String> {
        match name {
            "PORT" => Some("8088".into()),
            "HOST" => Some("db.internal".into()),
            _ => None,
        }
    }

    #[test]
    fn references_are_replaced_and_others_kept() {
        assert_eq!(expand("${PORT}", &env), Ok(("8088".into(), true)));
        assert_eq!(
            expand("postgres://${HOST}:${DB_PORT:-5432}/p", &env),
            Ok(("postgres://db.internal:5432/p".into(), false))
        );
        assert_eq!(expand("${MISSING}", &env), Err("MISSING".into()));
        assert_eq!(
            expand("$${PORT} $5 ${{ x }}", &env),
            Ok(("${PORT} $5 ${{ x }}".into(), false))
        );
        assert_eq!(expand("${EMPTY:-}", &env), Ok(("".into(), true)));
    }

    #[test]
    fn segments_become_camel_case_keys() {
        assert_eq!(camel("SERVER"), "server");
        assert_eq!(camel("REFRESH_INTERVAL"), "refreshInterval");
        assert_eq!(camel("DATA_DIR"), "dataDir");
    }
}
