//! `POST /api/catalog/webhooks/git`: push events from GitHub, GitLab, Gitea
//! and Bitbucket refresh the locations that read the pushed branch at once,
//! instead of at their next scheduled refresh.

use actix_web::{post, web, HttpRequest, HttpResponse};
use portico_catalog::RefreshOutcome;
use portico_forge::WebhookError;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::AppState;

/// GitHub sends push payloads of up to 25 MB.
pub const MAX_PAYLOAD_BYTES: usize = 25 * 1024 * 1024;

/// 401 when the signature (or GitLab token) does not match
/// `catalog.webhookSecret`, or no secret is configured; 200 with what was
/// refreshed otherwise. The refreshes are done when the answer comes, so a
/// client that reads the catalog next sees the pushed commit.
#[utoipa::path(
    tag = "catalog",
    security(()),
    request_body(content = Object, description = "The forge's push event (GitHub, GitLab, Gitea or Bitbucket), signed with catalog.webhookSecret", content_type = "application/json"),
    responses((status = 200, description = "`{ event, refreshed: [{ location, status, … }] }`: what the push refreshed", body = Object))
)]
#[post("/webhooks/git")]
pub async fn git_push(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let headers = req
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
    let (forge, event) = portico_forge::verify(headers, &body, state.webhook_secret.as_deref())
        .map_err(webhook_error)?;
    let Some(push) = portico_forge::parse_push(forge, &event, &body).map_err(webhook_error)? else {
        return Ok(HttpResponse::Ok().json(json!({ "event": event, "refreshed": [] })));
    };
    let Some(branch) = push.branch.clone() else {
        // Tags and other refs: no location follows them by branch.
        return Ok(HttpResponse::Ok().json(json!({ "event": event, "refreshed": [] })));
    };
    let catalog = state.catalog.clone();
    let refreshed = web::block(move || -> Result<Vec<Value>, ApiError> {
        let locations =
            catalog.locations_for_push(&push.repo_urls, &branch, push.default_branch.as_deref())?;
        let mut out = Vec::with_capacity(locations.len());
        for location in locations {
            let outcome = match catalog.refresh_location(&location.id) {
                Ok(RefreshOutcome::Unchanged) => json!({ "status": "unchanged" }),
                Ok(RefreshOutcome::Committed(changed)) => {
                    json!({ "status": "committed", "changedEntities": changed.len() })
                }
                Ok(RefreshOutcome::Failed(message)) => {
                    json!({ "status": "failed", "message": message })
                }
                Ok(RefreshOutcome::Busy { owner, .. }) => {
                    json!({
                        "status": "queued",
                        "message": format!(
                            "being refreshed by {owner}; it is refreshed again as soon as that finishes"
                        )
                    })
                }
                Err(e) => json!({ "status": "failed", "message": e.to_string() }),
            };
            out.push(json!({
                "id": location.id,
                "type": location.location_type,
                "target": location.target,
                "result": outcome,
            }));
        }
        Ok(out)
    })
    .await??;
    tracing::info!(%event, locations = refreshed.len(), "push webhook handled");
    Ok(HttpResponse::Ok().json(json!({ "event": event, "refreshed": refreshed })))
}

fn webhook_error(e: WebhookError) -> ApiError {
    match e {
        WebhookError::NoSecret | WebhookError::MissingSignature | WebhookError::BadSignature => {
            ApiError::unauthorized(e.to_string())
        }
        WebhookError::UnknownSender | WebhookError::BadPayload(_) => ApiError::input(e.to_string()),
    }
}
