//! The catalog: reading locations, processing entities, committing them to the
//! store, stitching final entities, and the refresh loop.

mod analyze;
mod analyze_repo;
mod changeset;
mod commit;
mod error;
mod push;
pub mod read;
mod schedule;
mod service;
mod stitch;

pub use analyze::{
    validate_entity, AnalyzeResult, EntityValidationError, DEFAULT_CATALOG_FILENAME,
};
pub use commit::{OrphanStrategy, StoredProblem};
pub use error::CatalogError;
pub use schedule::RefreshPolicy;
pub use service::{
    normalize_spec, AddMode, AddedLocation, AncestryItem, Catalog, CatalogConfig, RefreshOutcome,
};
pub use stitch::compound_from_key;
