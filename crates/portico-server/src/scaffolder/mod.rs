//! Scaffolder tasks: created through the API, stored, claimed by one
//! replica's worker, run in a workspace under the data dir, their log
//! stored as events.
//!
//! Secrets live only in this replica's memory, from the request that
//! created the task to the worker that runs it: they are never written to
//! the database. A task another replica claims runs without them (its
//! steps that need them fail and say so); a replica's own workers are woken
//! at once, so in practice the replica that took the request runs it.

mod dry_run;
mod register;
mod worker;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use portico_catalog::Catalog;
use portico_scaffolder::actions::PublishGit;
use portico_scaffolder::{params, Actions, LocalTemplateFiles, Runner, Template};
use portico_store::{Store, TaskRow};
use serde_json::{json, Value};

pub use self::register::CatalogRegister;
use crate::ApiError;

/// `scaffolder` settings a service needs.
#[derive(Debug, Clone)]
pub struct ScaffolderOptions {
    /// Tasks one replica runs at the same time.
    pub workers: usize,
    /// A processing task whose worker has not renewed its heartbeat for
    /// this long is failed (its replica died).
    pub heartbeat_timeout: Duration,
    /// Where `publish:git` creates repositories.
    pub repositories: PathBuf,
    /// Where tasks' workspaces are made (and removed).
    pub workspaces: PathBuf,
}

/// The user tasks run as when the caller is not signed in.
pub use crate::auth::GUEST;

pub struct Scaffolder {
    store: Store,
    catalog: Arc<Catalog>,
    runner: Runner,
    options: ScaffolderOptions,
    replica: String,
    /// Task id -> secrets, from creation until a worker of this replica
    /// takes them.
    secrets: Mutex<HashMap<String, Value>>,
    /// Set when a task may be waiting; workers sleep on it.
    wake: (Mutex<bool>, Condvar),
    /// Workers take no new task.
    stop: AtomicBool,
    /// Running tasks stop at their next check and go back to the queue.
    interrupt: AtomicBool,
}

impl Scaffolder {
    pub fn new(store: Store, catalog: Arc<Catalog>, options: ScaffolderOptions) -> Arc<Scaffolder> {
        let mut actions = Actions::builtin();
        actions.register(Arc::new(PublishGit {
            base: options.repositories.clone(),
        }));
        actions.register(Arc::new(CatalogRegister {
            catalog: Arc::clone(&catalog),
        }));
        let replica = format!("scaffolder-{}", uuid_v4());
        Arc::new(Scaffolder {
            store,
            catalog,
            runner: Runner {
                actions,
                files: Arc::new(LocalTemplateFiles),
            },
            options,
            replica,
            secrets: Mutex::new(HashMap::new()),
            wake: (Mutex::new(false), Condvar::new()),
            stop: AtomicBool::new(false),
            interrupt: AtomicBool::new(false),
        })
    }

    pub fn actions(&self) -> &Actions {
        &self.runner.actions
    }

    /// The template entity named by `template_ref`, ready to run.
    pub fn template(&self, template_ref: &str) -> Result<(Template, Value), ApiError> {
        let key = template_ref.trim().to_lowercase();
        let key = if key.contains(':') {
            key
        } else {
            format!("template:{key}")
        };
        let key = if key.contains('/') {
            key
        } else {
            key.replacen(':', ":default/", 1)
        };
        let entity = self
            .catalog
            .index()
            .get(&key)
            .ok_or_else(|| {
                ApiError::not_found(format!("No template named '{template_ref}' found"))
            })?
            .value();
        let template =
            Template::from_entity(&entity).map_err(|e| ApiError::input(e.to_string()))?;
        Ok((template, entity))
    }

    /// Checks the values and stores a new open task; returns its id.
    pub fn create_task(
        &self,
        template_ref: &str,
        values: Value,
        secrets: Value,
        user: &str,
    ) -> Result<String, ApiError> {
        let (template, entity) = self.template(template_ref)?;
        check_values(&template, &values)?;
        let id = uuid_v4();
        let spec = json!({
            "apiVersion": "scaffolder.backstage.io/v1beta3",
            "templateInfo": { "entityRef": template.entity_ref, "entity": entity },
            "parameters": values,
            "user": { "ref": user },
            "secretKeys": secrets.as_object().map(|s| s.keys().cloned().collect::<Vec<_>>()).unwrap_or_default(),
        });
        if secrets.as_object().is_some_and(|s| !s.is_empty()) {
            self.lock_secrets().insert(id.clone(), secrets);
        }
        let now = now_ms();
        self.store
            .transaction(|tx| tx.create_task(&id, &spec.to_string(), user, now))
            .inspect_err(|_| {
                self.lock_secrets().remove(&id);
            })?;
        tracing::info!(task = %id, template = %template.entity_ref, "scaffolder task created");
        self.wake_workers();
        Ok(id)
    }

    fn lock_secrets(&self) -> std::sync::MutexGuard<'_, HashMap<String, Value>> {
        self.secrets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Tells idle workers a task may be waiting.
    pub fn wake_workers(&self) {
        let (flag, condvar) = &self.wake;
        *flag.lock().unwrap_or_else(PoisonError::into_inner) = true;
        condvar.notify_all();
    }

    /// Starts this replica's workers; they stop when [`Scaffolder::stop`]
    /// is called.
    ///
    /// Workspaces left by a previous run of this server (killed mid-task)
    /// are removed first: nothing of this process uses them yet.
    pub fn start(self: &Arc<Self>) -> Vec<JoinHandle<()>> {
        if let Ok(entries) = std::fs::read_dir(&self.options.workspaces) {
            for entry in entries.flatten() {
                if let Err(e) = std::fs::remove_dir_all(entry.path()) {
                    tracing::warn!(path = %entry.path().display(), error = %e, "cannot remove a leftover workspace");
                }
            }
        }
        (0..self.options.workers.max(1))
            .filter_map(|i| {
                let me = Arc::clone(self);
                std::thread::Builder::new()
                    .name(format!("scaffolder-{i}"))
                    .spawn(move || me.work())
                    .map_err(|e| tracing::error!(error = %e, "cannot start a scaffolder worker"))
                    .ok()
            })
            .collect()
    }

    /// Workers take no new task; each returns when the task it runs ends.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.wake_workers();
    }

    /// Stops the tasks still running (at their next cancellation check)
    /// and puts them back in the queue, where a replica picks them up and
    /// runs them again from the start: for a shutdown that cannot wait for
    /// them. Implies [`Scaffolder::stop`].
    pub fn interrupt(&self) {
        self.interrupt.store(true, Ordering::Relaxed);
        self.stop();
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Asks for a task to stop: an open one is cancelled at once (with the
    /// completion event its stream needs), a running one when its worker
    /// next looks. `None` when there is no such task.
    pub fn cancel(&self, id: &str) -> Result<Option<TaskRow>, portico_store::StoreError> {
        self.store.transaction(|tx| {
            let now = now_ms();
            let before = tx.task(id)?;
            let after = tx.request_task_cancel(id, now)?;
            if let (Some(before), Some(after)) = (&before, &after) {
                if before.status == "open" && after.status == "cancelled" {
                    let body =
                        json!({ "message": "cancelled before it started", "status": "cancelled" });
                    tx.append_task_event(id, "completion", &body.to_string(), now)?;
                }
            }
            Ok(after)
        })
    }
}

/// The form's answers against the template's pages: 400 naming every bad
/// field by JSON pointer.
pub fn check_values(template: &Template, values: &Value) -> Result<(), ApiError> {
    let errors =
        params::validate(&template.pages, values).map_err(|e| ApiError::input(e.to_string()))?;
    if errors.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
    Err(ApiError::input(format!(
        "invalid values for {}: {}",
        template.entity_ref,
        list.join("; ")
    )))
}

/// Backstage's task JSON.
pub fn task_json(row: &TaskRow) -> Value {
    let spec: Value = serde_json::from_str(&row.spec_json).unwrap_or(Value::Null);
    json!({
        "id": row.id,
        "spec": spec,
        "status": row.status,
        "createdAt": iso(row.created_at),
        "lastHeartbeatAt": row.heartbeat_at.map(iso),
        "createdBy": row.created_by,
        "output": row.output_json.as_deref().and_then(|o| serde_json::from_str::<Value>(o).ok()),
        "error": row.error,
        "finishedAt": row.finished_at.map(iso),
    })
}

/// Epoch milliseconds as Backstage's JSON dates.
pub fn iso(ms: i64) -> String {
    portico_model::time::rfc3339_millis(ms)
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn uuid_v4() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4() {
        let id = uuid_v4();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(uuid_v4(), id);
    }
}
