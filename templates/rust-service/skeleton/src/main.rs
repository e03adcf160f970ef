//! {{values.name}}: an HTTP service on actix-web.
//!
//! Serves `GET /healthz` and Prometheus metrics on `GET /metrics`, on
//! `0.0.0.0:$PORT` (default {{values.port}}), and logs one JSON line per
//! request.

mod metrics;

use std::io;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{self, Next};
use actix_web::{get, web, App, HttpResponse, HttpServer, Responder};
use serde::Serialize;

use crate::metrics::Metrics;

/// The port when `PORT` is not set.
const DEFAULT_PORT: u16 = {{values.port}};

#[derive(Serialize)]
struct Health {
    status: &'static str,
}

/// Liveness and readiness: the process is up and serving.
#[get("/healthz")]
async fn healthz() -> impl Responder {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Prometheus text exposition format.
#[get("/metrics")]
async fn metrics_endpoint(metrics: web::Data<Metrics>) -> impl Responder {
    HttpResponse::Ok()
        .content_type(metrics::CONTENT_TYPE)
        .body(metrics.render())
}

/// Every route of the service; `main` and the tests build the app from it.
fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(metrics_endpoint);
}

/// Counts and times every request, and logs it.
async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let res = next.call(req).await?;
    // The route pattern, not the raw path: one series per route, whatever
    // the clients ask for.
    let path = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    if let Some(metrics) = metrics {
        metrics.observe(&method, &path, status, seconds);
    }
    tracing::info!(
        method = %method,
        path = %path,
        status,
        duration_ms = (seconds * 1_000_000.0).round() / 1000.0,
        "request"
    );
    Ok(res)
}

/// `PORT` from the environment, or the default.
fn port() -> io::Result<u16> {
    match std::env::var("PORT") {
        Ok(value) => value
            .trim()
            .parse()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("PORT={value}: {e}"))),
        Err(_) => Ok(DEFAULT_PORT),
    }
}

/// `LOG_LEVEL` (error, warn, info, debug, trace); info by default.
fn log_level() -> tracing::Level {
    std::env::var("LOG_LEVEL")
        .ok()
        .and_then(|level| level.parse().ok())
        .unwrap_or(tracing::Level::INFO)
}

/// `{{values.name}} healthcheck`: asks the running server for /healthz and
/// exits 0 when it answers 200. The container's HEALTHCHECK runs it, so the
/// image needs no curl.
fn healthcheck(port: u16) -> io::Result<bool> {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    Ok(head.starts_with(b"HTTP/1.") && &head[9..12] == b"200")
}

#[actix_web::main]
async fn main() -> io::Result<()> {
    let port = match port() {
        Ok(port) => port,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        let healthy = healthcheck(port).unwrap_or(false);
        std::process::exit(if healthy { 0 } else { 1 });
    }

    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_max_level(log_level())
        .init();

    let metrics = web::Data::new(Metrics::default());
    tracing::info!(port, "listening on 0.0.0.0:{port}");
    HttpServer::new(move || {
        App::new()
            .app_data(metrics.clone())
            .wrap(middleware::from_fn(observe))
            .configure(routes)
    })
    .bind(("0.0.0.0", port))?
    // Kubernetes sends SIGTERM and waits 30 s by default: finish what is in
    // flight well before that.
    .shutdown_timeout(20)
    .run()
    .await
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use actix_web::test;

    use super::*;

    #[actix_web::test]
    async fn healthz_answers_ok() {
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(Metrics::default()))
                .wrap(middleware::from_fn(observe))
                .configure(routes),
        )
        .await;
        let res =
            test::call_service(&app, test::TestRequest::get().uri("/healthz").to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: serde_json::Value = test::read_body_json(res).await;
        assert_eq!(body, serde_json::json!({ "status": "ok" }));
    }

    #[actix_web::test]
    async fn metrics_count_requests_by_route_and_status() {
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(Metrics::default()))
                .wrap(middleware::from_fn(observe))
                .configure(routes),
        )
        .await;
        for uri in ["/healthz", "/healthz", "/no-such-page"] {
            test::call_service(&app, test::TestRequest::get().uri(uri).to_request()).await;
        }
        let res =
            test::call_service(&app, test::TestRequest::get().uri("/metrics").to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body = test::read_body(res).await;
        let text = std::str::from_utf8(&body).unwrap();
        assert!(
            text.contains(r#"http_requests_total{method="GET",path="/healthz",status="200"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"http_requests_total{method="GET",path="unmatched",status="404"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"http_request_duration_seconds_count{path="/healthz"} 2"#),
            "{text}"
        );
    }
}
