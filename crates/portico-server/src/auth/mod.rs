//! Who is calling: Portico tokens (bearer or the UI's cookie), service
//! tokens, and the sign-in providers that issue Portico tokens. The rules
//! of what a caller may do are `portico_auth::Policy`'s.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use portico_auth::{
    AuthError, Identity, KeyStore, Permission, Policy, Principal, ServiceTokens, Tokens,
};
use portico_catalog::Catalog;
use serde_json::Value;

use crate::config::{AuthSection, ConfigError};
use oidc::OidcProvider;

mod oidc;
use crate::{ApiError, AppState};

/// The cookie the web UI carries the Portico token in.
pub const COOKIE: &str = "portico_token";

/// The user a guest sign-in makes.
pub const GUEST: &str = "user:default/guest";

/// Identity for this server: its keys and tokens, the providers that sign
/// people in, service tokens and the policy.
pub struct Auth {
    tokens: RwLock<Tokens>,
    ttl: i64,
    /// Seconds a generated key signs before a new one replaces it; 0: never.
    rotation: i64,
    /// When an unknown key id last sent this replica to read the key
    /// directory (Unix seconds).
    reloaded: AtomicI64,
    /// Held from reading the key directory to replacing the keys, so an
    /// older read never replaces a newer one.
    key_swap: Mutex<()>,
    /// The directory of keys made for this process only (tests, bench),
    /// removed when the server goes.
    _ephemeral: Option<tempfile::TempDir>,
    guest: bool,
    oidc: Option<OidcProvider>,
    services: ServiceTokens,
    policy: Policy,
}

/// How often `Background::maintain_keys` runs, in seconds.
pub const KEY_LOOP_SECONDS: i64 = 60;

/// Seconds between reads of the key directory prompted by unknown key ids.
const RELOAD_AT_MOST_EVERY: i64 = 5;

/// Unix seconds now.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn invalid(key: &str, message: impl std::fmt::Display) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        message: message.to_string(),
    }
}

impl Auth {
    /// From the `auth` section; keys under `data_dir/auth-keys` unless
    /// configured. A JWKS URL is read once, here.
    pub fn from_config(section: &AuthSection, data_dir: &Path) -> Result<Auth, ConfigError> {
        let now = now_secs();
        let keys = match &section.signing_key_file {
            Some(file) => {
                let pem = std::fs::read_to_string(file).map_err(|e| {
                    invalid("auth.signingKeyFile", format!("{}: {e}", file.display()))
                })?;
                KeyStore::from_pem(&pem, "configured")
                    .map_err(|e| invalid("auth.signingKeyFile", e))?
            }
            None => {
                let dir = section
                    .keys_dir
                    .clone()
                    .unwrap_or_else(|| data_dir.join("auth-keys"));
                KeyStore::open(&dir, now).map_err(|e| invalid("auth.keysDir", e))?
            }
        };
        let tokens =
            Tokens::new(keys, section.issuer.clone()).with_audience(section.audience.clone());
        let oidc = section
            .providers
            .oidc
            .as_ref()
            .map(OidcProvider::from_config)
            .transpose()?;
        let services = ServiceTokens::new(
            section
                .service_tokens
                .iter()
                .map(|t| t.resolve())
                .collect::<Result<Vec<_>, _>>()?,
        )
        .map_err(|e| invalid("auth.serviceTokens", e))?;
        Ok(Auth {
            tokens: RwLock::new(tokens),
            ttl: i64::try_from(section.token_ttl.clamp(60, 86_400)).unwrap_or(3600),
            rotation: i64::try_from(section.key_rotation_interval).unwrap_or(i64::MAX),
            reloaded: AtomicI64::new(0),
            key_swap: Mutex::new(()),
            _ephemeral: None,
            guest: section.providers.guest.is_some(),
            oidc,
            services,
            policy: Policy {
                allow_anonymous_read: section.allow_anonymous_read,
                admin_group: section.admin_group.clone(),
            },
        })
    }

    /// For tests and the bench: keys that live only as long as this
    /// process (generated into a directory removed at once), unless the
    /// section names a key directory or file.
    pub fn ephemeral(section: &AuthSection) -> Result<Auth, ConfigError> {
        let dir = tempfile::tempdir().map_err(|e| invalid("auth.keysDir", e))?;
        let mut section = section.clone();
        if section.keys_dir.is_none() && section.signing_key_file.is_none() {
            section.keys_dir = Some(dir.path().to_path_buf());
        }
        let mut auth = Auth::from_config(&section, dir.path())?;
        auth._ephemeral = Some(dir);
        Ok(auth)
    }

    /// Keeps the signing keys current, as of `now`: reads the key
    /// directory again (other replicas sharing it may have made or retired
    /// keys), makes a new key when the current one is older than
    /// `auth.keyRotationInterval`, and retires keys that no unexpired token
    /// can carry. Nothing to do for a configured `signingKeyFile`.
    pub fn maintain_keys(&self, now: i64) -> Result<(), String> {
        let _swap = self.key_swap.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(mut keys) = self.read_key_dir()? else {
            return Ok(());
        };
        if self.rotation > 0 && now >= keys.current_created().saturating_add(self.rotation) {
            let kid = keys.rotate(now).map_err(|e| e.to_string())?;
            tracing::info!(kid = %kid, "made a new signing key");
        }
        // A replica may go on signing with a key for up to a loop period
        // after another made its successor.
        let retired = keys
            .retire_expired(now, self.ttl + KEY_LOOP_SECONDS)
            .map_err(|e| e.to_string())?;
        if !retired.is_empty() {
            tracing::info!(kids = ?retired, "retired signing keys");
        }
        install(
            &mut self.tokens.write().unwrap_or_else(PoisonError::into_inner),
            keys,
        );
        Ok(())
    }

    /// The keys in the key directory now, or `None` without one.
    fn read_key_dir(&self) -> Result<Option<KeyStore>, String> {
        let dir = {
            let tokens = self.tokens.read().unwrap_or_else(PoisonError::into_inner);
            match tokens.keys().dir() {
                Some(dir) => dir.to_path_buf(),
                None => return Ok(None),
            }
        };
        KeyStore::reload(&dir)
            .map(Some)
            .map_err(|e| format!("reading the signing keys in {}: {e}", dir.display()))
    }

    /// Whether the guest provider is on.
    pub fn has_guest(&self) -> bool {
        self.guest
    }

    /// Whether an identity provider is configured.
    pub fn has_oidc(&self) -> bool {
        self.oidc.is_some()
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The public keys, as `/.well-known/jwks.json` publishes them.
    pub fn jwks(&self) -> Value {
        self.tokens
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .jwks()
    }

    /// A Portico token for `identity`, and its lifetime in seconds.
    pub fn issue(&self, identity: &Identity) -> Result<(String, i64), ApiError> {
        let token = self
            .tokens
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .issue(identity, now_secs(), self.ttl)
            .map_err(|e| ApiError::internal(format!("issuing a token failed: {e}")))?;
        Ok((token, self.ttl))
    }

    /// Who a request is: a service token or a Portico token as bearer, else
    /// the UI's cookie, else anonymous. A bearer that is neither is a 401:
    /// a caller that sent credentials wants to know they are bad.
    ///
    /// Worked out once per request and kept with it: the audit log, the
    /// handler and the page layout all ask, and a verification is a
    /// signature check.
    pub fn principal(&self, req: &HttpRequest) -> Result<Principal, ApiError> {
        if let Some(seen) = req.extensions().get::<SeenPrincipal>() {
            return seen.0.clone();
        }
        let found = self.find_principal(req);
        req.extensions_mut().insert(SeenPrincipal(found.clone()));
        found
    }

    fn find_principal(&self, req: &HttpRequest) -> Result<Principal, ApiError> {
        if let Some(token) = bearer(req) {
            if let Some(service) = self.services.check(token) {
                return Ok(service.principal());
            }
            return self.verify(token).map(Principal::User);
        }
        // An expired or stale cookie is no credential: the page asks to sign in.
        Ok(req
            .cookie(COOKIE)
            .and_then(|c| self.verify(c.value()).ok())
            .map_or(Principal::Anonymous, Principal::User))
    }

    fn verify(&self, token: &str) -> Result<Identity, ApiError> {
        let now = now_secs();
        let verified = self
            .tokens
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .verify(token, now);
        let verified = match verified {
            // Signed by a key another replica made since this one last
            // looked: look again, at most every few seconds (a stream of
            // forged key ids must not turn into a stream of directory reads).
            Err(AuthError::UnknownKeyId(_))
                if self
                    .tokens
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .names_newer_key(token)
                    && self.claim_reload(now) =>
            {
                let _swap = self.key_swap.lock().unwrap_or_else(PoisonError::into_inner);
                match self.read_key_dir() {
                    Ok(Some(keys)) => {
                        let mut tokens =
                            self.tokens.write().unwrap_or_else(PoisonError::into_inner);
                        install(&mut tokens, keys);
                        tokens.verify(token, now)
                    }
                    Ok(None) => verified,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not look for new signing keys");
                        verified
                    }
                }
            }
            other => other,
        };
        verified.map_err(|e| ApiError::unauthorized(e.to_string()))
    }

    /// Whether this request may read the key directory again: one does
    /// every few seconds at most, however many ask at once.
    fn claim_reload(&self, now: i64) -> bool {
        let last = self.reloaded.load(Ordering::Relaxed);
        now - last >= RELOAD_AT_MOST_EVERY
            && self
                .reloaded
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// Signs in through `provider` with what the request presents (for
    /// `oidc`, an ID token as bearer or form field).
    pub fn sign_in(
        &self,
        provider: &str,
        id_token: Option<&str>,
        catalog: &Catalog,
    ) -> Result<(Identity, Option<portico_auth::OidcClaims>), ApiError> {
        let outcome = self.identify(provider, id_token, catalog);
        // Only configured providers become label values: a caller cannot
        // grow the metric's label set with made-up names.
        let known = match provider {
            "guest" if self.guest => "guest",
            "oidc" if self.oidc.is_some() => "oidc",
            _ => "unknown",
        };
        let result = if outcome.is_ok() {
            "signed-in"
        } else {
            "refused"
        };
        metrics::counter!("portico_auth_sign_ins_total", "provider" => known, "result" => result)
            .increment(1);
        outcome
    }

    fn identify(
        &self,
        provider: &str,
        id_token: Option<&str>,
        catalog: &Catalog,
    ) -> Result<(Identity, Option<portico_auth::OidcClaims>), ApiError> {
        let index = catalog.index();
        let lookup = |r: &str| index.get(r).map(|e| e.value());
        match provider {
            "guest" if self.guest => Ok((
                Identity {
                    user_entity_ref: GUEST.to_owned(),
                    ownership_entity_refs: portico_auth::ownership_refs(GUEST, lookup),
                },
                None,
            )),
            "oidc" => {
                let Some(provider) = &self.oidc else {
                    return Err(ApiError::not_found(
                        "the oidc sign-in provider is not configured",
                    ));
                };
                let id_token = id_token.ok_or_else(|| {
                    ApiError::unauthorized(
                        "oidc sign-in needs the identity provider's ID token, as a bearer token or an id_token form field",
                    )
                })?;
                let claims = provider
                    .verify(id_token, now_secs())
                    .map_err(|e| ApiError::unauthorized(e.to_string()))?;
                let users = index
                    .iter()
                    .filter(|(key, _)| key.starts_with("user:"))
                    .map(|(_, e)| e.value());
                let identity = portico_auth::sign_in(&claims, users, lookup, provider.unknown)
                    .map_err(|e| ApiError::unauthorized(e.to_string()))?;
                Ok((identity, Some(claims)))
            }
            other => Err(ApiError::not_found(format!(
                "there is no sign-in provider '{other}' on this server"
            ))),
        }
    }

    /// Whether `principal` may use `permission` on something owned by
    /// `owner`: the policy's answer as an API error.
    pub fn check(
        &self,
        principal: &Principal,
        permission: Permission,
        owner: Option<&str>,
    ) -> Result<(), ApiError> {
        self.policy
            .check(principal, permission, owner)
            .map_err(|denied| match denied.status {
                401 => ApiError::unauthorized(denied.message),
                _ => ApiError::not_allowed(denied.message),
            })
    }
}

/// Puts the keys just read from the key directory in place. Replacing the
/// keys forgets the tokens verified so far, so only when they changed.
fn install(tokens: &mut Tokens, keys: KeyStore) {
    if tokens.keys().kids() != keys.kids() {
        *tokens.keys_mut() = keys;
    }
}

/// The principal of a request, once worked out.
#[derive(Clone)]
struct SeenPrincipal(Result<Principal, ApiError>);

/// The token of an `Authorization: Bearer` header (the scheme's case does
/// not matter, RFC 7235).
pub(crate) fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The caller of a request, for handlers: `Caller(principal)`.
pub struct Caller(pub Principal);

impl Caller {
    /// The actor recorded in the audit log.
    pub fn actor(&self) -> String {
        match &self.0 {
            Principal::Anonymous => "anonymous".to_owned(),
            Principal::User(identity) => identity.user_entity_ref.clone(),
            Principal::Service { subject, .. } => format!("service:{subject}"),
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = match req.app_data::<web::Data<AppState>>() {
            Some(state) => state.auth.principal(req).map(Caller),
            None => Err(ApiError::internal("the server has no state")),
        };
        std::future::ready(caller)
    }
}
