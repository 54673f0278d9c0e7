//! Publishing and delivery: organisation contacts, published revisions (第N報) of alerts, the
//! audience each alert reached, and the per-recipient delivery ledger.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_organisations::Organisations;
use crate::m20261122_000005_classify_alerts::Alerts;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrgContacts::Table)
                    .col(big_pk_auto(OrgContacts::Id))
                    .col(big_integer(OrgContacts::OrganisationId))
                    .col(string(OrgContacts::Email))
                    .col(string_len(OrgContacts::Kind, 16))
                    .col(string_len(OrgContacts::Language, 8))
                    .col(string_len(OrgContacts::Encoding, 16))
                    .col(boolean(OrgContacts::Active).default(true))
                    .col(timestamp_with_time_zone(OrgContacts::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_org_contacts_organisation")
                            .from(OrgContacts::Table, OrgContacts::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_org_contacts_org_email")
                    .table(OrgContacts::Table)
                    .col(OrgContacts::OrganisationId)
                    .col(OrgContacts::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Alerts learn who submitted them, their public id and how many times they went out.
        for col in [
            string_len_null(AlertsMore::PublicId, 32),
            string_len_null(AlertsMore::SubmittedBy, 128),
            timestamp_with_time_zone_null(AlertsMore::SubmittedAt),
            integer(AlertsMore::PublishedRevision).default(0).take(),
            text_null(AlertsMore::PendingChanges),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alerts::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_alerts_public_id")
                    .table(Alerts::Table)
                    .col(AlertsMore::PublicId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertRevisions::Table)
                    .col(big_pk_auto(AlertRevisions::Id))
                    .col(big_integer(AlertRevisions::AlertId))
                    .col(integer(AlertRevisions::Number))
                    .col(string_len(AlertRevisions::Kind, 16))
                    .col(text(AlertRevisions::Title))
                    .col(text(AlertRevisions::Body))
                    .col(text_null(AlertRevisions::Changes))
                    .col(string_len(AlertRevisions::Severity, 16))
                    .col(string_len(AlertRevisions::Tlp, 16))
                    .col(text(AlertRevisions::Categories))
                    .col(boolean(AlertRevisions::Drill))
                    .col(timestamp_with_time_zone_null(AlertRevisions::AckDeadline))
                    .col(string_len(AlertRevisions::SubmittedBy, 128))
                    .col(string_len(AlertRevisions::ApprovedBy, 128))
                    .col(string_len_null(AlertRevisions::IdempotencyKey, 128))
                    .col(integer(AlertRevisions::Recipients))
                    .col(timestamp_with_time_zone(AlertRevisions::PublishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alert_revisions_alert")
                            .from(AlertRevisions::Table, AlertRevisions::AlertId)
                            .to(Alerts::Table, Alerts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_alert_revisions_alert_number")
                    .table(AlertRevisions::Table)
                    .col(AlertRevisions::AlertId)
                    .col(AlertRevisions::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_alert_revisions_idempotency")
                    .table(AlertRevisions::Table)
                    .col(AlertRevisions::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertAudience::Table)
                    .col(big_integer(AlertAudience::AlertId))
                    .col(big_integer(AlertAudience::OrganisationId))
                    .col(text(AlertAudience::Reasons))
                    .col(integer(AlertAudience::FirstRevision))
                    .primary_key(
                        Index::create()
                            .col(AlertAudience::AlertId)
                            .col(AlertAudience::OrganisationId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alert_audience_alert")
                            .from(AlertAudience::Table, AlertAudience::AlertId)
                            .to(Alerts::Table, Alerts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_alert_audience_organisation")
                    .table(AlertAudience::Table)
                    .col(AlertAudience::OrganisationId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Deliveries::Table)
                    .col(big_pk_auto(Deliveries::Id))
                    .col(big_integer(Deliveries::AlertId))
                    .col(big_integer(Deliveries::RevisionId))
                    .col(big_integer(Deliveries::OrganisationId))
                    .col(big_integer(Deliveries::ContactId))
                    .col(string(Deliveries::Email))
                    .col(string_len(Deliveries::Encoding, 16))
                    .col(string_len(Deliveries::Language, 8))
                    .col(small_integer(Deliveries::Priority))
                    .col(string_len(Deliveries::Status, 16))
                    .col(integer(Deliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(Deliveries::NextAttemptAt))
                    .col(string_len_null(Deliveries::LeaseOwner, 128))
                    .col(timestamp_with_time_zone_null(Deliveries::LeaseUntil))
                    .col(string_null(Deliveries::MessageId))
                    .col(text_null(Deliveries::LastReply))
                    .col(text_null(Deliveries::LastError))
                    .col(timestamp_with_time_zone_null(Deliveries::SentAt))
                    .col(timestamp_with_time_zone(Deliveries::CreatedAt))
                    .col(timestamp_with_time_zone(Deliveries::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deliveries_due")
                    .table(Deliveries::Table)
                    .col(Deliveries::Status)
                    .col(Deliveries::Priority)
                    .col(Deliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_deliveries_alert", Deliveries::AlertId),
            ("idx_deliveries_revision", Deliveries::RevisionId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Deliveries::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Deliveries::Table.into_iden(),
            AlertAudience::Table.into_iden(),
            AlertRevisions::Table.into_iden(),
            OrgContacts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_alerts_public_id")
                    .table(Alerts::Table)
                    .to_owned(),
            )
            .await?;
        for col in [
            AlertsMore::PublicId,
            AlertsMore::SubmittedBy,
            AlertsMore::SubmittedAt,
            AlertsMore::PublishedRevision,
            AlertsMore::PendingChanges,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alerts::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum OrgContacts {
    Table,
    Id,
    OrganisationId,
    Email,
    Kind,
    Language,
    Encoding,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum AlertsMore {
    PublicId,
    SubmittedBy,
    SubmittedAt,
    PublishedRevision,
    PendingChanges,
}

#[derive(DeriveIden)]
pub enum AlertRevisions {
    Table,
    Id,
    AlertId,
    Number,
    Kind,
    Title,
    Body,
    Changes,
    Severity,
    Tlp,
    Categories,
    Drill,
    AckDeadline,
    SubmittedBy,
    ApprovedBy,
    IdempotencyKey,
    Recipients,
    PublishedAt,
}

#[derive(DeriveIden)]
pub enum AlertAudience {
    Table,
    AlertId,
    OrganisationId,
    Reasons,
    FirstRevision,
}

#[derive(DeriveIden)]
pub enum Deliveries {
    Table,
    Id,
    AlertId,
    RevisionId,
    OrganisationId,
    ContactId,
    Email,
    Encoding,
    Language,
    Priority,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseOwner,
    LeaseUntil,
    MessageId,
    LastReply,
    LastError,
    SentAt,
    CreatedAt,
    UpdatedAt,
}
