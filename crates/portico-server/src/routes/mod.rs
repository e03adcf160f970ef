pub mod catalog;
pub mod health;
pub mod search;
pub mod techdocs;
