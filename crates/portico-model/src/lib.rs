//! The Backstage-compatible entity model: the envelope, entity references,
//! validation rules and relation derivation. Pure code: no I/O, no database.

pub mod annotations;
mod entity;
mod entity_ref;
pub mod relations;
pub mod time;
pub mod validate;

pub use entity::{CompoundRef, Entity, ErrorInfo, Link, Metadata, Relation, Status, StatusItem};
pub use entity_ref::{EntityRef, RefDefaults, RefError, DEFAULT_NAMESPACE};
pub use relations::{derive_relations, inverse_of, relation_fields, RelationEdge, RelationField};
pub use validate::{
    api_versions_for_kind, is_builtin_kind, is_valid_annotation_key, is_valid_api_version,
    is_valid_entity_name, is_valid_kind, is_valid_label_key, is_valid_label_value,
    is_valid_namespace, is_valid_tag, type_name as json_type_name, validate_entity, FieldError,
    BUILTIN_KINDS, RESERVED_KEYS, ROOT_FIELDS,
};
