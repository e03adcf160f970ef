//! The web UI's view layer: pages rendered from Handlebars templates compiled
//! into the binary, and the views that are more than a template — the
//! dependency graph and coverage trends as SVG, OpenAPI definitions as lists
//! of operations and template forms generated from JSON Schema.
//!
//! Nothing here reads the catalog: the server gathers the data and hands
//! plain values over, so pages render (and are tested) without a store.

pub mod assets;
pub mod form;
pub mod graph;
pub mod openapi;
pub mod pages;
pub mod trend;

pub use pages::{pages, Chrome, Page, PageError, Pages, Section};
