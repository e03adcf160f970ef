//! Scorecards over hand-made entities and facts: each built-in check's
//! passes, failures and reasons, levels, selectors, and bad definitions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;

use portico_scorecards::{
    evaluate, CheckResult, DefinitionError, DocPage, DocsFacts, Facts, Outcome, Scorecard,
};
use serde_json::{json, Value};

const DAY_MS: i64 = 86_400_000;
const NOW: i64 = 1_800_000_000_000;

#[derive(Default)]
struct World {
    entities: HashMap<String, Value>,
    docs: HashMap<String, DocsFacts>,
    errors: HashMap<String, usize>,
    updated: HashMap<String, i64>,
}

impl World {
    fn with(mut self, entity_ref: &str, entity: Value) -> World {
        self.entities.insert(entity_ref.to_owned(), entity);
        self
    }
}

impl Facts for World {
    fn entity(&self, entity_ref: &str) -> Option<Arc<Value>> {
        self.entities.get(entity_ref).cloned().map(Arc::new)
    }
    fn docs(&self, entity_ref: &str) -> Option<Arc<DocsFacts>> {
        self.docs.get(entity_ref).cloned().map(Arc::new)
    }
    fn processing_errors(&self, entity_ref: &str) -> usize {
        self.errors.get(entity_ref).copied().unwrap_or(0)
    }
    fn source_updated_at(&self, entity_ref: &str) -> Option<i64> {
        self.updated.get(entity_ref).copied()
    }
    fn now_ms(&self) -> i64 {
        NOW
    }
}

const CARD: &str = r#"
name: service-readiness
title: Service readiness
appliesTo:
  kinds: [component]
  types: [service]
checks:
  - { id: owner, type: owner-is-team }
  - { id: description, type: description }
  - { id: lifecycle, type: lifecycle }
  - { id: system, type: part-of-system }
  - { id: docs, type: techdocs }
  - { id: runbook, type: runbook }
  - { id: oncall, type: on-call, fix: "Ask #sre for a PagerDuty service." }
  - { id: slos, type: slos }
  - { id: api, type: api-definition }
  - { id: deps, type: no-deprecated-dependencies }
  - { id: healthy, type: healthy }
  - { id: fresh, type: updated-within, days: 180 }
  - { id: repo, type: matches, field: "metadata.annotations[github.com/project-slug]", pattern: "^tunewave/" }
levels:
  - { name: bronze, checks: [owner, description, lifecycle] }
  - { name: silver, checks: [docs, runbook, system] }
  - { name: gold, checks: [oncall, slos, deps, healthy, fresh, repo, api] }
"#;

fn service(extra: Value) -> Value {
    let mut entity = json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {
            "name": "playback",
            "namespace": "default",
            "description": "Plays music",
            "annotations": {
                "backstage.io/techdocs-ref": "dir:.",
                "pagerduty.com/service-id": "P123",
                "github.com/project-slug": "tunewave/playback",
                "portico.dev/slo-availability": "99.9% over 30d of successful stream starts"
            }
        },
        "spec": { "type": "service", "lifecycle": "production", "owner": "team-a", "system": "music" },
        "relations": [
            { "type": "ownedBy", "targetRef": "group:default/team-a" },
            { "type": "partOf", "targetRef": "system:default/music" },
            { "type": "dependsOn", "targetRef": "resource:default/db" }
        ]
    });
    merge(&mut entity, extra);
    entity
}

fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                if v.is_null() {
                    a.remove(&k);
                } else {
                    merge(a.entry(k).or_insert(Value::Null), v);
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

fn healthy_world() -> World {
    let mut world = World::default()
        .with(
            "group:default/team-a",
            json!({ "kind": "Group", "metadata": { "name": "team-a" }, "spec": { "members": ["jane"] },
                    "relations": [{ "type": "hasMember", "targetRef": "user:default/jane" }] }),
        )
        .with("system:default/music", json!({ "kind": "System", "metadata": { "name": "music" } }))
        .with(
            "resource:default/db",
            json!({ "kind": "Resource", "metadata": { "name": "db" }, "spec": { "lifecycle": "production" } }),
        );
    world.docs.insert(
        "component:default/playback".to_owned(),
        DocsFacts {
            failed: false,
            warnings: 0,
            pages: vec![
                DocPage {
                    path: "index.md".into(),
                    tags: vec![],
                },
                DocPage {
                    path: "operations/runbook.md".into(),
                    tags: vec![],
                },
            ],
        },
    );
    world
        .updated
        .insert("component:default/playback".to_owned(), NOW - 3 * DAY_MS);
    world
}

fn check<'a>(score: &'a portico_scorecards::EntityScore, id: &str) -> &'a CheckResult {
    score.checks.iter().find(|c| &*c.id == id).unwrap()
}

fn outcome(score: &portico_scorecards::EntityScore, id: &str) -> (Outcome, String) {
    let check = check(score, id);
    (check.outcome, check.reason.clone())
}

#[test]
fn a_ready_service_passes_every_check_and_reaches_gold() {
    let card = Scorecard::from_yaml(CARD).unwrap();
    let score = evaluate(&card, &service(json!({})), &healthy_world()).unwrap();
    let failing: Vec<_> = score
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Fail)
        .collect();
    assert!(failing.is_empty(), "{failing:?}");
    assert_eq!(score.level.as_deref(), Some("gold"));
    assert_eq!(score.entity_ref, "component:default/playback");
    assert_eq!(outcome(&score, "api").0, Outcome::Skip, "not an API");
    assert_eq!((score.passed, score.applicable), (12, 12));
    assert_eq!(
        outcome(&score, "runbook").1,
        "runbook at operations/runbook.md"
    );
    assert_eq!(
        outcome(&score, "owner").1,
        "owned by group:default/team-a (1 member(s))"
    );
}

#[test]
fn each_gap_fails_its_check_with_the_reason_and_a_fix() {
    let card = Scorecard::from_yaml(CARD).unwrap();
    let mut world = healthy_world();
    // An owner without members, a deprecated dependency, docs with
    // warnings and no runbook, an old file, processing errors.
    world.entities.insert(
        "group:default/team-a".into(),
        json!({ "kind": "Group", "metadata": { "name": "team-a" }, "spec": { "members": [] } }),
    );
    world.entities.insert(
        "resource:default/db".into(),
        json!({ "kind": "Resource", "metadata": { "name": "db" }, "spec": { "lifecycle": "deprecated" } }),
    );
    world.docs.insert(
        "component:default/playback".into(),
        DocsFacts {
            failed: false,
            warnings: 2,
            pages: vec![DocPage {
                path: "index.md".into(),
                tags: vec![],
            }],
        },
    );
    world
        .updated
        .insert("component:default/playback".into(), NOW - 400 * DAY_MS);
    world.errors.insert("component:default/playback".into(), 1);
    let entity = service(json!({
        "metadata": { "description": "  ", "annotations": {
            "pagerduty.com/service-id": null, "portico.dev/slo-availability": null,
            "github.com/project-slug": "someone-else/playback" } },
        "spec": { "lifecycle": null, "slos": [{ "objective": 99.9, "window": "30d" }] }
    }));
    let score = evaluate(&card, &entity, &world).unwrap();
    let expect = [
        ("owner", "the owner group:default/team-a has no members"),
        ("description", "metadata.description is missing"),
        ("lifecycle", "spec.lifecycle is missing"),
        ("docs", "the docs built with 2 warning(s)"),
        ("runbook", "no docs page is a runbook (a page named runbook or tagged runbook)"),
        ("oncall", "none of pagerduty.com/service-id, opsgenie.com/team, portico.dev/oncall is set"),
        ("slos", "spec.slos[0] has no sli"),
        ("deps", "depends on deprecated resource:default/db"),
        ("healthy", "its last processing had 1 error(s)"),
        ("fresh", "last changed 400 days ago (more than 180)"),
        (
            "repo",
            "metadata.annotations[github.com/project-slug] is \"someone-else/playback\", which does not match ^tunewave/",
        ),
    ];
    for (id, reason) in expect {
        assert_eq!(
            outcome(&score, id),
            (Outcome::Fail, reason.to_owned()),
            "{id}"
        );
    }
    assert_eq!(outcome(&score, "system").0, Outcome::Pass);
    let oncall = check(&score, "oncall");
    assert_eq!(
        oncall.fix.as_deref(),
        Some("Ask #sre for a PagerDuty service."),
        "the card's own fix"
    );
    let owner = check(&score, "owner");
    assert!(
        owner
            .fix
            .as_deref()
            .is_some_and(|f| f.contains("spec.owner")),
        "the built-in fix"
    );
    assert_eq!(score.level, None, "bronze's checks fail");
}

#[test]
fn levels_stop_at_the_first_level_with_a_failure() {
    let card = Scorecard::from_yaml(CARD).unwrap();
    let mut world = healthy_world();
    world.docs.remove("component:default/playback");
    let score = evaluate(&card, &service(json!({})), &world).unwrap();
    assert_eq!(
        outcome(&score, "docs"),
        (Outcome::Fail, "the docs have not been built".into())
    );
    assert_eq!(
        score.level.as_deref(),
        Some("bronze"),
        "silver needs docs; gold is not reached past it"
    );
}

#[test]
fn owners_that_are_missing_or_not_groups_fail() {
    let card = Scorecard::from_yaml(CARD).unwrap();
    let world = healthy_world().with(
        "user:default/jane",
        json!({ "kind": "User", "metadata": { "name": "jane" } }),
    );
    let by_user =
        service(json!({ "relations": [{ "type": "ownedBy", "targetRef": "user:default/jane" }] }));
    let score = evaluate(&card, &by_user, &world).unwrap();
    assert_eq!(
        outcome(&score, "owner").1,
        "the owner user:default/jane is not a Group"
    );
    let ghost = service(
        json!({ "relations": [{ "type": "ownedBy", "targetRef": "group:default/ghosts" }] }),
    );
    let score = evaluate(&card, &ghost, &world).unwrap();
    assert_eq!(
        outcome(&score, "owner").1,
        "the owner group:default/ghosts is not in the catalog"
    );
    assert_eq!(
        outcome(&score, "system").1,
        "spec.system is not set",
        "relations replaced"
    );
}

#[test]
fn a_front_matter_tag_makes_a_runbook_and_orphans_are_unhealthy() {
    let card = Scorecard::from_yaml(CARD).unwrap();
    let mut world = healthy_world();
    world.docs.insert(
        "component:default/playback".into(),
        DocsFacts {
            failed: false,
            warnings: 0,
            pages: vec![DocPage {
                path: "oncall-notes.md".into(),
                tags: vec!["Runbook".into()],
            }],
        },
    );
    let orphan =
        service(json!({ "metadata": { "annotations": { "backstage.io/orphan": "true" } } }));
    let score = evaluate(&card, &orphan, &world).unwrap();
    assert_eq!(
        outcome(&score, "runbook"),
        (Outcome::Pass, "runbook at oncall-notes.md".into())
    );
    assert_eq!(
        outcome(&score, "healthy").1,
        "orphaned: the location that defined it no longer lists it"
    );
}

#[test]
fn api_definitions_are_parsed() {
    let card = Scorecard::from_yaml(
        "name: apis\nappliesTo: { kinds: [API] }\nchecks: [{ id: def, type: api-definition }]\n",
    )
    .unwrap();
    let api = |kind: &str, definition: &str| json!({ "kind": "API", "metadata": { "name": "x" }, "spec": { "type": kind, "definition": definition } });
    let world = World::default();
    let check = |entity: Value| outcome(&evaluate(&card, &entity, &world).unwrap(), "def");
    assert_eq!(
        check(api(
            "openapi",
            "openapi: 3.0.3\ninfo: { title: x, version: '1' }\npaths: {}\n"
        )),
        (Outcome::Pass, "a openapi 3.0.3 definition".into())
    );
    assert_eq!(
        check(api(
            "asyncapi",
            "asyncapi: 2.6.0\ninfo: { title: x, version: '1' }\nchannels: {}\n"
        ))
        .0,
        Outcome::Pass
    );
    let (o, reason) = check(api("openapi", "openapi: [unclosed\n"));
    assert_eq!(o, Outcome::Fail);
    assert!(
        reason.starts_with("the openapi definition does not parse"),
        "{reason}"
    );
    assert_eq!(
        check(api("openapi", "info: { title: x }\n")),
        (
            Outcome::Fail,
            "the definition has no openapi or swagger field".into()
        )
    );
    assert_eq!(check(api("grpc", "syntax = \"proto3\";")).0, Outcome::Skip);
}

#[test]
fn selectors_choose_the_entities_a_card_applies_to() {
    let card = Scorecard::from_yaml(
        "name: prod\nappliesTo: { kinds: [Component], lifecycles: [production], tags: [tier-0] }\nchecks: [{ id: d, type: description }]\n",
    )
    .unwrap();
    let world = World::default();
    let tagged = service(json!({ "metadata": { "tags": ["tier-0"] } }));
    assert!(evaluate(&card, &tagged, &world).is_some());
    assert!(
        evaluate(&card, &service(json!({})), &world).is_none(),
        "no tag"
    );
    let experimental = service(
        json!({ "metadata": { "tags": ["tier-0"] }, "spec": { "lifecycle": "experimental" } }),
    );
    assert!(evaluate(&card, &experimental, &world).is_none());
    let group = json!({ "kind": "Group", "metadata": { "name": "g", "tags": ["tier-0"] } });
    assert!(evaluate(&card, &group, &world).is_none());
}

#[test]
fn bad_definitions_are_refused_naming_the_problem() {
    let cases = [
        ("name: x\nchecks: []\n", "scorecard x: it has no checks"),
        (
            "name: x\nchecks: [{ id: a, type: description }, { id: a, type: lifecycle }]\n",
            "scorecard x: check id a is used twice",
        ),
        (
            "name: x\nchecks: [{ id: a, type: description }]\nlevels: [{ name: gold, checks: [b] }]\n",
            "scorecard x: level gold names check b, which the scorecard does not have",
        ),
        (
            "name: x\nchecks: [{ id: a, type: matches, field: spec.type, pattern: '(' }]\n",
            "scorecard x: check a: the pattern does not compile",
        ),
        (
            "name: x\nchecks: [{ id: a, type: updated-within, days: 0 }]\n",
            "scorecard x: check a: days must be at least 1",
        ),
    ];
    for (yaml, message) in cases {
        match Scorecard::from_yaml(yaml) {
            Err(DefinitionError::Invalid(m)) => assert!(m.starts_with(message), "{m}"),
            other => panic!("{yaml}: {other:?}"),
        }
    }
    for (yaml, named) in [
        (
            "name: x\nchecks: [{ id: a, type: no-such-check }]\n",
            "no-such-check",
        ),
        (
            "name: x\nchecks: [{ id: a, type: matches, field: spec.type, patern: x }]\n",
            "patern",
        ),
        ("name: x\nchecks: [{ type: description }]\n", "id"),
        (
            "name: x\nchecks: [{ id: a, type: description }]\nowner: me\n",
            "owner",
        ),
    ] {
        match Scorecard::from_yaml(yaml) {
            Err(DefinitionError::Parse(m)) => assert!(m.contains(named), "{m}"),
            other => panic!("{yaml}: {other:?}"),
        }
    }
}
