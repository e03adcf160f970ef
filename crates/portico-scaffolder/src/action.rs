//! What a step runs: an action with a declared input schema, given a
//! context that confines it to the task's workspace.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::template::Template;
use crate::workspace::PathError;

/// Why an action failed. The message is shown to the user in the task log.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Path(#[from] PathError),
    #[error(transparent)]
    Skeleton(#[from] crate::skeleton::SkeletonError),
    #[error("{0}")]
    Failed(String),
    #[error("cancelled")]
    Cancelled,
}

/// An action's view of the running task.
pub struct ActionContext<'a> {
    /// The task's workspace: every path an action writes is inside it.
    pub workspace: &'a Path,
    /// The step's input, expressions already rendered and checked against
    /// the action's input schema.
    pub input: Value,
    pub template: &'a Template,
    /// The task's values (the form's answers; secrets are never among
    /// them).
    pub parameters: &'a Value,
    /// Reads directories of the template (its skeletons).
    pub files: &'a dyn TemplateFiles,
    /// `{ ref, entity? }` of the user running the task.
    pub user: &'a Value,
    /// Passed to actions, never logged or stored.
    pub secrets: &'a Value,
    /// A dry run writes only inside the workspace: actions with effects
    /// outside it (publishing, registering) describe what they would do.
    pub dry_run: bool,
    pub(crate) cancelled: &'a AtomicBool,
    pub(crate) log: &'a mut dyn FnMut(&str),
    pub(crate) output: Map<String, Value>,
}

impl ActionContext<'_> {
    pub fn log(&mut self, message: &str) {
        (self.log)(message);
    }

    pub fn output(&mut self, key: &str, value: Value) {
        self.output.insert(key.to_owned(), value);
    }

    /// Long actions call this between units of work.
    pub fn check_cancelled(&self) -> Result<(), ActionError> {
        if self.cancelled.load(Ordering::Relaxed) {
            Err(ActionError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// A string input, or an input error naming it.
    pub fn str_input(&self, key: &str) -> Result<&str, ActionError> {
        self.input
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| ActionError::Input(format!("input '{key}' must be a string")))
    }
}

/// A scaffolder action (`fetch:template`, `publish:git`, ...).
pub trait Action: Send + Sync {
    fn id(&self) -> &'static str;
    fn description(&self) -> &'static str;
    /// JSON Schema of the input; inputs are checked against it before
    /// `run`.
    fn input_schema(&self) -> Value;
    fn output_schema(&self) -> Value {
        json!({ "type": "object" })
    }
    fn run(&self, ctx: &mut ActionContext<'_>) -> Result<(), ActionError>;
}

/// The actions a server offers, by id.
#[derive(Clone, Default)]
pub struct Actions {
    by_id: BTreeMap<&'static str, Arc<dyn Action>>,
}

impl Actions {
    /// The actions that need nothing but the workspace and the template:
    /// `fetch:template`, `fetch:plain`, `fs:rename`, `fs:delete`,
    /// `debug:log`, `debug:wait`, `catalog:write`. `publish:git` needs a directory for
    /// repositories and `catalog:register` a catalog: the server adds them.
    pub fn builtin() -> Actions {
        let mut actions = Actions::default();
        actions.register(Arc::new(crate::actions::FetchTemplate));
        actions.register(Arc::new(crate::actions::FetchPlain));
        actions.register(Arc::new(crate::actions::FsRename));
        actions.register(Arc::new(crate::actions::FsDelete));
        actions.register(Arc::new(crate::actions::DebugLog));
        actions.register(Arc::new(crate::actions::DebugWait));
        actions.register(Arc::new(crate::actions::CatalogWrite));
        actions
    }

    /// Adds an action, replacing one with the same id.
    pub fn register(&mut self, action: Arc<dyn Action>) {
        self.by_id.insert(action.id(), action);
    }

    pub fn get(&self, id: &str) -> Option<&Arc<dyn Action>> {
        self.by_id.get(id)
    }

    /// Backstage's `GET /v2/actions` answer.
    pub fn describe(&self) -> Value {
        Value::Array(
            self.by_id
                .values()
                .map(|a| {
                    json!({
                        "id": a.id(),
                        "description": a.description(),
                        "schema": { "input": a.input_schema(), "output": a.output_schema() },
                    })
                })
                .collect(),
        )
    }
}

/// A directory of the template, on this machine.
pub struct LocalDir {
    pub path: PathBuf,
    /// Keeps a copy made for this task alive (git-hosted templates).
    pub _copy: Option<tempfile::TempDir>,
}

/// Gives actions the directories a template refers to (`./skeleton`),
/// and only those: a path climbing out of the template's directory is
/// refused, so a template can read its own files and nothing else.
pub trait TemplateFiles: Send + Sync {
    fn directory(&self, template: &Template, relative: &str) -> Result<LocalDir, ActionError>;
}

/// Templates whose catalog file is on this machine (`file:` locations).
pub struct LocalTemplateFiles;

impl TemplateFiles for LocalTemplateFiles {
    fn directory(&self, template: &Template, relative: &str) -> Result<LocalDir, ActionError> {
        let location = template.location.as_deref().unwrap_or_default();
        let Some(file) = location.strip_prefix("file:") else {
            return Err(ActionError::Failed(format!(
                "{} is read from '{location}'; only templates in local files can be read here",
                template.entity_ref
            )));
        };
        let base = Path::new(file)
            .parent()
            .ok_or_else(|| ActionError::Failed(format!("'{file}' has no directory")))?;
        let path = template_dir(base, relative)?;
        Ok(LocalDir { path, _copy: None })
    }
}

/// `relative` under `base`, which it may not leave, and which must be a
/// directory.
pub fn template_dir(base: &Path, relative: &str) -> Result<PathBuf, ActionError> {
    let joined =
        crate::workspace::join_inside(base, relative.trim_start_matches("./")).or_else(|e| {
            match relative.trim() {
                "." | "./" => Ok(base.to_path_buf()),
                _ => Err(e),
            }
        })?;
    let canonical_base = base
        .canonicalize()
        .map_err(|e| ActionError::Failed(format!("{}: {e}", base.display())))?;
    let canonical = joined
        .canonicalize()
        .map_err(|e| ActionError::Failed(format!("template directory '{relative}': {e}")))?;
    if !canonical.starts_with(&canonical_base) {
        return Err(ActionError::Failed(format!(
            "template directory '{relative}' leaves the template's own directory"
        )));
    }
    if !canonical.is_dir() {
        return Err(ActionError::Failed(format!(
            "template directory '{relative}' is not a directory"
        )));
    }
    Ok(canonical)
}
