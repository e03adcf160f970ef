//! The scaffolder: creating a new service from a template.
//!
//! A template is a catalog entity (`kind: Template`, read by
//! [`Template::from_entity`]) with a form ([`params::validate`] checks the
//! values against it on the server), steps, and an output. A [`Runner`]
//! runs the steps in a workspace directory: each step's `if` and input are
//! Backstage expressions (`${{ parameters.name }}`, [`expr`]), its action
//! ([`Action`]) is looked up by id, and its input is checked against the
//! action's JSON Schema before it runs. Skeleton files are Handlebars
//! ([`skeleton`]): strict (a missing variable is an error naming the file
//! and line) and unescaped. Nothing a template or a value says can write
//! outside the workspace ([`workspace`]), and secrets never appear in a
//! log line, an error or an output ([`runner::Redactor`]).

pub mod action;
pub mod actions;
mod error;
pub mod expr;
pub mod params;
pub mod runner;
pub mod skeleton;
pub mod template;
pub mod workspace;

pub use action::{Action, ActionContext, ActionError, Actions, LocalTemplateFiles, TemplateFiles};
pub use error::ScaffolderError;
pub use runner::{RunError, RunEvent, RunOutcome, RunRequest, Runner, StepReport, StepStatus};
pub use template::{Step, Template};
