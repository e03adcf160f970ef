//! `/docs`: every doc site, and the reader that lays a site's pages out in
//! the portal (navigation, page contents, edit link, build time). Reader
//! URLs mirror the site's own layout, so the pages' relative links and
//! images work unchanged.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use portico_model::annotations;
use portico_techdocs::served::{self, SiteFile, SitePage};
use portico_techdocs::NavNode;
use portico_web::{Page, Section};
use serde_json::{json, Value};

use super::{
    ago, display_name, docs_href, entity_href, full_ref, page, ref_cell, UiError, UiResult,
};
use crate::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(index).service(site_root).service(reader);
}

#[utoipa::path(
    responses((status = 200, description = "Every entity with docs", body = String, content_type = "text/html"))
)]
#[get("/docs")]
async fn index(req: HttpRequest, state: web::Data<AppState>) -> UiResult {
    // Entities with docs of their own (borrowed docs are the owner's site),
    // found through the index rather than by parsing every entity.
    let has_docs = portico_query::EntityFilter::parse(&[format!(
        "metadata.annotations.{}",
        annotations::TECHDOCS_REF
    )])
    .map_err(|e| UiError::from(crate::ApiError::from(e)))?;
    let entities: Vec<(String, Value)> = state
        .catalog
        .index()
        .list(&portico_query::ListRequest {
            filter: has_docs,
            ..portico_query::ListRequest::default()
        })
        .items
        .iter()
        .map(|entity| {
            let value = entity.value();
            (super::entity_key(&value), value)
        })
        .collect();
    let store = state.docs.store().clone();
    let keys: Vec<String> = entities.iter().map(|(k, _)| k.clone()).collect();
    let sites = web::block(move || {
        store.read(|tx| {
            keys.iter()
                .map(|k| tx.doc_site(k))
                .collect::<Result<Vec<_>, _>>()
        })
    })
    .await??;
    let now = crate::scaffolder::now_ms();
    let index = state.catalog.index();
    let mut rows: Vec<Value> = entities
        .iter()
        .zip(sites)
        .map(|((_, entity), site)| {
            let (kind, namespace, name) = super::entity_parts(entity);
            let built = site
                .as_ref()
                .filter(|s| !s.etag.is_empty())
                .map(|s| ago(s.build_timestamp, now));
            let status = match &site {
                Some(s) if s.failure.is_some() && s.etag.is_empty() => "build failed",
                _ => "not built yet",
            };
            let title = site
                .as_ref()
                .map(|s| s.site_name.clone())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| display_name(entity));
            let owner = entity
                .pointer("/spec/owner")
                .and_then(Value::as_str)
                .map(|o| ref_cell(&index, &full_ref(o, "group", &namespace), Some("group")));
            json!({
                "href": docs_href(&kind, &namespace, &name),
                "title": title,
                "kind": kind.to_lowercase(),
                "name": display_name(entity),
                "owner": owner,
                "description": entity.pointer("/metadata/description").and_then(Value::as_str).unwrap_or_default(),
                "built": built,
                "status": status,
            })
        })
        .collect();
    drop(index);
    rows.sort_by(|a, b| {
        a["title"]
            .as_str()
            .map(str::to_lowercase)
            .cmp(&b["title"].as_str().map(str::to_lowercase))
    });
    page(
        Page::DocsIndex,
        &super::chrome(&req, Section::Docs),
        json!({ "title": "Docs", "sites": rows }),
    )
}

/// `/docs/ns/kind/name` → the directory URL, which relative links need.
#[utoipa::path(
    params(("namespace" = String, Path, description = "Entity namespace", example = "default"), ("kind" = String, Path, description = "Entity kind", example = "component"), ("name" = String, Path, description = "Entity name", example = "playback-service")),
    responses((status = 301, description = "To the site's first page (the same URL with a trailing slash)"))
)]
#[get("/docs/{namespace}/{kind}/{name}")]
async fn site_root(path: web::Path<(String, String, String)>) -> HttpResponse {
    let (namespace, kind, name) = path.into_inner();
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, docs_href(&kind, &namespace, &name)))
        .finish()
}

#[utoipa::path(
    params(("namespace" = String, Path, description = "Entity namespace", example = "default"), ("kind" = String, Path, description = "Entity kind", example = "component"), ("name" = String, Path, description = "Entity name", example = "playback-service"), ("path" = String, Path, description = "Page of the site")),
    responses((status = 200, description = "A docs page", body = String, content_type = "text/html"))
)]
#[get("/docs/{namespace}/{kind}/{name}/{path:.*}")]
async fn reader(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String, String)>,
) -> UiResult {
    let (namespace, kind, name, file) = path.into_inner();
    let (key, entity) = super::lookup(&state, &(namespace.clone(), kind.clone(), name.clone()))?;
    let owner = crate::routes::techdocs::site_owner(&key, &entity)?;
    let store = state.docs.store().clone();
    let lookup = owner.clone();
    let wanted = file.clone();
    let (found, status) = web::block(move || {
        let found = served::site_file(&store, &lookup, &wanted)?;
        let status = match found {
            SiteFile::NotFound => Some(served::metadata(&store, &lookup)?),
            _ => None,
        };
        Ok::<_, portico_store::StoreError>((found, status))
    })
    .await??;
    let base = docs_href(&kind, &namespace, &name);
    match found {
        SiteFile::Page(site_page) => reader_page(&req, &entity, &base, &site_page),
        // Files are the author's (an .html report, an .svg): served as the
        // API serves them, sandboxed, never as the portal.
        SiteFile::File { content_type, body } => Ok(HttpResponse::Ok()
            .content_type(content_type)
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                crate::routes::techdocs::FILE_POLICY,
            ))
            .body(body)),
        SiteFile::Redirect(to) => Ok(HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, to))
            .finish()),
        SiteFile::NotFound => Err(UiError::not_found(match status {
            Some(served::SiteStatus::NotBuilt(Some(why))) => {
                format!("The docs of {owner} could not be built: {why}")
            }
            Some(served::SiteStatus::NotBuilt(None)) => format!(
                "The docs of {owner} have not been built yet. They build in the background after the entity is registered; try again in a moment."
            ),
            _ => format!("The docs of {owner} have no page {file}."),
        })),
    }
}

fn reader_page(req: &HttpRequest, entity: &Value, base: &str, site: &SitePage) -> UiResult {
    let (kind, namespace, name) = super::entity_parts(entity);
    let nav: Vec<Value> = site
        .nav
        .iter()
        .map(|node| nav_item(node, base, &site.url))
        .collect();
    let toc: Vec<Value> = site
        .toc
        .iter()
        .filter(|t| (2..=3).contains(&t.level))
        .map(|t| json!({ "id": t.id, "title": t.title, "indent": if t.level == 3 { "0.8" } else { "0" } }))
        .collect();
    let data = json!({
        "title": format!("{} · {}", site.title, site.meta.site_name),
        "site": {
            "name": site.meta.site_name,
            "home_href": base,
            "entity_href": entity_href(&kind, &namespace, &name),
            "entity_text": display_name(entity),
            "kind": kind.to_lowercase(),
            "namespace": namespace,
            "name_key": name,
        },
        "nav": nav,
        "toc": toc,
        "content_html": site.html,
        "edit_href": site.edit_url.as_deref().filter(|u| u.starts_with("https://") || u.starts_with("http://")),
        "built": ago(site.build_time, crate::scaffolder::now_ms()),
    });
    page(Page::DocsPage, &super::chrome(req, Section::Docs), data)
}

/// One entry of the reader's navigation: sections open only on the way to
/// the current page, so a page of a large site stays small.
fn nav_item(node: &NavNode, base: &str, current: &str) -> Value {
    match node {
        NavNode::Page { title, url } => json!({
            "title": title,
            "href": format!("{base}{}", portico_techdocs::layout::encode_path(url)),
            "current": url == current,
        }),
        NavNode::Link { title, url } => {
            let safe = url.starts_with("https://") || url.starts_with("http://");
            json!({ "title": title, "href": safe.then_some(url) })
        }
        NavNode::Section { title, children } => {
            if node.contains(current) {
                json!({
                    "title": title,
                    "children": children.iter().map(|c| nav_item(c, base, current)).collect::<Vec<_>>(),
                })
            } else {
                json!({
                    "title": title,
                    "href": node.first_page().map(|u| format!("{base}{}", portico_techdocs::layout::encode_path(u))),
                })
            }
        }
    }
}
