//! Integration tests of the public API of portico-query.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cursors;
mod entities;
mod facets;
mod filters;
mod full_text;
mod ordering;
mod perf;

use portico_query::{CatalogIndex, EntityFilter, EntityJson, ListRequest};
use serde_json::{json, Value};

/// A minimal entity; `extra` is merged into the top level (objects merge one level deep).
pub fn entity(kind: &str, name: &str, extra: Value) -> Value {
    let mut e = json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, "uid": format!("uid-{}-{}", kind.to_lowercase(), name)},
    });
    if let (Some(obj), Some(extra)) = (e.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            match (obj.get_mut(k), v) {
                (Some(Value::Object(have)), Value::Object(add)) => {
                    for (k2, v2) in add {
                        have.insert(k2.clone(), v2.clone());
                    }
                }
                _ => {
                    obj.insert(k.clone(), v.clone());
                }
            }
        }
    }
    e
}

pub fn index_of(entities: Vec<Value>) -> CatalogIndex {
    let mut idx = CatalogIndex::new();
    for e in entities {
        idx.upsert(e).unwrap();
    }
    idx
}

pub fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Names (`metadata.name`) of the entities a filter selects, in default order.
pub fn names_matching(idx: &CatalogIndex, filter: &[&str]) -> Vec<String> {
    let req = ListRequest {
        filter: EntityFilter::parse(&strings(filter)).unwrap(),
        ..ListRequest::default()
    };
    names(&idx.list(&req).items)
}

pub fn names(items: &[std::sync::Arc<EntityJson>]) -> Vec<String> {
    items.iter().map(|e| name_of(&e.value())).collect()
}

pub fn name_of(e: &Value) -> String {
    e["metadata"]["name"].as_str().unwrap_or("?").to_string()
}
