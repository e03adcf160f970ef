//! portico-auth through its public API. Every token here is minted with the test's own keys:
//! a fresh Ed25519 key per test, and the RSA and EC P-256 keys in `tests/fixtures`, which
//! play the company's identity provider.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod keys;
mod oidc;
mod ownership;
mod policy;
mod service;
mod support;
mod tokens;
