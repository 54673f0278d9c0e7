//! Noroshi's schema, as an append-only list of migrations that run unchanged on SQLite and
//! PostgreSQL. Never edit a migration that has landed: add a new file.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_organisations;
mod m20261122_000002_users;
mod m20261122_000003_audit_log;
mod m20261122_000004_ingest;
mod m20261122_000005_classify_alerts;
mod m20261122_000006_publish_delivery;
mod m20261122_000007_portal_acks;
mod m20261122_000008_api_tokens;
mod m20261122_000009_follow_ups;
mod m20261122_000010_alert_notes;
mod m20261130_000011_ack_links;
mod m20261130_000012_cases;
mod m20261130_000013_ack_events_by_org;
mod m20261203_000014_trust;
mod m20261203_000015_quarantine;
mod m20261203_000016_possible_duplicates;
mod m20261203_000017_return_channel;
mod m20261203_000018_alert_owner;
mod m20261203_000019_drill_start;
mod m20261203_000020_incident_reports;
mod m20261203_000021_surveys;
mod m20261203_000022_yearly_plans;
mod m20261203_000023_magazine_subscribers;
mod m20261203_000024_magazine_issues;
mod m20261203_000025_ledger_without_alert;
mod m20261203_000026_claim_indexes;
mod m20261206_000027_case_origin;
mod m20261206_000028_notice_priority;
mod m20261206_000029_once_keys;
mod m20261206_000030_organisation_domains;
mod m20261206_000031_contact_verification;
mod m20261206_000032_subscriber_vouching;
mod m20261206_000033_account_vouching;
mod m20261206_000034_second_factor;
mod m20261207_000035_report_steps;
mod m20261207_000036_inquiries;
mod m20261207_000037_inquiry_line;
mod m20261208_000038_office_days;
mod m20261208_000039_survey_returns;
mod m20261208_000040_report_parts;
mod m20261209_000041_notice_bounces;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_organisations::Migration),
            Box::new(m20261122_000002_users::Migration),
            Box::new(m20261122_000003_audit_log::Migration),
            Box::new(m20261122_000004_ingest::Migration),
            Box::new(m20261122_000005_classify_alerts::Migration),
            Box::new(m20261122_000006_publish_delivery::Migration),
            Box::new(m20261122_000007_portal_acks::Migration),
            Box::new(m20261122_000008_api_tokens::Migration),
            Box::new(m20261122_000009_follow_ups::Migration),
            Box::new(m20261122_000010_alert_notes::Migration),
            Box::new(m20261130_000011_ack_links::Migration),
            Box::new(m20261130_000012_cases::Migration),
            Box::new(m20261130_000013_ack_events_by_org::Migration),
            Box::new(m20261203_000014_trust::Migration),
            Box::new(m20261203_000015_quarantine::Migration),
            Box::new(m20261203_000016_possible_duplicates::Migration),
            Box::new(m20261203_000017_return_channel::Migration),
            Box::new(m20261203_000018_alert_owner::Migration),
            Box::new(m20261203_000019_drill_start::Migration),
            Box::new(m20261203_000020_incident_reports::Migration),
            Box::new(m20261203_000021_surveys::Migration),
            Box::new(m20261203_000022_yearly_plans::Migration),
            Box::new(m20261203_000023_magazine_subscribers::Migration),
            Box::new(m20261203_000024_magazine_issues::Migration),
            Box::new(m20261203_000025_ledger_without_alert::Migration),
            Box::new(m20261203_000026_claim_indexes::Migration),
            Box::new(m20261206_000027_case_origin::Migration),
            Box::new(m20261206_000028_notice_priority::Migration),
            Box::new(m20261206_000029_once_keys::Migration),
            Box::new(m20261206_000030_organisation_domains::Migration),
            Box::new(m20261206_000031_contact_verification::Migration),
            Box::new(m20261206_000032_subscriber_vouching::Migration),
            Box::new(m20261206_000033_account_vouching::Migration),
            Box::new(m20261206_000034_second_factor::Migration),
            Box::new(m20261207_000035_report_steps::Migration),
            Box::new(m20261207_000036_inquiries::Migration),
            Box::new(m20261207_000037_inquiry_line::Migration),
            Box::new(m20261208_000038_office_days::Migration),
            Box::new(m20261208_000039_survey_returns::Migration),
            Box::new(m20261208_000040_report_parts::Migration),
            Box::new(m20261209_000041_notice_bounces::Migration),
        ]
    }
}
