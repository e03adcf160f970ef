//! Backstage's validation rules for the envelope and the built-in kinds.
//!
//! Every rule is checked and every failure reported, so a catalog author sees
//! all problems of a file at once instead of fixing them one by one.

mod envelope;
mod kinds;
pub mod rules;

use serde_json::Value;

use crate::entity::Entity;

pub use kinds::{api_versions_for_kind, is_builtin_kind, BUILTIN_KINDS};
pub use rules::{
    is_valid_annotation_key, is_valid_api_version, is_valid_dns_label, is_valid_dns_subdomain,
    is_valid_entity_name, is_valid_kind, is_valid_label_key, is_valid_label_value,
    is_valid_namespace, is_valid_tag, is_valid_url,
};

/// The root fields an entity may have; any other is an error.
pub const ROOT_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "spec",
    "relations",
    "status",
];

/// Keys that `spec`, `metadata.labels` and `metadata.annotations` may not use,
/// because they name envelope fields (Backstage's reserved-fields policy).
pub const RESERVED_KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "uid",
    "etag",
    "generation",
    "name",
    "namespace",
    "labels",
    "annotations",
    "spec",
];

/// One broken rule, naming the dotted field path (`metadata.tags[1]`).
/// The path is empty when the document itself is not an object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A format rule failed: `"<field>" is not valid; expected <rule> but found "<value>".`
    pub fn invalid(field: impl Into<String>, rule: &str, value: &str) -> Self {
        let field = field.into();
        let message = format!(
            "\"{field}\" is not valid; expected {rule} but found \"{}\".",
            shorten(value)
        );
        FieldError { field, message }
    }

    /// A field has the wrong JSON type: `"<field>" must be <what>`.
    pub fn must_be(field: impl Into<String>, what: &str) -> Self {
        let field = field.into();
        let message = format!("\"{field}\" must be {what}");
        FieldError { field, message }
    }

    /// A field a built-in kind needs is absent.
    pub fn required_for_kind(field: impl Into<String>, kind: &str) -> Self {
        let field = field.into();
        let message = format!("\"{field}\" is required for kind {kind}");
        FieldError { field, message }
    }
}

/// Long values (a whole inline API definition, say) would drown the message.
fn shorten(value: &str) -> String {
    const MAX: usize = 200;
    match value.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &value[..cut]),
        None => value.to_string(),
    }
}

/// A JSON type's name for messages, with its article (`a string`).
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Validates a raw document against the envelope rules and, for the built-in
/// kinds, their required spec fields; returns the typed entity or every error.
pub fn validate_entity(raw: &Value) -> Result<Entity, Vec<FieldError>> {
    let Some(root) = raw.as_object() else {
        return Err(vec![FieldError::new(
            "",
            format!("an entity must be an object, but found {}", type_name(raw)),
        )]);
    };
    let mut errors = Vec::new();
    let parsed = envelope::check(root, &mut errors);
    // Kind names match case-sensitively, as in Backstage: `component` is not
    // a built-in kind and gets only the envelope rules.
    if let Some(kind) = parsed.kind.as_deref().filter(|k| is_builtin_kind(k)) {
        kinds::check(
            kind,
            parsed.api_version.as_deref(),
            root.get("spec"),
            &mut errors,
        );
    }
    match parsed.into_entity() {
        Some(entity) if errors.is_empty() => Ok(entity),
        _ => Err(errors),
    }
}
