//! Stitching: the final entity served by the API is the processed entity plus
//! its uid and etag, every relation whose source it is (both the ones its own
//! spec made and the inverses other entities' specs made), and its status.

use portico_model::{CompoundRef, Entity, Relation, Status, StatusItem};
use portico_store::{EntityRow, RelationRow};
use sha1::{Digest, Sha1};

use crate::error::CatalogError;

/// The final JSON and etag for a row, or `None` for a row that never
/// processed successfully (it has errors only, nothing to serve).
pub(crate) fn final_entity(
    row: &EntityRow,
    relations: &[&RelationRow],
) -> Result<Option<(String, String)>, CatalogError> {
    let Some(processed) = row.processed_json.as_deref() else {
        return Ok(None);
    };
    let mut entity: Entity = serde_json::from_str(processed)
        .map_err(|e| CatalogError::Corrupt(format!("{}: {e}", row.entity_ref)))?;
    entity.metadata.uid = Some(row.uid.clone());
    entity.metadata.etag = None;

    let mut rels: Vec<Relation> = relations
        .iter()
        .map(|r| Relation {
            relation_type: r.relation_type.clone(),
            target_ref: r.target_ref.clone(),
            target: compound_from_key(&r.target_ref),
        })
        .collect();
    rels.sort();
    rels.dedup();
    entity.relations = rels;

    let items = status_items(&row.errors_json)?;
    entity.status = if items.is_empty() {
        None
    } else {
        Some(Status { items })
    };

    // The etag is a digest of everything else in the final entity, so it
    // changes exactly when what a client sees changes.
    let unetagged = serde_json::to_string(&entity)
        .map_err(|e| CatalogError::Corrupt(format!("{}: {e}", row.entity_ref)))?;
    let etag = hex::encode(Sha1::digest(unetagged.as_bytes()));
    entity.metadata.etag = Some(etag.clone());
    let json = serde_json::to_string(&entity)
        .map_err(|e| CatalogError::Corrupt(format!("{}: {e}", row.entity_ref)))?;
    Ok(Some((json, etag)))
}

pub(crate) fn status_items(errors_json: &str) -> Result<Vec<StatusItem>, CatalogError> {
    if errors_json.trim().is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(errors_json)
        .map_err(|e| CatalogError::Corrupt(format!("status items: {e}")))
}

/// Splits a stored key `kind:namespace/name` into its parts. Keys are written
/// only by us, from validated refs, so the parts are always present; a
/// malformed key still yields a best-effort value rather than a panic.
pub fn compound_from_key(key: &str) -> CompoundRef {
    let (kind, rest) = key.split_once(':').unwrap_or(("", key));
    let (namespace, name) = rest.split_once('/').unwrap_or(("default", rest));
    CompoundRef {
        kind: kind.to_string(),
        namespace: namespace.to_string(),
        name: name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compound_from_key_splits_parts() {
        let c = compound_from_key("component:default/my-svc");
        assert_eq!(
            (c.kind.as_str(), c.namespace.as_str(), c.name.as_str()),
            ("component", "default", "my-svc")
        );
    }
}
