//! `/api/search/query`: Backstage's search route over the catalog and every
//! doc page.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::{get, web, HttpResponse};
use portico_search::{EntityDoc, SearchQuery, MAX_PAGE_LIMIT};

use crate::{ApiError, AppState};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(utoipa_actix_web::scope("/api/search").service(query));
}

/// `term`, `types[]` (or `types`), `filters[<field>]`, `pageLimit`,
/// `pageCursor`, as Backstage's search client sends them.
fn parse(pairs: Vec<(String, String)>) -> Result<SearchQuery, ApiError> {
    let mut parsed = SearchQuery::default();
    let mut filters: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, value) in pairs {
        match key.as_str() {
            "term" => parsed.term = value,
            "types" | "types[]" => parsed.types.push(value),
            "pageLimit" => {
                parsed.page_limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE_LIMIT).contains(n))
                    .ok_or_else(|| {
                        ApiError::input(format!(
                            "pageLimit must be a whole number from 1 to {MAX_PAGE_LIMIT}, got '{value}'"
                        ))
                    })?
            }
            "pageCursor" => parsed.page_cursor = Some(value).filter(|c| !c.is_empty()),
            other => {
                // `filters[kind]=x`, or `filters[kind][]=x` for several values.
                let field = other.strip_prefix("filters[").and_then(|rest| {
                    rest.strip_suffix("[]")
                        .unwrap_or(rest)
                        .strip_suffix(']')
                });
                match field {
                    Some(field) if !field.is_empty() => {
                        filters.entry(field.to_string()).or_default().push(value)
                    }
                    _ => {
                        return Err(ApiError::input(format!(
                            "unknown search parameter '{other}'; expected term, types[], \
                             filters[<field>], pageLimit or pageCursor"
                        )))
                    }
                }
            }
        }
    }
    parsed.filters = filters;
    Ok(parsed)
}

#[utoipa::path(
    params(("term" = Option<String>, Query, description = "Words to look for"), ("types" = Option<Vec<String>>, Query, description = "`software-catalog` and/or `techdocs`"), ("pageCursor" = Option<String>, Query, description = "From `nextPageCursor`"), ("pageLimit" = Option<u32>, Query, description = "Results per page")),
    responses((status = 200, description = "`{ results: [{ type, document, highlight, rank }], nextPageCursor?, previousPageCursor?, numberOfResults }`", body = Object))
)]
#[get("/query")]
pub async fn query(
    state: web::Data<AppState>,
    params: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let request = parse(params.into_inner())?;
    Ok(HttpResponse::Ok().json(run(&state, request).await?))
}

/// Answers a query from the index, or from the catalog while the first
/// index is being built.
pub(crate) async fn run(
    state: &AppState,
    request: SearchQuery,
) -> Result<portico_search::SearchPage, ApiError> {
    let search = state.search.clone();
    let started = std::time::Instant::now();
    let from_index = search.answers_from_index();
    let page = if from_index {
        web::block(move || search.index().query(&request)).await??
    } else {
        // The first index is still being built: read the catalog instead.
        // The entities are collected first so that the catalog's lock is
        // not held while they are parsed and matched.
        let entities: Vec<_> = state
            .catalog
            .index()
            .iter()
            .map(|(_, entity)| Arc::clone(entity))
            .collect();
        web::block(move || {
            let docs = entities
                .iter()
                .filter_map(|e| EntityDoc::from_entity_json(&e.value()));
            portico_search::scan(docs, &request)
        })
        .await??
    };
    let source = if from_index { "index" } else { "catalog" };
    metrics::histogram!("portico_search_query_duration_seconds", "source" => source)
        .record(started.elapsed().as_secs_f64());
    Ok(page)
}
