//! `/api/techdocs`: Backstage's TechDocs routes — site files, site and
//! entity metadata, and the sync stream the docs reader opens first.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{get, web, HttpResponse};
use portico_model::annotations::TECHDOCS_ENTITY;
use portico_model::{EntityRef, RefDefaults};
use portico_techdocs::{served, BuildOutcome};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::openapi::{Entity, ServerSentEvent};
use crate::{ApiError, AppState};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/api/techdocs")
            .service(static_file)
            .service(site_metadata)
            .service(entity_metadata)
            .service(sync),
    );
}

/// The entity named in the path, as `(ref, entity JSON)`.
fn entity(state: &AppState, path: &(String, String, String)) -> Result<(String, Value), ApiError> {
    let (namespace, kind, name) = path;
    let key = EntityRef::new(kind, namespace, name).key();
    let entity = state
        .catalog
        .index()
        .get(&key)
        .ok_or_else(|| ApiError::not_found(format!("No entity named '{key}' found")))?;
    Ok((key, entity.value()))
}

/// The entity whose site serves this entity's docs: itself, or the one
/// its `backstage.io/techdocs-entity` annotation borrows from.
pub(crate) fn site_owner(key: &str, entity: &Value) -> Result<String, ApiError> {
    let Some(borrowed) = entity
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(TECHDOCS_ENTITY))
        .and_then(Value::as_str)
    else {
        return Ok(key.to_string());
    };
    let namespace = entity
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default");
    let parsed = EntityRef::parse(
        borrowed,
        RefDefaults {
            kind: Some("component"),
            namespace,
        },
    )
    .map_err(|e| ApiError::input(format!("{TECHDOCS_ENTITY} '{borrowed}' of {key}: {e}")))?;
    Ok(parsed.key())
}

#[utoipa::path(
    params(("namespace" = String, Path, description = "Entity namespace", example = "default"), ("kind" = String, Path, description = "Entity kind", example = "component"), ("name" = String, Path, description = "Entity name", example = "playback-service"), ("path" = String, Path, description = "File of the site, e.g. `index.html`")),
    responses((status = 200, description = "A file of the built site", body = String, content_type = "application/octet-stream"))
)]
#[get("/static/docs/{namespace}/{kind}/{name}/{path:.*}")]
pub async fn static_file(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (namespace, kind, name, file) = path.into_inner();
    let (key, entity) = entity(&state, &(namespace, kind, name))?;
    let owner = site_owner(&key, &entity)?;
    let store = state.docs.store().clone();
    let lookup = owner.clone();
    let served = web::block(move || served::file(&store, &lookup, &file)).await??;
    Ok(match served {
        served::Served::Page(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                page_policy(&state.docs.options().build.mermaid_url),
            ))
            .body(html),
        // Files are served as the author wrote them (an .html report, an
        // .svg): unsanitized, so they run sandboxed, without script and in
        // an opaque origin, never as the portal.
        served::Served::File { content_type, body } => HttpResponse::Ok()
            .content_type(content_type)
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::CONTENT_SECURITY_POLICY, FILE_POLICY))
            .body(body),
        served::Served::Redirect(to) => HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, to))
            .finish(),
        served::Served::NotFound => {
            return Err(ApiError::not_found(format!(
                "No docs file found for {owner}"
            )))
        }
    })
}

/// Policy for files other than pages.
pub(crate) const FILE_POLICY: &str =
    "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'";

/// Policy for pages: their HTML is sanitized already; this is the second
/// line. Scripts only from the site itself (the theme) and the origin
/// mermaid is loaded from; images from anywhere, as docs link them.
fn page_policy(mermaid_url: &str) -> String {
    let mermaid = origin(mermaid_url).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' {mermaid}; style-src 'self' 'unsafe-inline'; \
         img-src * data:; object-src 'none'; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'self'"
    )
}

/// `scheme://host[:port]` of an http(s) URL.
fn origin(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host_len = rest.find('/').unwrap_or(rest.len());
    Some(&url[..url.len() - rest.len() + host_len])
}

#[utoipa::path(
    params(("namespace" = String, Path, description = "Entity namespace", example = "default"), ("kind" = String, Path, description = "Entity kind", example = "component"), ("name" = String, Path, description = "Entity name", example = "playback-service")),
    responses((status = 200, description = "`{ site_name, site_description, build_timestamp, files, etag }`", body = Object))
)]
#[get("/metadata/techdocs/{namespace}/{kind}/{name}")]
pub async fn site_metadata(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (key, entity) = entity(&state, &path)?;
    let owner = site_owner(&key, &entity)?;
    let store = state.docs.store().clone();
    let lookup = owner.clone();
    let status = web::block(move || served::metadata(&store, &lookup)).await??;
    match status {
        served::SiteStatus::Built(metadata) => Ok(HttpResponse::Ok().json(metadata)),
        served::SiteStatus::NotBuilt(failure) => Err(ApiError::not_found(match failure {
            Some(why) => format!("The docs of {owner} have not been built: {why}"),
            None => format!("The docs of {owner} have not been built (yet)"),
        })),
    }
}

#[utoipa::path(
    params(("namespace" = String, Path, description = "Entity namespace", example = "default"), ("kind" = String, Path, description = "Entity kind", example = "component"), ("name" = String, Path, description = "Entity name", example = "playback-service")),
    responses((status = 200, description = "The entity whose docs these are", body = Entity))
)]
#[get("/metadata/entity/{namespace}/{kind}/{name}")]
pub async fn entity_metadata(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, mut entity) = entity(&state, &path)?;
    let location = entity
        .pointer("/metadata/annotations/backstage.io~1managed-by-location")
        .and_then(Value::as_str)
        .and_then(|l| l.split_once(':'))
        .map(|(t, target)| serde_json::json!({ "type": t, "target": target }));
    if let (Some(location), Some(object)) = (location, entity.as_object_mut()) {
        object.insert("locationMetadata".to_string(), location);
    }
    Ok(HttpResponse::Ok().json(entity))
}

/// Builds the entity's docs if their source changed, streaming the
/// builder's log as server-sent events: `log` lines, then `finish` with
/// `{"updated": bool}`, or `error`.
#[utoipa::path(
    params(("namespace" = String, Path, description = "Entity namespace", example = "default"), ("kind" = String, Path, description = "Entity kind", example = "component"), ("name" = String, Path, description = "Entity name", example = "playback-service")),
    responses((status = 200, description = "Server-sent events: `log` lines, then `finish` with `{ updated }`", body = ServerSentEvent, content_type = "text/event-stream"))
)]
#[get("/sync/{namespace}/{kind}/{name}")]
pub async fn sync(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (key, entity) = entity(&state, &path)?;
    let owner = site_owner(&key, &entity)?;
    let entity = if owner == key {
        entity
    } else {
        state
            .catalog
            .index()
            .get(&owner)
            .ok_or_else(|| ApiError::not_found(format!("No entity named '{owner}' found")))?
            .value()
    };
    let (tx, rx) = mpsc::unbounded_channel::<Bytes>();
    let builder = state.docs.clone();
    // The build runs on a blocking thread; the response streams as it goes.
    actix_web::rt::task::spawn_blocking(move || {
        let log_tx = tx.clone();
        let mut log = |line: &str| {
            let _ = log_tx.send(event("log", &Value::String(line.to_string())));
        };
        let last = match builder.build(&owner, &entity, false, &mut log) {
            Ok(BuildOutcome::Failed(message)) => event("error", &Value::String(message)),
            Ok(outcome) => event(
                "finish",
                &serde_json::json!({ "updated": outcome.updated() }),
            ),
            Err(e) => event("error", &Value::String(e.to_string())),
        };
        let _ = tx.send(last);
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .streaming(EventStream(rx)))
}

pub(crate) fn event(name: &str, data: &Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// Server-sent events fed by a channel from a blocking thread.
pub(crate) struct EventStream(pub(crate) mpsc::UnboundedReceiver<Bytes>);

impl futures_core::Stream for EventStream {
    type Item = Result<Bytes, actix_web::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|item| item.map(Ok))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn origin_is_scheme_host_and_port() {
        assert_eq!(
            super::origin("https://cdn.jsdelivr.net/npm/mermaid@11/x.mjs"),
            Some("https://cdn.jsdelivr.net")
        );
        assert_eq!(super::origin("http://h:8080"), Some("http://h:8080"));
        assert_eq!(super::origin("/local/mermaid.mjs"), None);
    }
}
