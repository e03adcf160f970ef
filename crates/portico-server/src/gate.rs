//! The first check on every request, before any handler runs: bad
//! credentials are refused, reads need `catalog-read` (anonymous reads only
//! where `auth.allowAnonymousRead` is on), and writes need a caller who is
//! somebody. What a known caller may write is then the handler's question
//! (the permission, and for deletes the ownership of what goes), answered
//! by the same policy; a handler that forgot to ask would still never take
//! a write from an anonymous caller.
//!
//! The UI's pages answer a caller who needs to sign in with the sign-in
//! page rather than a 401.

use actix_web::dev::ServiceRequest;
use actix_web::http::{header, Method};
use actix_web::{web, HttpResponse, ResponseError};
use portico_auth::{Permission, Principal};

use crate::{ApiError, AppState};

/// Paths that are open to anyone: health, the sign-in routes, static
/// assets, and push webhooks (they carry their own signature).
fn is_open(path: &str) -> bool {
    matches!(
        path,
        "/healthz" | "/readyz" | "/metrics" | "/sign-in" | "/sign-in/guest" | "/sign-out"
    ) || path.starts_with("/api/auth/")
        || path.starts_with("/static/")
        || path == "/api/catalog/webhooks/git"
}

/// Requests that read although they are POSTs (a body too big for a
/// query string).
fn is_read(req: &ServiceRequest) -> bool {
    matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || (*req.method() == Method::POST
            && matches!(
                req.path(),
                "/api/catalog/entities/by-refs" | "/api/catalog/validate-entity"
            ))
}

/// The answer for a request that may not go on, if it may not.
pub fn refusal(req: &ServiceRequest) -> Option<HttpResponse> {
    let path = req.path();
    if is_open(path) {
        return None;
    }
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        // Never so in a server this crate builds; refuse rather than let
        // every request through unchecked.
        return Some(ApiError::internal("the server has no state").error_response());
    };
    let principal = match state.auth.principal(req.request()) {
        Ok(principal) => principal,
        Err(bad) => return Some(answer(req, bad)),
    };
    let denied = if is_read(req) {
        state
            .auth
            .check(&principal, Permission::CatalogRead, None)
            .err()
    } else if principal == Principal::Anonymous {
        Some(ApiError::unauthorized(format!(
            "{} {path} needs sign-in: send a Portico token as `Authorization: Bearer` (POST /api/auth/<provider>/refresh issues one) or a service token",
            req.method()
        )))
    } else {
        None
    };
    denied.map(|e| answer(req, e))
}

/// The API answers with its error envelope; a page that needs sign-in
/// sends the browser to the sign-in page, and back afterwards.
fn answer(req: &ServiceRequest, error: ApiError) -> HttpResponse {
    if req.path().starts_with("/api/") {
        return error.error_response();
    }
    if error.status.as_u16() != 401 {
        return crate::ui::error_page(error);
    }
    let back = if is_read(req) {
        match req.query_string() {
            "" => req.path().to_owned(),
            query => format!("{}?{query}", req.path()),
        }
    } else {
        // A form post: back to the page the form was on.
        referer_path(req).unwrap_or_else(|| "/catalog".to_owned())
    };
    crate::ui::see_other(&crate::ui::sign_in_href(&back))
}

/// The path (and query) of the page a same-site form was posted from.
fn referer_path(req: &ServiceRequest) -> Option<String> {
    let referer = req.headers().get(header::REFERER)?.to_str().ok()?;
    let host = crate::csrf::authority(referer)?;
    // The authority follows the scheme's `://`; the path follows it.
    let path = referer.get(referer.find("://")? + 3 + host.len()..)?;
    let ours = req.connection_info().host().to_ascii_lowercase();
    (host.eq_ignore_ascii_case(&ours) && path.starts_with('/')).then(|| path.to_owned())
}
