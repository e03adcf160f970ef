//! The one place where errors become HTTP: Backstage's JSON error envelope
//! with the right status for each error of each crate.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use portico_catalog::CatalogError;
use portico_query::QueryError;
use portico_store::StoreError;
use serde_json::json;

#[derive(Debug, Clone, thiserror::Error)]
#[error("{name}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub name: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn input(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            name: "InputError",
            message: message.into(),
        }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            name: "NotFoundError",
            message: message.into(),
        }
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            name: "AuthenticationError",
            message: message.into(),
        }
    }
    pub fn not_allowed(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::FORBIDDEN,
            name: "NotAllowedError",
            message: message.into(),
        }
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::CONFLICT,
            name: "ConflictError",
            message: message.into(),
        }
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            name: "ServiceUnavailableError",
            message: message.into(),
        }
    }
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            name: "Error",
            message: message.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => {
                ApiError::unavailable(format!("database unavailable: {m}"))
            }
            StoreError::Conflict(m) => ApiError::conflict(m),
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::InvalidEntity(m) => ApiError::internal(m),
            other => ApiError::input(other.to_string()),
        }
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Store(s) => s.into(),
            CatalogError::Query(q) => q.into(),
            CatalogError::Read(r) => match r {
                e if e.is_not_allowed() => ApiError::not_allowed(e.to_string()),
                portico_catalog::read::ReadError::NotFound(m) => ApiError::not_found(m),
                other => ApiError::input(other.to_string()),
            },
            e @ CatalogError::Invalid(_) => ApiError::input(e.to_string()),
            CatalogError::Conflict(m) => ApiError::conflict(m),
            CatalogError::NotFound(m) => ApiError::not_found(m),
            CatalogError::Input(m) => ApiError::input(m),
            e @ CatalogError::Corrupt(_) => ApiError::internal(e.to_string()),
        }
    }
}

impl From<portico_search::SearchError> for ApiError {
    fn from(e: portico_search::SearchError) -> Self {
        match e {
            e @ portico_search::SearchError::InvalidCursor(_) => ApiError::input(e.to_string()),
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        ApiError::unavailable("the server is shutting down")
    }
}

/// Marker left on error responses so `with_request_info` can add the
/// request's method and URL, which `ResponseError` cannot see.
#[derive(Debug, Clone)]
struct ErrorMarker {
    name: &'static str,
    message: String,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        if self.status.is_server_error() {
            tracing::error!(name = self.name, message = %self.message, "request failed");
        }
        let mut res = HttpResponse::build(self.status).json(envelope(
            self.name,
            &self.message,
            self.status,
            None,
        ));
        res.extensions_mut().insert(ErrorMarker {
            name: self.name,
            message: self.message.clone(),
        });
        res
    }
}

fn envelope(
    name: &str,
    message: &str,
    status: StatusCode,
    request: Option<(&str, &str)>,
) -> serde_json::Value {
    let mut body = json!({
        "error": { "name": name, "message": message },
        "response": { "statusCode": status.as_u16() },
    });
    if let Some((method, url)) = request {
        body["request"] = json!({ "method": method, "url": url });
    }
    body
}

/// Fills in `request: { method, url }` on error envelopes.
pub fn with_request_info(res: ServiceResponse) -> ServiceResponse {
    let marker = res.response().extensions().get::<ErrorMarker>().cloned();
    let Some(marker) = marker else { return res };
    let status = res.status();
    let (req, _) = res.into_parts();
    let method = req.method().to_string();
    let url = req.uri().to_string();
    let body = envelope(marker.name, &marker.message, status, Some((&method, &url)));
    let response = HttpResponse::build(status).json(body);
    ServiceResponse::new(req, response)
}

/// Routes nobody serves answer in the same envelope.
pub async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found(format!(
        "No route for {} {}",
        req.method(),
        req.path()
    )))
}

/// JSON and query extractor failures are the client's: 400 in our envelope.
pub fn json_error(
    err: actix_web::error::JsonPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::input(format!("invalid JSON body: {err}")).into()
}

pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::input(format!("invalid query: {err}")).into()
}

pub fn path_error(
    err: actix_web::error::PathError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::input(format!("invalid path: {err}")).into()
}
