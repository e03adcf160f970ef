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

/// `days` (and `limit` where `limit_allowed`), checked: days against the
/// history kept.
fn trend_query(
    state: &AppState,
    pairs: &[(String, String)],
    limit_allowed: bool,
) -> Result<(u32, usize), ApiError> {
    let mut days = None;
    let mut limit = report::DEFAULT_GROUP_ITEMS;
    for (key, value) in pairs {
        match key.as_str() {
            "days" => days = Some(value.as_str()),
            "limit" if limit_allowed => {
                limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=report::MAX_GROUP_ITEMS).contains(n))
                    .ok_or_else(|| {
                        ApiError::input(format!(
                            "limit must be from 1 to {}, got '{value}'",
                            report::MAX_GROUP_ITEMS
                        ))
                    })?
            }
            _ => {
                return Err(ApiError::input(format!(
                    "unknown parameter '{key}'; expected {}",
                    if limit_allowed {
                        "days or limit"
                    } else {
                        "days"
                    }
                )))
            }
        }
    }
    Ok((report::trend_days(&state.scorecards, days)?, limit))
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
    params(("namespace" = String, Path, description = "Entity namespace", example = "default"), ("kind" = String, Path, description = "Entity kind", example = "component"), ("name" = String, Path, description = "Entity name", example = "playback-service"), ("days" = Option<u32>, Query, description = "Days of history, default 30")),
    responses((status = 200, description = "`{ entityRef, scorecards: [{ scorecard, title, level, levels, passed, applicable, checks: [{ id, title, outcome, reason, fix }], history: [{ check, days: [{ day, passed }] }] }] }`", body = Object))
)]
#[get("/entity/{namespace}/{kind}/{name}")]
pub async fn entity(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let (namespace, kind, name) = path.into_inner();
    let entity_ref = EntityRef::new(&kind, &namespace, &name).key();
    let (days, _) = trend_query(&state, &query, false)?;
    let state = state.into_inner();
    let body =
        web::block(move || report::entity(&state.scorecards, &state.catalog, &entity_ref, days))
            .await??;
    Ok(HttpResponse::Ok().json(body))
}

#[utoipa::path(
    params(("namespace" = String, Path, description = "Group namespace", example = "default"), ("name" = String, Path, description = "Group name", example = "playback"), ("days" = Option<u32>, Query, description = "Days of trend, default 30"), ("limit" = Option<u32>, Query, description = "Entities listed per scorecard, furthest behind first; default 1000")),
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
    let (days, limit) = trend_query(&state, &query, true)?;
    let state = state.into_inner();
    let body = web::block(move || {
        report::group(&state.scorecards, &state.catalog, &group_ref, days, limit)
    })
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
    let (days, _) = trend_query(&state, &query, false)?;
    let state = state.into_inner();
    let body =
        web::block(move || report::summary(&state.scorecards, &state.catalog, days)).await??;
    Ok(HttpResponse::Ok().json(body))
}
