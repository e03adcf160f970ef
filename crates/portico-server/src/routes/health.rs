//! `/healthz` says the process answers; `/readyz` says whether this replica
//! should get traffic, with the reason for each part in JSON.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use actix_web::{get, web, HttpResponse};
use serde_json::{json, Value};

use crate::AppState;

/// Longest wait for a database connection. Readiness probes give up after a
/// second or so by default; an answer must come before that. Metrics wait
/// the same.
pub(crate) const DATABASE_WAIT: Duration = Duration::from_millis(800);

/// Liveness: the process answers.
#[utoipa::path(
    security(()),
    responses((status = 200, description = "`{ status: ok }`: the process answers", body = Object))
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Readiness: the database answers and has every migration this build
/// knows, the search index has caught up once, and the server is not
/// shutting down. 503 when any of these fails; each check says why.
#[utoipa::path(
    security(()),
    responses((status = 200, description = "`{ status, checks: { database, migrations, searchIndex, server } }`: ready", body = Object), (status = 503, description = "Not ready; each failing check says why", body = Object))
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let store = state.catalog.store().clone();
    let started = Instant::now();
    let database = web::block(move || store.check(DATABASE_WAIT)).await;
    let latency_ms = started.elapsed().as_millis() as u64;
    let (database, migrations) = match database {
        Ok(Ok(0)) => (
            check(true, json!({ "latencyMs": latency_ms })),
            check(true, json!({ "pending": 0 })),
        ),
        Ok(Ok(pending)) => (
            check(true, json!({ "latencyMs": latency_ms })),
            check(
                false,
                json!({ "pending": pending, "message": format!("{pending} migration(s) not applied; run `portico migrate`") }),
            ),
        ),
        Ok(Err(e)) => {
            // The error text can name hosts and users: it goes to the log,
            // not to whoever asks (the route is open).
            tracing::warn!(error = %e, "readiness: the database does not answer");
            let message = format!(
                "the database does not answer within {} ms (the server log has the error)",
                DATABASE_WAIT.as_millis()
            );
            let unknown = json!({ "message": "unknown while the database does not answer" });
            (
                check(false, json!({ "message": message })),
                check(false, unknown),
            )
        }
        Err(e) => {
            let message = format!("the check could not run: {e}");
            (
                check(false, json!({ "message": message })),
                check(false, json!({ "message": message })),
            )
        }
    };
    let search = if state.search.is_ready() {
        check(true, json!({}))
    } else {
        check(
            false,
            json!({ "message": "the search index is being built from the database" }),
        )
    };
    let stopping = state.stopping.load(Ordering::Relaxed);
    let server = if stopping {
        check(false, json!({ "message": "shutting down" }))
    } else {
        check(true, json!({}))
    };
    let checks = json!({
        "database": database,
        "migrations": migrations,
        "searchIndex": search,
        "server": server,
    });
    let ready = checks
        .as_object()
        .is_some_and(|all| all.values().all(|c| c["status"] == "ok"));
    let body = json!({
        "status": if ready { "ok" } else { "unavailable" },
        "checks": checks,
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

fn check(ok: bool, detail: Value) -> Value {
    let mut out = json!({ "status": if ok { "ok" } else { "failing" } });
    if let (Some(out), Value::Object(detail)) = (out.as_object_mut(), detail) {
        out.extend(detail);
    }
    out
}
