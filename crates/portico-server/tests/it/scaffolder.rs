//! `/api/scaffolder/v2` against a real server with running workers: a task
//! renders, publishes a repository, registers it; bad values, escapes,
//! cancelling and secrets.

use std::time::{Duration, Instant};

use portico_store::testing::TestDb;
use serde_json::{json, Value};

use crate::app::TestApp;

const TEMPLATE: &str = r#"
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: svc
  title: Service
spec:
  owner: team-a
  type: service
  parameters:
    - title: Service
      required: [name, owner]
      properties:
        name: { type: string, pattern: "^[a-z][a-z0-9-]*$" }
        owner: { type: string }
        wait: { type: integer }
        target: { type: string }
  steps:
    - id: fetch
      name: Render
      action: fetch:template
      input:
        url: ./skeleton
        targetPath: ${{ parameters.target }}
        values:
          name: ${{ parameters.name }}
          owner: ${{ parameters.owner }}
          token: ${{ secrets.token }}
    - id: wait
      action: debug:wait
      if: ${{ parameters.wait }}
      input: { milliseconds: "${{ parameters.wait }}" }
    - id: log
      action: debug:log
      input: { message: "token ${{ secrets.token }} used" }
    - id: publish
      name: Publish
      action: publish:git
      input: { repoName: "${{ parameters.name }}" }
    - id: register
      name: Register
      action: catalog:register
      input:
        repoContentsUrl: ${{ steps['publish'].output.repoContentsUrl }}
  output:
    links:
      - title: Repository
        url: ${{ steps['publish'].output.remoteUrl }}
      - title: Open in catalog
        entityRef: ${{ steps['register'].output.entityRef }}
"#;

const CATALOG_INFO: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {{values.name}}\n  annotations:\n    backstage.io/source-template: {{template.ref}}\nspec:\n  type: service\n  lifecycle: experimental\n  owner: {{values.owner}}\n";

/// The template registered from the test's directory.
pub(crate) fn with_template() -> Vec<TestApp> {
    TestDb::all()
        .into_iter()
        .map(|db| {
            let app = TestApp::spawn_scaffolder(db, Duration::from_secs(2));
            app.write("tpl/skeleton/catalog-info.yaml", CATALOG_INFO);
            app.write(
                "tpl/skeleton/README.md",
                "# {{values.name}}\n\ntoken: {{default values.token \"none\"}}\n",
            );
            let file = app.write("tpl/template.yaml", TEMPLATE);
            let r = app.register(&file);
            assert_eq!(r.status, 201, "{}", r.text);
            app
        })
        .collect()
}

fn create(app: &TestApp, values: Value, secrets: Value) -> crate::app::Reply {
    app.post(
        "/api/scaffolder/v2/tasks",
        &json!({ "templateRef": "template:default/svc", "values": values, "secrets": secrets }),
    )
}

/// The whole event stream (it ends with the task), as (type, data) pairs.
fn stream(app: &TestApp, id: &str) -> Vec<(String, Value)> {
    let r = app.get(&format!("/api/scaffolder/v2/tasks/{id}/eventstream"));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.content_type.as_deref(), Some("text/event-stream"));
    r.text
        .split("\n\n")
        .filter_map(|block| {
            let kind = block.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((
                kind.to_owned(),
                serde_json::from_str(data).unwrap_or(Value::Null),
            ))
        })
        .collect()
}

pub(crate) fn wait_status(app: &TestApp, id: &str, want: &str) -> Value {
    let started = Instant::now();
    loop {
        let task = app.get(&format!("/api/scaffolder/v2/tasks/{id}")).body;
        if task["status"] == want {
            return task;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "still {task}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_task_renders_publishes_and_registers() {
    for app in with_template() {
        let r = create(
            &app,
            json!({ "name": "orders", "owner": "team-a" }),
            json!({ "token": "tok-93a1f" }),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["id"].as_str().unwrap().to_owned();

        let events = stream(&app, &id);
        let (last_type, last) = events.last().unwrap();
        assert_eq!(last_type, "completion", "{events:?}");
        assert_eq!(last["body"]["status"], "completed", "{last}");
        let log: Vec<&str> = events
            .iter()
            .filter_map(|(_, e)| e["body"]["message"].as_str())
            .collect();
        assert!(log.contains(&"Beginning step Render"), "{log:?}");
        assert!(log.contains(&"token *** used"), "{log:?}");
        assert!(
            log.iter()
                .any(|l| l.starts_with("created repository orders")),
            "{log:?}"
        );

        let task = wait_status(&app, &id, "completed");
        let links = &task["output"]["links"];
        assert!(
            links[0]["url"]
                .as_str()
                .unwrap()
                .ends_with("repos/orders.git"),
            "{task}"
        );
        assert_eq!(links[1]["entityRef"], "component:default/orders");
        assert_eq!(
            task["spec"]["templateInfo"]["entityRef"],
            "template:default/svc"
        );

        // Registered, with its owner and where it came from.
        let entity = app.get("/api/catalog/entities/by-name/component/default/orders");
        assert_eq!(entity.status, 200, "{}", entity.text);
        assert_eq!(entity.body["spec"]["owner"], "team-a");
        assert_eq!(
            entity.body["metadata"]["annotations"]["backstage.io/source-template"],
            "template:default/svc"
        );

        // The secret reached the skeleton (the template put it in the
        // README) but is nowhere in the database.
        let store = app.scaffolder.as_ref().unwrap().store().clone();
        let (rows, _) = store
            .read(|tx| {
                tx.tasks(&portico_store::TaskFilter {
                    created_by: None,
                    status: None,
                    limit: 100,
                    offset: 0,
                })
            })
            .unwrap();
        let events = store.read(|tx| tx.task_events(&id, 0, 1000)).unwrap();
        for text in rows
            .iter()
            .map(|r| format!("{r:?}"))
            .chain(events.iter().map(|e| format!("{e:?}")))
        {
            assert!(!text.contains("tok-93a1f"), "secret stored: {text}");
        }
        assert!(!app
            .get(&format!("/api/scaffolder/v2/tasks/{id}/events"))
            .text
            .contains("tok-93a1f"));
    }
}

#[test]
fn invalid_values_are_refused_naming_the_field() {
    for app in with_template() {
        let r = create(&app, json!({ "name": "Bad Name" }), json!({}));
        assert_eq!(r.status, 400, "{}", r.text);
        let message = r.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("/name:"), "{message}");
        assert!(message.contains("/owner:"), "{message}");
        let list = app.get("/api/scaffolder/v2/tasks");
        assert_eq!(list.body["totalTasks"], 0, "nothing was created");

        let r = app.post(
            "/api/scaffolder/v2/tasks",
            &json!({ "templateRef": "template:default/nope", "values": {} }),
        );
        assert_eq!(r.status, 404, "{}", r.text);
    }
}

#[test]
fn a_path_escape_fails_the_task_and_writes_nothing_outside() {
    for app in with_template() {
        let r = create(
            &app,
            json!({ "name": "esc", "owner": "team-a", "target": "../../outside" }),
            json!({}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["id"].as_str().unwrap().to_owned();
        let events = stream(&app, &id);
        let (_, last) = events.last().unwrap();
        assert_eq!(last["body"]["status"], "failed", "{last}");
        let task = wait_status(&app, &id, "failed");
        let error = task["error"].as_str().unwrap();
        assert!(
            error.contains("step 'fetch'") && error.contains("leaves the workspace"),
            "{error}"
        );
        assert!(!app.dir.path().join("outside").exists());
        assert!(!app.dir.path().join("repos/esc.git").exists());
    }
}

#[test]
fn cancelling_a_running_task_stops_it() {
    for app in with_template() {
        let r = create(
            &app,
            json!({ "name": "slow", "owner": "team-a", "wait": 20000 }),
            json!({}),
        );
        let id = r.body["id"].as_str().unwrap().to_owned();
        wait_status(&app, &id, "processing");
        // Let it reach the wait step.
        let started = Instant::now();
        loop {
            let events = app
                .get(&format!("/api/scaffolder/v2/tasks/{id}/events"))
                .text;
            if events.contains("waiting") {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "{events}");
            std::thread::sleep(Duration::from_millis(20));
        }
        // Only whoever started it (or an admin) may stop it.
        let bob = format!(
            "Bearer {}",
            app.token("user:default/bob", &["group:default/team-a"])
        );
        let r = app.post_with_headers(
            &format!("/api/scaffolder/v2/tasks/{id}/cancel"),
            b"{}",
            &[("Authorization", &bob)],
        );
        assert_eq!(r.status, 403, "{}", r.text);
        assert!(
            r.text
                .contains("needs being the one who started it (user:default/operator)"),
            "{}",
            r.text
        );
        let r = app.post_form_with(
            &format!("/create/tasks/{id}/cancel"),
            &[],
            &[("Authorization", &bob)],
        );
        assert_eq!(r.status, 403, "{}", r.text);
        assert_eq!(
            app.get(&format!("/api/scaffolder/v2/tasks/{id}")).body["status"],
            "processing"
        );
        let r = app.post(&format!("/api/scaffolder/v2/tasks/{id}/cancel"), &json!({}));
        assert_eq!(r.status, 200, "{}", r.text);
        let task = wait_status(&app, &id, "cancelled");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
        assert!(!app.dir.path().join("repos/slow.git").exists(), "{task}");
        let events = stream(&app, &id);
        assert_eq!(events.last().unwrap().1["body"]["status"], "cancelled");
        // Cancelled tasks can be retried, by the one who started them.
        let r = app.post_with_headers(
            &format!("/api/scaffolder/v2/tasks/{id}/retry"),
            b"{}",
            &[("Authorization", &bob)],
        );
        assert_eq!(r.status, 403, "{}", r.text);
        let r = app.post(&format!("/api/scaffolder/v2/tasks/{id}/retry"), &json!({}));
        assert_eq!(r.status, 201, "{}", r.text);
    }
}

#[test]
fn actions_and_parameter_schema_are_listed() {
    for app in with_template() {
        let actions = app.get("/api/scaffolder/v2/actions");
        assert_eq!(actions.status, 200);
        let ids: Vec<&str> = actions
            .body
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["id"].as_str())
            .collect();
        for want in [
            "fetch:template",
            "fetch:plain",
            "fs:rename",
            "fs:delete",
            "publish:git",
            "catalog:register",
            "catalog:write",
            "debug:log",
        ] {
            assert!(ids.contains(&want), "{want} not in {ids:?}");
        }
        let fetch = actions
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == "fetch:template")
            .unwrap();
        assert_eq!(fetch["schema"]["input"]["required"], json!(["url"]));

        let schema = app.get("/api/scaffolder/v2/templates/default/template/svc/parameter-schema");
        assert_eq!(schema.status, 200, "{}", schema.text);
        assert_eq!(schema.body["title"], "Service");
        assert_eq!(
            schema.body["steps"][0]["schema"]["required"],
            json!(["name", "owner"])
        );
        assert_eq!(app.get("/api/scaffolder/v2/tasks/no-such-task").status, 404);
    }
}

#[test]
fn a_dry_run_returns_the_files_and_publishes_nothing() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    for app in with_template() {
        let template: Value = serde_yaml::from_str(TEMPLATE).unwrap();
        let body = json!({
            "template": template,
            "values": { "name": "dry", "owner": "team-a" },
            "secrets": { "token": "dry-secret-77" },
            "directoryContents": [
                { "path": "skeleton/catalog-info.yaml", "base64Content": b64(CATALOG_INFO) },
                { "path": "skeleton/README.md", "base64Content": b64("# {{values.name}}\n") },
                { "path": "skeleton/run.sh", "base64Content": b64("echo {{values.name}}\n"), "executable": true }
            ]
        });
        let r = app.post("/api/scaffolder/v2/dry-run", &body);
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["error"], Value::Null, "{}", r.text);
        let files = r.body["directoryContents"].as_array().unwrap();
        let paths: Vec<&str> = files.iter().filter_map(|f| f["path"].as_str()).collect();
        assert_eq!(paths, vec!["README.md", "catalog-info.yaml", "run.sh"]);
        let readme = files.iter().find(|f| f["path"] == "README.md").unwrap();
        assert_eq!(readme["base64Content"], b64("# dry\n"));
        assert_eq!(
            files.iter().find(|f| f["path"] == "run.sh").unwrap()["executable"],
            true
        );
        let log = r.body["log"].to_string();
        assert!(log.contains("would create repository dry"), "{log}");
        assert!(log.contains("would register"), "{log}");
        assert!(!r.text.contains("dry-secret-77"));
        assert_eq!(r.body["steps"][0]["id"], "fetch");
        // Nothing published, registered or stored.
        assert!(!app.dir.path().join("repos/dry.git").exists());
        assert_eq!(
            app.get("/api/catalog/entities/by-name/component/default/dry")
                .status,
            404
        );
        assert_eq!(app.get("/api/scaffolder/v2/tasks").body["totalTasks"], 0);

        // Bad values: 400 naming the field, as for tasks.
        let mut bad = body.clone();
        bad["values"] = json!({ "name": "Dry Run" });
        let r = app.post("/api/scaffolder/v2/dry-run", &bad);
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.text.contains("/name:"), "{}", r.text);
    }
}
