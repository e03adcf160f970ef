//! Template forms generated from JSON Schema: the fields of each parameter
//! page, and the values a submitted form stands for.
//!
//! What a form can show: strings (text, URL, e-mail, multi-line), numbers,
//! booleans, enums as selects, owner and entity pickers as selects of
//! catalog entities, arrays of strings as comma-separated text, and fields
//! that only apply for one value of another (`dependencies` with `oneOf`).
//! Objects and other shapes are left to the template's defaults.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Map, Value};

/// One page of a template's parameters.
#[derive(Debug, Clone, Serialize)]
pub struct FormPage {
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub fields: Vec<Field>,
}

/// A choice of a select.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A field shown only while another field has a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShowIf {
    pub field: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    /// The element id (`p-<name>`).
    pub id: String,
    /// The form field name: the parameter's name.
    pub name: String,
    /// Where validation errors point (`/name`).
    pub pointer: String,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub required: bool,
    /// `text`, `textarea`, `select` or `checkbox`.
    pub widget: &'static str,
    /// For `text`: the input type (`text`, `url`, `email`, `number`).
    pub input_type: &'static str,
    pub value: String,
    pub checked: bool,
    pub options: Vec<Choice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_if: Option<ShowIf>,
}

/// How a field's value is read back from the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Text,
    Integer,
    Number,
    Boolean,
    List,
}

/// The pages of a template's `spec.parameters` (one object or a list of
/// them), with `values` filled in (else schema defaults), `errors` (JSON
/// pointer → message) next to their fields, and `choices` answering for
/// picker fields (`ui:field: OwnerPicker`, `EntityPicker`…): given the
/// field's schema, the entities to choose from as (ref, label).
pub fn form_pages(
    parameters: &Value,
    values: &Value,
    errors: &BTreeMap<String, String>,
    choices: &Choices<'_>,
) -> Vec<FormPage> {
    pages_of(parameters)
        .into_iter()
        .enumerate()
        .map(|(i, page)| FormPage {
            title: str_of(page, "title").unwrap_or_else(|| {
                if i == 0 {
                    "Details".to_owned()
                } else {
                    format!("Step {}", i + 1)
                }
            }),
            description: str_of(page, "description"),
            fields: page_fields(page)
                .into_iter()
                .map(|(name, schema, required, show_if)| {
                    field(&name, schema, required, show_if, values, errors, choices)
                })
                .collect(),
        })
        .collect()
}

/// The values a submitted form stands for: each known field's text turned
/// into the type its schema asks for. Text that does not parse (`abc` for
/// an integer) is kept as text, for validation to name; empty fields are
/// left out. Unknown form fields are ignored.
pub fn form_values(parameters: &Value, form: &[(String, String)]) -> Value {
    let mut out = Map::new();
    for page in pages_of(parameters) {
        for (name, schema, _, _) in page_fields(page) {
            let submitted: Vec<&str> = form
                .iter()
                .filter(|(k, _)| *k == name)
                .map(|(_, v)| v.as_str())
                .collect();
            if submitted.is_empty() {
                continue;
            }
            let value = match shape(schema) {
                Shape::Boolean => Some(Value::Bool(submitted.contains(&"true"))),
                shape => submitted
                    .last()
                    .map(|text| text.trim())
                    .filter(|text| !text.is_empty())
                    .map(|text| typed(shape, text)),
            };
            if let Some(value) = value {
                out.insert(name, value);
            }
        }
    }
    Value::Object(out)
}

/// `(label, shown value)` of every field with a value, for the review step.
pub fn review_rows(parameters: &Value, values: &Value) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    for page in pages_of(parameters) {
        for (name, schema, _, _) in page_fields(page) {
            let Some(value) = values.get(&name) else {
                continue;
            };
            let shown = match value {
                Value::Bool(true) => "Yes".to_owned(),
                Value::Bool(false) => "No".to_owned(),
                other => shown(other),
            };
            rows.push((str_of(schema, "title").unwrap_or(name), shown));
        }
    }
    rows
}

fn pages_of(parameters: &Value) -> Vec<&Value> {
    match parameters {
        Value::Array(pages) => pages.iter().filter(|p| p.is_object()).collect(),
        Value::Object(_) => vec![parameters],
        _ => Vec::new(),
    }
}

type PageField<'a> = (String, &'a Value, bool, Option<ShowIf>);

/// What a picker field offers: given the field's schema, the entities to
/// choose from as (ref, label); `None` for a field that is no picker.
pub type Choices<'a> = dyn Fn(&Value) -> Option<Vec<(String, String)>> + 'a;

/// A page's properties in order, then those its `dependencies` add.
fn page_fields(page: &Value) -> Vec<PageField<'_>> {
    let required = |schema: &Value, name: &str| {
        schema
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|v| v.as_str() == Some(name)))
    };
    let mut fields: Vec<PageField<'_>> = Vec::new();
    if let Some(properties) = page.get("properties").and_then(Value::as_object) {
        for (name, schema) in properties {
            fields.push((name.clone(), schema, required(page, name), None));
        }
    }
    let Some(dependencies) = page.get("dependencies").and_then(Value::as_object) else {
        return fields;
    };
    for (trigger, dependency) in dependencies {
        let branches = dependency
            .get("oneOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for branch in branches {
            let Some(properties) = branch.get("properties").and_then(Value::as_object) else {
                continue;
            };
            // The branch applies when the trigger has its one enum value.
            let Some(when) = properties
                .get(trigger)
                .and_then(|t| t.get("enum").or_else(|| t.get("const")))
                .and_then(|e| match e {
                    Value::Array(values) if values.len() == 1 => values.first(),
                    Value::Array(_) => None,
                    single => Some(single),
                })
            else {
                continue;
            };
            let when = match when {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            for (name, schema) in properties {
                if name == trigger || fields.iter().any(|(n, ..)| n == name) {
                    continue;
                }
                let show_if = ShowIf {
                    field: trigger.clone(),
                    value: when.clone(),
                };
                fields.push((name.clone(), schema, required(branch, name), Some(show_if)));
            }
        }
    }
    fields
}

fn str_of(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
}

fn shape(schema: &Value) -> Shape {
    match schema.get("type").and_then(Value::as_str) {
        Some("boolean") => Shape::Boolean,
        Some("integer") => Shape::Integer,
        Some("number") => Shape::Number,
        Some("array") => Shape::List,
        _ => Shape::Text,
    }
}

fn typed(shape: Shape, text: &str) -> Value {
    match shape {
        Shape::Integer => text
            .parse::<i64>()
            .map_or_else(|_| json!(text), |n| json!(n)),
        Shape::Number => text
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map_or_else(|| json!(text), |n| json!(n)),
        Shape::List => Value::Array(
            text.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| json!(s))
                .collect(),
        ),
        Shape::Text | Shape::Boolean => json!(text),
    }
}

/// The text an input shows for a value.
fn shown(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn field(
    name: &str,
    schema: &Value,
    required: bool,
    show_if: Option<ShowIf>,
    values: &Value,
    errors: &BTreeMap<String, String>,
    choices: &Choices<'_>,
) -> Field {
    let value = values
        .get(name)
        .or_else(|| schema.get("default"))
        .cloned()
        .unwrap_or(Value::Null);
    let pointer = format!("/{}", name.replace('~', "~0").replace('/', "~1"));
    let id: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let ui_widget = schema.get("ui:widget").and_then(Value::as_str);
    let mut f = Field {
        id: format!("p-{id}"),
        name: name.to_owned(),
        label: str_of(schema, "title").unwrap_or_else(|| name.to_owned()),
        description: str_of(schema, "description").or_else(|| str_of(schema, "ui:help")),
        required,
        widget: "text",
        input_type: "text",
        value: shown(&value),
        checked: value == Value::Bool(true),
        options: Vec::new(),
        placeholder: str_of(schema, "ui:placeholder"),
        min: schema.get("minimum").map(|v| v.to_string()),
        max: schema.get("maximum").map(|v| v.to_string()),
        step: None,
        error: errors.get(&pointer).cloned(),
        show_if,
        pointer,
    };
    if let Some(list) = choices(schema) {
        f.widget = "select";
        f.options = list
            .into_iter()
            .map(|(v, label)| Choice {
                selected: v == f.value,
                value: v,
                label,
            })
            .collect();
        // A value not among the choices (typed into an earlier form) stays.
        if !f.value.is_empty() && !f.options.iter().any(|o| o.selected) {
            f.options.insert(
                0,
                Choice {
                    value: f.value.clone(),
                    label: f.value.clone(),
                    selected: true,
                },
            );
        }
        return f;
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        let names = schema
            .get("enumNames")
            .or_else(|| schema.get("ui:enumNames"))
            .and_then(Value::as_array);
        f.widget = "select";
        f.options = options
            .iter()
            .enumerate()
            .map(|(i, option)| {
                let v = shown(option);
                let label = names
                    .and_then(|n| n.get(i))
                    .and_then(Value::as_str)
                    .map_or_else(|| v.clone(), str::to_owned);
                Choice {
                    selected: v == f.value,
                    value: v,
                    label,
                }
            })
            .collect();
        return f;
    }
    match shape(schema) {
        Shape::Boolean => f.widget = "checkbox",
        Shape::Integer => {
            f.input_type = "number";
            f.step = Some("1".to_owned());
        }
        Shape::Number => {
            f.input_type = "number";
            f.step = Some("any".to_owned());
        }
        Shape::List => {
            if f.placeholder.is_none() {
                f.placeholder = Some("Comma-separated".to_owned());
            }
        }
        Shape::Text => match (ui_widget, schema.get("format").and_then(Value::as_str)) {
            (Some("textarea"), _) => f.widget = "textarea",
            (_, Some("uri" | "url")) => f.input_type = "url",
            (_, Some("email")) => f.input_type = "email",
            _ => {}
        },
    }
    f
}
