//! `/api/scorecards`: definitions, an entity's checks, a team's coverage
//! and the organisation's, with trends.

use actix_web::{get, web, HttpResponse};
use portico_model::EntityRef;

use crate::scorecards::report;
use crate::{ApiError, AppState};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/api/scorecards")
            .service(definitions)
            .service(entity)
            .service(group)
            .service(summary),
    );
}

/// `days`, the only parameter of the coverage routes, checked against the
/// history kept.
fn trend_days(state: &AppState, pairs: &[(String, String)]) -> Result<u32, ApiError> {
    let mut days = None;
    for (key, value) in pairs {
        if key != "days" {
            return Err(ApiError::input(format!(
                "unknown parameter '{key}'; expected days"
            )));
        }
        days = Some(value.parse::<u32>().map_err(|_| {
            ApiError::input(format!(
                "days must be from 1 to {} (the history kept), got '{value}'",
                state.scorecards.history_days()
            ))
        })?);
    }
    report::trend_days(&state.scorecards, days)
}

#[utoipa::path(
    responses((status = 200, description = "`{ items: [{ name, title, description, appliesTo, checks: [{ id, title, type, fix, ... }], levels: [{ name, checks }] }] }`", body = Object))
)]
#[get("")]
pub async fn definitions(state: web::Data<AppState>) -> HttpResponse {
    let items: Vec<serde_json::Value> = state
        .scorecards
        .cards()
        .iter()
        .map(|card| card.describe())
        .collect();
    HttpResponse::Ok().json(serde_json::json!({ "items": items }))
}

#[utoipa::path(
    params(("namespace" = String, Path, description = "Entity namespace", example = "default"), ("kind" = String, Path, description = "Entity kind", example = "component"), ("name" = String, Path, description = "Entity name", example = "playback-service")),
    responses((status = 200, description = "`{ entityRef, scorecards: [{ scorecard, title, level, levels, passed, applicable, checks: [{ id, title, outcome, reason, fix }] }] }`", body = Object))
)]
#[get("/entity/{namespace}/{kind}/{name}")]
pub async fn entity(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (namespace, kind, name) = path.into_inner();
    let entity_ref = EntityRef::new(&kind, &namespace, &name).key();
    let state = state.into_inner();
    let body = web::block(move || report::entity(&state.scorecards, &state.catalog, &entity_ref))
        .await??;
    Ok(HttpResponse::Ok().json(body))
}

#[utoipa::path(
    params(("namespace" = String, Path, description = "Group namespace", example = "default"), ("name" = String, Path, description = "Group name", example = "playback"), ("days" = Option<u32>, Query, description = "Days of trend, default 30")),
    responses((status = 200, description = "`{ group, groups, scorecards: [{ scorecard, title, entities, levels, checks: [{ id, title, passed, applicable, coverage }], items, trend: [{ check, points: [{ day, passed, applicable, coverage }] }] }] }`: everything the group and its sub-groups own", body = Object))
)]
#[get("/group/{namespace}/{name}")]
pub async fn group(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let (namespace, name) = path.into_inner();
    let group_ref = EntityRef::new("group", &namespace, &name).key();
    let days = trend_days(&state, &query)?;
    let state = state.into_inner();
    let body =
        web::block(move || report::group(&state.scorecards, &state.catalog, &group_ref, days))
            .await??;
    Ok(HttpResponse::Ok().json(body))
}

#[utoipa::path(
    params(("days" = Option<u32>, Query, description = "Days of trend, default 30")),
    responses((status = 200, description = "`{ scorecards: [{ scorecard, title, entities, levels, checks: [{ id, title, passed, applicable, coverage }], teams: [{ team, entities, levels, checks }], trend }] }`", body = Object))
)]
#[get("/summary")]
pub async fn summary(
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let days = trend_days(&state, &query)?;
    let state = state.into_inner();
    let body =
        web::block(move || report::summary(&state.scorecards, &state.catalog, days)).await??;
    Ok(HttpResponse::Ok().json(body))
}
