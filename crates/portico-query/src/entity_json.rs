//! `EntityJson`: a final entity as the compact JSON text the index keeps and serves.
//!
//! A parsed `serde_json::Value` costs about ten times its text (a map node per object, an
//! allocation per string), and every response would serialise it again. The index only needs
//! the entity's search rows to answer queries, so it keeps the text and hands it out verbatim;
//! callers that need the tree (`fields` selection, tests) parse it on demand.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::QueryError;

/// One entity's compact JSON text. Serialises as the JSON itself, not as a string.
pub struct EntityJson(Box<RawValue>);

impl EntityJson {
    /// The JSON text, without insignificant whitespace.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// The entity parsed into a tree. The text was checked when it was made, so parsing
    /// cannot fail; should it anyway, the result is `null` rather than a panic.
    pub fn value(&self) -> Value {
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }

    /// The compact text of `value`.
    pub fn from_value(value: &Value) -> Self {
        // Serialising a `Value` cannot fail (its keys are strings); keep `null` if it did.
        EntityJson(serde_json::value::to_raw_value(value).unwrap_or_else(|_| null()))
    }

    /// The compact JSON of anything serialisable, in its own field order.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::value::to_raw_value(value).map(EntityJson)
    }

    /// Keeps `text` as is when it is already compact, otherwise re-serialises `parsed`, the
    /// tree `text` was parsed into.
    pub(crate) fn from_text(text: &str, parsed: &Value) -> Result<Self, QueryError> {
        if !is_compact(text) {
            return Ok(Self::from_value(parsed));
        }
        RawValue::from_string(text.to_owned())
            .map(EntityJson)
            .map_err(|e| QueryError::InvalidEntity(e.to_string()))
    }
}

fn null() -> Box<RawValue> {
    // "null" is valid JSON; `RawValue::NULL` is a borrowed constant, so copy it.
    RawValue::NULL.to_owned()
}

/// True when `json` has no whitespace outside its strings, as `serde_json::to_string` writes
/// it. Assumes `json` is valid JSON: inside a string, a backslash always escapes one byte.
fn is_compact(json: &str) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    for &b in json.as_bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            return false;
        }
    }
    true
}

impl Serialize for EntityJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl fmt::Debug for EntityJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for EntityJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for EntityJson {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for EntityJson {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_compact_text_and_recompacts_the_rest() {
        let text = r#"{"kind":"A","metadata":{"name":"a b","x":"q\"{ }"}}"#;
        let parsed: Value = serde_json::from_str(text).unwrap();
        let e = EntityJson::from_text(text, &parsed).unwrap();
        assert_eq!(e.as_str(), text);
        assert_eq!(e.value(), parsed);

        let spaced = "{ \"kind\": \"A\",\n \"metadata\": {\"name\": \"a\"} }";
        let parsed: Value = serde_json::from_str(spaced).unwrap();
        let e = EntityJson::from_text(spaced, &parsed).unwrap();
        assert_eq!(e.as_str(), r#"{"kind":"A","metadata":{"name":"a"}}"#);
    }

    #[test]
    fn compactness_tracks_strings_and_escapes() {
        assert!(is_compact(r#"{"a":"x y","b":"\\"}"#));
        assert!(!is_compact(r#"{"a":"\\", "b":1}"#));
        assert!(!is_compact(r#"{"a":"\"" }"#));
        assert!(!is_compact(" 1"));
    }

    #[test]
    fn serialises_verbatim_inside_other_json() {
        let e = EntityJson::from_value(&json!({"kind": "A", "n": [1, 2.5, null]}));
        let out = serde_json::to_string(&json!({"items": [&e]})).unwrap();
        assert_eq!(out, r#"{"items":[{"kind":"A","n":[1,2.5,null]}]}"#);
        #[derive(Serialize)]
        struct Page<'a> {
            items: Vec<&'a EntityJson>,
        }
        let out = serde_json::to_string(&Page { items: vec![&e] }).unwrap();
        assert_eq!(out, r#"{"items":[{"kind":"A","n":[1,2.5,null]}]}"#);
        // Into a tree, it is parsed, not kept as a string.
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"kind": "A", "n": [1, 2.5, null]})
        );
    }

    #[test]
    fn from_serialize_keeps_field_order() {
        #[derive(Serialize)]
        struct E {
            kind: &'static str,
            api_version: &'static str,
        }
        let e = EntityJson::from_serialize(&E {
            kind: "A",
            api_version: "v1",
        })
        .unwrap();
        assert_eq!(e.as_str(), r#"{"kind":"A","api_version":"v1"}"#);
    }
}
