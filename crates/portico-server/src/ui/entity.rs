//! The entity page (`/catalog/:namespace/:kind/:name`): about, relations,
//! members and ownership for groups and users, the relations graph, the API
//! definition, and the refresh and unregister actions.

use std::collections::{BTreeMap, HashSet};

use actix_web::{get, post, web, HttpRequest};
use portico_auth::Permission;
use portico_model::annotations;
use portico_query::CatalogIndex;
use portico_web::{Page, Section};
use serde_json::{json, Value};

use super::catalog::plural;
use super::{
    display_name, entity_href, full_ref, page, ref_cell, ref_href, relations, see_other, short_ref,
    UiError, UiResult,
};
use crate::auth::Caller;
use crate::params::Params;
use crate::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(overview)
        .service(graph)
        .service(api_definition)
        .service(refresh)
        .service(unregister_confirm)
        .service(unregister);
}

type EntityPath = web::Path<(String, String, String)>;

use super::{lookup, namespace_of, text_at as text};

fn annotation<'a>(entity: &'a Value, key: &str) -> Option<&'a str> {
    entity
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
        .filter(|v| !v.trim().is_empty())
}

/// Only web links become hrefs: a `javascript:` link in a catalog file must
/// not run in the portal.
fn web_url(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| url.to_owned())
}

fn has_docs(entity: &Value) -> bool {
    annotation(entity, annotations::TECHDOCS_REF).is_some()
        || annotation(entity, annotations::TECHDOCS_ENTITY).is_some()
}

/// What the viewer may do to the entity, for the buttons a page shows.
/// Unregistering may need more than the entity (every entity of its
/// location); the confirmation page asks that.
struct May {
    signed_in: bool,
    refresh: bool,
    unregister: bool,
}

fn may(state: &AppState, req: &HttpRequest, entity: &Value) -> May {
    let principal = state
        .auth
        .principal(req)
        .unwrap_or(portico_auth::Principal::Anonymous);
    May {
        signed_in: principal != portico_auth::Principal::Anonymous,
        refresh: state
            .auth
            .check(&principal, Permission::EntityRefresh, None)
            .is_ok(),
        unregister: crate::access::may_delete_entity(&state.auth, &principal, entity).is_ok(),
    }
}

/// What every tab shows above its content.
fn head(key: &str, entity: &Value, tab: &str, flash: Option<Value>, may: &May) -> Value {
    let (kind, namespace, name) = super::entity_parts(entity);
    let base = entity_href(&kind, &namespace, &name);
    let mut tabs = vec![
        json!({ "label": "Overview", "href": base, "current": tab == "overview" }),
        json!({ "label": "Relations graph", "href": format!("{base}/graph"), "current": tab == "graph" }),
    ];
    if kind.eq_ignore_ascii_case("api") {
        tabs.push(json!({ "label": "Definition", "href": format!("{base}/api"), "current": tab == "api" }));
    }
    if has_docs(entity) {
        tabs.push(json!({
            "label": "Docs",
            "href": super::docs_href(&kind, &namespace, &name),
            "current": false,
        }));
    }
    let source = annotation(entity, annotations::VIEW_URL)
        .and_then(web_url)
        .or_else(|| {
            annotation(entity, annotations::SOURCE_LOCATION)
                .and_then(|s| s.strip_prefix("url:"))
                .and_then(web_url)
        });
    let errors: Vec<Value> = entity
        .pointer("/status/items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|item| {
            let error = item.get("error").unwrap_or(item);
            json!({
                "name": error.get("name").and_then(Value::as_str).unwrap_or("Error"),
                "message": error.get("message").and_then(Value::as_str).or_else(|| item.get("message").and_then(Value::as_str)).unwrap_or_default(),
            })
        })
        .collect();
    let is_location = kind.eq_ignore_ascii_case("location");
    json!({
        "flash": flash,
        "orphan": annotation(entity, annotations::ORPHAN) == Some("true"),
        "errors": errors,
        "tabs": tabs,
        "actions": {
            "refresh": may.refresh.then(|| format!("{base}/refresh")),
            "unregister": (may.unregister && !is_location).then(|| format!("{base}/unregister")),
            "sign_in": (!may.signed_in).then(|| super::sign_in_href(&base)),
        },
        "entity": {
            "ref": key,
            "kind": kind.to_lowercase(),
            "kind_label": plural(&kind),
            "namespace": namespace,
            "name": name,
            "display_name": display_name(entity),
            "description": text(entity, "/metadata/description"),
            "links": entity.pointer("/metadata/links").and_then(Value::as_array).into_iter().flatten().filter_map(|l| {
                let url = web_url(l.get("url")?.as_str()?)?;
                let title = l.get("title").and_then(Value::as_str).filter(|t| !t.is_empty()).unwrap_or(&url).to_owned();
                Some(json!({ "url": url, "title": title }))
            }).collect::<Vec<_>>(),
            "source_href": source,
            "edit_href": annotation(entity, annotations::EDIT_URL).and_then(web_url),
        },
    })
}

fn flash_of(req: &HttpRequest) -> Option<Value> {
    let params = Params::parse(req.query_string()).ok()?;
    let (kind, message) = match params.one("flash")? {
        "refreshed" => (
            "ok",
            "Read again from its location: the catalog is up to date.",
        ),
        "unchanged" => ("ok", "Its location was read again and nothing has changed."),
        "refresh-busy" => (
            "warn",
            "Another Portico replica is reading its location right now; try again in a moment.",
        ),
        _ => return None,
    };
    Some(json!({ "kind": kind, "message": message }))
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

/// Relation types as the page words them, in the order it lists them.
const RELATION_LABELS: &[(&str, &str)] = &[
    ("ownedBy", "Owned by"),
    ("partOf", "Part of"),
    ("hasPart", "Has parts"),
    ("providesApi", "Provides APIs"),
    ("consumesApi", "Consumes APIs"),
    ("apiProvidedBy", "Provided by"),
    ("apiConsumedBy", "Consumed by"),
    ("dependsOn", "Depends on"),
    ("dependencyOf", "Depended on by"),
    ("memberOf", "Member of"),
    ("childOf", "Child of"),
    ("parentOf", "Parent of"),
    ("hasMember", "Members"),
    ("ownerOf", "Owns"),
];

/// Entries per relation list; the graph and the group tables show more.
const RELATION_LIST_MAX: usize = 50;

fn relation_groups(index: &CatalogIndex, entity: &Value, skip: &[&str]) -> Vec<Value> {
    let all = relations(entity);
    let mut out = Vec::new();
    for (relation, label) in RELATION_LABELS {
        if skip.contains(relation) {
            continue;
        }
        let mut targets: Vec<&String> = all
            .iter()
            .filter(|(t, _)| t == relation)
            .map(|(_, target)| target)
            .collect();
        if targets.is_empty() {
            continue;
        }
        targets.sort();
        targets.dedup();
        let more = targets.len().saturating_sub(RELATION_LIST_MAX);
        let mut items: Vec<Value> = targets
            .iter()
            .take(RELATION_LIST_MAX)
            .map(|target| {
                let mut cell = ref_cell(index, target, None);
                if let Some(map) = cell.as_object_mut() {
                    map.insert(
                        "kind".into(),
                        json!(target.split(':').next().unwrap_or_default()),
                    );
                }
                cell
            })
            .collect();
        if more > 0 {
            items.push(json!({ "kind": "", "text": format!("and {more} more") }));
        }
        out.push(json!({ "label": label, "items": items }));
    }
    out
}

/// The about card's fields for this kind.
fn about(index: &CatalogIndex, entity: &Value) -> Vec<Value> {
    let (kind, namespace, _) = super::entity_parts(entity);
    let kind = kind.to_lowercase();
    let reference = |value: &str, default_kind: &str| -> Value {
        if value.is_empty() {
            Value::Null
        } else {
            ref_cell(
                index,
                &full_ref(value, default_kind, &namespace),
                Some(default_kind),
            )
        }
    };
    let plain = |pointer: &str| -> Value {
        match text(entity, pointer) {
            "" => Value::Null,
            v => json!({ "text": v }),
        }
    };
    let system = text(entity, "/spec/system");
    // The domain of a component is its system's.
    let domain = match text(entity, "/spec/domain") {
        "" if !system.is_empty() => index
            .get(&full_ref(system, "system", &namespace))
            .map(|s| {
                let s = s.value();
                text(&s, "/spec/domain").to_owned()
            })
            .unwrap_or_default(),
        d => d.to_owned(),
    };
    let tags = entity
        .pointer("/metadata/tags")
        .and_then(Value::as_array)
        .filter(|t| !t.is_empty())
        .map_or(Value::Null, |t| json!({ "tags": t }));
    let mut fields = Vec::new();
    let mut add =
        |label: &str, value: Value| fields.push(json!({ "label": label, "value": value }));
    match kind.as_str() {
        "group" => {
            add("Type", plain("/spec/type"));
            add("Parent", reference(text(entity, "/spec/parent"), "group"));
            add("Email", plain("/spec/profile/email"));
        }
        "user" => {
            add("Email", plain("/spec/profile/email"));
        }
        _ => {
            add("Owner", reference(text(entity, "/spec/owner"), "group"));
            if matches!(kind.as_str(), "component" | "api" | "resource") {
                add("System", reference(system, "system"));
            }
            if kind != "domain" {
                add("Domain", reference(&domain, "domain"));
            }
            if matches!(kind.as_str(), "component" | "api" | "resource" | "template") {
                add("Type", plain("/spec/type"));
            }
            if matches!(kind.as_str(), "component" | "api") {
                add(
                    "Lifecycle",
                    match text(entity, "/spec/lifecycle") {
                        "" => Value::Null,
                        l => super::lifecycle_cell(l),
                    },
                );
            }
        }
    }
    add("Tags", tags);
    fields
}

/// Everything `owners` own, grouped by kind, as table rows.
fn owned_by(index: &CatalogIndex, owners: &[String]) -> Vec<Value> {
    // Keys first, grouped by the kind their prefix names: only the rows
    // shown are parsed, so the page of a group that owns thousands of
    // entities costs what one of a small team does.
    let mut seen = HashSet::new();
    let mut by_kind: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for owner in owners {
        let Some(owner_entity) = index.get(owner) else {
            continue;
        };
        for (relation, target) in relations(&owner_entity.value()) {
            if relation != "ownerOf" || !seen.insert(target.clone()) {
                continue;
            }
            let kind = target.split(':').next().unwrap_or_default().to_owned();
            by_kind.entry(kind).or_default().push(target);
        }
    }
    by_kind
        .into_iter()
        .map(|(kind, mut targets)| {
            targets.sort();
            let rows: Vec<Value> = targets
                .iter()
                .take(OWNED_ROWS_MAX)
                .filter_map(|target| {
                    let owned = index.get(target)?.value();
                    Some(json!({
                        "href": ref_href(target),
                        "text": display_name(&owned),
                        "type": text(&owned, "/spec/type"),
                        "lifecycle": text(&owned, "/spec/lifecycle"),
                        "owner": short_ref(&full_ref(text(&owned, "/spec/owner"), "group", namespace_of(&owned)), Some("group")),
                        "description": text(&owned, "/metadata/description"),
                    }))
                })
                .collect();
            let more = targets.len().saturating_sub(OWNED_ROWS_MAX);
            json!({
                "kind": plural(&kind),
                "count": targets.len(),
                "items": rows,
                "more": (more > 0).then(|| format!("and {more} more, in the catalog")),
                "more_href": (more > 0).then(|| format!("/catalog?kind={kind}")),
            })
        })
        .collect()
}

/// Rows per kind in a group's or user's ownership tables.
const OWNED_ROWS_MAX: usize = 100;

/// Groups a group page covers: the group and those below it.
const GROUP_TREE_MAX: usize = 10_000;

#[utoipa::path(
    params(("namespace" = String, Path, description = "Entity namespace", example = "default"), ("kind" = String, Path, description = "Entity kind", example = "component"), ("name" = String, Path, description = "Entity name", example = "playback-service")),
    responses((status = 200, description = "An entity's page", body = String, content_type = "text/html"))
)]
#[get("/catalog/{namespace}/{kind}/{name}")]
async fn overview(state: web::Data<AppState>, path: EntityPath, req: HttpRequest) -> UiResult {
    let (key, entity) = lookup(&state, &path)?;
    let index = state.catalog.index();
    let kind = text(&entity, "/kind").to_lowercase();
    let mut data = json!({
        "title": display_name(&entity),
        "about": about(&index, &entity),
    });
    let mut skip = Vec::new();
    let extra = match kind.as_str() {
        "group" => {
            skip.extend(["ownerOf", "hasMember"]);
            let mut member_refs: Vec<String> = relations(&entity)
                .into_iter()
                .filter(|(t, _)| t == "hasMember")
                .map(|(_, user)| user)
                .collect();
            member_refs.sort();
            let member_count = member_refs.len();
            let members: Vec<Value> = member_refs
                .into_iter()
                .take(OWNED_ROWS_MAX)
                .map(|user| {
                    let mut cell = ref_cell(&index, &user, Some("user"));
                    let email = index
                        .get(&user)
                        .map(|u| text(&u.value(), "/spec/profile/email").to_owned());
                    if let (Some(map), Some(email)) = (cell.as_object_mut(), email) {
                        map.insert("email".into(), json!(email));
                    }
                    cell
                })
                .collect();
            let groups = crate::access::group_tree(&index, &key, GROUP_TREE_MAX, |_, _| {});
            json!({
                "members": members,
                "member_count": member_count,
                "owned": owned_by(&index, &groups),
                "owned_title": if groups.len() > 1 { format!("Owned by this group and its {} sub-groups", groups.len() - 1) } else { "Owned by this group".to_owned() },
            })
        }
        "user" => {
            skip.push("ownerOf");
            let mut owners = vec![key.clone()];
            owners.extend(
                relations(&entity)
                    .into_iter()
                    .filter(|(t, _)| t == "memberOf")
                    .map(|(_, g)| g),
            );
            json!({
                "owned": owned_by(&index, &owners),
                "owned_title": "Owned by this user and their groups",
            })
        }
        _ => json!({}),
    };
    data = merge(data, extra);
    data = merge(
        data,
        json!({ "relations": relation_groups(&index, &entity, &skip) }),
    );
    drop(index);
    // After the index's lock is let go: the scorecards read it too.
    data = merge(
        data,
        json!({
            "scorecards": super::scorecards::entity_cards(&state, &key),
            "scorecard_tables": if kind == "group" { super::scorecards::group_tables(&state, &key) } else { Value::Null },
        }),
    );
    let data = merge(
        head(
            &key,
            &entity,
            "overview",
            flash_of(&req),
            &may(&state, &req, &entity),
        ),
        data,
    );
    page(Page::Entity, &super::chrome(&req, Section::Catalog), data)
}

/// Relation sets the graph tab offers (`relations=`).
const GRAPH_CHOICES: &[(&str, &str, &[&str])] = &[
    ("all", "All relations", &[]),
    (
        "dependencies",
        "Dependencies and APIs",
        &["dependsOn", "providesApi", "consumesApi"],
    ),
    (
        "ownership",
        "Ownership and structure",
        &["ownedBy", "partOf", "memberOf", "childOf"],
    ),
];

#[utoipa::path(
    params(("namespace" = String, Path, description = "Entity namespace", example = "default"), ("kind" = String, Path, description = "Entity kind", example = "component"), ("name" = String, Path, description = "Entity name", example = "playback-service")),
    responses((status = 200, description = "An entity's dependency graph", body = String, content_type = "text/html"))
)]
#[get("/catalog/{namespace}/{kind}/{name}/graph")]
async fn graph(state: web::Data<AppState>, path: EntityPath, req: HttpRequest) -> UiResult {
    let (key, entity) = lookup(&state, &path)?;
    let params = Params::parse(req.query_string()).map_err(UiError::from)?;
    let choice = params.one("relations").unwrap_or("all");
    let (choice, _, filter) = GRAPH_CHOICES
        .iter()
        .find(|(name, _, _)| *name == choice)
        .unwrap_or(&GRAPH_CHOICES[0]);
    let svg = {
        let index = state.catalog.index();
        let graph = portico_web::graph::neighbourhood(
            &key,
            2,
            40,
            (!filter.is_empty()).then_some(*filter),
            |target: &str| {
                let entity = index.get(target)?.value();
                let (kind, namespace, name) = super::entity_parts(&entity);
                Some((
                    portico_web::graph::NodeInfo {
                        kind: kind.to_lowercase(),
                        title: display_name(&entity),
                        href: entity_href(&kind, &namespace, &name),
                    },
                    relations(&entity),
                ))
            },
        );
        portico_web::graph::render_svg(&graph)
    };
    let choices: Vec<Value> = GRAPH_CHOICES
        .iter()
        .map(|(value, label, _)| json!({ "value": value, "label": label, "selected": value == choice }))
        .collect();
    let data = merge(
        head(&key, &entity, "graph", None, &may(&state, &req, &entity)),
        json!({
            "title": format!("Relations of {}", display_name(&entity)),
            "graph_svg": svg,
            "relation_choices": choices,
        }),
    );
    page(
        Page::EntityGraph,
        &super::chrome(&req, Section::Catalog),
        data,
    )
}

/// Definitions longer than this are shown as source only.
const MAX_PARSED_DEFINITION: usize = 4 * 1024 * 1024;

#[utoipa::path(
    params(("namespace" = String, Path, description = "Entity namespace", example = "default"), ("kind" = String, Path, description = "Entity kind", example = "component"), ("name" = String, Path, description = "Entity name", example = "playback-service")),
    responses((status = 200, description = "An API's definition", body = String, content_type = "text/html"))
)]
#[get("/catalog/{namespace}/{kind}/{name}/api")]
async fn api_definition(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: EntityPath,
) -> UiResult {
    let (key, entity) = lookup(&state, &path)?;
    if !text(&entity, "/kind").eq_ignore_ascii_case("api") {
        return Err(UiError::not_found(format!(
            "{key} is not an API, so it has no definition."
        )));
    }
    let api_type = text(&entity, "/spec/type").to_owned();
    let definition = text(&entity, "/spec/definition").to_owned();
    let api = web::block(move || {
        let language = match definition.trim_start().chars().next() {
            Some('{') | Some('[') => "json",
            _ if api_type.eq_ignore_ascii_case("graphql") => "graphql",
            _ if api_type.eq_ignore_ascii_case("grpc") => "proto",
            _ => "yaml",
        };
        let source_html = portico_markdown::highlight_block(&definition, language);
        if api_type.eq_ignore_ascii_case("openapi") && definition.len() <= MAX_PARSED_DEFINITION {
            match portico_web::openapi::parse_openapi(&definition) {
                Ok(view) => json!({ "type": api_type, "view": view, "source_html": source_html }),
                Err(e) => {
                    json!({ "type": api_type, "error": e.to_string(), "source_html": source_html })
                }
            }
        } else {
            json!({ "type": api_type, "source_html": source_html })
        }
    })
    .await?;
    let data = merge(
        head(&key, &entity, "api", None, &may(&state, &req, &entity)),
        json!({ "title": format!("{} definition", display_name(&entity)), "api": api }),
    );
    page(
        Page::EntityApi,
        &super::chrome(&req, Section::Catalog),
        data,
    )
}

#[utoipa::path(
    params(("namespace" = String, Path, description = "Entity namespace", example = "default"), ("kind" = String, Path, description = "Entity kind", example = "component"), ("name" = String, Path, description = "Entity name", example = "playback-service")),
    responses((status = 303, description = "Refreshed: back to the entity"))
)]
#[post("/catalog/{namespace}/{kind}/{name}/refresh")]
async fn refresh(state: web::Data<AppState>, caller: Caller, path: EntityPath) -> UiResult {
    state
        .auth
        .check(&caller.0, Permission::EntityRefresh, None)?;
    let (key, entity) = lookup(&state, &path)?;
    let catalog = state.catalog.clone();
    let lookup_key = key.clone();
    let outcome = web::block(move || catalog.refresh_entity(&lookup_key)).await??;
    let flash = match outcome {
        portico_catalog::RefreshOutcome::Committed(_) => "refreshed",
        portico_catalog::RefreshOutcome::Unchanged => "unchanged",
        portico_catalog::RefreshOutcome::Busy { .. } => "refresh-busy",
        portico_catalog::RefreshOutcome::Failed(why) => {
            return Err(UiError::from(crate::ApiError::input(format!(
                "Reading the location of {key} failed: {why}. The entity is kept as it was."
            ))))
        }
    };
    let (kind, namespace, name) = super::entity_parts(&entity);
    Ok(see_other(&format!(
        "{}?flash={flash}",
        entity_href(&kind, &namespace, &name)
    )))
}

#[utoipa::path(
    params(("namespace" = String, Path, description = "Entity namespace", example = "default"), ("kind" = String, Path, description = "Entity kind", example = "component"), ("name" = String, Path, description = "Entity name", example = "playback-service")),
    responses((status = 200, description = "What unregistering would remove", body = String, content_type = "text/html"))
)]
#[get("/catalog/{namespace}/{kind}/{name}/unregister")]
async fn unregister_confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: EntityPath,
) -> UiResult {
    let (key, entity) = lookup(&state, &path)?;
    let (kind, namespace, name) = super::entity_parts(&entity);
    let back = entity_href(&kind, &namespace, &name);
    let orphan = annotation(&entity, annotations::ORPHAN) == Some("true");
    let catalog = state.catalog.clone();
    let lookup_key = key.clone();
    let location = web::block(move || {
        let location = catalog.location_of_entity(&lookup_key)?;
        let entities = catalog.entities_of_location(&location.id)?;
        Ok::<_, portico_catalog::CatalogError>((location, entities))
    })
    .await?;
    // Refused here, before the user confirms, with what is missing.
    let principal = state.auth.principal(&req)?;
    if principal == portico_auth::Principal::Anonymous {
        return Ok(see_other(&super::sign_in_href(req.path())));
    }
    match &location {
        Ok((location, _)) if !orphan => {
            let (auth, catalog, id) = (
                state.auth.clone(),
                state.catalog.clone(),
                location.id.clone(),
            );
            web::block(move || crate::access::may_unregister(&auth, &principal, &catalog, &id))
                .await??;
        }
        _ => crate::access::may_delete_entity(&state.auth, &principal, &entity)?,
    }
    let data = match location {
        Ok((location, entities)) if !orphan => {
            let items: Vec<Value> = entities
                .iter()
                .map(|e| {
                    let e = e.value();
                    let k = super::entity_key(&e);
                    json!({ "href": ref_href(&k), "text": format!("{} ({})", display_name(&e), short_ref(&k, None)) })
                })
                .collect();
            json!({
                "title": format!("Unregister {}", display_name(&entity)),
                "heading": format!("Unregister {}?", display_name(&entity)),
                "message": format!("This removes the location {} {} from the catalog, with the {} entities it registered. The repository is not touched; register it again to bring them back.", location.location_type, location.target, items.len()),
                "items": items,
                "action": format!("{back}/unregister"),
                "hidden": [{ "name": "location", "value": location.id }],
                "confirm": "Unregister location",
                "danger": true,
                "cancel_href": back,
            })
        }
        _ => json!({
            "title": format!("Delete {}", display_name(&entity)),
            "heading": format!("Delete {}?", display_name(&entity)),
            "message": "This deletes the entity. If its catalog file still lists it, it comes back at the next refresh.",
            "action": format!("{back}/unregister"),
            "hidden": [{ "name": "uid", "value": text(&entity, "/metadata/uid") }],
            "confirm": "Delete entity",
            "danger": true,
            "cancel_href": back,
        }),
    };
    page(Page::Confirm, &super::chrome(&req, Section::Catalog), data)
}

#[derive(serde::Deserialize)]
struct UnregisterForm {
    location: Option<String>,
    uid: Option<String>,
}

#[utoipa::path(
    params(("namespace" = String, Path, description = "Entity namespace", example = "default"), ("kind" = String, Path, description = "Entity kind", example = "component"), ("name" = String, Path, description = "Entity name", example = "playback-service")),
    request_body(content = Object, description = "`location` or `uid`: what to remove", content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Removed: to the catalog"))
)]
#[post("/catalog/{namespace}/{kind}/{name}/unregister")]
async fn unregister(
    state: web::Data<AppState>,
    caller: Caller,
    path: EntityPath,
    form: web::Form<UnregisterForm>,
) -> UiResult {
    let (key, entity) = lookup(&state, &path)?;
    let form = form.into_inner();
    let catalog = state.catalog.clone();
    let auth = state.auth.clone();
    let uid = text(&entity, "/metadata/uid").to_owned();
    web::block(move || match (form.location, form.uid) {
        // The location must still be the entity's: the form may be old.
        (Some(location), _) => {
            let current = catalog.location_of_entity(&key)?;
            if current.id != location {
                return Err(crate::ApiError::not_found(format!(
                    "{key} is no longer registered by that location; reload the page"
                )));
            }
            crate::access::may_unregister(&auth, &caller.0, &catalog, &location)?;
            Ok(catalog.delete_location(&location)?)
        }
        (None, Some(form_uid)) if form_uid == uid => {
            crate::access::may_delete_entity(&auth, &caller.0, &entity)?;
            Ok(catalog.delete_entity_by_uid(&uid)?)
        }
        _ => Err(crate::ApiError::not_found(format!(
            "{key} has changed since the page was shown; reload it"
        ))),
    })
    .await??;
    Ok(see_other("/catalog"))
}
