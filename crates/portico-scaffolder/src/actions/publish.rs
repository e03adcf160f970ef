//! `publish:git` and `catalog:write`: the workspace becomes a repository,
//! with a record of the template it came from.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use portico_git::write::Change;

use crate::action::{Action, ActionContext, ActionError};
use crate::workspace::{is_executable, resolve_inside};

/// The file at the root of every generated repository that says which
/// template made it, at which commit, with which answers (never secrets):
/// what a later update from a newer template version starts from.
pub const ANSWERS_FILE: &str = ".portico-answers.yaml";

/// Files a published repository may hold, at most.
const MAX_FILES: usize = 10_000;

/// Creates a bare repository under `base` and commits the workspace to it.
pub struct PublishGit {
    /// Where repositories are created: `<dataDir>/repos` by default, a
    /// directory the catalog's git reader may read.
    pub base: PathBuf,
}

impl Action for PublishGit {
    fn id(&self) -> &'static str {
        "publish:git"
    }

    fn description(&self) -> &'static str {
        "Creates a git repository from the workspace, committed as the user running the task"
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "required": ["repoName"],
            "properties": {
                "repoName": { "type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,99}$" },
                "description": { "type": "string" },
                "defaultBranch": { "type": "string", "pattern": "^[A-Za-z0-9._/-]{1,100}$" },
                "sourcePath": { "type": "string", "description": "Directory of the workspace to publish; default its root" },
                "gitCommitMessage": { "type": "string" }
            }
        })
    }

    fn output_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "remoteUrl": { "type": "string" },
                "repoContentsUrl": { "type": "string", "description": "The repository and branch, as catalog:register takes them" },
                "commitHash": { "type": "string" }
            }
        })
    }

    fn run(&self, ctx: &mut ActionContext<'_>) -> Result<(), ActionError> {
        let name = ctx.str_input("repoName")?.to_owned();
        if name.contains("..") {
            return Err(ActionError::Input(format!(
                "repoName '{name}' may not contain '..'"
            )));
        }
        let branch = ctx
            .input
            .get("defaultBranch")
            .and_then(Value::as_str)
            .unwrap_or("main")
            .to_owned();
        let source = match ctx.input.get("sourcePath").and_then(Value::as_str) {
            None => ctx.workspace.to_path_buf(),
            Some(p) if matches!(p.trim(), "" | "." | "./") => ctx.workspace.to_path_buf(),
            Some(p) => resolve_inside(ctx.workspace, p.trim_start_matches("./"))?,
        };
        let repo = self.base.join(format!("{name}.git"));
        let remote = repo.display().to_string();
        ctx.output("remoteUrl", json!(remote));
        ctx.output("repoContentsUrl", json!(format!("{remote}?ref={branch}")));
        if repo.exists() {
            return Err(ActionError::Failed(format!(
                "a repository named '{name}' already exists"
            )));
        }

        let mut files = list_files(&source)?;
        files.push(PublishedFile {
            path: ANSWERS_FILE.to_owned(),
            content: answers(ctx).into_bytes(),
            executable: false,
        });
        let message = ctx
            .input
            .get("gitCommitMessage")
            .and_then(Value::as_str)
            .map_or_else(
                || format!("Create {name} from {}", ctx.template.entity_ref),
                str::to_owned,
            );
        let (author, email) = author(ctx.user);
        if ctx.dry_run {
            ctx.log(&format!(
                "would create repository {name} on branch {branch} with {} files, committed by {author} <{email}>",
                files.len()
            ));
            return Ok(());
        }
        ctx.check_cancelled()?;
        portico_git::write::init_bare(&repo, &branch)
            .map_err(|e| ActionError::Failed(format!("creating the repository: {e}")))?;
        let entries: Vec<Change<'_>> = files
            .iter()
            .map(|file| Change::Write {
                path: &file.path,
                content: &file.content,
                executable: file.executable,
            })
            .collect();
        let commit =
            portico_git::write::commit(&repo, &branch, &entries, &message, (&author, &email))
                .map_err(|e| {
                    // A half-made repository would block a retry under the same name.
                    let _ = fs::remove_dir_all(&repo);
                    ActionError::Failed(format!("committing: {e}"))
                })?;
        ctx.log(&format!(
            "created repository {name}: {} files on {branch}, commit {commit}",
            entries.len()
        ));
        ctx.output("commitHash", json!(commit));
        Ok(())
    }
}

/// The answers file: YAML, the template and the values it was given.
fn answers(ctx: &ActionContext<'_>) -> String {
    let record = json!({
        "template": ctx.template.entity_ref,
        "templateCommit": ctx.template.commit,
        "values": ctx.parameters,
    });
    let yaml = serde_yaml::to_string(&record).unwrap_or_else(|_| format!("{record}\n"));
    format!(
        "# Written by Portico when this repository was created from a template.\n\
         # It records the template and the answers given, to update the repository\n\
         # when the template changes. Secrets are never written here.\n{yaml}"
    )
}

/// Name and e-mail of the user running the task, for the commit.
fn author(user: &Value) -> (String, String) {
    let entity_ref = user
        .get("ref")
        .and_then(Value::as_str)
        .unwrap_or("user:default/guest");
    let name = entity_ref
        .rsplit(['/', ':'])
        .next()
        .unwrap_or("guest")
        .to_owned();
    let profile = user.pointer("/entity/spec/profile");
    let text = |key: &str| {
        profile
            .and_then(|p| p.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty() && !s.contains(['<', '>', '\n', '\0']))
            .map(str::to_owned)
    };
    let display = text("displayName").unwrap_or_else(|| name.clone());
    let email = text("email").unwrap_or_else(|| format!("{name}@users.portico.local"));
    (display, email)
}

/// Every file under `root` as (relative `/` path, content); links are
/// refused, not followed.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct PublishedFile {
    path: String,
    content: Vec<u8>,
    executable: bool,
}

fn list_files(root: &Path) -> Result<Vec<PublishedFile>, ActionError> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = fs::read_dir(&dir)
            .map_err(|e| ActionError::Failed(format!("{}: {e}", dir.display())))?;
        for entry in entries {
            let entry =
                entry.map_err(|e| ActionError::Failed(format!("{}: {e}", dir.display())))?;
            let path = entry.path();
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            let kind = entry
                .file_type()
                .map_err(|e| ActionError::Failed(format!("{relative}: {e}")))?;
            if kind.is_symlink() {
                return Err(ActionError::Failed(format!(
                    "{relative} is a symbolic link; links are not published"
                )));
            }
            if kind.is_dir() {
                pending.push(path);
                continue;
            }
            if out.len() >= MAX_FILES {
                return Err(ActionError::Failed(format!(
                    "more than {MAX_FILES} files to publish"
                )));
            }
            let content =
                fs::read(&path).map_err(|e| ActionError::Failed(format!("{relative}: {e}")))?;
            let executable = entry
                .metadata()
                .map(|meta| is_executable(&meta))
                .map_err(|e| ActionError::Failed(format!("{relative}: {e}")))?;
            out.push(PublishedFile {
                path: relative,
                content,
                executable,
            });
        }
    }
    out.sort();
    Ok(out)
}

/// Writes an entity as a catalog file into the workspace.
pub struct CatalogWrite;

impl Action for CatalogWrite {
    fn id(&self) -> &'static str {
        "catalog:write"
    }

    fn description(&self) -> &'static str {
        "Writes an entity to a catalog file in the workspace, recording the template it came from"
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "required": ["entity"],
            "properties": {
                "entity": { "type": "object" },
                "filePath": { "type": "string", "description": "Default catalog-info.yaml" }
            }
        })
    }

    fn run(&self, ctx: &mut ActionContext<'_>) -> Result<(), ActionError> {
        let mut entity = ctx.input.get("entity").cloned().unwrap_or(Value::Null);
        let path = ctx
            .input
            .get("filePath")
            .and_then(Value::as_str)
            .unwrap_or("catalog-info.yaml")
            .to_owned();
        if let Some(metadata) = entity.get_mut("metadata").and_then(Value::as_object_mut) {
            let annotations = metadata.entry("annotations").or_insert_with(|| json!({}));
            if let Some(annotations) = annotations.as_object_mut() {
                annotations
                    .entry(portico_model::annotations::SOURCE_TEMPLATE)
                    .or_insert_with(|| json!(ctx.template.entity_ref));
            }
        } else {
            return Err(ActionError::Input("input 'entity' has no metadata".into()));
        }
        let yaml = serde_yaml::to_string(&entity)
            .map_err(|e| ActionError::Failed(format!("writing the entity as YAML: {e}")))?;
        crate::workspace::write_file(
            ctx.workspace,
            path.trim_start_matches("./"),
            yaml.as_bytes(),
            false,
        )?;
        ctx.log(&format!("wrote {path}"));
        Ok(())
    }
}
