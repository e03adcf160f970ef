//! Portico identity and permissions: no HTTP, no store; the server wires it in.
//!
//! - [`keys::KeyStore`]: Portico's Ed25519 signing keys (generated into the data directory or
//!   configured), rotation, and the JWKS that publishes them.
//! - [`token::Tokens`]: issues and verifies Portico's own short-lived tokens
//!   ([`token::Identity`]: `sub` = user ref, `ent` = ownership refs).
//! - [`oidc::OidcVerifier`]: verifies the company identity provider's ID tokens against its JWKS.
//! - [`ownership`]: from a verified sign-in to a User entity and its ownership refs.
//! - [`service::ServiceTokens`]: static tokens for CI and automation, compared in constant time.
//! - [`policy::Policy`]: who may do what, with 401/403 messages that say what is missing.
//!
//! Every function that depends on the time takes `now` (Unix seconds) from the caller.

#![warn(missing_docs)]

pub mod error;
mod jwt;
pub mod keys;
pub mod oidc;
pub mod ownership;
pub mod policy;
pub mod service;
pub mod token;

pub use error::AuthError;
pub use jwt::LEEWAY_SECONDS;
pub use keys::KeyStore;
pub use oidc::{OidcClaims, OidcVerifier};
pub use ownership::{ownership_refs, resolve_user, sign_in, UnknownUsers};
pub use policy::{Denied, Permission, Policy, Principal};
pub use service::{ServiceToken, ServiceTokens};
pub use token::{Identity, Tokens};
