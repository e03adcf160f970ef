//! Field paths of the generic check: `spec.type`,
//! `metadata.annotations[github.com/project-slug]`, `metadata.tags[0]`.

use serde_json::Value;

/// The value at `path`, or `None` where the path leads nowhere.
pub fn lookup<'a>(entity: &'a Value, path: &str) -> Option<&'a Value> {
    let mut value = entity;
    for segment in segments(path) {
        value = match value {
            Value::Object(map) => map.get(&segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// `a.b[c.d].e` → `a`, `b`, `c.d`, `e`: brackets hold keys with dots.
fn segments(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            '[' => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                let key: String = chars.by_ref().take_while(|c| *c != ']').collect();
                out.push(key);
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_and_bracketed_paths() {
        let entity = json!({
            "spec": { "type": "service" },
            "metadata": { "annotations": { "github.com/project-slug": "org/repo" }, "tags": ["go"] }
        });
        assert_eq!(lookup(&entity, "spec.type"), Some(&json!("service")));
        assert_eq!(
            lookup(&entity, "metadata.annotations[github.com/project-slug]"),
            Some(&json!("org/repo"))
        );
        assert_eq!(lookup(&entity, "metadata.tags[0]"), Some(&json!("go")));
        assert_eq!(lookup(&entity, "metadata.tags.1"), None);
        assert_eq!(lookup(&entity, "spec.owner"), None);
    }
}
