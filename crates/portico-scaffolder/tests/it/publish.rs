//! `publish:git` and `catalog:write`: a real bare repository, read back
//! through the git reader the catalog uses.

use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use portico_git::{GitMirrors, RepoUrl};
use portico_scaffolder::actions::{PublishGit, ANSWERS_FILE};
use portico_scaffolder::{Actions, LocalTemplateFiles, RunRequest, Runner};
use serde_json::json;

use crate::common::Fixture;

fn runner(base: &std::path::Path) -> Runner {
    let mut actions = Actions::builtin();
    actions.register(Arc::new(PublishGit {
        base: base.to_path_buf(),
    }));
    Runner {
        actions,
        files: Arc::new(LocalTemplateFiles),
    }
}

fn steps() -> serde_json::Value {
    json!([
        { "id": "fetch", "action": "fetch:template",
          "input": { "url": "./skeleton", "values": { "name": "${{ parameters.name }}" } } },
        { "id": "write", "action": "catalog:write",
          "input": { "entity": { "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                                  "metadata": { "name": "${{ parameters.name }}" },
                                  "spec": { "type": "service", "owner": "team-a", "lifecycle": "experimental" } } } },
        { "id": "publish", "action": "publish:git", "input": { "repoName": "${{ parameters.name }}" } }
    ])
}

#[test]
fn the_workspace_becomes_a_repository_with_its_answers() {
    let f = Fixture::new(&[
        ("README.md", "# {{values.name}} from {{template.ref}}\n"),
        ("scripts/run.sh", "#!/bin/sh\nexec {{values.name}}\n"),
    ]);
    let script = f.template_dir().join("skeleton/scripts/run.sh");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let repos = tempfile::tempdir().unwrap();
    let template = f.template(
        json!({}),
        steps(),
        json!({ "url": "${{ steps.publish.output.remoteUrl }}" }),
    );
    let values = json!({ "name": "orders" });
    let user = json!({ "ref": "user:default/jane", "entity": { "spec": { "profile": { "displayName": "Jane Doe", "email": "jane@example.com" } } } });
    let cancelled = AtomicBool::new(false);
    let outcome = runner(repos.path())
        .run(
            &RunRequest {
                template: &template,
                values: &values,
                secrets: &json!({ "token": "hunter2-secret" }),
                user: &user,
                workspace: f.workspace.path(),
                dry_run: false,
                cancelled: &cancelled,
            },
            &mut |_| {},
        )
        .unwrap();
    let repo = repos.path().join("orders.git");
    assert_eq!(outcome.output["url"], repo.display().to_string());

    let url = RepoUrl::parse(&repo.display().to_string()).unwrap();
    let mirrors = GitMirrors::new(portico_git::GitOptions {
        cache_dir: repos.path().join("cache"),
        ..portico_git::GitOptions::default()
    });
    let resolved = mirrors.resolve(&url, Some("main")).unwrap();
    let snapshot = mirrors.snapshot(&url, &resolved.commit).unwrap();
    let read = |path: &str| String::from_utf8(snapshot.read(path, 1 << 20).unwrap()).unwrap();
    assert_eq!(read("README.md"), "# orders from template:default/svc\n");
    let catalog = read("catalog-info.yaml");
    assert!(
        catalog.contains("backstage.io/source-template: template:default/svc"),
        "{catalog}"
    );
    assert_eq!(read("scripts/run.sh"), "#!/bin/sh\nexec orders\n");
    // Modes as git records them: the script stays executable, the rest not.
    let tree = std::process::Command::new("git")
        .args(["ls-tree", "-r", "main"])
        .current_dir(&repo)
        .output()
        .unwrap();
    let tree = String::from_utf8(tree.stdout).unwrap();
    let mode = |path: &str| {
        tree.lines()
            .find(|l| l.ends_with(&format!("\t{path}")))
            .and_then(|l| l.split(' ').next())
            .unwrap_or_else(|| panic!("{path} not in {tree}"))
            .to_owned()
    };
    assert_eq!(mode("scripts/run.sh"), "100755", "{tree}");
    assert_eq!(mode("README.md"), "100644", "{tree}");
    let answers = read(ANSWERS_FILE);
    assert!(
        answers.contains("template: template:default/svc"),
        "{answers}"
    );
    assert!(answers.contains("name: orders"), "{answers}");
    assert!(
        !answers.contains("hunter2"),
        "secrets are never in the answers"
    );

    // The same name again: refused, the first repository untouched.
    let again = tempfile::tempdir().unwrap();
    let result = runner(repos.path()).run(
        &RunRequest {
            template: &template,
            values: &values,
            secrets: &json!({}),
            user: &user,
            workspace: again.path(),
            dry_run: false,
            cancelled: &cancelled,
        },
        &mut |_| {},
    );
    let error = result.unwrap_err().to_string();
    assert!(
        error.contains("a repository named 'orders' already exists"),
        "{error}"
    );
    assert_eq!(
        mirrors.resolve(&url, Some("main")).unwrap().commit,
        resolved.commit
    );
}

#[test]
fn a_dry_run_publishes_nothing() {
    let f = Fixture::new(&[("README.md", "x\n")]);
    let repos = tempfile::tempdir().unwrap();
    let template = f.template(json!({}), steps(), json!({}));
    let cancelled = AtomicBool::new(false);
    let mut log = Vec::new();
    runner(repos.path())
        .run(
            &RunRequest {
                template: &template,
                values: &json!({ "name": "orders" }),
                secrets: &json!({}),
                user: &json!({ "ref": "user:default/jane" }),
                workspace: f.workspace.path(),
                dry_run: true,
                cancelled: &cancelled,
            },
            &mut |e| log.push(e.message),
        )
        .unwrap();
    assert!(!repos.path().join("orders.git").exists());
    assert!(
        log.iter()
            .any(|l| l.contains("would create repository orders")),
        "{log:?}"
    );
}
