//! Turns an entity into Backstage's search rows: the key/value pairs filters, ordering, facets
//! and full-text matching work on.

use serde_json::Value;

use crate::QueryError;

/// Paths the generic walk skips: not useful to match on, or added explicitly below so they
/// are present even when absent from the entity (compared as written, like Backstage does).
const SPECIAL_KEYS: [&str; 7] = [
    "attachments",
    "relations",
    "status",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "metadata.etag",
];

/// Backstage caps keys and values at 200 characters because its search columns are indexed;
/// we keep the same caps so the same filters match the same entities.
const MAX_KEY_LENGTH: usize = 200;
const MAX_VALUE_LENGTH: usize = 200;

pub(crate) const DEFAULT_NAMESPACE: &str = "default";

/// One search row. `value` is `None` for null and over-long values: the key still "exists".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    pub key: String,
    pub value: Option<RowValue>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowValue {
    pub original: String,
    pub lower: String,
}

/// What identifies an entity in the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    pub entity_ref: String,
    pub uid: Option<String>,
}

fn non_empty_str(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.is_empty())
}

pub(crate) fn identity(entity: &Value) -> Result<Identity, QueryError> {
    let obj = entity
        .as_object()
        .ok_or_else(|| QueryError::InvalidEntity("entity must be a JSON object".into()))?;
    let kind = non_empty_str(obj.get("kind"))
        .ok_or_else(|| QueryError::InvalidEntity("entity has no 'kind' string".into()))?;
    let metadata = obj
        .get("metadata")
        .and_then(Value::as_object)
        .ok_or_else(|| QueryError::InvalidEntity("entity has no 'metadata' object".into()))?;
    let name = non_empty_str(metadata.get("name"))
        .ok_or_else(|| QueryError::InvalidEntity("entity has no 'metadata.name' string".into()))?;
    let namespace = match metadata.get("namespace") {
        None | Some(Value::Null) => DEFAULT_NAMESPACE,
        Some(Value::String(s)) if s.is_empty() => DEFAULT_NAMESPACE,
        Some(Value::String(s)) => s.as_str(),
        Some(_) => {
            return Err(QueryError::InvalidEntity(format!(
                "'metadata.namespace' of {kind}:{name} must be a string"
            )))
        }
    };
    let uid = metadata
        .get("uid")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(Identity {
        entity_ref: format!("{kind}:{namespace}/{name}").to_lowercase(),
        uid,
    })
}

/// Normalises a ref given by a caller to the index key: lower-cased, and `kind:name` gets the
/// default namespace.
pub(crate) fn normalize_ref(entity_ref: &str) -> String {
    let lower = entity_ref.trim().to_lowercase();
    match lower.split_once(':') {
        Some((kind, rest)) if !rest.contains('/') => format!("{kind}:{DEFAULT_NAMESPACE}/{rest}"),
        _ => lower,
    }
}

/// Renders a number the way JavaScript's `String(n)` does for the common cases, so `1.0` in
/// YAML matches the filter `x=1` as it does in Backstage.
fn number_string(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        _ => n.to_string(),
    }
}

struct Flattener {
    rows: Vec<Row>,
}

impl Flattener {
    fn push(&mut self, raw_key: &str, value: Option<String>) {
        let key = raw_key.to_lowercase();
        if key.chars().count() > MAX_KEY_LENGTH {
            return;
        }
        let value = value.and_then(|original| {
            let lower = original.to_lowercase();
            (lower.chars().count() <= MAX_VALUE_LENGTH).then_some(RowValue { original, lower })
        });
        self.rows.push(Row { key, value });
    }

    fn visit(&mut self, path: &mut String, current: &Value) {
        if SPECIAL_KEYS.contains(&path.as_str()) {
            return;
        }
        match current {
            Value::Null => self.push(path, None),
            Value::Bool(b) => self.push(path, Some(b.to_string())),
            Value::Number(n) => self.push(path, Some(number_string(n))),
            Value::String(s) => self.push(path, Some(s.clone())),
            Value::Array(items) => {
                for item in items {
                    self.visit(path, item);
                    // `metadata.tags.java = true` lets one filter param require several tags
                    // at once (`metadata.tags.java,metadata.tags.rust`), which repeating the
                    // key cannot express because repeated keys mean "any of".
                    if let Value::String(s) = item {
                        let item_key = format!("{path}.{s}");
                        let lower = item_key.to_lowercase();
                        if !self.rows.iter().any(|r| r.key == lower) {
                            self.push(&item_key, Some("true".into()));
                        }
                    }
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    self.visit(path, v);
                    path.truncate(len);
                }
            }
        }
    }
}

fn string_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The search rows of an entity, keys lower-cased, in document order.
pub(crate) fn flatten(entity: &Value) -> Vec<Row> {
    let mut f = Flattener { rows: Vec::new() };
    let mut path = String::new();
    f.visit(&mut path, entity);

    let metadata = entity.get("metadata");
    let meta_str = |key: &str| metadata.and_then(|m| string_at(m, key)).map(str::to_owned);
    f.push("metadata.name", meta_str("name"));
    let namespace = meta_str("namespace").filter(|n| !n.is_empty());
    let has_namespace = namespace.is_some();
    f.push("metadata.namespace", namespace);
    if !has_namespace {
        f.push("metadata.namespace", Some(DEFAULT_NAMESPACE.into()));
    }
    f.push("metadata.uid", meta_str("uid"));

    if let Some(relations) = entity.get("relations").and_then(Value::as_array) {
        for relation in relations {
            let Some(relation_type) = string_at(relation, "type") else {
                continue;
            };
            f.push(
                &format!("relations.{relation_type}"),
                relation_target(relation),
            );
        }
    }
    f.rows
}

/// `targetRef`, or for relations written in the older compound form, the ref built from
/// `target: { kind, namespace, name }`.
fn relation_target(relation: &Value) -> Option<String> {
    if let Some(r) = string_at(relation, "targetRef") {
        return Some(r.to_owned());
    }
    let target = relation.get("target")?;
    let kind = string_at(target, "kind")?;
    let name = string_at(target, "name")?;
    let namespace = string_at(target, "namespace").unwrap_or(DEFAULT_NAMESPACE);
    Some(format!("{kind}:{namespace}/{name}").to_lowercase())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(entity: &Value) -> Vec<(String, Option<String>)> {
        flatten(entity)
            .into_iter()
            .map(|r| (r.key, r.value.map(|v| v.original)))
            .collect()
    }

    fn has(rows: &[(String, Option<String>)], key: &str, value: Option<&str>) -> bool {
        rows.iter().any(|(k, v)| k == key && v.as_deref() == value)
    }

    #[test]
    fn flattens_like_backstage_search_table() {
        let e = json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {
                "name": "Svc", "uid": "u1", "etag": "e1",
                "tags": ["Java", "java", "Rust"],
                "annotations": {"backstage.io/techdocs-ref": "dir:."},
                "nothing": null,
                "long": "x".repeat(201),
            },
            "spec": {"type": "Service", "port": 8080, "ratio": 2.0, "public": true,
                     "apis": [{"name": "a"}, {"name": "b"}]},
            "status": {"items": [{"level": "error"}]},
            "relations": [{"type": "ownedBy", "targetRef": "group:default/Team-A"},
                          {"type": "partOf", "target": {"kind": "System", "namespace": "default", "name": "S"}}],
        });
        let r = rows(&e);
        assert!(has(&r, "kind", Some("Component")));
        assert!(has(&r, "metadata.name", Some("Svc")));
        assert!(has(&r, "metadata.namespace", None));
        assert!(has(&r, "metadata.namespace", Some("default")));
        assert!(has(&r, "metadata.uid", Some("u1")));
        assert!(!r.iter().any(|(k, _)| k == "metadata.etag"));
        assert!(!r.iter().any(|(k, _)| k.starts_with("status")));
        assert!(has(&r, "metadata.tags", Some("Java")));
        assert!(has(&r, "metadata.tags", Some("java")));
        assert!(has(&r, "metadata.tags.java", Some("true")));
        assert!(has(&r, "metadata.tags.rust", Some("true")));
        assert_eq!(
            r.iter().filter(|(k, _)| k == "metadata.tags.java").count(),
            1
        );
        assert!(has(
            &r,
            "metadata.annotations.backstage.io/techdocs-ref",
            Some("dir:.")
        ));
        assert!(has(&r, "metadata.nothing", None));
        assert!(has(&r, "metadata.long", None));
        assert!(has(&r, "spec.port", Some("8080")));
        assert!(has(&r, "spec.ratio", Some("2")));
        assert!(has(&r, "spec.public", Some("true")));
        assert!(has(&r, "spec.apis.name", Some("a")));
        assert!(has(&r, "spec.apis.name", Some("b")));
        assert!(has(&r, "relations.ownedby", Some("group:default/Team-A")));
        assert!(has(&r, "relations.partof", Some("system:default/s")));
        let lower = flatten(&e)
            .into_iter()
            .find(|r| r.key == "spec.type")
            .and_then(|r| r.value)
            .map(|v| v.lower);
        assert_eq!(lower.as_deref(), Some("service"));
    }

    #[test]
    fn skips_over_long_keys() {
        let long_key = "k".repeat(250);
        let e = json!({"kind": "A", "metadata": {"name": "a"}, "spec": {long_key: "v"}});
        assert!(!rows(&e).iter().any(|(k, _)| k.starts_with("spec.")));
    }

    #[test]
    fn identity_requires_kind_and_name() {
        let id =
            identity(&json!({"kind": "Component", "metadata": {"name": "A", "uid": "x"}})).unwrap();
        assert_eq!(id.entity_ref, "component:default/a");
        assert_eq!(id.uid.as_deref(), Some("x"));
        let id = identity(&json!({"kind": "API", "metadata": {"name": "A", "namespace": "Ops"}}))
            .unwrap();
        assert_eq!(id.entity_ref, "api:ops/a");
        for bad in [
            json!([]),
            json!({"metadata": {"name": "a"}}),
            json!({"kind": "A"}),
            json!({"kind": "A", "metadata": {"name": ""}}),
            json!({"kind": "A", "metadata": {"name": "a", "namespace": 3}}),
        ] {
            assert!(
                matches!(identity(&bad), Err(QueryError::InvalidEntity(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn normalizes_refs() {
        assert_eq!(
            normalize_ref(" Component:Default/A "),
            "component:default/a"
        );
        assert_eq!(normalize_ref("Component:A"), "component:default/a");
    }
}
