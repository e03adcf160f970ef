use actix_web::{get, web, HttpResponse};
use serde_json::json;

use crate::error::ApiError;
use crate::AppState;

/// Liveness: the process answers.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Readiness: the database answers.
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let catalog = state.catalog.clone();
    web::block(move || catalog.store().read(|tx| tx.last_change_seq())).await??;
    Ok(HttpResponse::Ok().json(json!({ "status": "ok" })))
}
