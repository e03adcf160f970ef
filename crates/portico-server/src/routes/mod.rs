pub mod catalog;
pub mod health;
