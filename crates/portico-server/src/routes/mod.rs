pub mod auth;
pub mod catalog;
pub mod health;
pub mod scaffolder;
pub mod scorecards;
pub mod search;
pub mod techdocs;
