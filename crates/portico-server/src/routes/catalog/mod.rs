//! `/api/catalog`: Backstage's catalog routes and response shapes.

mod entities;
mod facets;
mod locations;
mod processing;
mod webhooks;

use actix_web::web;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/api/catalog")
            .service(entities::by_query)
            .service(entities::by_uid)
            .service(entities::delete_by_uid)
            .service(entities::ancestry)
            .service(entities::by_name)
            .service(entities::by_refs)
            .service(processing::failed)
            .service(processing::pending)
            .service(entities::list)
            .service(facets::entity_facets)
            .service(processing::refresh)
            .service(processing::validate_entity)
            .service(processing::analyze_location)
            .service(locations::create)
            .service(locations::list)
            .service(locations::by_entity)
            .service(locations::get)
            .service(locations::delete)
            // Only the webhook reads raw bodies: push payloads are big.
            .app_data(web::PayloadConfig::new(webhooks::MAX_PAYLOAD_BYTES))
            .service(webhooks::git_push),
    );
}
