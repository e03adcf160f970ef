//! `fetch:template` and `fetch:plain`: a directory of the template into the
//! workspace, rendered or as is.

use serde_json::{json, Value};

use crate::action::{Action, ActionContext, ActionError};
use crate::skeleton::{copy_tree, engine, render_tree, SkeletonOptions};

pub struct FetchTemplate;

impl Action for FetchTemplate {
    fn id(&self) -> &'static str {
        "fetch:template"
    }

    fn description(&self) -> &'static str {
        "Renders a skeleton directory of the template with Handlebars into the workspace"
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "required": ["url"],
            "properties": {
                "url": { "type": "string", "description": "Skeleton directory, relative to the template's catalog file" },
                "targetPath": { "type": "string", "description": "Where in the workspace to write; default the workspace root" },
                "values": { "type": "object", "description": "What the skeleton sees as `values`" },
                "copyWithoutTemplating": {
                    "type": "array", "items": { "type": "string" },
                    "description": "Globs of skeleton paths copied byte for byte (their names are still rendered)"
                }
            }
        })
    }

    fn output_schema(&self) -> Value {
        json!({ "type": "object", "properties": { "files": { "type": "array", "items": { "type": "string" } } } })
    }

    fn run(&self, ctx: &mut ActionContext<'_>) -> Result<(), ActionError> {
        let url = ctx.str_input("url")?.to_owned();
        let target = target_dir(ctx)?;
        let options = SkeletonOptions {
            copy_without_templating: strings(ctx.input.get("copyWithoutTemplating")),
        };
        let values = ctx
            .input
            .get("values")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let skeleton = ctx.files.directory(ctx.template, &url)?;
        ctx.check_cancelled()?;
        // `template` lets a skeleton record where it came from (the
        // `backstage.io/source-template` annotation).
        let data = json!({
            "values": values,
            "template": { "ref": ctx.template.entity_ref, "commit": ctx.template.commit },
        });
        let files = render_tree(&engine(), &skeleton.path, &target, &data, &options)?;
        ctx.log(&format!("rendered {} files from {url}", files.len()));
        let paths: Vec<Value> = files.into_iter().map(|f| Value::String(f.path)).collect();
        ctx.output("files", Value::Array(paths));
        Ok(())
    }
}

pub struct FetchPlain;

impl Action for FetchPlain {
    fn id(&self) -> &'static str {
        "fetch:plain"
    }

    fn description(&self) -> &'static str {
        "Copies a directory of the template into the workspace as it is"
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "required": ["url"],
            "properties": {
                "url": { "type": "string", "description": "Directory, relative to the template's catalog file" },
                "targetPath": { "type": "string", "description": "Where in the workspace to write; default the workspace root" }
            }
        })
    }

    fn run(&self, ctx: &mut ActionContext<'_>) -> Result<(), ActionError> {
        let url = ctx.str_input("url")?.to_owned();
        let target = target_dir(ctx)?;
        let source = ctx.files.directory(ctx.template, &url)?;
        let files = copy_tree(&source.path, &target)?;
        ctx.log(&format!("copied {} files from {url}", files.len()));
        Ok(())
    }
}

/// `targetPath` inside the workspace (created), or the workspace itself.
fn target_dir(ctx: &ActionContext<'_>) -> Result<std::path::PathBuf, ActionError> {
    let target = match ctx.input.get("targetPath").and_then(Value::as_str) {
        None => return Ok(ctx.workspace.to_path_buf()),
        Some(t) if matches!(t.trim(), "" | "." | "./") => return Ok(ctx.workspace.to_path_buf()),
        Some(t) => t.trim_start_matches("./"),
    };
    let path = crate::workspace::resolve_inside(ctx.workspace, target)?;
    std::fs::create_dir_all(&path)
        .map_err(|e| ActionError::Failed(format!("creating {target}: {e}")))?;
    // Created now, so check again that no link was planted on the way.
    crate::workspace::resolve_inside(ctx.workspace, target)?;
    Ok(path)
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
