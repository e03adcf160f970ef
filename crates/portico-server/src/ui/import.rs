//! `/catalog-import`: register an existing component from the URL of its
//! catalog file, after seeing what it would add.

use actix_web::{get, post, web, HttpRequest};
use portico_catalog::AddMode;
use portico_web::{Page, Section};
use serde_json::{json, Value};

use super::{display_name, entity_key, page, ref_href, short_ref, UiError, UiResult};
use crate::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(import_form).service(submit);
}

#[utoipa::path(
    responses((status = 200, description = "Register an existing repository", body = String, content_type = "text/html"))
)]
#[get("/catalog-import")]
async fn import_form(req: HttpRequest) -> UiResult {
    page(
        Page::Import,
        &super::chrome(&req, Section::Import),
        json!({
            "title": "Register an existing component",
            "sign_in": super::sign_in_notice(&req, "/catalog-import", "Registering a component needs a signed-in user."),
        }),
    )
}

#[derive(serde::Deserialize)]
struct ImportForm {
    url: String,
    step: Option<String>,
    confirmed_url: Option<String>,
}

/// A web URL is read as a `url` location; anything else as a file path,
/// which the catalog only reads under its allowed roots.
fn location_type(target: &str) -> &'static str {
    let lower = target.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        "url"
    } else {
        "file"
    }
}

#[utoipa::path(
    request_body(content = Object, description = "`url`, `step`, `confirmed_url`", content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "What would be registered, or what was", body = String, content_type = "text/html"))
)]
#[post("/catalog-import")]
async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: crate::auth::Caller,
    form: web::Form<ImportForm>,
) -> UiResult {
    state
        .auth
        .check(&caller.0, portico_auth::Permission::LocationCreate, None)?;
    let form = form.into_inner();
    let url = form.url.trim().to_owned();
    let chrome = super::chrome(&req, Section::Import);
    if url.is_empty() {
        return bad_request(page(
            Page::Import,
            &chrome,
            json!({ "title": "Register", "error": "Enter the URL of a catalog-info.yaml file.", "url": url }),
        )?);
    }
    // Registering what was previewed: the URL must not have been changed
    // in between, or the user would register something they did not see.
    let register =
        form.step.as_deref() == Some("register") && form.confirmed_url.as_deref() == Some(&url);
    let catalog = state.catalog.clone();
    let target = url.clone();
    let outcome = web::block(move || {
        let kind = location_type(&target);
        let mode = if register {
            AddMode::Strict
        } else {
            AddMode::DryRun
        };
        match catalog.add_location(kind, &target, mode) {
            Ok(added) => Ok((target, added)),
            // A repository rather than a file: its catalog file, if it has one.
            Err(first)
                if kind == "url" && !target.ends_with(".yaml") && !target.ends_with(".yml") =>
            {
                let analyzed = catalog
                    .analyze_location(kind, &target, None)
                    .map_err(|_| first)?;
                let file = analyzed
                    .existing_entity_files
                    .first()
                    .map(|f| f.location.target.clone())
                    .ok_or_else(|| {
                        portico_catalog::CatalogError::Input(format!(
                            "{target} has no catalog-info.yaml at its root"
                        ))
                    })?;
                let added = catalog.add_location(kind, &file, mode)?;
                Ok((file, added))
            }
            Err(e) => Err(e),
        }
    })
    .await?;
    let (target, added) = match outcome {
        Ok(found) => found,
        Err(e) => {
            let e = crate::ApiError::from(e);
            if e.status.is_server_error() {
                return Err(UiError::from(e));
            }
            return bad_request(page(
                Page::Import,
                &chrome,
                json!({ "title": "Register", "error": e.message, "url": url }),
            )?);
        }
    };
    let index = state.catalog.index();
    // The location's own Location entity is bookkeeping, not something the
    // user is adding.
    let entities: Vec<Value> = added
        .entities
        .iter()
        .map(|entity| entity.value())
        .filter(|entity| {
            !entity
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.eq_ignore_ascii_case("location"))
        })
        .map(|entity| {
            let key = entity_key(&entity);
            json!({
                "key": key,
                "href": ref_href(&key),
                "text": format!("{} ({})", display_name(&entity), short_ref(&key, None)),
                "kind": entity.get("kind").and_then(Value::as_str).unwrap_or_default(),
                "name": display_name(&entity),
                "owner": entity.pointer("/spec/owner").and_then(Value::as_str).unwrap_or_default(),
                "exists": index.get(&key).is_some(),
            })
        })
        .collect();
    drop(index);
    let data = if register {
        json!({ "title": "Registered", "registered": entities, "url": "" })
    } else {
        json!({ "title": "Register", "preview": entities, "url": target })
    };
    page(Page::Import, &chrome, data)
}

fn bad_request(mut response: actix_web::HttpResponse) -> UiResult {
    *response.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
    Ok(response)
}
