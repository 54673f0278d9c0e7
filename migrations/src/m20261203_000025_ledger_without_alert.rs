//! The delivery ledger takes rows that belong to no alert: a メールマガジン issue's copies
//! (`magazine_issue_id`), to a contact address or to a self-subscribed staff member
//! (`subscriber_id`). `alert_id`, `revision_id` and `contact_id` become nullable; every existing
//! row keeps its values. PostgreSQL alters the columns in place; SQLite cannot drop NOT NULL, so
//! the table is rebuilt with the same columns, defaults and indexes, in the migration's
//! transaction.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: &str = "id, alert_id, revision_id, organisation_id, contact_id, email, encoding, language, \
     priority, status, attempts, next_attempt_at, lease_owner, lease_until, message_id, last_reply, \
     last_error, sent_at, created_at, updated_at, kind, possible_duplicate, bounced_at, bounce_status, \
     bounce_reason";

const INDEXES: &[&str] = &[
    "CREATE INDEX \"idx_deliveries_due\" ON \"deliveries\" (\"status\", \"priority\", \"next_attempt_at\")",
    "CREATE INDEX \"idx_deliveries_alert\" ON \"deliveries\" (\"alert_id\")",
    "CREATE INDEX \"idx_deliveries_revision\" ON \"deliveries\" (\"revision_id\")",
    "CREATE INDEX \"deliveries_alert_org\" ON \"deliveries\" (\"alert_id\", \"organisation_id\")",
    "CREATE INDEX \"idx_deliveries_magazine\" ON \"deliveries\" (\"magazine_issue_id\")",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            for sql in [
                "ALTER TABLE deliveries ALTER COLUMN alert_id DROP NOT NULL",
                "ALTER TABLE deliveries ALTER COLUMN revision_id DROP NOT NULL",
                "ALTER TABLE deliveries ALTER COLUMN contact_id DROP NOT NULL",
                "ALTER TABLE deliveries ADD COLUMN magazine_issue_id bigint NULL",
                "ALTER TABLE deliveries ADD COLUMN subscriber_id bigint NULL",
                "CREATE INDEX idx_deliveries_magazine ON deliveries (magazine_issue_id)",
            ] {
                db.execute_unprepared(sql).await?;
            }
            return Ok(());
        }
        // One call, one connection: every statement sees the schema the previous one left
        // (several pooled connections could hold an older snapshot), and the rebuild commits
        // whole or not at all.
        let create = "CREATE TABLE \"deliveries_new\" ( \"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \
             \"alert_id\" integer NULL, \"revision_id\" integer NULL, \"organisation_id\" integer NOT NULL, \
             \"contact_id\" integer NULL, \"email\" varchar NOT NULL, \"encoding\" varchar(16) NOT NULL, \
             \"language\" varchar(8) NOT NULL, \"priority\" smallint NOT NULL, \"status\" varchar(16) NOT NULL, \
             \"attempts\" integer NOT NULL DEFAULT 0, \"next_attempt_at\" timestamp_with_timezone_text NOT NULL, \
             \"lease_owner\" varchar(128) NULL, \"lease_until\" timestamp_with_timezone_text NULL, \
             \"message_id\" varchar NULL, \"last_reply\" text NULL, \"last_error\" text NULL, \
             \"sent_at\" timestamp_with_timezone_text NULL, \"created_at\" timestamp_with_timezone_text NOT NULL, \
             \"updated_at\" timestamp_with_timezone_text NOT NULL, \"kind\" varchar(16) NOT NULL DEFAULT 'alert', \
             \"possible_duplicate\" boolean NOT NULL DEFAULT FALSE, \"bounced_at\" timestamp_with_timezone_text NULL, \
             \"bounce_status\" varchar NULL, \"bounce_reason\" text NULL, \
             \"magazine_issue_id\" integer NULL, \"subscriber_id\" integer NULL )";
        let mut script = format!(
            "BEGIN IMMEDIATE; {create}; \
             INSERT INTO deliveries_new ({COLUMNS}) SELECT {COLUMNS} FROM deliveries; \
             DROP TABLE deliveries; \
             ALTER TABLE deliveries_new RENAME TO deliveries; "
        );
        for sql in INDEXES {
            script.push_str(sql);
            script.push_str("; ");
        }
        script.push_str("COMMIT;");
        db.execute_unprepared(&script).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM deliveries WHERE alert_id IS NULL")
            .await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            for sql in [
                "DROP INDEX IF EXISTS idx_deliveries_magazine",
                "ALTER TABLE deliveries DROP COLUMN subscriber_id",
                "ALTER TABLE deliveries DROP COLUMN magazine_issue_id",
                "ALTER TABLE deliveries ALTER COLUMN contact_id SET NOT NULL",
                "ALTER TABLE deliveries ALTER COLUMN revision_id SET NOT NULL",
                "ALTER TABLE deliveries ALTER COLUMN alert_id SET NOT NULL",
            ] {
                db.execute_unprepared(sql).await?;
            }
            return Ok(());
        }
        // NOT NULL is not restored on SQLite (it would take another rebuild); the rows of no
        // alert are gone, so nothing violates it.
        db.execute_unprepared(
            "BEGIN IMMEDIATE; DROP INDEX IF EXISTS idx_deliveries_magazine; \
             ALTER TABLE deliveries DROP COLUMN subscriber_id; \
             ALTER TABLE deliveries DROP COLUMN magazine_issue_id; COMMIT;",
        )
        .await?;
        Ok(())
    }
}
