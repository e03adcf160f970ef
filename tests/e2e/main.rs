//! End-to-end tests of the `portico` binary, run as a user runs it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod cli;
mod deploy;
mod operations;
mod replicas;
mod scaffolder;
mod scorecards;
mod search;
#[path = "../search_relevance.rs"]
mod search_relevance;
mod webdriver;

pub const BIN: &str = env!("CARGO_BIN_EXE_portico");
