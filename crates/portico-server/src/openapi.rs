//! The HTTP API described as OpenAPI 3.1, served at `/api/openapi.json`.
//!
//! Handlers carry `#[utoipa::path]`; `utoipa-actix-web` collects them from
//! the same `service(...)` calls that register the routes (see
//! [`crate::configure`]), so a handler cannot be registered without being
//! described. What every operation shares (the error envelope as the
//! `default` response, HTML pages' content type, the bearer scheme, tags)
//! is added here once, in [`finish`].

use actix_web::{get, web, HttpResponse};
use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, InfoBuilder, OpenApi, RefOr, ResponseBuilder};
use utoipa::ToSchema;

/// The finished document, as served (shared, not copied, per request).
pub struct ApiSpec(pub web::Bytes);

/// Backstage's error envelope, the body of every 4xx and 5xx of `/api`.
#[derive(Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorDetail,
    /// The request that failed (absent where it is not known).
    #[schema(required = false)]
    pub request: Option<ErrorRequest>,
    pub response: ErrorResponse,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `InputError`, `NotFoundError`, `NotAllowedError`, `ConflictError`,
    /// `AuthenticationError`, …
    pub name: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorRequest {
    pub method: String,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorResponse {
    pub status_code: u16,
}

/// A catalog entity as Backstage serves it: `apiVersion`, `kind`,
/// `metadata` (with `name`, `namespace`, `uid`, `etag`), `spec`,
/// `relations`. Other fields are as the catalog file wrote them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Entity {
    pub api_version: String,
    pub kind: String,
    pub metadata: EntityMetadata,
    #[serde(flatten)]
    pub other: HashMap<String, Value>,
}

#[derive(Serialize, ToSchema)]
pub struct EntityMetadata {
    pub name: String,
    #[serde(flatten)]
    pub other: HashMap<String, Value>,
}

/// `POST /api/catalog/validate-entity`'s 400: Backstage's list of what is
/// wrong with the entity, or the envelope when the request itself is bad.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum ValidationFailure {
    Invalid { errors: Vec<ErrorDetail> },
    Request(ErrorEnvelope),
}

/// One event of a `text/event-stream` answer.
#[derive(Serialize, ToSchema)]
pub struct ServerSentEvent {
    /// `log`, `completion`, `finish`, `error`, …
    #[schema(required = false)]
    pub event: Option<String>,
    /// JSON text.
    pub data: String,
    #[schema(required = false)]
    pub id: Option<String>,
}

/// A registered location.
#[derive(Serialize, ToSchema)]
pub struct Location {
    pub id: String,
    #[serde(rename = "type")]
    pub location_type: String,
    pub target: String,
}

/// `GET /api/openapi.json`: this document.
#[utoipa::path(
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", body = Object))
)]
#[get("/api/openapi.json")]
pub async fn document(spec: web::Data<ApiSpec>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(spec.0.clone())
}

/// Prefixes of HTML pages (everything else under `/api`, plus health and
/// metrics, answers JSON or text).
fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/") || matches!(path, "/healthz" | "/readyz" | "/metrics"))
}

/// Completes the collected document: title, the error envelope as every
/// operation's `default` response, the bearer scheme, and tags for the
/// operations that set none.
pub fn finish(mut api: OpenApi) -> OpenApi {
    api.info = InfoBuilder::new()
        .title("Portico")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Backstage-compatible catalog, TechDocs, search and scaffolder API, plus Portico's \
             web pages, sign-in, audit log, health and metrics. Writes need a bearer token \
             (POST /api/auth/{provider}/refresh issues one); reads are open unless \
             auth.allowAnonymousRead is false.",
        ))
        .build();
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
    for (name, schema) in [
        (
            "ErrorEnvelope",
            <ErrorEnvelope as utoipa::PartialSchema>::schema(),
        ),
        (
            "ErrorDetail",
            <ErrorDetail as utoipa::PartialSchema>::schema(),
        ),
        (
            "ErrorRequest",
            <ErrorRequest as utoipa::PartialSchema>::schema(),
        ),
        (
            "ErrorResponse",
            <ErrorResponse as utoipa::PartialSchema>::schema(),
        ),
    ] {
        components.schemas.insert(name.to_owned(), schema);
    }
    let error = ResponseBuilder::new()
        .description("An error, in Backstage's envelope")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                    "ErrorEnvelope",
                ))))
                .build(),
        )
        .build();
    let page_error = ResponseBuilder::new()
        .description("An error page")
        .content("text/html", ContentBuilder::new().build())
        .build();
    for (path, item) in api.paths.paths.iter_mut() {
        let page = is_page(path);
        let tag = tag_of(path);
        for operation in operations(item) {
            let default = if page { &page_error } else { &error };
            operation
                .responses
                .responses
                .entry("default".to_owned())
                .or_insert_with(|| RefOr::T(default.clone()));
            if operation.tags.as_ref().is_none_or(Vec::is_empty) {
                operation.tags = Some(vec![tag.to_owned()]);
            }
        }
    }
    api
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.post.as_mut(),
        item.put.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.head.as_mut(),
        item.options.as_mut(),
    ]
    .into_iter()
    .flatten()
}

fn tag_of(path: &str) -> &'static str {
    match path {
        p if p.starts_with("/api/catalog") => "catalog",
        p if p.starts_with("/api/techdocs") => "techdocs",
        p if p.starts_with("/api/search") => "search",
        p if p.starts_with("/api/scaffolder") => "scaffolder",
        p if p.starts_with("/api/auth") => "auth",
        p if p.starts_with("/api/audit") => "audit",
        p if p.starts_with("/api/scorecards") => "scorecards",
        p if is_page(p) => "pages",
        _ => "operations",
    }
}
