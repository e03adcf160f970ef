//! Scorecards: checks of ownership and operational readiness over catalog
//! entities (owner, docs, runbook, on-call, SLOs, API definitions, …),
//! grouped into levels, each failure with its reason and how to fix it.
//!
//! This crate knows no database: what a check needs beyond the entity
//! (other entities, docs sites, processing errors, file times) comes
//! through [`Facts`].

mod definition;
mod error;
mod evaluate;
mod field;

pub use definition::{Check, CheckSpec, LevelSpec, Rule, Scorecard, ScorecardSpec, Selector};
pub use error::DefinitionError;
pub use evaluate::{evaluate, CheckResult, DocPage, DocsFacts, EntityScore, Facts, Outcome};
