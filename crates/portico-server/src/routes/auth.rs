//! `/api/auth`: Backstage's sign-in routes (`/:provider/refresh`,
//! `/:provider/logout`), who the caller is (`/me`), and the public keys
//! other services verify Portico tokens with.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use portico_auth::{Identity, OidcClaims, Principal};
use serde_json::{json, Value};

use crate::auth::{Caller, COOKIE};
use crate::{ApiError, AppState};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/api/auth")
            .service(jwks)
            .service(me)
            .service(refresh_get)
            .service(refresh_post)
            .service(logout),
    );
}

#[utoipa::path(
    security(()),
    responses((status = 200, description = "`{ keys }`: the public keys Portico tokens are signed with", body = Object))
)]
#[get("/.well-known/jwks.json")]
async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(state.auth.jwks())
}

fn identity_json(identity: &Identity) -> Value {
    json!({
        "type": "user",
        "userEntityRef": identity.user_entity_ref,
        "ownershipEntityRefs": identity.ownership_entity_refs,
    })
}

#[utoipa::path(
    responses((status = 200, description = "`{ identity }`: who the bearer is (`null` when anonymous)", body = Object))
)]
#[get("/me")]
async fn me(caller: Caller) -> HttpResponse {
    let body = match &caller.0 {
        Principal::Anonymous => json!({ "identity": null }),
        Principal::User(identity) => json!({ "identity": identity_json(identity) }),
        Principal::Service {
            subject,
            permissions,
        } => json!({
            "identity": {
                "type": "service",
                "subject": subject,
                "permissions": permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            }
        }),
    };
    HttpResponse::Ok().json(body)
}

/// The cookie the UI signs in with: HttpOnly, SameSite=Lax, Secure when
/// the request came over https (directly or through a proxy that says so).
pub(crate) fn session_cookie(req: &HttpRequest, value: String, max_age: i64) -> Cookie<'static> {
    let https = req.connection_info().scheme() == "https";
    Cookie::build(COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(https)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age))
        .finish()
}

/// The ID token of an `oidc` sign-in: bearer, else the `id_token` form
/// field (or query parameter, for a GET).
fn presented_token(req: &HttpRequest, form: Option<&IdTokenForm>) -> Option<String> {
    crate::auth::bearer(req)
        .map(str::to_owned)
        .or_else(|| form.and_then(|f| f.id_token.clone()))
}

#[derive(serde::Deserialize, Default)]
struct IdTokenForm {
    id_token: Option<String>,
}

async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    provider: String,
    form: Option<IdTokenForm>,
) -> Result<HttpResponse, ApiError> {
    let id_token = presented_token(&req, form.as_ref());
    let auth = state.auth.clone();
    let catalog = state.catalog.clone();
    let (identity, claims) =
        web::block(move || auth.sign_in(&provider, id_token.as_deref(), &catalog)).await??;
    let (token, expires_in) = state.auth.issue(&identity)?;
    let profile = profile(&state, &identity, claims.as_ref());
    let mut response = HttpResponse::Ok()
        .cookie(session_cookie(&req, token.clone(), expires_in))
        .json(json!({
            "backstageIdentity": {
                "token": token,
                "expiresInSeconds": expires_in,
                "identity": identity_json(&identity),
            },
            "profile": profile,
        }));
    response
        .extensions_mut()
        .insert(crate::audit::SignedIn(identity.user_entity_ref));
    Ok(response)
}

/// `{ email, displayName }` from the User entity, else the ID token.
fn profile(state: &AppState, identity: &Identity, claims: Option<&OidcClaims>) -> Value {
    let entity = state
        .catalog
        .index()
        .get(&identity.user_entity_ref)
        .map(|e| e.value());
    let text = |pointer: &str| {
        entity
            .as_ref()
            .and_then(|e| e.pointer(pointer))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    json!({
        "email": text("/spec/profile/email").or_else(|| claims.and_then(|c| c.email.clone())),
        "displayName": text("/spec/profile/displayName")
            .or_else(|| claims.and_then(|c| c.name.clone()))
            .or_else(|| text("/metadata/name")),
    })
}

#[utoipa::path(
    security(()),
    params(("provider" = String, Path, description = "`guest` or `oidc`"), ("id_token" = Option<String>, Query, description = "The identity provider's ID token (oidc)")),
    responses((status = 200, description = "`{ backstageIdentity: { token, expiresInSeconds, identity }, profile }`; sets the session cookie", body = Object))
)]
#[get("/{provider}/refresh")]
async fn refresh_get(
    state: web::Data<AppState>,
    req: HttpRequest,
    provider: web::Path<String>,
    query: web::Query<IdTokenForm>,
) -> Result<HttpResponse, ApiError> {
    refresh(state, req, provider.into_inner(), Some(query.into_inner())).await
}

#[utoipa::path(
    security(()),
    params(("provider" = String, Path, description = "`guest` or `oidc`")),
    request_body(content = Object, description = "Optional: `id_token` as a form field (oidc); or the ID token as a bearer", content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "`{ backstageIdentity: { token, expiresInSeconds, identity }, profile }`; sets the session cookie", body = Object))
)]
#[post("/{provider}/refresh")]
async fn refresh_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    provider: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // A form post (the UI, Backstage's popup flow) or an empty body with a
    // bearer token; anything else is no ID token.
    let form = serde_urlencoded::from_bytes::<IdTokenForm>(&body).ok();
    refresh(state, req, provider.into_inner(), form).await
}

#[utoipa::path(
    security(()),
    params(("provider" = String, Path, description = "`guest` or `oidc`")),
    responses((status = 200, description = "Signed out: the session cookie is cleared"))
)]
#[post("/{provider}/logout")]
async fn logout(req: HttpRequest, provider: web::Path<String>) -> HttpResponse {
    let _ = provider;
    let mut gone = session_cookie(&req, String::new(), 0);
    gone.make_removal();
    HttpResponse::Ok().cookie(gone).json(json!({}))
}
