//! A template on disk (catalog file + skeleton) and a runner for it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use portico_scaffolder::{
    Actions, LocalTemplateFiles, RunError, RunEvent, RunOutcome, RunRequest, Runner, Template,
};
use serde_json::{json, Value};

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub workspace: tempfile::TempDir,
}

impl Fixture {
    /// A template directory with `files` (relative path, content) as its
    /// skeleton under `skeleton/`.
    pub fn new(files: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        for (path, content) in files {
            let path = dir.path().join("template").join("skeleton").join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, content).unwrap();
        }
        fs::create_dir_all(dir.path().join("template")).unwrap();
        Fixture {
            dir,
            workspace: tempfile::tempdir().unwrap(),
        }
    }

    pub fn template_dir(&self) -> PathBuf {
        self.dir.path().join("template")
    }

    /// A Template entity with these steps, located in the template dir.
    pub fn template(&self, parameters: Value, steps: Value, output: Value) -> Template {
        let location = format!(
            "file:{}",
            self.template_dir().join("template.yaml").display()
        );
        Template::from_entity(&json!({
            "apiVersion": "scaffolder.backstage.io/v1beta3",
            "kind": "Template",
            "metadata": {
                "name": "svc",
                "annotations": { "backstage.io/managed-by-location": location }
            },
            "spec": { "parameters": parameters, "steps": steps, "output": output }
        }))
        .unwrap()
    }

    pub fn run(
        &self,
        template: &Template,
        values: Value,
        secrets: Value,
    ) -> (Result<RunOutcome, RunError>, Vec<RunEvent>) {
        let cancelled = AtomicBool::new(false);
        self.run_with(template, values, secrets, &cancelled)
    }

    pub fn run_with(
        &self,
        template: &Template,
        values: Value,
        secrets: Value,
        cancelled: &AtomicBool,
    ) -> (Result<RunOutcome, RunError>, Vec<RunEvent>) {
        let runner = Runner {
            actions: Actions::builtin(),
            files: Arc::new(LocalTemplateFiles),
        };
        let user = json!({ "ref": "user:default/jane" });
        let mut events = Vec::new();
        let result = runner.run(
            &RunRequest {
                template,
                values: &values,
                secrets: &secrets,
                user: &user,
                workspace: self.workspace.path(),
                dry_run: false,
                cancelled,
            },
            &mut |e| events.push(e),
        );
        (result, events)
    }

    pub fn read(&self, relative: &str) -> String {
        fs::read_to_string(self.workspace.path().join(relative))
            .unwrap_or_else(|e| panic!("{relative}: {e}"))
    }
}

/// Every file under `dir`, relative, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(root, &path, out);
        } else {
            out.push(
                path.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
}

pub fn messages(events: &[RunEvent]) -> String {
    events
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}
