//! Integration tests of the TechDocs crate.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod argo_corpus;
mod config;
mod fixture;
mod layout;
mod site_build;
mod site_links;
mod theme;
mod tree;
