use actix_web::{get, post, web, HttpResponse};
use portico_auth::Permission;
use portico_catalog::{validate_entity as validate, Catalog};
use portico_model::{EntityRef, RefDefaults};
use serde::Deserialize;
use serde_json::{json, Value};

use super::locations::location_json;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshInput {
    entity_ref: String,
}

/// `POST /refresh { entityRef }`: re-reads the entity's location now.
#[utoipa::path(
    request_body(content = RefreshInput, description = "The entity whose location to read again", content_type = "application/json"),
    security(("bearer" = [])),
    responses((status = 200, description = "Refreshed: the entity's location was read again"))
)]
#[post("/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<RefreshInput>,
) -> Result<HttpResponse, ApiError> {
    state
        .auth
        .check(&caller.0, Permission::EntityRefresh, None)?;
    let parsed = EntityRef::parse(&body.entity_ref, RefDefaults::default())
        .map_err(|e| ApiError::input(format!("entityRef: {e}")))?;
    let catalog = state.catalog.clone();
    web::block(move || catalog.refresh_entity(&parsed.key())).await??;
    Ok(HttpResponse::Ok().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ValidateInput {
    entity: Option<Value>,
    location: Option<String>,
}

/// `POST /validate-entity { entity, location }`: 200, or 400 `{ errors }`.
#[utoipa::path(
    request_body(content = ValidateInput, description = "An entity and the location it would come from", content_type = "application/json"),
    responses(
        (status = 200, description = "The entity is valid", body = Object),
        (status = 400, description = "`{ errors: [{ name, message }] }`: what is wrong with the entity (or the envelope, when the request is malformed)", body = crate::openapi::ValidationFailure)
    )
)]
#[post("/validate-entity")]
pub async fn validate_entity(body: web::Json<ValidateInput>) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let entity = body
        .entity
        .ok_or_else(|| ApiError::input("Missing entity in request body"))?;
    let location = body
        .location
        .ok_or_else(|| ApiError::input("Missing location in request body"))?;
    match validate(&entity, &location) {
        Ok(()) => Ok(HttpResponse::Ok().json(json!({}))),
        Err(errors) => Ok(HttpResponse::BadRequest().json(json!({ "errors": errors }))),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzeInput {
    location: AnalyzeLocation,
    catalog_filename: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AnalyzeLocation {
    #[serde(rename = "type", default = "file_type")]
    location_type: String,
    target: String,
}

fn file_type() -> String {
    "file".to_string()
}

#[utoipa::path(
    request_body(content = AnalyzeInput, description = "A repository to look at", content_type = "application/json"),
    security(("bearer" = [])),
    responses((status = 200, description = "`{ existingEntityFiles, generateEntities }`: what registering the repository would add", body = Object))
)]
#[post("/analyze-location")]
pub async fn analyze_location(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<AnalyzeInput>,
) -> Result<HttpResponse, ApiError> {
    // Analysing reads a remote repository on the caller's behalf: it is
    // the first step of registering one.
    state
        .auth
        .check(&caller.0, Permission::LocationCreate, None)?;
    let catalog = state.catalog.clone();
    let body = body.into_inner();
    let result = web::block(move || {
        catalog.analyze_location(
            &body.location.location_type,
            &body.location.target,
            body.catalog_filename.as_deref(),
        )
    })
    .await??;
    Ok(HttpResponse::Ok().json(result))
}

/// Entities whose last processing failed, and locations whose last read
/// reported problems: what a user checks when an entity does not show up.
#[utoipa::path(
    responses((status = 200, description = "`{ entities, locations }` whose last processing or read failed, with their errors", body = Object))
)]
#[get("/entities/unprocessed/failed")]
pub async fn failed(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let catalog = state.catalog.clone();
    let (rows, locations) = web::block(move || -> Result<_, portico_catalog::CatalogError> {
        Ok((catalog.failed_entities()?, catalog.locations()?))
    })
    .await??;
    let entities: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "entityRef": r.entity_ref,
                "locationId": r.location_id,
                "sourceFile": r.source_file,
                "sourceLine": r.source_line,
                "lastUpdated": r.updated_at,
                "errors": serde_json::from_str::<Value>(&r.errors_json).unwrap_or(Value::Null),
            })
        })
        .collect();
    let locations: Vec<Value> = locations
        .iter()
        .filter_map(|l| {
            let problems = Catalog::location_problems(l);
            if problems.is_empty() {
                return None;
            }
            let mut v = location_json(l);
            v["errors"] = serde_json::to_value(problems).unwrap_or(Value::Null);
            Some(v)
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "entities": entities, "locations": locations })))
}

/// Processing is synchronous with each read, so nothing ever waits: the
/// route exists so that clients polling it get an honest empty answer.
#[utoipa::path(
    responses((status = 200, description = "`{ entities: [] }`: processing is synchronous, nothing waits", body = Object))
)]
#[get("/entities/unprocessed/pending")]
pub async fn pending() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "entities": [] }))
}
