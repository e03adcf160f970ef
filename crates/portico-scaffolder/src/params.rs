//! Checking a task's values against the template's form, on the server:
//! the browser's checks are a convenience, these are the rule.

use serde_json::Value;

use crate::ScaffolderError;

/// One value the form does not accept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// JSON pointer into the values (`/name`, `/ports/0`); a missing
    /// required field is named by its own pointer, not its parent's.
    pub pointer: String,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{pointer}: {}", self.message)
    }
}

/// Validates `values` against every page of the form. Each page is a JSON
/// Schema over the same values object (Backstage's pages share one object).
/// `ui:*` keys are form hints and are not validation keywords: they pass
/// through untouched.
///
/// `Err(InvalidTemplate)` when a page is not a usable schema; otherwise the
/// list of field errors, empty when the values are accepted.
pub fn validate(pages: &[Value], values: &Value) -> Result<Vec<FieldError>, ScaffolderError> {
    let mut errors: Vec<FieldError> = Vec::new();
    if !values.is_object() {
        errors.push(FieldError {
            pointer: String::new(),
            message: "values must be an object".into(),
        });
        return Ok(errors);
    }
    for (i, page) in pages.iter().enumerate() {
        let validator = jsonschema::validator_for(page).map_err(|e| {
            ScaffolderError::InvalidTemplate(format!(
                "spec.parameters[{i}] is not a valid JSON Schema: {e}"
            ))
        })?;
        for error in validator.iter_errors(values) {
            let mut pointer = error.instance_path().to_string();
            if let jsonschema::error::ValidationErrorKind::Required { property } = error.kind() {
                if let Some(name) = property.as_str() {
                    pointer = format!("{pointer}/{}", escape_pointer(name));
                }
            }
            let field = FieldError {
                pointer,
                message: error.to_string(),
            };
            if !errors.contains(&field) {
                errors.push(field);
            }
        }
    }
    Ok(errors)
}

/// RFC 6901: `~` and `/` inside a key.
fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pages() -> Vec<Value> {
        vec![
            json!({
                "title": "Basics",
                "required": ["name", "owner"],
                "properties": {
                    "name": { "type": "string", "pattern": "^[a-z][a-z0-9-]*$", "ui:autofocus": true },
                    "owner": { "type": "string", "ui:field": "OwnerPicker" },
                }
            }),
            json!({
                "properties": {
                    "replicas": { "type": "integer", "minimum": 1, "maximum": 10 },
                    "ports": { "type": "array", "items": { "type": "integer" } },
                    "a/b": { "type": "string" }
                },
                "required": ["a/b"]
            }),
        ]
    }

    #[test]
    fn accepts_good_values() {
        let values =
            json!({ "name": "payments", "owner": "group:default/pay", "replicas": 2, "a/b": "x" });
        assert_eq!(validate(&pages(), &values).unwrap(), vec![]);
    }

    #[test]
    fn names_each_bad_field_by_pointer() {
        let values = json!({ "name": "Payments!", "replicas": 0, "ports": [80, "x"] });
        let errors = validate(&pages(), &values).unwrap();
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        for want in ["/name", "/owner", "/replicas", "/ports/1", "/a~1b"] {
            assert!(pointers.contains(&want), "{want} not in {errors:?}");
        }
        let owner = errors.iter().find(|e| e.pointer == "/owner").unwrap();
        assert!(owner.message.contains("owner"), "{owner}");
        assert!(owner.to_string().starts_with("/owner: "));
    }

    #[test]
    fn values_must_be_an_object_and_pages_must_be_schemas() {
        let errors = validate(&pages(), &json!([1])).unwrap();
        assert_eq!(errors[0].to_string(), "/: values must be an object");
        let bad = vec![json!({ "type": "no-such-type" })];
        let err = validate(&bad, &json!({})).unwrap_err().to_string();
        assert!(
            err.contains("spec.parameters[0] is not a valid JSON Schema"),
            "{err}"
        );
    }
}
