//! `catalog:register`: the new repository's catalog file becomes a
//! location of this catalog.

use std::sync::Arc;

use portico_catalog::{AddMode, Catalog};
use portico_scaffolder::{Action, ActionContext, ActionError};
use serde_json::{json, Value};

pub struct CatalogRegister {
    pub catalog: Arc<Catalog>,
}

impl Action for CatalogRegister {
    fn id(&self) -> &'static str {
        "catalog:register"
    }

    fn description(&self) -> &'static str {
        "Registers a catalog file of a repository as a location of the catalog"
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "oneOf": [{ "required": ["repoContentsUrl"] }, { "required": ["catalogInfoUrl"] }],
            "properties": {
                "repoContentsUrl": { "type": "string", "description": "A repository, with `?ref=<branch>` (publish:git's output)" },
                "catalogInfoPath": { "type": "string", "description": "Path of the catalog file in the repository; default /catalog-info.yaml" },
                "catalogInfoUrl": { "type": "string", "description": "A `git` location target or a forge URL of the file" },
                "optional": { "type": "boolean", "description": "A failure only logs" }
            }
        })
    }

    fn output_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "entityRef": { "type": "string" },
                "catalogInfoUrl": { "type": "string" }
            }
        })
    }

    fn run(&self, ctx: &mut ActionContext<'_>) -> Result<(), ActionError> {
        let (location_type, target) = target(&ctx.input)?;
        ctx.output("catalogInfoUrl", json!(target));
        if ctx.dry_run {
            ctx.log(&format!("would register {location_type} location {target}"));
            return Ok(());
        }
        let optional = ctx.input.get("optional").and_then(Value::as_bool) == Some(true);
        match self
            .catalog
            .add_location(location_type, &target, AddMode::Strict)
        {
            Ok(added) => {
                // The component the template made, else whatever came first.
                let entities: Vec<Value> = added.entities.iter().map(|e| e.value()).collect();
                let chosen = entities
                    .iter()
                    .find(|e| e.pointer("/kind").and_then(Value::as_str) == Some("Component"))
                    .or_else(|| entities.first());
                if let Some(entity) = chosen {
                    let entity_ref = entity_ref(entity);
                    ctx.log(&format!("registered {target}: {entity_ref}"));
                    ctx.output("entityRef", json!(entity_ref));
                } else {
                    ctx.log(&format!("registered {target}; it holds no entities yet"));
                }
                Ok(())
            }
            Err(e) if optional => {
                ctx.log(&format!("could not register {target} (optional): {e}"));
                Ok(())
            }
            Err(e) => Err(ActionError::Failed(format!("registering {target}: {e}"))),
        }
    }
}

/// The location to register: a `git` target made of the repository, the
/// file's path and the branch, or the URL given.
fn target(input: &Value) -> Result<(&'static str, String), ActionError> {
    if let Some(url) = input.get("catalogInfoUrl").and_then(Value::as_str) {
        let kind = if url.contains("//") && (url.contains("?ref=") || !url.contains("://")) {
            "git"
        } else {
            "url"
        };
        return Ok((kind, url.to_owned()));
    }
    let contents = input
        .get("repoContentsUrl")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ActionError::Input("input 'repoContentsUrl' or 'catalogInfoUrl' is required".into())
        })?;
    let (repo, reference) = match contents.split_once("?ref=") {
        Some((repo, reference)) => (repo, Some(reference)),
        None => (contents, None),
    };
    let path = input
        .get("catalogInfoPath")
        .and_then(Value::as_str)
        .unwrap_or("/catalog-info.yaml")
        .trim_start_matches('/');
    let mut target = format!("{}//{path}", repo.trim_end_matches('/'));
    if let Some(reference) = reference {
        target.push_str("?ref=");
        target.push_str(reference);
    }
    Ok(("git", target))
}

fn entity_ref(entity: &Value) -> String {
    let text = |p: &str| {
        entity
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let namespace = match text("/metadata/namespace") {
        "" => "default",
        ns => ns,
    };
    format!(
        "{}:{namespace}/{}",
        text("/kind").to_lowercase(),
        text("/metadata/name")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_from_repository_and_path() {
        let t = target(&json!({ "repoContentsUrl": "/data/repos/x.git?ref=main" })).unwrap();
        assert_eq!(
            t,
            (
                "git",
                "/data/repos/x.git//catalog-info.yaml?ref=main".to_owned()
            )
        );
        let t = target(
            &json!({ "repoContentsUrl": "/r/x.git", "catalogInfoPath": "/svc/catalog.yaml" }),
        )
        .unwrap();
        assert_eq!(t, ("git", "/r/x.git//svc/catalog.yaml".to_owned()));
        let t = target(
            &json!({ "catalogInfoUrl": "https://github.com/o/r/blob/main/catalog-info.yaml" }),
        )
        .unwrap();
        assert_eq!(t.0, "url");
        assert!(target(&json!({})).is_err());
    }
}
