//! Integration tests for portico-model: one binary, one module per area.

// A failed unwrap is a failed test here, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod envelope;
mod examples;
mod kinds;
mod refs;
mod relations;

use portico_model::{validate_entity, Entity, FieldError};
use serde_json::{json, Value};

/// A valid Component to break one field at a time.
pub fn component() -> Value {
    json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": { "name": "artist-web" },
        "spec": { "type": "website", "lifecycle": "production", "owner": "team-a" }
    })
}

/// Sets a dotted path (`metadata.labels.x`) in a JSON value, creating objects on the way.
pub fn set(doc: &mut Value, path: &str, value: Value) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap();
    let mut cur = doc;
    for p in parts {
        cur = cur
            .as_object_mut()
            .unwrap()
            .entry(p.to_string())
            .or_insert_with(|| json!({}));
    }
    cur.as_object_mut().unwrap().insert(last.to_string(), value);
}

/// Removes a dotted path.
pub fn remove(doc: &mut Value, path: &str) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap();
    let mut cur = doc;
    for p in parts {
        cur = cur.get_mut(p).unwrap();
    }
    cur.as_object_mut().unwrap().remove(last);
}

pub fn ok(doc: &Value) -> Entity {
    match validate_entity(doc) {
        Ok(e) => e,
        Err(errs) => panic!("expected valid, got {errs:#?}\nfor {doc:#}"),
    }
}

pub fn errs(doc: &Value) -> Vec<FieldError> {
    match validate_entity(doc) {
        Ok(_) => panic!("expected errors for {doc:#}"),
        Err(errs) => {
            assert!(!errs.is_empty(), "Err with no errors");
            errs
        }
    }
}

pub fn fields(doc: &Value) -> Vec<String> {
    errs(doc).into_iter().map(|e| e.field).collect()
}

/// The message for `field`, failing if there is not exactly one error for it.
pub fn message_for(doc: &Value, field: &str) -> String {
    let all = errs(doc);
    let matching: Vec<_> = all.iter().filter(|e| e.field == field).collect();
    assert_eq!(
        matching.len(),
        1,
        "one error for {field} expected in {all:#?}"
    );
    matching[0].message.clone()
}

/// `doc` with `path` set to `value` must fail with exactly one error, on `field`.
pub fn only_error_on(mut doc: Value, path: &str, value: Value, field: &str) -> String {
    set(&mut doc, path, value.clone());
    let all = errs(&doc);
    assert_eq!(
        all.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
        vec![field],
        "setting {path} = {value}"
    );
    all[0].message.clone()
}

pub fn valid_with(mut doc: Value, path: &str, value: Value) -> Entity {
    set(&mut doc, path, value);
    ok(&doc)
}
