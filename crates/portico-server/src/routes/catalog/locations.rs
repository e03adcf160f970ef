use std::sync::Arc;

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use portico_auth::Permission;
use portico_catalog::{AddMode, Catalog};
use portico_model::EntityRef;
use portico_query::EntityJson;
use portico_store::LocationRow;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::openapi::Location;
use crate::params::Params;
use crate::AppState;

pub fn location_json(l: &LocationRow) -> Value {
    json!({ "id": l.id, "type": l.location_type, "target": l.target })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LocationInput {
    #[serde(rename = "type")]
    location_type: String,
    target: String,
}

/// `POST /locations?dryRun=`: 201 with the location and what it emits; 409
/// when it is registered already or claims another location's entities.
#[utoipa::path(
    params(("dryRun" = Option<bool>, Query, description = "Read and validate without registering")),
    request_body(content = LocationInput, description = "`type` is url, file or git", content_type = "application/json"),
    security(("bearer" = [])),
    responses((status = 201, description = "`{ location, entities, exists? }`: the location and what it emits", body = Object))
)]
#[post("/locations")]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    body: web::Json<LocationInput>,
) -> Result<HttpResponse, ApiError> {
    state
        .auth
        .check(&caller.0, Permission::LocationCreate, None)?;
    let params = Params::parse(req.query_string())?;
    let mode = if params.flag("dryRun")? {
        AddMode::DryRun
    } else {
        AddMode::Strict
    };
    let catalog = state.catalog.clone();
    let input = body.into_inner();
    let added = web::block(move || catalog.add_location(&input.location_type, &input.target, mode))
        .await??;
    Ok(HttpResponse::Created().json(Created {
        location: location_json(&added.location),
        entities: added.entities,
        exists: (mode == AddMode::DryRun).then_some(added.exists),
    }))
}

/// The entities are serialised from their stored JSON text, not re-parsed.
#[derive(Serialize)]
struct Created {
    location: Value,
    entities: Vec<Arc<EntityJson>>,
    /// Only for dry runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    exists: Option<bool>,
}

#[utoipa::path(
    responses((status = 200, description = "`[{ data: { id, type, target } }]`", body = Vec<Object>))
)]
#[get("/locations")]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let catalog = state.catalog.clone();
    let rows = web::block(move || catalog.locations()).await??;
    let items: Vec<Value> = rows
        .iter()
        .map(|l| json!({ "data": location_json(l) }))
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

/// The location, plus the problems its last read found (an addition to
/// Backstage's shape, so users can see why an entity is missing).
#[utoipa::path(
    params(("id" = String, Path, description = "Location id")),
    responses((status = 200, description = "The location", body = Location))
)]
#[get("/locations/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let catalog = state.catalog.clone();
    let row = web::block(move || catalog.location(&id)).await??;
    let mut body = location_json(&row);
    body["errors"] = serde_json::to_value(Catalog::location_problems(&row)).unwrap_or(Value::Null);
    Ok(HttpResponse::Ok().json(body))
}

#[utoipa::path(
    params(("id" = String, Path, description = "Location id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Unregistered, with the entities it emitted"))
)]
#[delete("/locations/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let catalog = state.catalog.clone();
    let auth = state.auth.clone();
    web::block(move || {
        crate::access::may_unregister(&auth, &caller.0, &catalog, &id)?;
        catalog.delete_location(&id).map_err(ApiError::from)
    })
    .await??;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    params(("kind" = String, Path, description = "Entity kind, e.g. component", example = "component"), ("namespace" = String, Path, description = "Entity namespace, e.g. default", example = "default"), ("name" = String, Path, description = "Entity name", example = "playback-service")),
    responses((status = 200, description = "The location that emitted the entity", body = Location))
)]
#[get("/locations/by-entity/{kind}/{namespace}/{name}")]
pub async fn by_entity(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let key = EntityRef::new(&path.0, &path.1, &path.2).key();
    let catalog = state.catalog.clone();
    let row = web::block(move || catalog.location_of_entity(&key)).await??;
    Ok(HttpResponse::Ok().json(location_json(&row)))
}
