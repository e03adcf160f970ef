//! `fs:rename`, `fs:delete`, `debug:log`: small file actions inside the
//! workspace.

use std::fs;
use std::path::Path;

use serde_json::{json, Value};

use crate::action::{Action, ActionContext, ActionError};
use crate::workspace::resolve_inside;

pub struct FsRename;

impl Action for FsRename {
    fn id(&self) -> &'static str {
        "fs:rename"
    }

    fn description(&self) -> &'static str {
        "Renames files or directories in the workspace"
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "required": ["files"],
            "properties": {
                "files": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["from", "to"],
                        "properties": {
                            "from": { "type": "string" },
                            "to": { "type": "string" },
                            "overwrite": { "type": "boolean", "default": false }
                        }
                    }
                }
            }
        })
    }

    fn run(&self, ctx: &mut ActionContext<'_>) -> Result<(), ActionError> {
        let files = ctx
            .input
            .get("files")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for file in files {
            ctx.check_cancelled()?;
            let text = |key: &str| {
                file.get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let (from, to) = (text("from"), text("to"));
            let overwrite = file
                .get("overwrite")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let source = resolve_inside(ctx.workspace, &from)?;
            let target = resolve_inside(ctx.workspace, &to)?;
            if fs::symlink_metadata(&source).is_err() {
                return Err(ActionError::Failed(format!(
                    "cannot rename '{from}': it does not exist"
                )));
            }
            if fs::symlink_metadata(&target).is_ok() {
                if !overwrite {
                    return Err(ActionError::Failed(format!(
                        "cannot rename '{from}' to '{to}': '{to}' exists (set overwrite: true to replace it)"
                    )));
                }
                remove(&target)
                    .map_err(|e| ActionError::Failed(format!("replacing '{to}': {e}")))?;
            }
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(|e| {
                    ActionError::Failed(format!("creating the directory of '{to}': {e}"))
                })?;
            }
            // The parents were just created: check no link was planted.
            resolve_inside(ctx.workspace, &to)?;
            fs::rename(&source, &target)
                .map_err(|e| ActionError::Failed(format!("renaming '{from}' to '{to}': {e}")))?;
            ctx.log(&format!("renamed {from} to {to}"));
        }
        Ok(())
    }
}

pub struct FsDelete;

impl Action for FsDelete {
    fn id(&self) -> &'static str {
        "fs:delete"
    }

    fn description(&self) -> &'static str {
        "Deletes files or directories from the workspace; entries may be globs"
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "required": ["files"],
            "properties": { "files": { "type": "array", "items": { "type": "string" } } }
        })
    }

    fn run(&self, ctx: &mut ActionContext<'_>) -> Result<(), ActionError> {
        let patterns: Vec<String> = ctx
            .input
            .get("files")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        for pattern in patterns {
            ctx.check_cancelled()?;
            // The pattern itself must stay inside; what it matches is then
            // inside by construction.
            resolve_inside(ctx.workspace, &pattern)?;
            let matcher = glob::Pattern::new(&pattern)
                .map_err(|e| ActionError::Input(format!("bad pattern '{pattern}': {e}")))?;
            let mut matched = Vec::new();
            collect_matches(ctx.workspace, ctx.workspace, &matcher, &mut matched)
                .map_err(|e| ActionError::Failed(format!("listing the workspace: {e}")))?;
            for path in matched {
                remove(&path).map_err(|e| {
                    ActionError::Failed(format!("deleting {}: {e}", path.display()))
                })?;
                let shown = path
                    .strip_prefix(ctx.workspace)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                ctx.log(&format!("deleted {shown}"));
            }
        }
        Ok(())
    }
}

/// Paths under `dir` whose workspace-relative path matches; a matched
/// directory is not descended into (it is deleted whole). Links are
/// matched as entries, never followed.
fn collect_matches(
    root: &Path,
    dir: &Path,
    matcher: &glob::Pattern,
    out: &mut Vec<std::path::PathBuf>,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if matcher.matches(&relative) {
            out.push(path);
        } else if entry.file_type()?.is_dir() {
            collect_matches(root, &path, matcher, out)?;
        }
    }
    Ok(())
}

/// Removes a file, a link (not its target) or a directory tree.
fn remove(path: &Path) -> std::io::Result<()> {
    if fs::symlink_metadata(path)?.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}

pub struct DebugLog;

impl Action for DebugLog {
    fn id(&self) -> &'static str {
        "debug:log"
    }

    fn description(&self) -> &'static str {
        "Writes a message, and optionally the workspace's file list, to the task log"
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "message": { "type": "string" },
                "listWorkspace": { "type": "boolean" }
            }
        })
    }

    fn run(&self, ctx: &mut ActionContext<'_>) -> Result<(), ActionError> {
        if let Some(message) = ctx.input.get("message").and_then(Value::as_str) {
            let message = message.to_owned();
            ctx.log(&message);
        }
        if ctx.input.get("listWorkspace").and_then(Value::as_bool) == Some(true) {
            let mut files = Vec::new();
            list(ctx.workspace, ctx.workspace, &mut files)
                .map_err(|e| ActionError::Failed(format!("listing the workspace: {e}")))?;
            for file in files {
                ctx.log(&format!("  {file}"));
            }
        }
        Ok(())
    }
}

fn list(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            list(root, &path, out)?;
        } else {
            out.push(
                path.strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/"),
            );
        }
    }
    Ok(())
}

/// Longest `debug:wait`: a template cannot hold a worker for long.
const MAX_WAIT_MS: u64 = 10 * 60 * 1000;

pub struct DebugWait;

impl Action for DebugWait {
    fn id(&self) -> &'static str {
        "debug:wait"
    }

    fn description(&self) -> &'static str {
        "Waits (at most 10 minutes), for trying out templates; cancelling stops it"
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "minutes": { "type": "number", "minimum": 0 },
                "seconds": { "type": "number", "minimum": 0 },
                "milliseconds": { "type": "number", "minimum": 0 }
            }
        })
    }

    fn run(&self, ctx: &mut ActionContext<'_>) -> Result<(), ActionError> {
        let part = |key: &str, scale: f64| {
            ctx.input.get(key).and_then(Value::as_f64).unwrap_or(0.0) * scale
        };
        let total = part("minutes", 60_000.0) + part("seconds", 1000.0) + part("milliseconds", 1.0);
        // Non-negative by the schema; the float is only ever a few minutes.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let ms = (total.max(0.0) as u64).min(MAX_WAIT_MS);
        ctx.log(&format!("waiting {ms} ms"));
        let until = std::time::Instant::now() + std::time::Duration::from_millis(ms);
        while std::time::Instant::now() < until {
            ctx.check_cancelled()?;
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Ok(())
    }
}
