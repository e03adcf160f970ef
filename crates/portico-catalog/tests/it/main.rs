//! Integration tests of portico-catalog (one binary: link time matters).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod pipeline;
mod read_backstage;
mod read_bad_input;
mod read_placeholders;
mod read_tree;
