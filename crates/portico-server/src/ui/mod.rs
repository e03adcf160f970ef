//! The web UI: server-rendered pages over the same state the API serves.
//! Handlers gather plain values and `portico_web` renders them; every page
//! works without JavaScript except the live parts (task log, suggestions).

mod catalog;
mod create;
mod docs;
mod entity;
mod import;
mod links;
mod scorecards;
mod search;

use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpResponse, ResponseError};
use portico_web::{Chrome, Page};
use serde_json::{json, Value};

use crate::{ApiError, AppState};

pub(crate) use links::*;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(home)
        .service(asset)
        .service(sign_in_page)
        .service(sign_in_guest)
        .service(sign_out)
        .configure(catalog::configure)
        .configure(entity::configure)
        .configure(docs::configure)
        .configure(search::configure)
        .configure(scorecards::configure)
        .configure(create::configure)
        .configure(import::configure);
}

#[utoipa::path(
    responses((status = 303, description = "To the catalog"))
)]
#[get("/")]
async fn home() -> HttpResponse {
    see_other("/catalog")
}

#[utoipa::path(
    params(("name" = String, Path, description = "Asset file name")),
    responses((status = 200, description = "A stylesheet or script", body = String, content_type = "text/css"))
)]
#[get("/static/{name}")]
async fn asset(name: web::Path<String>) -> Result<HttpResponse, UiError> {
    let asset = portico_web::assets::asset(&name)
        .ok_or_else(|| UiError::not_found(format!("There is no file /static/{name}")))?;
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        // The pages link assets with `?v=<hash of the assets>`.
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(asset.body))
}

#[derive(serde::Deserialize)]
struct NextPage {
    next: Option<String>,
}

/// Where to go after signing in: a path of this site only (`//host` and
/// anything with a scheme would send the user elsewhere).
fn local_path(next: Option<&str>) -> String {
    next.filter(|n| {
        // Browsers drop tabs and newlines from URLs (`/\t/evil` is
        // `//evil`) and read `\` as `/`: only plain printable characters.
        n.starts_with('/')
            && !n.starts_with("//")
            && n.bytes().all(|b| b.is_ascii_graphic())
            && !n.contains('\\')
    })
    .unwrap_or("/catalog")
    .to_owned()
}

/// The sign-in page, coming back to `back` (a path of this site) after.
pub(crate) fn sign_in_href(back: &str) -> String {
    let next = serde_urlencoded::to_string([("next", back)]).unwrap_or_default();
    format!("/sign-in?{next}")
}

#[utoipa::path(
    params(("next" = Option<String>, Query, description = "Where to go after signing in")),
    responses((status = 200, description = "Sign-in choices", body = String, content_type = "text/html"))
)]
#[get("/sign-in")]
async fn sign_in_page(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NextPage>,
) -> UiResult {
    let data = json!({
        "title": "Sign in",
        "guest": state.auth.has_guest(),
        "oidc": state.auth.has_oidc(),
        "next": local_path(query.next.as_deref()),
    });
    page(
        Page::SignIn,
        &chrome(&req, portico_web::Section::Catalog),
        data,
    )
}

#[utoipa::path(
    request_body(content = Object, description = "`next`: where to go after", content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Signed in: to `next`"))
)]
#[post("/sign-in/guest")]
async fn sign_in_guest(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<NextPage>,
) -> UiResult {
    let auth = state.auth.clone();
    let catalog = state.catalog.clone();
    let (identity, _) = web::block(move || auth.sign_in("guest", None, &catalog)).await??;
    let (token, ttl) = state.auth.issue(&identity)?;
    let mut response = see_other(&local_path(form.next.as_deref()));
    response
        .add_cookie(&crate::routes::auth::session_cookie(&req, token, ttl))
        .map_err(|e| UiError::from(ApiError::internal(e.to_string())))?;
    response
        .extensions_mut()
        .insert(crate::audit::SignedIn(identity.user_entity_ref));
    Ok(response)
}

#[utoipa::path(
    responses((status = 303, description = "Signed out: to the catalog"))
)]
#[post("/sign-out")]
async fn sign_out(req: actix_web::HttpRequest) -> UiResult {
    let mut gone = crate::routes::auth::session_cookie(&req, String::new(), 0);
    gone.make_removal();
    let mut response = see_other("/catalog");
    response
        .add_cookie(&gone)
        .map_err(|e| UiError::from(ApiError::internal(e.to_string())))?;
    Ok(response)
}

/// An error shown as a page.
#[derive(Debug, thiserror::Error)]
#[error("{heading}: {message}")]
pub(crate) struct UiError {
    status: StatusCode,
    heading: &'static str,
    message: String,
}

impl UiError {
    pub(crate) fn not_found(message: impl Into<String>) -> UiError {
        UiError {
            status: StatusCode::NOT_FOUND,
            heading: "Not found",
            message: message.into(),
        }
    }
}

/// A form post the `Form` extractor cannot read (wrong content type, bad
/// encoding, too big): an error page, like every other page error.
pub(crate) fn form_error(
    err: actix_web::error::UrlencodedError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    UiError {
        status: err.status_code(),
        heading: "That form cannot be read",
        message: format!("{err}; forms are sent as application/x-www-form-urlencoded"),
    }
    .into()
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> UiError {
        let heading = match e.status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::BAD_REQUEST => "That request cannot be answered",
            StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => "Not allowed",
            StatusCode::CONFLICT => "Conflict",
            StatusCode::SERVICE_UNAVAILABLE => "Temporarily unavailable",
            _ => "Something went wrong",
        };
        UiError {
            status: e.status,
            heading,
            message: e.message,
        }
    }
}

impl From<portico_catalog::CatalogError> for UiError {
    fn from(e: portico_catalog::CatalogError) -> UiError {
        UiError::from(ApiError::from(e))
    }
}

impl From<portico_store::StoreError> for UiError {
    fn from(e: portico_store::StoreError) -> UiError {
        UiError::from(ApiError::from(e))
    }
}

impl From<actix_web::error::BlockingError> for UiError {
    fn from(e: actix_web::error::BlockingError) -> UiError {
        UiError::from(ApiError::from(e))
    }
}

impl From<portico_web::PageError> for UiError {
    fn from(e: portico_web::PageError) -> UiError {
        tracing::error!(error = %e, "a page could not be rendered");
        UiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            heading: "Something went wrong",
            message: "This page could not be rendered; the server log has the details.".into(),
        }
    }
}

impl ResponseError for UiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.status.is_server_error() {
            tracing::warn!(status = self.status.as_u16(), error = %self.message, "page failed");
        }
        let data =
            json!({ "title": self.heading, "heading": self.heading, "message": self.message });
        let body = portico_web::pages()
            .map_err(|e| e.to_string())
            .and_then(|pages| {
                pages
                    .render(
                        Page::Error,
                        &Chrome::new(portico_web::Section::Catalog),
                        data,
                    )
                    .map_err(|e| e.to_string())
            })
            .unwrap_or_else(|e| {
                format!(
                    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error</title></head><body><h1>{}</h1><p>{}</p><!-- {} --></body></html>",
                    portico_markdown::escape_html(self.heading),
                    portico_markdown::escape_html(&self.message),
                    portico_markdown::escape_html(&e)
                )
            });
        HttpResponse::build(self.status)
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}

pub(crate) type UiResult = Result<HttpResponse, UiError>;

/// An API error shown as a page (for refusals made before any handler).
pub(crate) fn error_page(error: ApiError) -> HttpResponse {
    UiError::from(error).error_response()
}

/// A rendered page, 200.
pub(crate) fn page(page: Page, chrome: &Chrome, data: Value) -> UiResult {
    let html = portico_web::pages()
        .map_err(|e| {
            UiError::from(portico_web::PageError::Template {
                name: "all".into(),
                message: e.to_string(),
            })
        })?
        .render(page, chrome, data)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "SAMEORIGIN"))
        .body(html))
}

/// 303 to `to`: after a form post, and for `/`.
pub(crate) fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// The layout of a page for this request: the section, and who is signed
/// in (from the UI's cookie or a bearer token).
pub(crate) fn chrome(req: &actix_web::HttpRequest, section: portico_web::Section) -> Chrome {
    let mut chrome = Chrome::new(section);
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return chrome;
    };
    if let Ok(portico_auth::Principal::User(identity)) = state.auth.principal(req) {
        let name = state
            .catalog
            .index()
            .get(&identity.user_entity_ref)
            .map(|e| display_name(&e.value()))
            .unwrap_or_else(|| short_ref(&identity.user_entity_ref, Some("user")));
        chrome.user = Some(json!({ "ref": identity.user_entity_ref, "name": name }));
    }
    chrome
}

/// For a page whose form needs a signed-in caller: a notice with a link to
/// sign in and come back to `back`, when nobody is signed in.
pub(crate) fn sign_in_notice(req: &actix_web::HttpRequest, back: &str, why: &str) -> Value {
    let signed_in = req
        .app_data::<web::Data<AppState>>()
        .and_then(|state| state.auth.principal(req).ok())
        .is_some_and(|p| p != portico_auth::Principal::Anonymous);
    if signed_in {
        return Value::Null;
    }
    json!({ "why": why, "href": sign_in_href(back) })
}

/// The entity a page's path names (`namespace`, `kind`, `name`), as its
/// ref key and JSON, or a 404 page.
pub(crate) fn lookup(
    state: &AppState,
    path: &(String, String, String),
) -> Result<(String, Value), UiError> {
    let (namespace, kind, name) = path;
    let key = portico_model::EntityRef::new(kind, namespace, name).key();
    let entity = state.catalog.index().get(&key).ok_or_else(|| {
        UiError::not_found(format!(
            "There is no {kind} called {namespace}/{name} in the catalog."
        ))
    })?;
    Ok((key, entity.value()))
}

/// Whoever is looking at the page: the ownership refs "owned by me" uses.
/// Someone not signed in acts as the guest user, as the guest provider
/// would sign them in; the guest's groups come from the catalog.
pub(crate) struct Viewer {
    pub user_ref: String,
    pub ownership: Vec<String>,
    pub signed_in: bool,
}

pub(crate) fn viewer(state: &AppState, req: &actix_web::HttpRequest) -> Viewer {
    if let Ok(portico_auth::Principal::User(identity)) = state.auth.principal(req) {
        return Viewer {
            user_ref: identity.user_entity_ref,
            ownership: identity.ownership_entity_refs,
            signed_in: true,
        };
    }
    let index = state.catalog.index();
    let ownership =
        portico_auth::ownership_refs(crate::auth::GUEST, |r| index.get(r).map(|e| e.value()));
    Viewer {
        user_ref: crate::auth::GUEST.to_owned(),
        ownership,
        signed_in: false,
    }
}

/// `(type, lowercase target ref)` of an entity's relations.
pub(crate) fn relations(entity: &Value) -> Vec<(String, String)> {
    entity
        .get("relations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some((
                r.get("type")?.as_str()?.to_owned(),
                r.get("targetRef")?.as_str()?.to_lowercase(),
            ))
        })
        .collect()
}
