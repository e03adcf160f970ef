//! One span per request: method, route, request id, and when answered the
//! status and latency. The request id is the caller's `X-Request-Id` when it
//! sent a sensible one (a proxy's, so logs of both can be joined), else a new
//! UUID; the response carries it back either way.

use std::time::Instant;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};

/// The header a request id comes in and goes back in.
pub const REQUEST_ID: &str = "x-request-id";

/// What is known of a request before it is handled.
pub struct RequestTrace {
    pub span: tracing::Span,
    id: String,
    method: String,
    route: String,
    started: Instant,
}

/// Opens the request's span.
pub fn begin(req: &ServiceRequest) -> RequestTrace {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sensible(v))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    // The route as registered (`/api/catalog/entities/by-name/{kind}/…`),
    // so one route's requests group together; the path for unrouted ones.
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "(no route)".to_owned());
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        route = %route,
        request_id = %id,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    );
    RequestTrace {
        span,
        id,
        method: method_label(req.method()).to_owned(),
        route,
        started: Instant::now(),
    }
}

/// Standard methods by name; anything else is one label, so made-up
/// methods cannot grow the metrics' series without bound.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Ids are echoed into a header and logs: short, printable, no spaces.
fn is_sensible(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Records the outcome on the span, logs it, and puts the id on the response.
pub fn finish(
    trace: RequestTrace,
    mut response: ServiceResponse<BoxBody>,
) -> ServiceResponse<BoxBody> {
    let status = response.status().as_u16();
    let elapsed = trace.started.elapsed().as_secs_f64();
    let latency_ms = elapsed * 1000.0;
    // Labelled by route pattern, never by path: one series per route, not
    // one per entity (or per scanner's made-up URL).
    metrics::counter!(
        "portico_http_requests_total",
        "method" => trace.method.clone(),
        "route" => trace.route.clone(),
        "status" => status.to_string(),
    )
    .increment(1);
    metrics::histogram!(
        "portico_http_request_duration_seconds",
        "method" => trace.method,
        "route" => trace.route,
    )
    .record(elapsed);
    trace.span.record("status", status);
    trace.span.record("latency_ms", latency_ms);
    trace.span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, latency_ms, "answered");
        } else {
            tracing::debug!(status, latency_ms, "answered");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&trace.id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID), value);
    }
    response
}
