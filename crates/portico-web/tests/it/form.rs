//! Template forms from JSON Schema, and submitted forms back to values.

use std::collections::BTreeMap;

use portico_web::form::{form_pages, form_values, review_rows};
use serde_json::{json, Value};

fn parameters() -> Value {
    json!([
        {
            "title": "Service",
            "required": ["name", "owner"],
            "properties": {
                "name": { "title": "Name", "type": "string", "pattern": "^[a-z]+$" },
                "owner": { "title": "Owner", "type": "string", "ui:field": "OwnerPicker" },
                "lifecycle": { "type": "string", "enum": ["experimental", "production"], "default": "experimental" },
                "notes": { "type": "string", "ui:widget": "textarea" }
            }
        },
        {
            "properties": {
                "port": { "title": "Port", "type": "integer", "minimum": 1024, "default": 8080 },
                "public": { "title": "Public", "type": "boolean" },
                "tags": { "type": "array", "items": { "type": "string" } },
                "database": { "type": "string", "enum": ["none", "postgres"] }
            },
            "dependencies": {
                "database": {
                    "oneOf": [
                        { "properties": { "database": { "enum": ["none"] } } },
                        { "properties": { "database": { "enum": ["postgres"] }, "dbName": { "title": "Database name", "type": "string" } }, "required": ["dbName"] }
                    ]
                }
            }
        }
    ])
}

fn owners(schema: &Value) -> Option<Vec<(String, String)>> {
    (schema.get("ui:field").and_then(Value::as_str) == Some("OwnerPicker"))
        .then(|| vec![("group:default/payments".to_owned(), "Payments".to_owned())])
}

#[test]
fn fields_follow_the_schema() {
    let mut errors = BTreeMap::new();
    errors.insert("/name".to_owned(), "does not match ^[a-z]+$".to_owned());
    let pages = form_pages(
        &parameters(),
        &json!({ "name": "Bad Name" }),
        &errors,
        &owners,
    );
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].title, "Service");
    assert_eq!(pages[1].title, "Step 2");
    let field = |page: usize, name: &str| {
        pages[page]
            .fields
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    let name = field(0, "name");
    assert!(name.required);
    assert_eq!(name.value, "Bad Name");
    assert_eq!(name.error.as_deref(), Some("does not match ^[a-z]+$"));
    let owner = field(0, "owner");
    assert_eq!(owner.widget, "select");
    assert_eq!(owner.options[0].value, "group:default/payments");
    let lifecycle = field(0, "lifecycle");
    assert_eq!(lifecycle.widget, "select");
    assert!(lifecycle
        .options
        .iter()
        .any(|o| o.value == "experimental" && o.selected));
    assert_eq!(field(0, "notes").widget, "textarea");
    let port = field(1, "port");
    assert_eq!((port.input_type, port.value.as_str()), ("number", "8080"));
    assert_eq!(port.min.as_deref(), Some("1024"));
    assert_eq!(field(1, "public").widget, "checkbox");
    let db_name = field(1, "dbName");
    assert!(db_name.required);
    let show_if = db_name.show_if.unwrap();
    assert_eq!(
        (show_if.field.as_str(), show_if.value.as_str()),
        ("database", "postgres")
    );
}

#[test]
fn submitted_forms_become_typed_values() {
    let form: Vec<(String, String)> = [
        ("name", "orders"),
        ("owner", "group:default/payments"),
        ("notes", "  "),
        ("port", "9090"),
        ("public", "false"),
        ("public", "true"),
        ("tags", "a, b,,c"),
        ("unknown", "x"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let values = form_values(&parameters(), &form);
    assert_eq!(
        values,
        json!({ "name": "orders", "owner": "group:default/payments", "port": 9090, "public": true, "tags": ["a", "b", "c"] })
    );
    // Text that is no number stays text, for validation to name.
    let values = form_values(&parameters(), &[("port".to_owned(), "eighty".to_owned())]);
    assert_eq!(values, json!({ "port": "eighty" }));
    let rows = review_rows(
        &parameters(),
        &json!({ "name": "orders", "public": false, "tags": ["a", "b"] }),
    );
    assert_eq!(
        rows,
        [
            ("Name".to_owned(), "orders".to_owned()),
            ("Public".to_owned(), "No".to_owned()),
            ("tags".to_owned(), "a, b".to_owned())
        ]
    );
}
