//! Evaluating a scorecard's checks on one entity.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::definition::{Check, Rule, Scorecard, Selector};
use crate::field;

/// What checks need beyond the entity itself. Refs are lower-case
/// `kind:namespace/name`, as in relations' `targetRef`.
pub trait Facts {
    /// Another entity of the catalog, as served.
    fn entity(&self, entity_ref: &str) -> Option<Arc<Value>>;
    /// The entity's docs site, when one was built or tried.
    fn docs(&self, entity_ref: &str) -> Option<Arc<DocsFacts>>;
    /// Errors of the entity's last processing.
    fn processing_errors(&self, entity_ref: &str) -> usize;
    /// When the entity's catalog file last changed, epoch milliseconds.
    fn source_updated_at(&self, entity_ref: &str) -> Option<i64>;
    /// Now, epoch milliseconds.
    fn now_ms(&self) -> i64;
}

/// A docs site as checks see it.
#[derive(Debug, Clone, Default)]
pub struct DocsFacts {
    /// The last build failed (an older site may still be served).
    pub failed: bool,
    pub warnings: usize,
    pub pages: Vec<DocPage>,
}

#[derive(Debug, Clone, Default)]
pub struct DocPage {
    /// Relative to the docs directory, e.g. `runbook.md`, `ops/runbook/index.md`.
    pub path: String,
    /// Front matter `tags`.
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    /// The check does not apply to this entity (an API check on a
    /// service); it neither passes nor blocks a level.
    Skip,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    pub id: Arc<str>,
    pub title: Arc<str>,
    pub outcome: Outcome,
    /// Why it passed or failed, naming what was found.
    pub reason: String,
    /// How to make it pass (failures only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Arc<str>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityScore {
    pub scorecard: String,
    pub entity_ref: String,
    pub checks: Vec<CheckResult>,
    /// The highest level reached, if any.
    pub level: Option<String>,
    pub passed: usize,
    /// Checks that apply (not skipped).
    pub applicable: usize,
}

/// The scorecard's result for `entity`; `None` when it does not apply.
pub fn evaluate(scorecard: &Scorecard, entity: &Value, facts: &dyn Facts) -> Option<EntityScore> {
    if !applies(&scorecard.applies_to, entity) {
        return None;
    }
    let entity_ref = entity_ref(entity);
    let checks: Vec<CheckResult> = scorecard
        .checks
        .iter()
        .map(|check| {
            let (outcome, reason) = run(check, entity, &entity_ref, facts);
            CheckResult {
                id: check.shared.id.clone(),
                title: check.shared.title.clone(),
                outcome,
                reason,
                fix: (outcome == Outcome::Fail)
                    .then(|| check.shared.fix.clone())
                    .flatten(),
            }
        })
        .collect();
    let failed = |id: &str| {
        checks
            .iter()
            .any(|c| &*c.id == id && c.outcome == Outcome::Fail)
    };
    let level = scorecard
        .levels
        .iter()
        .take_while(|level| !level.checks.iter().any(|id| failed(id)))
        .last()
        .map(|level| level.name.clone());
    Some(EntityScore {
        scorecard: scorecard.name.clone(),
        passed: checks.iter().filter(|c| c.outcome == Outcome::Pass).count(),
        applicable: checks.iter().filter(|c| c.outcome != Outcome::Skip).count(),
        entity_ref,
        checks,
        level,
    })
}

fn text<'a>(entity: &'a Value, pointer: &str) -> Option<&'a str> {
    entity
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `kind:namespace/name`, lower-case.
pub(crate) fn entity_ref(entity: &Value) -> String {
    format!(
        "{}:{}/{}",
        text(entity, "/kind").unwrap_or(""),
        text(entity, "/metadata/namespace").unwrap_or("default"),
        text(entity, "/metadata/name").unwrap_or("")
    )
    .to_lowercase()
}

fn applies(selector: &Selector, entity: &Value) -> bool {
    let one_of = |wanted: &[String], value: Option<&str>| {
        wanted.is_empty() || value.is_some_and(|v| wanted.iter().any(|w| w.eq_ignore_ascii_case(v)))
    };
    let tags: Vec<&str> = entity
        .pointer("/metadata/tags")
        .and_then(Value::as_array)
        .map(|tags| tags.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    one_of(&selector.kinds, text(entity, "/kind"))
        && one_of(&selector.types, text(entity, "/spec/type"))
        && one_of(&selector.lifecycles, text(entity, "/spec/lifecycle"))
        && (selector.tags.is_empty() || tags.iter().any(|t| selector.tags.iter().any(|w| w == t)))
}

/// Targets of the entity's relations of this type.
fn related<'a>(entity: &'a Value, relation: &str) -> Vec<&'a str> {
    entity
        .get("relations")
        .and_then(Value::as_array)
        .map(|relations| {
            relations
                .iter()
                .filter(|r| r.get("type").and_then(Value::as_str) == Some(relation))
                .filter_map(|r| r.get("targetRef").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}

const ON_CALL: [&str; 3] = [
    "pagerduty.com/service-id",
    "opsgenie.com/team",
    "portico.dev/oncall",
];

fn pass(reason: impl Into<String>) -> (Outcome, String) {
    (Outcome::Pass, reason.into())
}

fn fail(reason: impl Into<String>) -> (Outcome, String) {
    (Outcome::Fail, reason.into())
}

fn run(check: &Check, entity: &Value, me: &str, facts: &dyn Facts) -> (Outcome, String) {
    match &check.rule {
        Rule::OwnerIsTeam => owner_is_team(entity, facts),
        Rule::Description => match text(entity, "/metadata/description") {
            Some(_) => pass("metadata.description is set"),
            None => fail("metadata.description is missing"),
        },
        Rule::Lifecycle => match text(entity, "/spec/lifecycle") {
            Some(lifecycle) => pass(format!("lifecycle is {lifecycle}")),
            None => fail("spec.lifecycle is missing"),
        },
        Rule::PartOfSystem => part_of_system(entity, facts),
        Rule::Techdocs => techdocs(entity, me, facts),
        Rule::Runbook { paths } => runbook(me, paths, facts),
        Rule::OnCall => {
            let found = ON_CALL.iter().find_map(|key| {
                text(
                    entity,
                    &format!("/metadata/annotations/{}", key.replace('/', "~1")),
                )
                .map(|value| format!("{key}: {value}"))
            });
            match found {
                Some(found) => pass(found),
                None => fail(format!("none of {} is set", ON_CALL.join(", "))),
            }
        }
        Rule::Slos => slos(entity),
        Rule::ApiDefinition => api_definition(entity),
        Rule::NoDeprecatedDependencies => {
            let targets = related(entity, "dependsOn");
            let deprecated: Vec<&str> = targets
                .iter()
                .copied()
                .filter(|target| {
                    facts
                        .entity(target)
                        .is_some_and(|e| text(&e, "/spec/lifecycle") == Some("deprecated"))
                })
                .collect();
            if deprecated.is_empty() {
                pass(format!("{} dependencies, none deprecated", targets.len()))
            } else {
                fail(format!("depends on deprecated {}", deprecated.join(", ")))
            }
        }
        Rule::Healthy => {
            let orphan = text(entity, "/metadata/annotations/backstage.io~1orphan") == Some("true");
            let errors = facts.processing_errors(me);
            if orphan {
                fail("orphaned: the location that defined it no longer lists it")
            } else if errors > 0 {
                fail(format!("its last processing had {errors} error(s)"))
            } else {
                pass("listed by its location, processed without errors")
            }
        }
        Rule::UpdatedWithin { days } => match facts.source_updated_at(me) {
            Some(at) => {
                let age_days = (facts.now_ms() - at).max(0) / 86_400_000;
                if age_days <= i64::from(*days) {
                    pass(format!("changed {age_days} day(s) ago"))
                } else {
                    fail(format!(
                        "last changed {age_days} days ago (more than {days})"
                    ))
                }
            }
            None => fail("when its catalog file last changed is unknown"),
        },
        Rule::Matches { field, .. } => {
            let Some(pattern) = &check.pattern else {
                return fail("the check's pattern is missing");
            };
            match field::lookup(entity, field) {
                None | Some(Value::Null) => fail(format!("{field} is not set")),
                Some(value) => {
                    let shown = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    if pattern.is_match(&shown) {
                        pass(format!("{field} is {shown:?}"))
                    } else {
                        fail(format!(
                            "{field} is {shown:?}, which does not match {}",
                            pattern.as_str()
                        ))
                    }
                }
            }
        }
    }
}

fn owner_is_team(entity: &Value, facts: &dyn Facts) -> (Outcome, String) {
    let Some(owner) = related(entity, "ownedBy").first().copied() else {
        return fail("spec.owner is not set");
    };
    let Some(group) = facts.entity(owner) else {
        return fail(format!("the owner {owner} is not in the catalog"));
    };
    if !owner.starts_with("group:") {
        return fail(format!("the owner {owner} is not a Group"));
    }
    let members = related(&group, "hasMember").len().max(
        group
            .pointer("/spec/members")
            .and_then(Value::as_array)
            .map_or(0, Vec::len),
    );
    if members == 0 {
        fail(format!("the owner {owner} has no members"))
    } else {
        pass(format!("owned by {owner} ({members} member(s))"))
    }
}

fn part_of_system(entity: &Value, facts: &dyn Facts) -> (Outcome, String) {
    let systems: Vec<&str> = related(entity, "partOf")
        .into_iter()
        .filter(|r| r.starts_with("system:"))
        .collect();
    match systems.first() {
        None => fail("spec.system is not set"),
        Some(system) if facts.entity(system).is_some() => pass(format!("part of {system}")),
        Some(system) => fail(format!("the system {system} is not in the catalog")),
    }
}

fn techdocs(entity: &Value, me: &str, facts: &dyn Facts) -> (Outcome, String) {
    if text(entity, "/metadata/annotations/backstage.io~1techdocs-ref").is_none()
        && text(
            entity,
            "/metadata/annotations/backstage.io~1techdocs-entity",
        )
        .is_none()
    {
        return fail("no backstage.io/techdocs-ref annotation");
    }
    match facts.docs(me) {
        None => fail("the docs have not been built"),
        Some(docs) if docs.failed => fail("the last docs build failed"),
        Some(docs) if docs.warnings > 0 => {
            fail(format!("the docs built with {} warning(s)", docs.warnings))
        }
        Some(docs) => pass(format!(
            "built without warnings, {} page(s)",
            docs.pages.len()
        )),
    }
}

fn runbook(me: &str, paths: &[String], facts: &dyn Facts) -> (Outcome, String) {
    let Some(docs) = facts.docs(me) else {
        return fail("no docs site, so no runbook page");
    };
    let is_runbook = |page: &DocPage| {
        let stem = page
            .path
            .trim_end_matches(".md")
            .trim_end_matches("/index")
            .to_lowercase();
        paths.iter().any(|p| {
            let p = p.trim_matches('/').trim_end_matches(".md").to_lowercase();
            stem == p || stem.ends_with(&format!("/{p}"))
        }) || page.tags.iter().any(|t| t.eq_ignore_ascii_case("runbook"))
    };
    match docs.pages.iter().find(|p| is_runbook(p)) {
        Some(page) => pass(format!("runbook at {}", page.path)),
        None => fail(format!(
            "no docs page is a runbook (a page named {} or tagged runbook)",
            paths.join(" or ")
        )),
    }
}

fn slos(entity: &Value) -> (Outcome, String) {
    let annotated = entity
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .map(|a| {
            a.iter()
                .filter(|(k, v)| {
                    k.starts_with("portico.dev/slo")
                        && v.as_str().is_some_and(|s| !s.trim().is_empty())
                })
                .count()
        })
        .unwrap_or(0);
    if annotated > 0 {
        return pass(format!("{annotated} portico.dev/slo annotation(s)"));
    }
    let Some(slos) = entity.pointer("/spec/slos").and_then(Value::as_array) else {
        return fail("no portico.dev/slo annotation and no spec.slos");
    };
    if slos.is_empty() {
        return fail("spec.slos is empty");
    }
    for (i, slo) in slos.iter().enumerate() {
        let missing: Vec<&str> = [
            ("objective", "objective"),
            ("window", "window"),
            ("sli", "sli"),
        ]
        .iter()
        .filter(|(key, _)| slo.get(*key).is_none_or(|v| v.is_null() || v == ""))
        .map(|(_, name)| *name)
        .collect();
        if !missing.is_empty() {
            return fail(format!("spec.slos[{i}] has no {}", missing.join(", ")));
        }
    }
    pass(format!("{} SLO(s) in spec.slos", slos.len()))
}

fn api_definition(entity: &Value) -> (Outcome, String) {
    if !text(entity, "/kind").is_some_and(|k| k.eq_ignore_ascii_case("api")) {
        return (Outcome::Skip, "applies to APIs only".to_owned());
    }
    let kind = text(entity, "/spec/type").unwrap_or("").to_lowercase();
    let marker: &[&str] = match kind.as_str() {
        "openapi" => &["openapi", "swagger"],
        "asyncapi" => &["asyncapi"],
        other => return (Outcome::Skip, format!("no parser for API type {other:?}")),
    };
    let Some(definition) = text(entity, "/spec/definition") else {
        return fail("spec.definition is empty");
    };
    let parsed: Value = match serde_yaml::from_str(definition) {
        Ok(value) => value,
        Err(e) => return fail(format!("the {kind} definition does not parse: {e}")),
    };
    let Some(version) = marker.iter().find_map(|key| parsed.get(*key)) else {
        return fail(format!(
            "the definition has no {} field",
            marker.join(" or ")
        ));
    };
    if parsed.get("info").is_none() {
        return fail("the definition has no info section");
    }
    let version = match version {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    pass(format!("a {kind} {version} definition"))
}

/// What to do about a failed built-in check, when its definition says
/// nothing.
pub(crate) fn default_fix(rule: &Rule) -> Option<String> {
    let fix = match rule {
        Rule::OwnerIsTeam => "Set spec.owner to a Group that has members (spec.members, or Users' spec.memberOf).",
        Rule::Description => "Add metadata.description to the catalog file.",
        Rule::Lifecycle => "Set spec.lifecycle (experimental, production or deprecated).",
        Rule::PartOfSystem => "Set spec.system to a System in the catalog.",
        Rule::Techdocs => "Add the backstage.io/techdocs-ref annotation (dir:.) with an mkdocs.yml and docs/, and fix the build's warnings.",
        Rule::Runbook { .. } => "Add docs/runbook.md (or tag a page `runbook` in its front matter).",
        Rule::OnCall => "Add a pagerduty.com/service-id, opsgenie.com/team or portico.dev/oncall annotation.",
        Rule::Slos => "Add portico.dev/slo annotations, or spec.slos items with objective, window and sli.",
        Rule::ApiDefinition => "Fix spec.definition so that it parses as the spec.type says.",
        Rule::NoDeprecatedDependencies => "Move off the deprecated dependencies.",
        Rule::Healthy => "Fix the catalog file's errors, or remove the orphan.",
        Rule::UpdatedWithin { .. } => "Review the catalog file and commit it (owner, lifecycle, links still right?).",
        Rule::Matches { .. } => return None,
    };
    Some(fix.to_owned())
}
