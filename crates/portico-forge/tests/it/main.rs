//! Integration tests of portico-forge (one binary: link time matters).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod hosted;
mod push;
mod urls;
mod webhook;
