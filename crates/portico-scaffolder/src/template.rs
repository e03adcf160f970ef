//! A `Template` entity read into what the runner needs: its form pages, its
//! steps and its output. The catalog has already checked the envelope and
//! the rough shape (`spec.steps` is a list of objects with an `action`);
//! this reads the rest and says precisely what is wrong with it.

use serde_json::{Map, Value};

use crate::ScaffolderError;

/// A template, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// `template:<namespace>/<name>`.
    pub entity_ref: String,
    pub title: String,
    pub description: String,
    /// The form, one JSON Schema object per page (Backstage accepts one
    /// object for a single page, or a list).
    pub pages: Vec<Value>,
    pub steps: Vec<Step>,
    /// `spec.output`: `links`, `text`, anything else; rendered with the
    /// same expressions as step inputs once the steps have run.
    pub output: Value,
    /// The `backstage.io/managed-by-location` of the entity: where relative
    /// skeleton paths start.
    pub location: Option<String>,
    /// The commit the template was read at, when it came from git.
    pub commit: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub id: String,
    pub name: String,
    pub action: String,
    /// Rendered with expressions just before the step runs.
    pub input: Value,
    /// `if`: a bool, or an expression string; absent means run.
    pub condition: Option<Value>,
}

/// Longest step list accepted: a template is written by hand.
const MAX_STEPS: usize = 100;

impl Template {
    /// Reads a Template entity (its final JSON from the catalog).
    pub fn from_entity(entity: &Value) -> Result<Template, ScaffolderError> {
        let invalid = |message: String| ScaffolderError::InvalidTemplate(message);
        let kind = entity.get("kind").and_then(Value::as_str).unwrap_or("");
        if kind != "Template" {
            return Err(invalid(format!(
                "entity of kind '{kind}' is not a Template"
            )));
        }
        let metadata = entity.get("metadata").unwrap_or(&Value::Null);
        let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        let name =
            text(metadata, "name").ok_or_else(|| invalid("metadata.name is missing".into()))?;
        let namespace = text(metadata, "namespace").unwrap_or_else(|| "default".into());
        let spec = entity.get("spec").unwrap_or(&Value::Null);
        let annotation = |key: &str| {
            metadata
                .get("annotations")
                .and_then(|a| a.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };

        let pages = match spec.get("parameters") {
            None | Some(Value::Null) => Vec::new(),
            Some(page @ Value::Object(_)) => vec![page.clone()],
            Some(Value::Array(pages)) => {
                for (i, page) in pages.iter().enumerate() {
                    if !page.is_object() {
                        return Err(invalid(format!("spec.parameters[{i}] must be an object")));
                    }
                }
                pages.clone()
            }
            Some(_) => {
                return Err(invalid(
                    "spec.parameters must be an object or a list of objects".into(),
                ))
            }
        };

        let raw_steps = match spec.get("steps") {
            None | Some(Value::Null) => &[][..],
            Some(Value::Array(steps)) => steps.as_slice(),
            Some(_) => return Err(invalid("spec.steps must be a list".into())),
        };
        if raw_steps.len() > MAX_STEPS {
            return Err(invalid(format!(
                "spec.steps has {} steps; at most {MAX_STEPS} are allowed",
                raw_steps.len()
            )));
        }
        let mut steps: Vec<Step> = Vec::with_capacity(raw_steps.len());
        for (i, raw) in raw_steps.iter().enumerate() {
            let step = read_step(i, raw)?;
            if steps.iter().any(|s| s.id == step.id) {
                return Err(invalid(format!(
                    "spec.steps[{i}]: id '{}' is used by an earlier step",
                    step.id
                )));
            }
            steps.push(step);
        }

        Ok(Template {
            entity_ref: format!("template:{namespace}/{name}"),
            title: text(metadata, "title").unwrap_or_else(|| name.clone()),
            description: text(metadata, "description").unwrap_or_default(),
            pages,
            steps,
            output: spec.get("output").cloned().unwrap_or(Value::Null),
            location: annotation(portico_model::annotations::MANAGED_BY_LOCATION),
            commit: annotation(portico_model::annotations::SOURCE_COMMIT),
        })
    }

    /// Backstage's `parameter-schema` answer: the form pages with their
    /// titles, `ui:*` keys included (the form needs them).
    pub fn parameter_schema(&self) -> Value {
        let steps: Vec<Value> = self
            .pages
            .iter()
            .map(|page| {
                serde_json::json!({
                    "title": page.get("title").and_then(Value::as_str).unwrap_or("Please enter the following information"),
                    "description": page.get("description").and_then(Value::as_str),
                    "schema": page,
                })
            })
            .collect();
        serde_json::json!({
            "title": self.title,
            "description": self.description,
            "steps": steps,
        })
    }
}

fn read_step(index: usize, raw: &Value) -> Result<Step, ScaffolderError> {
    let invalid = |message: String| ScaffolderError::InvalidTemplate(message);
    let Some(object) = raw.as_object() else {
        return Err(invalid(format!("spec.steps[{index}] must be an object")));
    };
    let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::trim);
    let action = text("action")
        .filter(|a| !a.is_empty())
        .ok_or_else(|| invalid(format!("spec.steps[{index}] has no action")))?;
    // Backstage makes an id up when there is none; later steps then cannot
    // refer to its output, which is fine for a step nobody refers to.
    let id = text("id")
        .filter(|id| !id.is_empty())
        .map_or_else(|| format!("step-{}", index + 1), str::to_owned);
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(invalid(format!(
            "spec.steps[{index}]: id '{id}' may only use letters, digits, '-', '_' and '.'"
        )));
    }
    let input = match object.get("input") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(input @ Value::Object(_)) => input.clone(),
        Some(_) => {
            return Err(invalid(format!(
                "spec.steps[{index}] ({id}): input must be an object"
            )))
        }
    };
    Ok(Step {
        name: text("name").map_or_else(|| id.clone(), str::to_owned),
        id,
        action: action.to_owned(),
        input,
        condition: object.get("if").cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entity(spec: Value) -> Value {
        json!({
            "apiVersion": "scaffolder.backstage.io/v1beta3",
            "kind": "Template",
            "metadata": {
                "name": "rust-service",
                "title": "Rust service",
                "annotations": {
                    "backstage.io/managed-by-location": "file:/t/rust/template.yaml"
                }
            },
            "spec": spec,
        })
    }

    #[test]
    fn reads_pages_steps_and_output() {
        let t = Template::from_entity(&entity(json!({
            "parameters": { "title": "Basics", "properties": { "name": { "type": "string" } } },
            "steps": [
                { "id": "fetch", "name": "Fetch", "action": "fetch:template", "input": { "url": "./skeleton" } },
                { "action": "debug:log", "if": "${{ parameters.verbose }}" }
            ],
            "output": { "links": [] }
        })))
        .unwrap();
        assert_eq!(t.entity_ref, "template:default/rust-service");
        assert_eq!(t.pages.len(), 1);
        assert_eq!(t.steps[0].id, "fetch");
        assert_eq!(t.steps[1].id, "step-2");
        assert_eq!(t.steps[1].name, "step-2");
        assert_eq!(t.steps[1].input, json!({}));
        assert_eq!(
            t.steps[1].condition,
            Some(json!("${{ parameters.verbose }}"))
        );
        assert_eq!(t.location.as_deref(), Some("file:/t/rust/template.yaml"));
        let schema = t.parameter_schema();
        assert_eq!(schema["steps"][0]["title"], "Basics");
        assert_eq!(schema["title"], "Rust service");
    }

    #[test]
    fn says_what_is_wrong() {
        let cases = [
            (
                json!({ "steps": [{ "id": "a" }] }),
                "spec.steps[0] has no action",
            ),
            (
                json!({ "steps": [{ "id": "a", "action": "x" }, { "id": "a", "action": "y" }] }),
                "id 'a' is used by an earlier step",
            ),
            (
                json!({ "steps": [{ "id": "a b", "action": "x" }] }),
                "id 'a b' may only use",
            ),
            (
                json!({ "steps": [{ "action": "x", "input": [] }] }),
                "input must be an object",
            ),
            (
                json!({ "parameters": "x" }),
                "spec.parameters must be an object or a list",
            ),
            (
                json!({ "parameters": [1] }),
                "spec.parameters[0] must be an object",
            ),
        ];
        for (spec, want) in cases {
            let err = Template::from_entity(&entity(spec))
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{err}");
        }
        let component = json!({ "kind": "Component", "metadata": { "name": "x" } });
        assert!(Template::from_entity(&component)
            .unwrap_err()
            .to_string()
            .contains("not a Template"));
    }
}
