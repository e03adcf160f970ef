//! How pages name and link entities: URLs, display names and the table
//! cell that links an entity ref.

use portico_query::CatalogIndex;
use serde_json::{json, Value};

/// `/catalog/<namespace>/<kind>/<name>`, kind in lower case as Backstage's
/// UI writes it.
pub(crate) fn entity_href(kind: &str, namespace: &str, name: &str) -> String {
    format!(
        "/catalog/{}/{}/{}",
        path_segment(namespace),
        path_segment(&kind.to_lowercase()),
        path_segment(name)
    )
}

/// `/docs/<namespace>/<kind>/<name>/`: the docs reader's root for an
/// entity, the directory URL its pages' relative links need.
pub(crate) fn docs_href(kind: &str, namespace: &str, name: &str) -> String {
    format!(
        "/docs/{}/{}/{}/",
        path_segment(namespace),
        path_segment(&kind.to_lowercase()),
        path_segment(name)
    )
}

/// The page of a `kind:namespace/name` ref.
pub(crate) fn ref_href(key: &str) -> Option<String> {
    let (kind, rest) = key.split_once(':')?;
    let (namespace, name) = rest.split_once('/')?;
    Some(entity_href(kind, namespace, name))
}

/// The string at `pointer`, or `""`.
pub(crate) fn text_at<'a>(entity: &'a Value, pointer: &str) -> &'a str {
    entity
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// `metadata.namespace`, `default` when it is not given.
pub(crate) fn namespace_of(entity: &Value) -> &str {
    match text_at(entity, "/metadata/namespace") {
        "" => "default",
        ns => ns,
    }
}

/// The parts of an entity's own ref.
pub(crate) fn entity_parts(entity: &Value) -> (String, String, String) {
    (
        text_at(entity, "/kind").to_owned(),
        namespace_of(entity).to_owned(),
        text_at(entity, "/metadata/name").to_owned(),
    )
}

pub(crate) fn entity_key(entity: &Value) -> String {
    let (kind, namespace, name) = entity_parts(entity);
    format!("{kind}:{namespace}/{name}").to_lowercase()
}

/// `metadata.title`, else the name.
pub(crate) fn display_name(entity: &Value) -> String {
    entity
        .pointer("/metadata/title")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
        .or_else(|| entity.pointer("/metadata/name").and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned()
}

/// A ref as people read it: without the `default` namespace, and without
/// the kind where the context implies it (`group` for owners).
pub(crate) fn short_ref(key: &str, implied_kind: Option<&str>) -> String {
    let Some((kind, rest)) = key.split_once(':') else {
        return key.to_owned();
    };
    let rest = rest.strip_prefix("default/").unwrap_or(rest);
    if implied_kind.is_some_and(|k| k.eq_ignore_ascii_case(kind)) {
        rest.to_owned()
    } else {
        format!("{kind}:{rest}")
    }
}

/// A cell linking `key`: its title as text when it is in the catalog, the
/// short ref (and no link) when it is not.
pub(crate) fn ref_cell(index: &CatalogIndex, key: &str, implied_kind: Option<&str>) -> Value {
    let key = key.to_lowercase();
    match index.get(&key) {
        Some(entity) => {
            let entity = entity.value();
            json!({
                "href": ref_href(&key),
                "text": display_name(&entity),
                "title": key,
            })
        }
        None => json!({ "text": short_ref(&key, implied_kind) }),
    }
}

/// A lifecycle as a badge cell: production stands out, deprecated warns.
pub(crate) fn lifecycle_cell(lifecycle: &str) -> Value {
    let class = match lifecycle {
        "production" => "badge-ok",
        "deprecated" => "badge-warn",
        _ => "",
    };
    json!({ "badge": lifecycle, "badge_class": class })
}

/// The full ref `spec.owner`-style values stand for (`team-a` → `group:<ns>/team-a`).
pub(crate) fn full_ref(value: &str, default_kind: &str, namespace: &str) -> String {
    let value = value.trim().to_lowercase();
    let (kind, rest) = match value.split_once(':') {
        Some((kind, rest)) => (kind.to_owned(), rest.to_owned()),
        None => (default_kind.to_owned(), value.clone()),
    };
    if rest.contains('/') {
        format!("{kind}:{rest}")
    } else {
        format!("{kind}:{namespace}/{rest}")
    }
}

/// A query string (without `?`) of these pairs.
pub(crate) fn query_string(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// Percent-encodes what a path segment cannot hold as is. Entity names,
/// namespaces and kinds are `[A-Za-z0-9._-]` when valid, so this is
/// rarely more than a copy.
pub(crate) fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Relative time of an epoch-milliseconds instant, e.g. "5 minutes ago",
/// with the absolute UTC time for a tooltip.
pub(crate) fn ago(ms: i64, now_ms: i64) -> String {
    let seconds = (now_ms - ms).max(0) / 1000;
    let (n, unit) = match seconds {
        s if s < 60 => return "just now".to_owned(),
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86_400 => (s / 3600, "hour"),
        s => (s / 86_400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_read_as_people_write_them() {
        assert_eq!(
            short_ref("group:default/payments", Some("group")),
            "payments"
        );
        assert_eq!(short_ref("user:default/jane", Some("group")), "user:jane");
        assert_eq!(short_ref("group:ops/sre", Some("group")), "ops/sre");
        assert_eq!(
            full_ref("team-a", "group", "default"),
            "group:default/team-a"
        );
        assert_eq!(full_ref("User:x/Jane", "group", "default"), "user:x/jane");
        assert_eq!(
            ref_href("component:default/a-b"),
            Some("/catalog/default/component/a-b".into())
        );
        assert_eq!(path_segment("a b/ü"), "a%20b%2F%C3%BC");
        assert_eq!(ago(0, 90_000), "1 minute ago");
        assert_eq!(ago(0, 7_300_000), "2 hours ago");
    }
}
