//! Integration tests of portico-git against repositories built with the
//! real git CLI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod http_server;
mod local;
mod remote;
mod snapshot;
mod support;
mod url;
mod write;
