//! `/search`: one box for entities and doc pages, results by type, with the
//! matches highlighted. The header's suggestions ask the API directly.

use actix_web::{get, web, HttpRequest};
use portico_search::SearchQuery;
use portico_web::{Page, Section};
use serde_json::{json, Value};

use super::{page, query_string, short_ref, UiError, UiResult};
use crate::params::Params;
use crate::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(search);
}

const PAGE_SIZE: usize = 20;

/// Result types: URL value, label, search type.
const TYPES: &[(&str, &str, &str)] = &[
    ("", "Everything", ""),
    ("software-catalog", "Catalog", "software-catalog"),
    ("techdocs", "Docs", "techdocs"),
];

/// Filters the page passes through to the query (the in-site search of the
/// docs reader uses kind, namespace and name).
const FILTERS: &[&str] = &["kind", "namespace", "name", "owner", "lifecycle", "type"];

#[utoipa::path(
    params(("query" = Option<String>, Query, description = "Words to look for")),
    responses((status = 200, description = "Search results", body = String, content_type = "text/html"))
)]
#[get("/search")]
async fn search(state: web::Data<AppState>, req: HttpRequest) -> UiResult {
    let params = Params::parse(req.query_string()).map_err(UiError::from)?;
    let term = params.one("q").unwrap_or_default().trim().to_owned();
    let result_type = params
        .one("type")
        .filter(|t| TYPES.iter().any(|(v, _, _)| v == t))
        .unwrap_or("")
        .to_owned();
    let cursor = params.one("cursor").map(str::to_owned);
    // `type` is the result type here; an entity's spec.type filter is `spec_type`.
    let filters: Vec<(&str, String)> = FILTERS
        .iter()
        .filter(|f| **f != "type")
        .filter_map(|f| params.one(f).map(|v| (*f, v.trim().to_owned())))
        .filter(|(_, v)| !v.is_empty())
        .collect();

    let link = |kind: &str, cursor: Option<&str>| {
        let mut pairs: Vec<(&str, &str)> = vec![("q", term.as_str())];
        if !kind.is_empty() {
            pairs.push(("type", kind));
        }
        for (f, v) in &filters {
            pairs.push((f, v.as_str()));
        }
        if let Some(c) = cursor {
            pairs.push(("cursor", c));
        }
        format!("/search?{}", query_string(&pairs))
    };

    let mut data = json!({
        "title": if term.is_empty() { "Search".to_owned() } else { format!("{term} · Search") },
        "term": term,
        "types": TYPES.iter().map(|(value, label, _)| json!({
            "label": label,
            "href": link(value, None),
            "current": *value == result_type,
        })).collect::<Vec<_>>(),
        "hidden": std::iter::once(("type", result_type.clone()))
            .filter(|(_, v)| !v.is_empty())
            .chain(filters.iter().map(|(f, v)| (*f, v.clone())))
            .map(|(name, value)| json!({ "name": name, "value": value }))
            .collect::<Vec<_>>(),
    });
    if !filters.is_empty() {
        let scope: Vec<String> = filters.iter().map(|(f, v)| format!("{f} {v}")).collect();
        data["scope"] = json!(scope.join(", "));
        data["unscoped_href"] = json!(format!("/search?{}", query_string(&[("q", &term)])));
    }
    if !term.is_empty() {
        let mut query = SearchQuery::term(term.clone());
        query.page_limit = PAGE_SIZE;
        query.page_cursor = cursor;
        if let Some((_, _, t)) = TYPES.iter().find(|(v, _, _)| *v == result_type) {
            if !t.is_empty() {
                query.types.push((*t).to_owned());
            }
        }
        for (f, v) in &filters {
            query = query.filter(f, v);
        }
        match crate::routes::search::run(&state, query).await {
            Ok(found) => {
                data["total"] = json!(found.number_of_results);
                data["results"] = json!(found.results.iter().map(result_view).collect::<Vec<_>>());
                data["next_href"] = json!(found
                    .next_page_cursor
                    .as_deref()
                    .map(|c| link(&result_type, Some(c))));
                data["prev_href"] = json!(found
                    .previous_page_cursor
                    .as_deref()
                    .map(|c| link(&result_type, Some(c))));
            }
            Err(e) if e.status.is_client_error() => {
                data["error"] = json!(e.message);
                data["total"] = json!(0);
            }
            Err(e) => return Err(UiError::from(e)),
        }
    }
    page(Page::Search, &super::chrome(&req, Section::Search), data)
}

fn result_view(result: &portico_search::SearchResult) -> Value {
    let doc = &result.document;
    let field = |name: &str| doc.get(name).and_then(Value::as_str).unwrap_or_default();
    let highlighted = |name: &str| {
        result
            .highlight
            .fields
            .get(name)
            .cloned()
            .unwrap_or_else(|| portico_markdown::escape_html(field(name)))
    };
    let is_docs = result.result_type == "techdocs";
    let location = field("location");
    // Locations are ours (`/catalog/...`, `/docs/...`); anything else is
    // not linked.
    let href = location.starts_with('/').then_some(location);
    let context = if is_docs {
        Some(field("entityTitle").to_owned()).filter(|t| !t.is_empty())
    } else {
        Some(field("owner"))
            .filter(|o| !o.is_empty())
            .map(|o| format!("owned by {}", short_ref(&o.to_lowercase(), Some("group"))))
    };
    json!({
        "type_label": if is_docs { "Docs".to_owned() } else { field("kind").to_owned() },
        "href": href,
        "title_html": highlighted("title"),
        "text_html": highlighted("text"),
        "context": context,
    })
}
