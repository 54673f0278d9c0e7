//! Integration tests: one binary, the real application on port 0 with a fresh database (a temp
//! SQLite file, or a fresh PostgreSQL database when DATABASE_URL names a server), a real SMTP
//! sink over TCP and upstream fixtures served over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

// Helpers are shared by every capability's tests; not each is used by every test yet.
#[allow(dead_code)]
mod helpers;

mod access_matrix;
mod ack_links;
mod api;
mod backup;
mod browser;
mod calendar;
mod cases;
mod classify;
mod classify_golden;
mod cli;
mod cli_drills;
mod cli_ingest;
mod cli_publish;
mod contacts_confirm;
mod corpus;
mod database_outage;
mod delivery;
mod delivery_crash;
mod delivery_faults;
mod delivery_leases;
mod disk_full;
mod drills;
mod feeds;
mod findable;
mod follow_ups;
mod harness;
mod health;
mod inbound;
mod ingest;
mod inquiries;
mod layers;
mod magazine;
mod picker;
mod portal;
mod portal_access;
mod portal_admin;
mod portal_english;
mod portal_language;
mod portal_settings;
mod portal_stats;
mod portal_triage;
mod postfix;
mod registry;
mod report_desk;
mod reports;
mod security;
mod shutdown;
mod survey_excel;
mod survey_seeds;
mod surveys;
mod tlp_content;
mod trust;
mod yearly;
