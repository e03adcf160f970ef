//! Scorecards as written (YAML, in configuration or as entities) and as
//! checked: check ids unique, levels naming known checks, patterns valid.

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::DefinitionError;

/// A scorecard as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScorecardSpec {
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Which entities it applies to; empty lists match everything.
    #[serde(default)]
    pub applies_to: Selector,
    pub checks: Vec<CheckSpec>,
    /// In order, each harder than the last (bronze, silver, gold). An
    /// entity reaches a level when every check of it and of the levels
    /// before it passes.
    #[serde(default)]
    pub levels: Vec<LevelSpec>,
}

/// Entities a scorecard applies to: each non-empty list must contain the
/// entity's value (kinds and types compared without case).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Selector {
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub types: Vec<String>,
    #[serde(default)]
    pub lifecycles: Vec<String>,
    /// At least one of these tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A check as written: `id`, optional `title` and `fix`, and the rule's
/// `type` with its own fields, all in one mapping.
#[derive(Debug, Clone)]
pub struct CheckSpec {
    pub id: String,
    pub title: Option<String>,
    /// How to make the check pass, shown next to a failure.
    pub fix: Option<String>,
    pub rule: Rule,
}

impl<'de> Deserialize<'de> for CheckSpec {
    // Not `#[serde(flatten)]`: with it, serde cannot refuse unknown
    // fields, and a misspelt `patern` would pass unnoticed.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut fields = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        let mut text = |key: &str| -> Result<Option<String>, D::Error> {
            match fields.remove(key) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s)),
                Some(other) => Err(D::Error::custom(format!("{key} must be text, not {other}"))),
            }
        };
        let id = text("id")?.ok_or_else(|| D::Error::missing_field("id"))?;
        let title = text("title")?;
        let fix = text("fix")?;
        let rule = Rule::deserialize(serde_json::Value::Object(fields))
            .map_err(|e| D::Error::custom(format!("check {id}: {e}")))?;
        Ok(CheckSpec {
            id,
            title,
            fix,
            rule,
        })
    }
}

/// The built-in checks.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Rule {
    /// `spec.owner` resolves to a Group with at least one member.
    OwnerIsTeam,
    /// `metadata.description` is present and not blank.
    Description,
    /// `spec.lifecycle` is set.
    Lifecycle,
    /// `spec.system` is set and the System exists.
    PartOfSystem,
    /// TechDocs are configured, built, and built without warnings.
    Techdocs,
    /// A docs page is a runbook: its path (without `.md`) ends in one of
    /// `paths`, or its front matter tags it `runbook`.
    Runbook {
        #[serde(default = "default_runbook_paths")]
        paths: Vec<String>,
    },
    /// An on-call annotation is set.
    OnCall,
    /// SLOs are declared: `portico.dev/slo` annotations or a `spec.slos`
    /// list whose items have an objective, a window and an SLI.
    Slos,
    /// An API's OpenAPI or AsyncAPI definition parses.
    ApiDefinition,
    /// No `dependsOn` target has lifecycle `deprecated`.
    NoDeprecatedDependencies,
    /// Not orphaned, and its last processing had no error.
    Healthy,
    /// Its catalog file changed within `days`.
    UpdatedWithin { days: u32 },
    /// The field's value matches the pattern (a missing field fails).
    Matches { field: String, pattern: String },
}

fn default_runbook_paths() -> Vec<String> {
    vec!["runbook".to_owned()]
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LevelSpec {
    pub name: String,
    pub checks: Vec<String>,
}

/// A scorecard ready to evaluate.
#[derive(Debug, Clone)]
pub struct Scorecard {
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub applies_to: Selector,
    pub checks: Vec<Check>,
    pub levels: Vec<LevelSpec>,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub id: String,
    pub title: String,
    pub fix: Option<String>,
    pub rule: Rule,
    /// `Matches`' pattern, compiled.
    pub(crate) pattern: Option<Regex>,
    /// Id, title and fix (the built-in one when none is given) as every
    /// result shares them, rather than a copy per entity.
    pub(crate) shared: Shared,
}

#[derive(Debug, Clone)]
pub(crate) struct Shared {
    pub id: std::sync::Arc<str>,
    pub title: std::sync::Arc<str>,
    pub fix: Option<std::sync::Arc<str>>,
}

impl Scorecard {
    /// Parses one scorecard from YAML.
    pub fn from_yaml(text: &str) -> Result<Scorecard, DefinitionError> {
        let spec: ScorecardSpec =
            serde_yaml::from_str(text).map_err(|e| DefinitionError::Parse(e.to_string()))?;
        Scorecard::compile(spec)
    }

    /// Parses one scorecard from its JSON form (configuration is read into
    /// JSON values).
    pub fn from_value(value: Value) -> Result<Scorecard, DefinitionError> {
        let spec: ScorecardSpec =
            serde_json::from_value(value).map_err(|e| DefinitionError::Parse(e.to_string()))?;
        Scorecard::compile(spec)
    }

    /// The scorecard as the API shows it: its definition, with every
    /// check's title and fix filled in.
    pub fn describe(&self) -> Value {
        let checks: Vec<Value> = self
            .checks
            .iter()
            .map(|check| {
                let mut fields = match serde_json::to_value(&check.rule) {
                    Ok(Value::Object(fields)) => fields,
                    _ => serde_json::Map::new(),
                };
                fields.insert("id".to_owned(), json!(check.id));
                fields.insert("title".to_owned(), json!(check.title));
                if let Some(fix) = check
                    .fix
                    .clone()
                    .or_else(|| crate::evaluate::default_fix(&check.rule))
                {
                    fields.insert("fix".to_owned(), json!(fix));
                }
                Value::Object(fields)
            })
            .collect();
        json!({
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "appliesTo": self.applies_to,
            "checks": checks,
            "levels": self.levels,
        })
    }

    /// Checks a written scorecard and prepares it for evaluation.
    pub fn compile(spec: ScorecardSpec) -> Result<Scorecard, DefinitionError> {
        let name = spec.name.trim().to_owned();
        if name.is_empty() {
            return Err(DefinitionError::Invalid(
                "a scorecard needs a name".to_owned(),
            ));
        }
        let invalid =
            |message: String| DefinitionError::Invalid(format!("scorecard {name}: {message}"));
        if spec.checks.is_empty() {
            return Err(invalid("it has no checks".to_owned()));
        }
        let mut checks = Vec::with_capacity(spec.checks.len());
        for check in spec.checks {
            if check.id.trim().is_empty() {
                return Err(invalid("a check has no id".to_owned()));
            }
            if checks.iter().any(|c: &Check| c.id == check.id) {
                return Err(invalid(format!("check id {} is used twice", check.id)));
            }
            let pattern = match &check.rule {
                Rule::Matches { pattern, .. } => Some(Regex::new(pattern).map_err(|e| {
                    invalid(format!(
                        "check {}: the pattern does not compile: {e}",
                        check.id
                    ))
                })?),
                Rule::UpdatedWithin { days: 0 } => {
                    return Err(invalid(format!(
                        "check {}: days must be at least 1",
                        check.id
                    )))
                }
                _ => None,
            };
            let title = check.title.unwrap_or_else(|| default_title(&check.rule));
            let shared = Shared {
                id: check.id.as_str().into(),
                title: title.as_str().into(),
                fix: check
                    .fix
                    .clone()
                    .or_else(|| crate::evaluate::default_fix(&check.rule))
                    .map(Into::into),
            };
            checks.push(Check {
                title,
                id: check.id,
                fix: check.fix,
                rule: check.rule,
                pattern,
                shared,
            });
        }
        for level in &spec.levels {
            if let Some(unknown) = level
                .checks
                .iter()
                .find(|id| !checks.iter().any(|c| &c.id == *id))
            {
                return Err(invalid(format!(
                    "level {} names check {unknown}, which the scorecard does not have",
                    level.name
                )));
            }
        }
        Ok(Scorecard {
            title: spec.title.unwrap_or_else(|| name.clone()),
            name,
            description: spec.description,
            applies_to: spec.applies_to,
            checks,
            levels: spec.levels,
        })
    }
}

/// What a check is called when its definition gives no title.
fn default_title(rule: &Rule) -> String {
    match rule {
        Rule::OwnerIsTeam => "Owned by a team with members".to_owned(),
        Rule::Description => "Has a description".to_owned(),
        Rule::Lifecycle => "Has a lifecycle".to_owned(),
        Rule::PartOfSystem => "Part of a system".to_owned(),
        Rule::Techdocs => "TechDocs built without warnings".to_owned(),
        Rule::Runbook { .. } => "Has a runbook".to_owned(),
        Rule::OnCall => "Has an on-call rotation".to_owned(),
        Rule::Slos => "Declares SLOs".to_owned(),
        Rule::ApiDefinition => "API definition parses".to_owned(),
        Rule::NoDeprecatedDependencies => "Depends on nothing deprecated".to_owned(),
        Rule::Healthy => "Not orphaned, no processing errors".to_owned(),
        Rule::UpdatedWithin { days } => format!("Catalog file updated within {days} days"),
        Rule::Matches { field, .. } => format!("{field} is as required"),
    }
}
