//! Backstage's own example files must validate as Backstage validates them.

use std::path::{Path, PathBuf};

use portico_model::{derive_relations, validate_entity};
use serde::Deserialize;
use serde_json::Value;

const EXAMPLES: &str = "/work/shared/backstage-examples";

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// Every document with a `kind` in every YAML file under `dir`.
fn entities(dir: &Path) -> Vec<(PathBuf, Value)> {
    let mut files = Vec::new();
    yaml_files(dir, &mut files);
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let value =
                Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            // OpenAPI documents and mkdocs configs sit next to entities.
            if value.get("kind").is_some() {
                out.push((file.clone(), value));
            }
        }
    }
    out
}

fn examples_dir(sub: &str) -> Option<PathBuf> {
    let dir = Path::new(EXAMPLES).join(sub);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is absent", dir.display());
        None
    }
}

#[test]
fn catalog_model_examples_validate() {
    let Some(dir) = examples_dir("catalog-model") else {
        return;
    };
    let all = entities(&dir);
    assert_eq!(all.len(), 67, "the manifest lists 67 entities");
    let mut valid = 0;
    for (file, doc) in &all {
        let result = validate_entity(doc);
        if file.ends_with("components/invalid-component.yaml") {
            let errors = result.unwrap_err();
            let mut fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
            fields.sort();
            assert_eq!(fields, ["metadata.name", "metadata.tags[1]"], "{errors:#?}");
            continue;
        }
        let entity = result.unwrap_or_else(|e| panic!("{}: {e:#?}", file.display()));
        let (_, errors) = derive_relations(&entity);
        assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
        valid += 1;
    }
    assert_eq!(valid, 66);
}

#[test]
fn create_app_and_software_templates_validate() {
    for sub in ["create-app", "software-templates"] {
        let Some(dir) = examples_dir(sub) else {
            continue;
        };
        let all = entities(&dir);
        assert!(!all.is_empty(), "{sub} has entities");
        for (file, doc) in all {
            let entity =
                validate_entity(&doc).unwrap_or_else(|e| panic!("{}: {e:#?}", file.display()));
            let (_, errors) = derive_relations(&entity);
            assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
        }
    }
}
