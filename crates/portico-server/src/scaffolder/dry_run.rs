//! `POST /v2/dry-run`: a template run with its files given in the request,
//! in a throwaway workspace, with nothing published or registered.

use std::sync::atomic::AtomicBool;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use portico_scaffolder::workspace::write_file;
use portico_scaffolder::{RunRequest, Template};
use serde_json::{json, Value};

use super::{check_values, Scaffolder};
use crate::ApiError;

/// Files a dry run takes or returns, at most.
const MAX_FILES: usize = 2_000;

impl Scaffolder {
    /// Runs `template` (an entity) with its directory given as
    /// `directory_contents` (`[{path, base64Content, executable?}]`, the
    /// template file's directory); returns Backstage's dry-run answer.
    pub fn dry_run(
        &self,
        template: &Value,
        values: &Value,
        secrets: &Value,
        directory_contents: &[Value],
        user_ref: &str,
    ) -> Result<Value, ApiError> {
        if directory_contents.len() > MAX_FILES {
            return Err(ApiError::input(format!(
                "directoryContents has {} files; at most {MAX_FILES} are allowed",
                directory_contents.len()
            )));
        }
        let scratch = tempfile::Builder::new()
            .prefix("dry-run-")
            .tempdir_in(self.workspaces_dir()?)
            .map_err(|e| ApiError::internal(format!("cannot make a dry-run directory: {e}")))?;
        let template_dir = scratch.path().join("template");
        let workspace = scratch.path().join("workspace");
        for dir in [&template_dir, &workspace] {
            std::fs::create_dir_all(dir)
                .map_err(|e| ApiError::internal(format!("cannot make a dry-run directory: {e}")))?;
        }
        for (i, file) in directory_contents.iter().enumerate() {
            let path = file.get("path").and_then(Value::as_str).ok_or_else(|| {
                ApiError::input(format!("directoryContents[{i}].path must be a string"))
            })?;
            let content = file
                .get("base64Content")
                .and_then(Value::as_str)
                .map(|b| STANDARD.decode(b))
                .transpose()
                .map_err(|e| ApiError::input(format!("directoryContents[{i}].base64Content: {e}")))?
                .unwrap_or_default();
            let executable = file.get("executable").and_then(Value::as_bool) == Some(true);
            write_file(
                &template_dir,
                path.trim_start_matches("./"),
                &content,
                executable,
            )
            .map_err(|e| ApiError::input(format!("directoryContents[{i}]: {e}")))?;
        }

        let mut entity = template.clone();
        if let Some(metadata) = entity.get_mut("metadata").and_then(Value::as_object_mut) {
            let annotations = metadata.entry("annotations").or_insert_with(|| json!({}));
            if let Some(annotations) = annotations.as_object_mut() {
                let location = format!("file:{}", template_dir.join("template.yaml").display());
                annotations.insert(
                    portico_model::annotations::MANAGED_BY_LOCATION.to_owned(),
                    json!(location),
                );
            }
        }
        let template =
            Template::from_entity(&entity).map_err(|e| ApiError::input(e.to_string()))?;
        check_values(&template, values)?;

        let mut log = Vec::new();
        let cancelled = AtomicBool::new(false);
        let user = json!({
            "ref": user_ref,
            "entity": self.catalog.index().get(user_ref).map(|e| e.value()),
        });
        let result = self.runner.run(
            &RunRequest {
                template: &template,
                values,
                secrets,
                user: &user,
                workspace: &workspace,
                dry_run: true,
                cancelled: &cancelled,
            },
            &mut |event| {
                log.push(json!({
                    "body": { "message": event.message, "stepId": event.step_id, "status": event.status }
                }));
            },
        );
        let (output, error) = match result {
            Ok(outcome) => (outcome.output, None),
            Err(e) => (json!({}), Some(e.to_string())),
        };
        let steps: Vec<Value> = template
            .steps
            .iter()
            .map(|s| json!({ "id": s.id, "name": s.name, "action": s.action }))
            .collect();
        Ok(json!({
            "log": log,
            "output": output,
            "error": error,
            "steps": steps,
            "directoryContents": contents(&workspace)?,
        }))
    }

    fn workspaces_dir(&self) -> Result<&std::path::Path, ApiError> {
        std::fs::create_dir_all(&self.options.workspaces).map_err(|e| {
            ApiError::internal(format!("cannot make the workspaces directory: {e}"))
        })?;
        Ok(&self.options.workspaces)
    }
}

/// Every file of the workspace as `{path, executable, base64Content}`.
fn contents(root: &std::path::Path) -> Result<Vec<Value>, ApiError> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| ApiError::internal(e.to_string()))?;
        for entry in entries {
            let entry = entry.map_err(|e| ApiError::internal(e.to_string()))?;
            let kind = entry
                .file_type()
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
                continue;
            }
            if !kind.is_file() || out.len() >= MAX_FILES {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| ApiError::internal(e.to_string()))?;
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push(json!({
                "path": relative,
                "executable": is_executable(&entry),
                "base64Content": STANDARD.encode(bytes),
            }));
        }
    }
    out.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    Ok(out)
}

#[cfg(unix)]
fn is_executable(entry: &std::fs::DirEntry) -> bool {
    use std::os::unix::fs::PermissionsExt;
    entry
        .metadata()
        .is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::DirEntry) -> bool {
    false
}
