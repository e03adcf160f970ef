//! The `fields` parameter: returning only some dotted paths of each entity.

use serde_json::{Map, Value};

/// Splits `fields` parameters (each comma-separated) into dotted paths, dropping empty ones.
pub fn parse_fields(params: &[String]) -> Vec<String> {
    params
        .iter()
        .flat_map(|p| p.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Finds `segments` under `value`. Object keys may themselves contain dots (annotation keys
/// such as `backstage.io/techdocs-ref`), so after trying one segment as a key, longer runs of
/// segments joined by dots are tried too. A numeric segment indexes an array.
fn resolve<'a>(value: &'a Value, segments: &[&str]) -> Option<(Vec<Step>, &'a Value)> {
    if segments.is_empty() {
        return Some((Vec::new(), value));
    }
    match value {
        Value::Object(map) => {
            let mut key = String::new();
            for (i, seg) in segments.iter().enumerate() {
                if i > 0 {
                    key.push('.');
                }
                key.push_str(seg);
                if let Some(child) = map.get(&key) {
                    if let Some((mut steps, found)) = resolve(child, &segments[i + 1..]) {
                        steps.insert(0, Step::Key(key));
                        return Some((steps, found));
                    }
                }
            }
            None
        }
        Value::Array(items) => {
            let index: usize = segments[0].parse().ok()?;
            let (mut steps, found) = resolve(items.get(index)?, &segments[1..])?;
            steps.insert(0, Step::Index(index));
            Some((steps, found))
        }
        _ => None,
    }
}

fn place(target: &mut Value, steps: &[Step], value: Value) {
    let Some((step, rest)) = steps.split_first() else {
        *target = value;
        return;
    };
    match step {
        Step::Key(k) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Value::Object(map) = target {
                place(map.entry(k.clone()).or_insert(Value::Null), rest, value);
            }
        }
        Step::Index(i) => {
            if !target.is_array() {
                *target = Value::Array(Vec::new());
            }
            if let Value::Array(items) = target {
                if items.len() <= *i {
                    items.resize(*i + 1, Value::Null);
                }
                place(&mut items[*i], rest, value);
            }
        }
    }
}

/// Keeps only the given dotted paths of `entity`, preserving the nesting
/// (`metadata.name` gives `{"metadata": {"name": ...}}`). Paths that do not exist are left out;
/// a path ending at an array or object keeps it whole. An empty list returns the whole entity.
pub fn select_fields(entity: &Value, fields: &[String]) -> Value {
    if fields.is_empty() {
        return entity.clone();
    }
    let mut out = Value::Object(Map::new());
    for field in fields {
        let segments: Vec<&str> = field.split('.').collect();
        if let Some((steps, found)) = resolve(entity, &segments) {
            place(&mut out, &steps, found.clone());
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_comma_separated_params() {
        assert_eq!(
            parse_fields(&fields(&["metadata.name, kind", "", "spec.owner,"])),
            fields(&["metadata.name", "kind", "spec.owner"])
        );
    }

    #[test]
    fn selects_nested_paths_and_skips_missing() {
        let e = json!({
            "kind": "Component",
            "metadata": {"name": "a", "namespace": "default",
                         "annotations": {"backstage.io/techdocs-ref": "dir:.", "x": "y"},
                         "tags": ["t1", "t2"]},
            "spec": {"owner": "me", "type": "service"},
            "relations": [{"type": "ownedBy", "targetRef": "group:default/me"},
                          {"type": "partOf", "targetRef": "system:default/s"}]
        });
        let got = select_fields(
            &e,
            &fields(&[
                "kind",
                "metadata.name",
                "metadata.annotations.backstage.io/techdocs-ref",
                "metadata.tags",
                "spec.missing",
                "nope.deeper",
                "relations.1.targetRef",
            ]),
        );
        assert_eq!(
            got,
            json!({
                "kind": "Component",
                "metadata": {"name": "a",
                             "annotations": {"backstage.io/techdocs-ref": "dir:."},
                             "tags": ["t1", "t2"]},
                "relations": [null, {"targetRef": "system:default/s"}]
            })
        );
    }

    #[test]
    fn whole_arrays_and_objects_and_empty_list() {
        let e = json!({"kind": "A", "spec": {"a": [1, {"b": 2}]}, "relations": []});
        assert_eq!(
            select_fields(&e, &fields(&["spec", "relations"])),
            json!({"spec": {"a": [1, {"b": 2}]}, "relations": []})
        );
        assert_eq!(select_fields(&e, &[]), e);
        assert_eq!(select_fields(&e, &fields(&["spec.a.name"])), json!({}));
    }
}
