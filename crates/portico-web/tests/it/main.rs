//! The view layer's public behaviour.

#![allow(clippy::unwrap_used, clippy::expect_used)]
mod form;
mod graph;
mod openapi;
mod pages;
