pub mod advisories;
pub mod app;
pub mod browser;
pub mod cli;
pub mod database;
pub mod fixture_server;
pub mod mail;
pub mod webdriver;

pub use app::{TestApp, spawn_app, spawn_app_with};
pub use cli::TestEnv;
pub use fixture_server::{Fixture, FixtureServer};
