//! Running a template's steps in a workspace: each step's `if` decides,
//! its input is rendered from the values and earlier outputs, checked
//! against its action's schema, and run. Secrets never leave as text:
//! every log line, error and output passes through a redactor first.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::action::{ActionContext, ActionError, Actions, TemplateFiles};
use crate::expr;
use crate::template::{Step, Template};

/// A step's state as Backstage reports it in task events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Processing,
    Completed,
    Failed,
    Skipped,
    Cancelled,
}

/// One line of the task log; `status` marks a step starting or ending.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEvent {
    pub step_id: Option<String>,
    pub message: String,
    pub status: Option<StepStatus>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StepReport {
    pub id: String,
    pub name: String,
    pub action: String,
    pub status: StepStatus,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// The template's `spec.output`, rendered.
    pub output: Value,
    pub steps: Vec<StepReport>,
}

/// Why a run stopped. Messages are redacted.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RunError {
    #[error("step '{step}' ({action}): {message}")]
    Step {
        step: String,
        action: String,
        message: String,
    },
    #[error("the task was cancelled")]
    Cancelled,
    #[error("rendering the template's output: {0}")]
    Output(String),
}

/// What to run.
pub struct RunRequest<'a> {
    pub template: &'a Template,
    /// Checked against the form already (see [`crate::params::validate`]).
    pub values: &'a Value,
    pub secrets: &'a Value,
    /// `{ ref, entity? }` of the user running the task.
    pub user: &'a Value,
    /// An existing, empty directory owned by this run.
    pub workspace: &'a Path,
    pub dry_run: bool,
    pub cancelled: &'a AtomicBool,
}

/// Runs templates with a set of actions.
#[derive(Clone)]
pub struct Runner {
    pub actions: Actions,
    pub files: Arc<dyn TemplateFiles>,
}

impl Runner {
    pub fn run(
        &self,
        request: &RunRequest<'_>,
        events: &mut dyn FnMut(RunEvent),
    ) -> Result<RunOutcome, RunError> {
        let redactor = Redactor::new(request.secrets);
        let mut emit = |step_id: Option<&str>, message: &str, status: Option<StepStatus>| {
            events(RunEvent {
                step_id: step_id.map(str::to_owned),
                message: redactor.redact(message),
                status,
            });
        };
        let mut context = json!({
            "parameters": request.values,
            "secrets": request.secrets,
            "user": request.user,
            "steps": {},
            "template": { "ref": request.template.entity_ref },
        });
        let mut reports = Vec::with_capacity(request.template.steps.len());
        for step in &request.template.steps {
            let report = |status| StepReport {
                id: step.id.clone(),
                name: step.name.clone(),
                action: step.action.clone(),
                status,
            };
            if request.cancelled.load(Ordering::Relaxed) {
                emit(
                    Some(&step.id),
                    "cancelled before it started",
                    Some(StepStatus::Cancelled),
                );
                reports.push(report(StepStatus::Cancelled));
                return Err(RunError::Cancelled);
            }
            let fail = |message: String| RunError::Step {
                step: step.id.clone(),
                action: step.action.clone(),
                message: redactor.redact(&message),
            };
            let run = match &step.condition {
                Some(condition) => {
                    expr::condition(condition, &context).map_err(|e| fail(e.to_string()))?
                }
                None => true,
            };
            if !run {
                emit(
                    Some(&step.id),
                    &format!("Skipping step {}: its condition is false", step.name),
                    Some(StepStatus::Skipped),
                );
                reports.push(report(StepStatus::Skipped));
                continue;
            }
            emit(
                Some(&step.id),
                &format!("Beginning step {}", step.name),
                Some(StepStatus::Processing),
            );
            let result = self.run_step(request, step, &context, &mut |line| {
                emit(Some(&step.id), line, None)
            });
            match result {
                Ok(output) => {
                    if let Some(steps) = context.get_mut("steps").and_then(Value::as_object_mut) {
                        steps.insert(step.id.clone(), json!({ "output": output }));
                    }
                    emit(
                        Some(&step.id),
                        &format!("Finished step {}", step.name),
                        Some(StepStatus::Completed),
                    );
                    reports.push(report(StepStatus::Completed));
                }
                Err(ActionError::Cancelled) => {
                    emit(Some(&step.id), "cancelled", Some(StepStatus::Cancelled));
                    reports.push(report(StepStatus::Cancelled));
                    return Err(RunError::Cancelled);
                }
                Err(error) => {
                    let error = fail(error.to_string());
                    emit(Some(&step.id), &error.to_string(), Some(StepStatus::Failed));
                    reports.push(report(StepStatus::Failed));
                    return Err(error);
                }
            }
        }
        let output = expr::render(&request.template.output, &context)
            .map_err(|e| RunError::Output(redactor.redact(&e.to_string())))?;
        Ok(RunOutcome {
            output: redactor.redact_value(output),
            steps: reports,
        })
    }

    fn run_step(
        &self,
        request: &RunRequest<'_>,
        step: &Step,
        context: &Value,
        log: &mut dyn FnMut(&str),
    ) -> Result<Map<String, Value>, ActionError> {
        let _span = tracing::info_span!(
            "scaffolder step",
            step = %step.id,
            action = %step.action,
            dry_run = request.dry_run,
        )
        .entered();
        let action = self
            .actions
            .get(&step.action)
            .ok_or_else(|| ActionError::Input(format!("there is no action '{}'", step.action)))?;
        let input =
            expr::render(&step.input, context).map_err(|e| ActionError::Input(e.to_string()))?;
        check_input(&action.input_schema(), &input)?;
        let mut ctx = ActionContext {
            workspace: request.workspace,
            input,
            template: request.template,
            parameters: request.values,
            files: &*self.files,
            user: request.user,
            secrets: request.secrets,
            dry_run: request.dry_run,
            cancelled: request.cancelled,
            log,
            output: Map::new(),
        };
        action.run(&mut ctx)?;
        Ok(ctx.output)
    }
}

/// The rendered input against the action's schema; the first problems
/// named by pointer.
fn check_input(schema: &Value, input: &Value) -> Result<(), ActionError> {
    let validator = jsonschema::validator_for(schema)
        .map_err(|e| ActionError::Failed(format!("the action's input schema is invalid: {e}")))?;
    let problems: Vec<String> = validator
        .iter_errors(input)
        .take(5)
        .map(|e| {
            let pointer = e.instance_path().to_string();
            format!(
                "input {}: {e}",
                if pointer.is_empty() { "/" } else { &pointer }
            )
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ActionError::Input(problems.join("; ")))
    }
}

/// Replaces every secret value that appears in a text with `***`.
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new(secrets: &Value) -> Redactor {
        let mut found = Vec::new();
        collect_strings(secrets, &mut found);
        // Longest first, so a secret containing another is hidden whole.
        found.sort_by_key(|s| std::cmp::Reverse(s.len()));
        found.dedup();
        Redactor { secrets: found }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "***");
            }
        }
        out
    }

    pub fn redact_value(&self, value: Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.redact(&s)),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|v| self.redact_value(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, self.redact_value(v)))
                    .collect(),
            ),
            other => other,
        }
    }
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if !s.is_empty() => out.push(s.clone()),
        // A short number (a port, a count) would blank every such digit
        // run in the log; numeric secrets are PINs and ids, longer.
        Value::Number(n) if n.to_string().len() >= 4 => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}
