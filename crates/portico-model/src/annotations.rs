//! Well-known annotation keys.

pub const MANAGED_BY_LOCATION: &str = "backstage.io/managed-by-location";
pub const MANAGED_BY_ORIGIN_LOCATION: &str = "backstage.io/managed-by-origin-location";
pub const ORPHAN: &str = "backstage.io/orphan";
pub const TECHDOCS_REF: &str = "backstage.io/techdocs-ref";
/// Borrow another entity's TechDocs (an entity ref).
pub const TECHDOCS_ENTITY: &str = "backstage.io/techdocs-entity";
pub const SOURCE_LOCATION: &str = "backstage.io/source-location";
/// The template an entity was created from (`template:default/rust-service`).
pub const SOURCE_TEMPLATE: &str = "backstage.io/source-template";
pub const VIEW_URL: &str = "backstage.io/view-url";
pub const EDIT_URL: &str = "backstage.io/edit-url";
/// The git commit an entity was read at (Portico's own; Backstage has none).
pub const SOURCE_COMMIT: &str = "portico.dev/source-commit";
