use std::sync::Arc;

use actix_web::http::header::ContentType;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use portico_model::{EntityRef, RefDefaults};
use portico_query::{
    parse_fields, parse_order, parse_order_field, select_fields, EntityFilter, EntityJson,
    FullTextFilter, ListRequest, QueryRequest,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::openapi::Entity;
use crate::params::Params;
use crate::AppState;

const DEFAULT_QUERY_LIMIT: usize = 20;

/// An entity in a response: the index's JSON text as is, or only the `fields` asked for.
#[derive(Serialize)]
#[serde(untagged)]
enum Item {
    Whole(Arc<EntityJson>),
    Selected(Value),
}

impl Item {
    fn new(entity: Arc<EntityJson>, fields: &[String]) -> Item {
        if fields.is_empty() {
            Item::Whole(entity)
        } else {
            Item::Selected(select_fields(&entity.value(), fields))
        }
    }
}

fn project(items: Vec<Arc<EntityJson>>, fields: &[String]) -> Vec<Item> {
    items.into_iter().map(|e| Item::new(e, fields)).collect()
}

/// A JSON body that is already serialised.
fn json_body(json: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(json.to_owned())
}

/// `GET /entities`: a bare array; `Link: <…&after=…>; rel="next"` when a
/// `limit` cut it short.
#[utoipa::path(
    params(("filter" = Option<Vec<String>>, Query, description = "Filter, `key=value[,key=value]`; several filters are OR-ed"), ("fields" = Option<Vec<String>>, Query, description = "Fields to return, e.g. `metadata.name,kind`"), ("order" = Option<Vec<String>>, Query, description = "`asc:field` or `desc:field`"), ("limit" = Option<u32>, Query, description = "Page size"), ("offset" = Option<u32>, Query, description = "Items to skip"), ("after" = Option<String>, Query, description = "Cursor from the `Link` header")),
    responses((status = 200, description = "A bare array of entities (or of the selected fields); a `Link: rel=next` header when `limit` cut it short", body = Vec<Object>))
)]
#[get("/entities")]
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    let filter = EntityFilter::parse(&params.all("filter"))?;
    let order = params
        .all("order")
        .iter()
        .map(|o| parse_order(o))
        .collect::<Result<Vec<_>, _>>()?;
    let fields = parse_fields(&params.all("fields"));
    let limit = params.number("limit")?;
    let mut offset = params.number("offset")?.unwrap_or(0);
    if let Some(after) = params.one("after") {
        offset = decode_after(after)?;
    }
    let page = state.catalog.index().list(&ListRequest {
        filter,
        order,
        offset,
        limit,
    });
    let mut res = HttpResponse::Ok();
    if page.has_more {
        if let Some(limit) = limit {
            let next = encode_after(offset + limit);
            let mut qs: Vec<(String, String)> = Vec::new();
            for key in ["filter", "fields", "order"] {
                qs.extend(params.all(key).into_iter().map(|v| (key.to_string(), v)));
            }
            qs.push(("limit".to_string(), limit.to_string()));
            qs.push(("after".to_string(), next));
            let query: Vec<String> = qs
                .iter()
                .map(|(k, v)| format!("{k}={}", urlencode(v)))
                .collect();
            res.insert_header((
                "Link",
                format!("<{}?{}>; rel=\"next\"", req.path(), query.join("&")),
            ));
        }
    }
    Ok(res.json(project(page.items, &fields)))
}

fn encode_after(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(json!({ "offset": offset }).to_string())
}

fn decode_after(after: &str) -> Result<usize, ApiError> {
    let bad = || ApiError::input(format!("Invalid after cursor \"{after}\""));
    let bytes = URL_SAFE_NO_PAD.decode(after).map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    v.get("offset")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(bad)
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b','
            | b':'
            | b'=' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `GET /entities/by-query`: `{ items, totalItems, pageInfo }`.
#[utoipa::path(
    params(("filter" = Option<Vec<String>>, Query, description = "Filter, `key=value[,key=value]`; several filters are OR-ed"), ("fields" = Option<Vec<String>>, Query, description = "Fields to return, e.g. `metadata.name,kind`"), ("orderField" = Option<Vec<String>>, Query, description = "`field,asc` or `field,desc`"), ("fullTextFilterTerm" = Option<String>, Query, description = "Text to look for"), ("fullTextFilterFields" = Option<Vec<String>>, Query, description = "Fields the text is looked for in"), ("limit" = Option<u32>, Query, description = "Page size (20 by default)"), ("cursor" = Option<String>, Query, description = "`pageInfo.nextCursor` or `prevCursor` of a previous page")),
    responses((status = 200, description = "`{ items, totalItems, pageInfo: { nextCursor?, prevCursor? } }`", body = Object))
)]
#[get("/entities/by-query")]
pub async fn by_query(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    let fields = parse_fields(&params.all("fields"));
    let limit = params.number("limit")?;
    let request = match params.one("cursor") {
        Some(cursor) => QueryRequest::from_cursor(cursor, limit)?,
        None => {
            let order = params
                .all("orderField")
                .iter()
                .map(|o| parse_order_field(o))
                .collect::<Result<Vec<_>, _>>()?;
            let full_text = params
                .one("fullTextFilterTerm")
                .filter(|t| !t.trim().is_empty())
                .map(|term| FullTextFilter {
                    term: term.to_string(),
                    fields: parse_fields(&params.all("fullTextFilterFields")),
                });
            QueryRequest::new(
                &params.all("filter"),
                order,
                full_text,
                limit.unwrap_or(DEFAULT_QUERY_LIMIT),
            )?
        }
    };
    let page = state.catalog.index().query(&request);
    Ok(HttpResponse::Ok().json(QueryBody {
        items: project(page.items, &fields),
        total_items: page.total_items,
        page_info: PageInfo {
            next_cursor: page.next_cursor,
            prev_cursor: page.prev_cursor,
        },
    }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QueryBody {
    items: Vec<Item>,
    total_items: usize,
    page_info: PageInfo,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prev_cursor: Option<String>,
}

#[utoipa::path(
    params(("uid" = String, Path, description = "metadata.uid")),
    responses((status = 200, description = "The entity", body = Entity))
)]
#[get("/entities/by-uid/{uid}")]
pub async fn by_uid(
    state: web::Data<AppState>,
    uid: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let entity = state
        .catalog
        .index()
        .get_by_uid(&uid)
        .ok_or_else(|| ApiError::not_found(format!("No entity with uid {uid}")))?;
    Ok(json_body(entity.as_str()))
}

#[utoipa::path(
    params(("uid" = String, Path, description = "metadata.uid")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted (it returns at its location's next read unless removed there)"))
)]
#[delete("/entities/by-uid/{uid}")]
pub async fn delete_by_uid(
    state: web::Data<AppState>,
    caller: crate::auth::Caller,
    uid: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let entity = state
        .catalog
        .index()
        .get_by_uid(&uid)
        .ok_or_else(|| ApiError::not_found(format!("No entity with uid {uid}")))?;
    crate::access::may_delete_entity(&state.auth, &caller.0, &entity.value())?;
    let catalog = state.catalog.clone();
    web::block(move || catalog.delete_entity_by_uid(&uid)).await??;
    Ok(HttpResponse::NoContent().finish())
}

fn ref_key(path: &(String, String, String)) -> String {
    EntityRef::new(&path.0, &path.1, &path.2).key()
}

#[utoipa::path(
    params(("kind" = String, Path, description = "Entity kind, e.g. component", example = "component"), ("namespace" = String, Path, description = "Entity namespace, e.g. default", example = "default"), ("name" = String, Path, description = "Entity name", example = "playback-service")),
    responses((status = 200, description = "The entity", body = Entity))
)]
#[get("/entities/by-name/{kind}/{namespace}/{name}")]
pub async fn by_name(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let key = ref_key(&path);
    let entity = state
        .catalog
        .index()
        .get(&key)
        .ok_or_else(|| ApiError::not_found(format!("No entity named '{key}' found")))?;
    Ok(json_body(entity.as_str()))
}

#[utoipa::path(
    params(("kind" = String, Path, description = "Entity kind, e.g. component", example = "component"), ("namespace" = String, Path, description = "Entity namespace, e.g. default", example = "default"), ("name" = String, Path, description = "Entity name", example = "playback-service")),
    responses((status = 200, description = "`{ rootEntityRef, items: [{ entity, parentEntityRefs }] }`: the entity and the entities that emitted it", body = Object))
)]
#[get("/entities/by-name/{kind}/{namespace}/{name}/ancestry")]
pub async fn ancestry(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let key = ref_key(&path);
    let catalog = state.catalog.clone();
    let root = key.clone();
    let items = web::block(move || catalog.ancestry(&root)).await??;
    let items: Vec<AncestryEntry> = items
        .into_iter()
        .map(|i| AncestryEntry {
            entity: i.entity,
            parent_entity_refs: i.parent_entity_refs,
        })
        .collect();
    Ok(HttpResponse::Ok().json(AncestryBody {
        root_entity_ref: key,
        items,
    }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AncestryBody {
    root_entity_ref: String,
    items: Vec<AncestryEntry>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AncestryEntry {
    entity: Arc<EntityJson>,
    parent_entity_refs: Vec<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ByRefsBody {
    entity_refs: Vec<String>,
    #[serde(default)]
    fields: Vec<String>,
}

/// `POST /entities/by-refs`: one item per ref, `null` where none exists, in order.
#[utoipa::path(
    params(("filter" = Option<Vec<String>>, Query, description = "Filter, `key=value[,key=value]`; several filters are OR-ed"), ("fields" = Option<Vec<String>>, Query, description = "Fields to return, e.g. `metadata.name,kind`")),
    request_body(content = ByRefsBody, description = "The refs to look up, and the fields to return", content_type = "application/json"),
    responses((status = 200, description = "`{ items }`: one per ref, in order, `null` where none exists", body = Object))
)]
#[post("/entities/by-refs")]
pub async fn by_refs(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<ByRefsBody>,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    let mut fields = parse_fields(&body.fields);
    fields.extend(parse_fields(&params.all("fields")));
    let mut keys = Vec::with_capacity(body.entity_refs.len());
    for (i, r) in body.entity_refs.iter().enumerate() {
        let parsed = EntityRef::parse(r, RefDefaults::default())
            .map_err(|e| ApiError::input(format!("entityRefs[{i}]: {e}")))?;
        keys.push(parsed.key());
    }
    let found: Vec<Option<Arc<EntityJson>>> = {
        let index = state.catalog.index();
        keys.iter().map(|k| index.get(k)).collect()
    };
    // Selecting fields parses each entity: done after the index lock is released.
    let items: Vec<Option<Item>> = found
        .into_iter()
        .map(|e| e.map(|e| Item::new(e, &fields)))
        .collect();
    Ok(HttpResponse::Ok().json(ByRefsItems { items }))
}

#[derive(Serialize)]
struct ByRefsItems {
    /// `null` where no entity has the ref.
    items: Vec<Option<Item>>,
}
