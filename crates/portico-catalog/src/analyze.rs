//! `analyze-location` and `validate-entity`: answering "what would this
//! register?" and "is this entity valid?" without storing anything.

use std::path::PathBuf;

use portico_model::{derive_relations, validate_entity as validate_model};
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::CatalogError;
use crate::read::{read_location, LocationRead, ProcessedEntity};
use crate::service::{check_resolved, confined_path, normalize_spec, Catalog};

pub const DEFAULT_CATALOG_FILENAME: &str = "catalog-info.yaml";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzeResult {
    pub existing_entity_files: Vec<ExistingEntityFile>,
    pub generate_entities: Vec<GeneratedEntity>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExistingEntityFile {
    pub location: LocationRef,
    pub is_registered: bool,
    pub entity: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct LocationRef {
    #[serde(rename = "type")]
    pub location_type: String,
    pub target: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GeneratedEntity {
    pub entity: Value,
    pub fields: Vec<GeneratedField>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GeneratedField {
    pub field: String,
    pub state: String,
    pub value: Option<String>,
    pub description: String,
}

impl Catalog {
    /// Looks at a file or directory: the catalog file's entities if there is
    /// one, else a suggested Component for the user to complete.
    pub fn analyze_location(
        &self,
        location_type: &str,
        target: &str,
        catalog_filename: Option<&str>,
    ) -> Result<AnalyzeResult, CatalogError> {
        let filename = catalog_filename.unwrap_or(DEFAULT_CATALOG_FILENAME);
        if filename.contains('/') || filename.contains("..") {
            return Err(CatalogError::Input(format!(
                "catalogFilename '{filename}' must be a plain file name"
            )));
        }
        if matches!(location_type, "url" | "git") {
            return self.analyze_repository(location_type, target, filename);
        }
        // Refuse paths outside the allowed roots before looking at them, so the
        // answer reveals nothing about what exists there.
        let opts = &self.config().read;
        let absolute = confined_path(target, opts)?;
        if let Ok(resolved) = absolute.canonicalize() {
            check_resolved(&resolved, opts)?;
        }
        let path = absolute.as_path();
        let file: PathBuf = if path.is_dir() {
            path.join(filename)
        } else {
            path.to_path_buf()
        };
        if !file.exists() {
            let dir = if path.is_dir() {
                path
            } else {
                path.parent().unwrap_or(path)
            };
            let base = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Ok(AnalyzeResult {
                existing_entity_files: Vec::new(),
                generate_entities: vec![suggest_component(&base)],
            });
        }
        let spec = normalize_spec(location_type, &file.to_string_lossy(), &self.config().read)?;
        let is_registered = self
            .store()
            .read(|tx| tx.location_by_target(&spec.location_type, &spec.target))?
            .is_some();
        let read = read_location(&spec, &self.config().read)?;
        let existing_entity_files = existing_entity_files(&read, is_registered, |pe| LocationRef {
            location_type: spec.location_type.clone(),
            target: pe.file.clone(),
        });
        Ok(AnalyzeResult {
            existing_entity_files,
            generate_entities: Vec::new(),
        })
    }
}

/// The valid entities of a read, each with the location to register it by;
/// the generated Location entity standing for the read itself is left out.
pub(crate) fn existing_entity_files(
    read: &LocationRead,
    is_registered: bool,
    location: impl Fn(&ProcessedEntity) -> LocationRef,
) -> Vec<ExistingEntityFile> {
    read.entities
        .iter()
        .filter(|pe| pe.parent_ref.is_some())
        .filter_map(|pe| {
            Some(ExistingEntityFile {
                location: location(pe),
                is_registered,
                entity: serde_json::to_value(pe.entity.as_ref()?).ok()?,
            })
        })
        .collect()
}

/// A Component named after a directory or repository, for the user to complete.
pub(crate) fn suggest_component(base: &str) -> GeneratedEntity {
    let name = sanitize_name(base);
    GeneratedEntity {
        entity: json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": { "name": name },
            "spec": { "type": "service", "lifecycle": "experimental" },
        }),
        fields: vec![
            GeneratedField {
                field: "spec.owner".to_string(),
                state: "needsUserInput".to_string(),
                value: None,
                description: "The group or user that owns this component".to_string(),
            },
            GeneratedField {
                field: "spec.type".to_string(),
                state: "analysisSuggestedValue".to_string(),
                value: Some("service".to_string()),
                description: "What kind of component this is: service, website, library"
                    .to_string(),
            },
        ],
    }
}

/// Turns a directory name into a valid entity name: runs of other characters
/// become `-`, and the ends are trimmed to alphanumerics.
fn sanitize_name(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed: String = out
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .chars()
        .take(63)
        .collect();
    let trimmed = trimmed
        .trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string();
    if trimmed.is_empty() {
        "new-component".to_string()
    } else {
        trimmed
    }
}

/// One problem with an entity sent to `validate-entity`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EntityValidationError {
    pub name: String,
    pub message: String,
}

/// Validates an entity as the catalog would process it: envelope, kind rules
/// and relation refs. `location` is the `type:target` it would come from.
pub fn validate_entity(entity: &Value, location: &str) -> Result<(), Vec<EntityValidationError>> {
    let mut errors = Vec::new();
    match location.split_once(':') {
        Some((t, target)) if !t.is_empty() && !target.is_empty() => {}
        _ => errors.push(EntityValidationError {
            name: "InputError".to_string(),
            message: format!("location must be '<type>:<target>', found \"{location}\""),
        }),
    }
    match validate_model(entity) {
        Ok(e) => {
            let (_, rel_errors) = derive_relations(&e);
            errors.extend(rel_errors.into_iter().map(|e| EntityValidationError {
                name: "InputError".to_string(),
                message: e.message,
            }));
        }
        Err(field_errors) => {
            errors.extend(field_errors.into_iter().map(|e| EntityValidationError {
                name: "InputError".to_string(),
                message: e.message,
            }))
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_name_makes_valid_names() {
        assert_eq!(sanitize_name("My Service!"), "My-Service");
        assert_eq!(sanitize_name("--x--"), "x");
        assert_eq!(sanitize_name("***"), "new-component");
    }
}
