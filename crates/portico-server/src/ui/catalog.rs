//! `/catalog`: the table of entities of one kind, with facet filters, a
//! text filter, sorting and pages, all in the URL (so without JavaScript
//! too, and every view can be shared as a link).

use actix_web::{get, web, HttpRequest};
use portico_query::{EntityFilter, FullTextFilter, QueryRequest, SortField};
use portico_web::{Page, Section};
use serde_json::{json, Value};

use super::{
    display_name, entity_href, full_ref, namespace_of, page, query_string, ref_cell, short_ref,
    text_at, viewer, UiError, UiResult,
};
use crate::params::Params;
use crate::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(catalog);
}

const PAGE_SIZE: usize = 25;

/// Kinds in the order the tabs show them; others follow by name.
const KIND_ORDER: &[&str] = &[
    "component",
    "api",
    "resource",
    "system",
    "domain",
    "group",
    "user",
    "template",
    "location",
];

/// A facet filter: URL parameter, label, search key.
const FACETS: &[(&str, &str, &str)] = &[
    ("type", "Type", "spec.type"),
    ("owner", "Owner", "relations.ownedby"),
    ("lifecycle", "Lifecycle", "spec.lifecycle"),
    ("tag", "Tag", "metadata.tags"),
    ("namespace", "Namespace", "metadata.namespace"),
];

/// A sortable column: URL value, label, field.
const SORTS: &[(&str, &str, &str)] = &[
    ("name", "Name", "metadata.name"),
    ("system", "System", "spec.system"),
    ("owner", "Owner", "spec.owner"),
    ("type", "Type", "spec.type"),
    ("lifecycle", "Lifecycle", "spec.lifecycle"),
];

/// The columns a kind's table has (by their `SORTS`/extra names).
fn columns(kind: &str) -> &'static [&'static str] {
    match kind {
        "component" | "api" => &[
            "name",
            "system",
            "owner",
            "type",
            "lifecycle",
            "description",
            "tags",
        ],
        "resource" => &["name", "system", "owner", "type", "description", "tags"],
        "system" | "domain" => &["name", "owner", "description", "tags"],
        "group" => &["name", "type", "parent", "description"],
        "user" => &["name", "email", "groups"],
        "template" => &["name", "type", "owner", "description", "tags"],
        _ => &["name", "owner", "type", "description"],
    }
}

/// A filter value usable in a filter statement: commas separate statements.
fn usable(value: &str) -> Option<&str> {
    Some(value.trim()).filter(|v| !v.is_empty() && !v.contains(','))
}

#[utoipa::path(
    responses((status = 200, description = "The catalog table, with filters", body = String, content_type = "text/html"))
)]
#[get("/catalog")]
async fn catalog(state: web::Data<AppState>, req: HttpRequest) -> UiResult {
    let params = Params::parse(req.query_string()).map_err(UiError::from)?;
    let kind = params
        .one("kind")
        .and_then(usable)
        .unwrap_or("component")
        .to_lowercase();
    let text = params.one("q").unwrap_or_default().trim().to_owned();
    let mine = params.one("mine") == Some("1");
    let order_param = params.one("order").unwrap_or("name").to_owned();
    let page_number = params
        .one("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, 100_000);
    let selected: Vec<(&str, String)> = FACETS
        .iter()
        .filter_map(|(param, _, _)| {
            params
                .one(param)
                .and_then(usable)
                .map(|v| (*param, v.to_owned()))
        })
        .collect();
    let viewer = viewer(&state, &req);

    // Filter statements: the kind, "mine", and each selected facet but
    // `except` (a facet's own counts ignore its own selection).
    let statements = |except: Option<&str>| {
        let mut parts = vec![format!("kind={kind}")];
        if mine {
            for owner in &viewer.ownership {
                parts.push(format!("relations.ownedby={owner}"));
            }
        }
        for (param, value) in &selected {
            if Some(*param) == except {
                continue;
            }
            if let Some((_, _, key)) = FACETS.iter().find(|(p, _, _)| p == param) {
                parts.push(format!("{key}={value}"));
            }
        }
        vec![parts.join(",")]
    };
    let (descending, sort_name) = match order_param.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, order_param.as_str()),
    };
    let sort_field = SORTS
        .iter()
        .find(|(name, _, _)| *name == sort_name)
        .map_or("metadata.name", |(_, _, field)| field);
    let mut order = vec![if descending {
        SortField::desc(sort_field)
    } else {
        SortField::asc(sort_field)
    }];
    if sort_field != "metadata.name" {
        order.push(SortField::asc("metadata.name"));
    }
    let full_text = Some(text.clone()).filter(|t| !t.is_empty()).map(|t| {
        FullTextFilter::new(
            t,
            vec![
                "metadata.name".into(),
                "metadata.title".into(),
                "metadata.description".into(),
            ],
        )
    });
    let request = QueryRequest::new(&statements(None), order, full_text, page_number * PAGE_SIZE)
        .map_err(|e| UiError::from(crate::ApiError::from(e)))?;

    let index = state.catalog.index();
    let found = index.query(&request);
    let kind_counts = index.facets(&EntityFilter::all(), &["kind".to_owned()]);
    let mut facet_lists = Vec::new();
    for (param, label, key) in FACETS {
        let filter = EntityFilter::parse(&statements(Some(param)))
            .map_err(|e| UiError::from(crate::ApiError::from(e)))?;
        let counts = index.facets(&filter, &[(*key).to_owned()]);
        let current = selected
            .iter()
            .find(|(p, _)| p == param)
            .map(|(_, v)| v.to_lowercase());
        let mut options: Vec<Value> = counts
            .get(*key)
            .into_iter()
            .flatten()
            .map(|c| {
                let shown = if *param == "owner" {
                    short_ref(&c.value, Some("group"))
                } else {
                    c.value.clone()
                };
                json!({
                    "value": c.value,
                    "label": shown,
                    "count": c.count,
                    "selected": current.as_deref() == Some(c.value.to_lowercase().as_str()),
                })
            })
            .collect();
        options.sort_by(|a, b| a["label"].as_str().cmp(&b["label"].as_str()));
        // A selected value nothing has any more stays visible, to be cleared.
        if let Some(current) = &current {
            if !options.iter().any(|o| o["selected"] == true) {
                options.insert(
                    0,
                    json!({ "value": current, "label": current, "count": 0, "selected": true }),
                );
            }
        }
        if options.is_empty() {
            continue;
        }
        facet_lists.push(json!({ "name": param, "label": label, "options": options }));
    }

    // The rows of this page.
    let skip = (page_number - 1) * PAGE_SIZE;
    let columns_of_kind = columns(&kind);
    let rows: Vec<Value> = found
        .items
        .iter()
        .skip(skip)
        .map(|entity| {
            let entity = entity.value();
            let cells: Vec<Value> = columns_of_kind
                .iter()
                .map(|column| cell(&index, &entity, column))
                .collect();
            json!({ "cells": cells })
        })
        .collect();
    let total = found.total_items;
    let pages = total.div_ceil(PAGE_SIZE).max(1);

    // Links keep every parameter but the one they change.
    let link = |changes: &[(&str, Option<String>)]| {
        let mut pairs: Vec<(String, String)> = vec![("kind".into(), kind.clone())];
        if !text.is_empty() {
            pairs.push(("q".into(), text.clone()));
        }
        if mine {
            pairs.push(("mine".into(), "1".into()));
        }
        for (param, value) in &selected {
            pairs.push(((*param).into(), value.clone()));
        }
        if order_param != "name" {
            pairs.push(("order".into(), order_param.clone()));
        }
        if page_number > 1 {
            pairs.push(("page".into(), page_number.to_string()));
        }
        for (param, value) in changes {
            pairs.retain(|(p, _)| p != param);
            if let Some(value) = value {
                pairs.push(((*param).into(), value.clone()));
            }
        }
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(p, v)| (p.as_str(), v.as_str()))
            .collect();
        format!("/catalog?{}", query_string(&pairs))
    };
    let columns: Vec<Value> = columns_of_kind
        .iter()
        .map(|column| {
            let label = SORTS
                .iter()
                .find(|(name, _, _)| name == column)
                .map(|(_, label, _)| *label)
                .unwrap_or_else(|| column_label(column));
            let sortable = SORTS.iter().any(|(name, _, _)| name == column);
            let sorted = (sortable && sort_name == *column).then_some(if descending {
                "descending"
            } else {
                "ascending"
            });
            let next = if sorted == Some("ascending") {
                format!("-{column}")
            } else {
                (*column).to_owned()
            };
            json!({
                "label": label,
                "sort_href": sortable.then(|| link(&[("order", Some(next)), ("page", None)])),
                "sorted": sorted,
            })
        })
        .collect();
    let mut kinds: Vec<(String, usize)> = kind_counts
        .get("kind")
        .into_iter()
        .flatten()
        .map(|c| (c.value.clone(), c.count))
        .collect();
    kinds.sort_by_key(|(k, _)| {
        let lower = k.to_lowercase();
        (
            KIND_ORDER
                .iter()
                .position(|o| *o == lower)
                .unwrap_or(KIND_ORDER.len()),
            lower,
        )
    });
    let kind_label = kinds
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&kind))
        .map_or_else(|| kind.clone(), |(k, _)| k.clone());
    let kinds: Vec<Value> = kinds
        .iter()
        .map(|(k, count)| {
            json!({
                "label": plural(k),
                "count": count,
                "href": format!("/catalog?{}", query_string(&[("kind", &k.to_lowercase())])),
                "current": k.eq_ignore_ascii_case(&kind),
            })
        })
        .collect();
    drop(index);

    let data = json!({
        "title": format!("{} · Catalog", plural(&kind_label)),
        "kind": kind,
        "kind_label": plural(&kind_label),
        "kinds": kinds,
        "text": text,
        "mine": mine,
        "mine_hint": mine.then(|| match (viewer.signed_in, viewer.ownership.len()) {
            (false, _) => "Not signed in: this shows what the guest user owns.".to_owned(),
            (true, 1) => format!("Signed in as {}, which is in no group.", viewer.user_ref),
            (true, n) => format!("What {} and its {} groups own.", viewer.user_ref, n - 1),
        }),
        "order": (order_param != "name").then_some(order_param.clone()),
        "facets": facet_lists,
        "columns": columns,
        "rows": rows,
        "total": total,
        "from": if total == 0 { 0 } else { skip + 1 },
        "to": (skip + PAGE_SIZE).min(total),
        "page": page_number,
        "pages": pages,
        "prev_href": (page_number > 1).then(|| link(&[("page", Some((page_number - 1).to_string()))])),
        "next_href": (page_number < pages).then(|| link(&[("page", Some((page_number + 1).to_string()))])),
    });
    page(Page::Catalog, &super::chrome(&req, Section::Catalog), data)
}

fn column_label(column: &str) -> &'static str {
    match column {
        "description" => "Description",
        "tags" => "Tags",
        "parent" => "Parent",
        "email" => "Email",
        "groups" => "Groups",
        _ => "",
    }
}

/// "Component" → "Components", "API" → "APIs", "Policy" → "Policies".
pub(crate) fn plural(kind: &str) -> String {
    if kind.eq_ignore_ascii_case("api") {
        return "APIs".to_owned();
    }
    let mut label = kind.to_owned();
    if let Some(first) = label.get(0..1) {
        label = first.to_uppercase() + &label[1..];
    }
    match label.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{stem}ies"),
        _ if label.ends_with('s') => format!("{label}es"),
        _ => format!("{label}s"),
    }
}

fn cell(index: &portico_query::CatalogIndex, entity: &Value, column: &str) -> Value {
    let namespace = namespace_of(entity);
    match column {
        "name" => {
            let (kind, _, name) = super::entity_parts(entity);
            json!({
                "href": entity_href(&kind, namespace, &name),
                "text": display_name(entity),
                "title": format!("{}:{namespace}/{name}", kind.to_lowercase()),
            })
        }
        "system" => match text_at(entity, "/spec/system") {
            "" => json!({}),
            system => ref_cell(
                index,
                &full_ref(system, "system", namespace),
                Some("system"),
            ),
        },
        "owner" => match text_at(entity, "/spec/owner") {
            "" => json!({}),
            owner => ref_cell(index, &full_ref(owner, "group", namespace), Some("group")),
        },
        "parent" => match text_at(entity, "/spec/parent") {
            "" => json!({}),
            parent => ref_cell(index, &full_ref(parent, "group", namespace), Some("group")),
        },
        "type" => json!({ "text": text_at(entity, "/spec/type") }),
        "lifecycle" => match text_at(entity, "/spec/lifecycle") {
            "" => json!({}),
            lifecycle => super::lifecycle_cell(lifecycle),
        },
        "description" => {
            json!({ "text": text_at(entity, "/metadata/description"), "class": "desc" })
        }
        "tags" => json!({ "tags": entity.pointer("/metadata/tags").cloned().unwrap_or(json!([])) }),
        "email" => json!({ "text": text_at(entity, "/spec/profile/email") }),
        "groups" => {
            let groups: Vec<String> = super::relations(entity)
                .into_iter()
                .filter(|(t, _)| t == "memberOf")
                .map(|(_, target)| short_ref(&target, Some("group")))
                .collect();
            json!({ "text": groups.join(", ") })
        }
        _ => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::plural;

    #[test]
    fn kinds_are_pluralised_for_headings() {
        assert_eq!(plural("Component"), "Components");
        assert_eq!(plural("API"), "APIs");
        assert_eq!(plural("policy"), "Policies");
        assert_eq!(plural("Group"), "Groups");
        assert_eq!(plural("Alias"), "Aliases");
    }
}
