//! A worker: claims open tasks, runs them with a heartbeat, records every
//! log line as an event and the outcome on the task.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::PoisonError;
use std::time::{Duration, Instant};

use portico_scaffolder::{RunError, RunEvent, RunRequest, Template};
use portico_store::{StoreError, TaskEventType, TaskRow, TaskStatus};
use serde_json::{json, Value};

use super::{now_ms, Scaffolder};

/// How long an idle worker sleeps before looking for work again (another
/// replica's tasks, stale ones).
const IDLE_POLL: Duration = Duration::from_millis(500);
/// How often stale tasks (their replica died) are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

impl Scaffolder {
    pub(super) fn work(&self) {
        let mut last_sweep: Option<Instant> = None;
        while !self.stop.load(Ordering::Relaxed) {
            if last_sweep.is_none_or(|t| t.elapsed() >= SWEEP_EVERY) {
                last_sweep = Some(Instant::now());
                self.sweep();
            }
            let claimed = self
                .store
                .transaction(|tx| tx.claim_next_task(&self.replica, now_ms()));
            match claimed {
                Ok(Some(task)) => self.run_task(&task),
                Ok(None) => self.sleep(),
                Err(e) => {
                    tracing::warn!(error = %e, "claiming a scaffolder task failed");
                    self.sleep();
                }
            }
        }
    }

    fn sleep(&self) {
        let (flag, condvar) = &self.wake;
        let mut woken = flag.lock().unwrap_or_else(PoisonError::into_inner);
        if !*woken {
            woken = condvar
                .wait_timeout(woken, IDLE_POLL)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        *woken = false;
    }

    fn sweep(&self) {
        let timeout = i64::try_from(self.options.heartbeat_timeout.as_millis()).unwrap_or(i64::MAX);
        match self
            .store
            .transaction(|tx| tx.fail_stale_tasks(now_ms(), timeout))
        {
            Ok(failed) if !failed.is_empty() => {
                tracing::warn!(tasks = ?failed, "scaffolder tasks whose worker stopped were failed");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "looking for stale scaffolder tasks failed"),
        }
    }

    fn run_task(&self, task: &TaskRow) {
        let span = tracing::info_span!(
            "scaffolder task",
            task = %task.id,
            created_by = %task.created_by,
            status = tracing::field::Empty,
        );
        let _entered = span.enter();
        let started = Instant::now();
        let secrets = self
            .lock_secrets()
            .remove(&task.id)
            .unwrap_or_else(|| json!({}));
        let workspace = self.options.workspaces.join(&task.id);
        let cancelled = AtomicBool::new(false);
        let done = AtomicBool::new(false);
        let outcome = std::thread::scope(|scope| {
            scope.spawn(|| self.heartbeat(&task.id, &cancelled, &done));
            let outcome = self.execute(task, &secrets, &workspace, &cancelled);
            done.store(true, Ordering::Relaxed);
            outcome
        });
        if let Err(e) = std::fs::remove_dir_all(&workspace) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(task = %task.id, error = %e, "cannot remove a task's workspace");
            }
        }
        // Stopped by this server shutting down, not by a user: queued
        // again. A task its user cancelled meanwhile is not requeued; it
        // ends as cancelled below.
        if matches!(outcome, Err(RunError::Cancelled))
            && self.interrupt.load(Ordering::Relaxed)
            && self.requeue(task)
        {
            span.record("status", "requeued");
            return;
        }
        let (status, output, error) = match outcome {
            Ok(output) => (TaskStatus::Completed, Some(output), None),
            Err(RunError::Cancelled) => (
                TaskStatus::Cancelled,
                None,
                Some("the task was cancelled".to_owned()),
            ),
            Err(e) => (TaskStatus::Failed, None, Some(e.to_string())),
        };
        span.record("status", status.as_str());
        metrics::histogram!("portico_scaffolder_task_duration_seconds", "status" => status.as_str())
            .record(started.elapsed().as_secs_f64());
        let output_json = output.as_ref().map(Value::to_string);
        let message = match (&status, &error) {
            (TaskStatus::Completed, _) => "Run completed".to_owned(),
            (_, Some(e)) => e.clone(),
            (_, None) => status.as_str().to_owned(),
        };
        let body = json!({ "message": message, "status": status.as_str(), "output": output });
        let now = now_ms();
        let finished = self.store.transaction(|tx| {
            let mine = tx.finish_task(
                &task.id,
                &self.replica,
                status.as_str(),
                output_json.as_deref(),
                error.as_deref(),
                now,
            )?;
            if mine {
                tx.append_task_event(
                    &task.id,
                    TaskEventType::Completion.as_str(),
                    &body.to_string(),
                    now,
                )?;
            }
            Ok::<_, StoreError>(mine)
        });
        match finished {
            Ok(true) => tracing::info!(
                task = %task.id,
                status = status.as_str(),
                ms = started.elapsed().as_millis() as u64,
                error = error.as_deref().unwrap_or(""),
                "scaffolder task finished"
            ),
            Ok(false) => {
                tracing::warn!(task = %task.id, "the task was taken from this worker (failed as stale?); its outcome is dropped")
            }
            Err(e) => {
                tracing::error!(task = %task.id, error = %e, "recording a task's outcome failed")
            }
        }
    }

    /// Gives an interrupted task back to the queue, with a log line saying
    /// why it will start again; `false` when it was not (its user asked for
    /// it to be cancelled, or it is no longer this worker's).
    fn requeue(&self, task: &TaskRow) -> bool {
        let body = json!({
            "message": "this server stopped while the task ran; it will run again from the start on the next free worker",
            "stepId": null,
            "status": null,
        });
        let requeued = self.store.transaction(|tx| {
            let mine = tx.requeue_task(&task.id, &self.replica)?;
            if mine {
                tx.append_task_event(
                    &task.id,
                    TaskEventType::Log.as_str(),
                    &body.to_string(),
                    now_ms(),
                )?;
            }
            Ok::<_, StoreError>(mine)
        });
        match requeued {
            Ok(true) => {
                tracing::info!(task = %task.id, "scaffolder task interrupted by shutdown; queued again");
                true
            }
            Ok(false) => false,
            Err(e) => {
                tracing::error!(task = %task.id, error = %e, "cannot queue an interrupted task again; it fails when its heartbeat lapses");
                false
            }
        }
    }

    /// Runs the task's template; `Ok` is its rendered output.
    fn execute(
        &self,
        task: &TaskRow,
        secrets: &Value,
        workspace: &std::path::Path,
        cancelled: &AtomicBool,
    ) -> Result<Value, RunError> {
        let spec: Value = serde_json::from_str(&task.spec_json).unwrap_or(Value::Null);
        let failed = |message: String| RunError::Step {
            step: "start".into(),
            action: "scaffolder".into(),
            message,
        };
        let entity = spec
            .pointer("/templateInfo/entity")
            .cloned()
            .unwrap_or(Value::Null);
        let template = Template::from_entity(&entity).map_err(|e| failed(e.to_string()))?;
        let values = spec.get("parameters").cloned().unwrap_or_else(|| json!({}));
        let user_ref = spec
            .pointer("/user/ref")
            .and_then(Value::as_str)
            .unwrap_or(super::GUEST);
        let user = json!({
            "ref": user_ref,
            "entity": self.catalog.index().get(user_ref).map(|e| e.value()),
        });
        let missing: Vec<&str> = spec
            .get("secretKeys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|k| secrets.get(*k).is_none())
            .collect();
        if let Err(e) = std::fs::remove_dir_all(workspace) {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(failed(format!("cannot clear the workspace: {e}")));
            }
        }
        std::fs::create_dir_all(workspace)
            .map_err(|e| failed(format!("cannot create the workspace: {e}")))?;
        let mut record = |event: RunEvent| {
            // Already redacted by the runner: the server log may carry it.
            tracing::debug!(
                task = %task.id,
                step = event.step_id.as_deref().unwrap_or(""),
                "{}",
                event.message
            );
            let body = json!({
                "message": event.message,
                "stepId": event.step_id,
                "status": event.status,
            });
            let appended = self.store.transaction(|tx| {
                tx.append_task_event(
                    &task.id,
                    TaskEventType::Log.as_str(),
                    &body.to_string(),
                    now_ms(),
                )
            });
            if let Err(e) = appended {
                tracing::warn!(task = %task.id, error = %e, "a task log line was lost");
            }
        };
        if !missing.is_empty() {
            record(RunEvent {
                step_id: None,
                message: format!(
                    "secrets {missing:?} were given to another replica and are not available here; steps that need them will fail"
                ),
                status: None,
            });
        }
        self.runner
            .run(
                &RunRequest {
                    template: &template,
                    values: &values,
                    secrets,
                    user: &user,
                    workspace,
                    dry_run: false,
                    cancelled,
                },
                &mut record,
            )
            .map(|outcome| outcome.output)
    }

    /// Renews the task's heartbeat while it runs; sets `cancelled` when a
    /// cancel was requested or the task was taken from this replica.
    fn heartbeat(&self, id: &str, cancelled: &AtomicBool, done: &AtomicBool) {
        let every = (self.options.heartbeat_timeout / 4)
            .clamp(Duration::from_millis(100), Duration::from_secs(5));
        let check = Duration::from_millis(100);
        let mut last_beat = Instant::now();
        while !done.load(Ordering::Relaxed) {
            std::thread::sleep(check);
            let beat = last_beat.elapsed() >= every;
            // A write only when the heartbeat is due; the cancel check
            // is a read.
            let alive = if beat {
                self.store
                    .transaction(|tx| tx.heartbeat_task(id, &self.replica, now_ms()))
            } else {
                Ok(true)
            };
            let state = alive.and_then(|alive| {
                let cancel = self
                    .store
                    .read(|tx| tx.task(id))?
                    .is_some_and(|t| t.cancel_requested);
                Ok::<_, StoreError>((alive, cancel))
            });
            if beat {
                last_beat = Instant::now();
            }
            if self.interrupt.load(Ordering::Relaxed) {
                cancelled.store(true, Ordering::Relaxed);
            }
            match state {
                Ok((alive, cancel)) if !alive || cancel => cancelled.store(true, Ordering::Relaxed),
                Ok(_) => {}
                Err(e) => tracing::warn!(task = %id, error = %e, "task heartbeat failed"),
            }
        }
    }
}
