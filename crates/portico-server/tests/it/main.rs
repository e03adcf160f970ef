//! HTTP tests of the catalog API against a real server on 127.0.0.1, on

#![allow(clippy::unwrap_used, clippy::expect_used)]
//! SQLite always and on PostgreSQL when PORTICO_TEST_DATABASE_URL is set.

mod app;
mod audit;
mod auth;
mod bad_input;
mod config;
mod entities;
mod git;
mod locations;
mod metrics;
mod openapi;
mod permissions;
mod refresh;
mod scaffolder;
mod scorecards;
mod search;
mod techdocs;
mod trace;
mod ui;
