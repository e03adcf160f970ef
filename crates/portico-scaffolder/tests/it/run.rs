//! Running templates: rendering, conditions, outputs, input checks,
//! cancelling, secrets.

use std::sync::atomic::AtomicBool;

use portico_scaffolder::{RunError, StepStatus};
use serde_json::json;

use crate::common::{files_under, messages, Fixture};

fn skeleton() -> Fixture {
    Fixture::new(&[
        (
            "README.md",
            "# {{values.name}}\n\nOwned by {{values.owner}}.\n",
        ),
        (
            "src/{{snake values.name}}.rs",
            "pub const NAME: &str = \"{{kebab values.name}}\";\n",
        ),
        (".github/workflows/ci.yaml", "run: echo ${{ github.sha }}\n"),
    ])
}

#[test]
fn steps_render_the_skeleton_and_chain_outputs() {
    let f = skeleton();
    let template = f.template(
        json!({ "required": ["name"], "properties": { "name": { "type": "string" } } }),
        json!([
            {
                "id": "fetch", "name": "Fetch skeleton", "action": "fetch:template",
                "input": {
                    "url": "./skeleton",
                    "targetPath": "./service",
                    "values": { "name": "${{ parameters.name }}", "owner": "${{ parameters.owner | default('nobody') }}" },
                    "copyWithoutTemplating": [".github/**"]
                }
            },
            {
                "id": "rename", "action": "fs:rename",
                "input": { "files": [{ "from": "service/README.md", "to": "service/docs/index.md" }] }
            },
            {
                "id": "skipped", "action": "debug:log", "if": "${{ parameters.verbose }}",
                "input": { "message": "never" }
            },
            {
                "id": "log", "action": "debug:log",
                "input": { "message": "wrote ${{ steps.fetch.output.files | length }} files", "listWorkspace": true }
            }
        ]),
        json!({ "text": [{ "title": "Files", "content": "${{ steps['fetch'].output.files | join(', ') }}" }] }),
    );
    let (result, events) = f.run(&template, json!({ "name": "PaymentsApi" }), json!({}));
    let outcome = result.unwrap();

    assert_eq!(
        files_under(f.workspace.path()),
        vec![
            "service/.github/workflows/ci.yaml",
            "service/docs/index.md",
            "service/src/payments_api.rs",
        ]
    );
    assert_eq!(
        f.read("service/docs/index.md"),
        "# PaymentsApi\n\nOwned by nobody.\n"
    );
    assert_eq!(
        f.read("service/src/payments_api.rs"),
        "pub const NAME: &str = \"payments-api\";\n"
    );
    // Copied without templating: the GitHub Actions expression is intact.
    assert_eq!(
        f.read("service/.github/workflows/ci.yaml"),
        "run: echo ${{ github.sha }}\n"
    );

    let statuses: Vec<(String, StepStatus)> = outcome
        .steps
        .iter()
        .map(|s| (s.id.clone(), s.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("fetch".into(), StepStatus::Completed),
            ("rename".into(), StepStatus::Completed),
            ("skipped".into(), StepStatus::Skipped),
            ("log".into(), StepStatus::Completed),
        ]
    );
    let log = messages(&events);
    assert!(log.contains("wrote 3 files"), "{log}");
    assert!(log.contains("  service/docs/index.md"), "{log}");
    assert!(!log.contains("never"), "{log}");
    assert_eq!(
        outcome.output["text"][0]["content"],
        ".github/workflows/ci.yaml, README.md, src/payments_api.rs"
    );
}

#[test]
fn a_bad_step_input_fails_that_step_naming_the_field() {
    let f = skeleton();
    let template = f.template(
        json!({}),
        json!([
            { "id": "log", "action": "debug:log", "input": { "message": "first" } },
            { "id": "rename", "action": "fs:rename", "input": { "files": [{ "from": 3 }] } },
            { "id": "after", "action": "debug:log", "input": { "message": "after" } }
        ]),
        json!({}),
    );
    let (result, events) = f.run(&template, json!({}), json!({}));
    let error = result.unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with("step 'rename' (fs:rename): input /files/0"),
        "{text}"
    );
    assert!(!messages(&events).contains("after"));
    assert_eq!(events.last().unwrap().status, Some(StepStatus::Failed));
}

#[test]
fn unknown_actions_and_missing_variables_are_errors() {
    let f = Fixture::new(&[("a.txt", "{{values.missing}}\n")]);
    let template = f.template(
        json!({}),
        json!([{ "id": "x", "action": "no:such" }]),
        json!({}),
    );
    let error = f.run(&template, json!({}), json!({})).0.unwrap_err();
    assert_eq!(
        error.to_string(),
        "step 'x' (no:such): there is no action 'no:such'"
    );

    let template = f.template(
        json!({}),
        json!([{ "id": "fetch", "action": "fetch:template", "input": { "url": "./skeleton" } }]),
        json!({}),
    );
    let error = f
        .run(&template, json!({}), json!({}))
        .0
        .unwrap_err()
        .to_string();
    assert!(error.contains("a.txt"), "{error}");
    assert!(error.contains("line 1"), "{error}");
    assert!(error.contains("missing"), "{error}");
}

#[test]
fn a_cancelled_run_stops_before_the_next_step() {
    let f = skeleton();
    let template = f.template(
        json!({}),
        json!([{ "id": "log", "action": "debug:log", "input": { "message": "hi" } }]),
        json!({}),
    );
    let cancelled = AtomicBool::new(true);
    let (result, events) = f.run_with(&template, json!({}), json!({}), &cancelled);
    assert_eq!(result.unwrap_err(), RunError::Cancelled);
    assert_eq!(events.last().unwrap().status, Some(StepStatus::Cancelled));
    assert!(!messages(&events).contains("hi"));
}

#[test]
fn secrets_reach_actions_but_never_logs_errors_or_outputs() {
    let f = skeleton();
    let template = f.template(
        json!({}),
        json!([
            { "id": "log", "action": "debug:log", "input": { "message": "token is ${{ secrets.token }}" } },
            { "id": "bad", "action": "fs:rename", "input": { "files": [{ "from": "${{ secrets.token }}", "to": "x" }] } }
        ]),
        json!({ "leak": "${{ secrets.token }}" }),
    );
    let secret = "s3cr3t-value-42";
    let (result, events) = f.run(&template, json!({}), json!({ "token": secret }));
    let log = messages(&events);
    assert!(log.contains("token is ***"), "{log}");
    assert!(!log.contains(secret), "{log}");
    let error = result.unwrap_err().to_string();
    assert!(error.contains("cannot rename '***'"), "{error}");
    assert!(!error.contains(secret));
}
