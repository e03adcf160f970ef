use actix_web::{get, web, HttpRequest, HttpResponse};
use portico_query::EntityFilter;
use serde_json::json;

use crate::error::ApiError;
use crate::params::Params;
use crate::AppState;

/// `GET /entity-facets?facet=spec.type&filter=kind=component`.
#[utoipa::path(
    params(("facet" = Vec<String>, Query, description = "Fields to count values of, e.g. `kind`, `spec.type`"), ("filter" = Option<Vec<String>>, Query, description = "Filter, `key=value[,key=value]`; several filters are OR-ed")),
    responses((status = 200, description = "`{ facets: { <facet>: [{ value, count }] } }`", body = Object))
)]
#[get("/entity-facets")]
pub async fn entity_facets(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    let facets = params.all("facet");
    if facets.is_empty() {
        return Err(ApiError::input(
            "Missing facet parameter: give at least one, e.g. facet=spec.type",
        ));
    }
    let filter = EntityFilter::parse(&params.all("filter"))?;
    let counts = state.catalog.index().facets(&filter, &facets);
    Ok(HttpResponse::Ok().json(json!({ "facets": counts })))
}
