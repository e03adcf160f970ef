//! The audit log: every write request (anything but GET, HEAD and OPTIONS)
//! is recorded after it is answered, with who made it, the route, the
//! target and how it ended; `GET /api/audit` reads it back for admins.
//!
//! Recording happens in one place, around every handler, so no write can
//! forget it: API, UI forms and webhooks alike.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::{get, web, HttpResponse};
use portico_auth::Permission;
use portico_store::{AuditFilter, NewAudit};
use serde::Deserialize;
use serde_json::json;

use crate::auth::Caller;
use crate::{ApiError, AppState};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list);
}

/// What to record about a request, taken before it is handled (the
/// handler consumes the request).
pub struct Pending {
    actor: String,
    method: Method,
    target: String,
    entity_ref: Option<String>,
}

/// `Some` for a write request.
pub fn begin(req: &ServiceRequest) -> Option<Pending> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let state = req.app_data::<web::Data<AppState>>()?;
    // A sign-in's bearer is the identity provider's ID token, not one of
    // ours; who signed in is known once it is answered (`SignedIn`).
    let signing_in = req.path().starts_with("/api/auth/") || req.path() == "/sign-in/guest";
    let actor = match state.auth.principal(req.request()) {
        _ if signing_in => "anonymous".to_owned(),
        Ok(principal) => Caller(principal).actor(),
        // Bad credentials are refused by the handler; the log says who it was not.
        Err(_) => "invalid-credentials".to_owned(),
    };
    Some(Pending {
        actor,
        method: req.method().clone(),
        target: req.path().to_owned(),
        entity_ref: entity_of_path(req.path()),
    })
}

/// Put in a sign-in's response: the user it signed in, the actor of its
/// audit record.
#[derive(Clone)]
pub struct SignedIn(pub String);

/// The entity a UI or API path names, where it names one.
fn entity_of_path(path: &str) -> Option<String> {
    let rest = path
        .strip_prefix("/catalog/")
        .or_else(|| path.strip_prefix("/api/catalog/entities/by-name/"))?;
    let parts: Vec<&str> = rest.split('/').collect();
    let (namespace, kind, name) = if path.starts_with("/catalog/") {
        (parts.first()?, parts.get(1)?, parts.get(2)?)
    } else {
        (parts.get(1)?, parts.first()?, parts.get(2)?)
    };
    Some(format!("{kind}:{namespace}/{name}").to_lowercase())
}

/// Writes the record for an answered request.
pub async fn finish(
    pending: Pending,
    response: ServiceResponse<BoxBody>,
) -> ServiceResponse<BoxBody> {
    let Some(state) = response
        .request()
        .app_data::<web::Data<AppState>>()
        .cloned()
    else {
        return response;
    };
    let status = response.status();
    let result = if status.is_success() || status.is_redirection() {
        "allowed"
    } else if status.as_u16() == 401 || status.as_u16() == 403 {
        "denied"
    } else {
        "failed"
    };
    let detail = json!({ "status": status.as_u16() }).to_string();
    // The route as registered (`/api/catalog/locations/{id}`): known once
    // the request was routed.
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| pending.target.clone());
    let action = format!("{} {route}", pending.method);
    let actor = response
        .response()
        .extensions()
        .get::<SignedIn>()
        .map_or(pending.actor, |signed_in| signed_in.0.clone());
    let store = state.catalog.store().clone();
    let written = web::block(move || {
        store.transaction(|tx| {
            tx.append_audit(&NewAudit {
                at: crate::scaffolder::now_ms(),
                actor: &actor,
                action: &action,
                target: &pending.target,
                entity_ref: pending.entity_ref.as_deref(),
                result,
                detail_json: &detail,
            })
        })
    })
    .await;
    match written {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "an audit record was lost"),
        Err(e) => tracing::error!(error = %e, "an audit record was lost"),
    }
    response
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AuditQuery {
    entity_ref: Option<String>,
    actor: Option<String>,
    /// Epoch milliseconds or an RFC 3339 time.
    since: Option<String>,
    limit: Option<i64>,
}

fn parse_since(value: &str) -> Result<i64, ApiError> {
    if let Ok(ms) = value.parse::<i64>() {
        return Ok(ms);
    }
    portico_model::time::parse_rfc3339_millis(value).ok_or_else(|| {
        ApiError::input(format!(
            "since must be epoch milliseconds or an RFC 3339 time like 2026-12-06T10:00:00Z, got '{value}'"
        ))
    })
}

/// `GET /api/audit?entityRef=&actor=&since=&limit=`, newest first; for
/// admins and services permitted `audit-read`.
#[utoipa::path(
    params(("entityRef" = Option<String>, Query, description = "Only changes to this entity"), ("actor" = Option<String>, Query, description = "Only this actor"), ("since" = Option<String>, Query, description = "Epoch milliseconds or RFC 3339"), ("limit" = Option<u32>, Query, description = "At most this many")),
    security(("bearer" = [])),
    responses((status = 200, description = "`{ items: [{ at, actor, action, target, result, status, … }] }`, newest first; admins only", body = Object))
)]
#[get("/api/audit")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    state.auth.check(&caller.0, Permission::AuditRead, None)?;
    let query = query.into_inner();
    let since = query.since.as_deref().map(parse_since).transpose()?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let store = state.catalog.store().clone();
    let rows = web::block(move || {
        store.read(|tx| {
            tx.audit(&AuditFilter {
                entity_ref: query
                    .entity_ref
                    .as_deref()
                    .map(str::to_lowercase)
                    .as_deref(),
                actor: query.actor.as_deref(),
                since,
                limit,
            })
        })
    })
    .await??;
    let items: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "at": crate::scaffolder::iso(r.at),
                "actor": r.actor,
                "action": r.action,
                "target": r.target,
                "entityRef": r.entity_ref,
                "result": r.result,
                "detail": serde_json::from_str::<serde_json::Value>(&r.detail_json).unwrap_or_default(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
