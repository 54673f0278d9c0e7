//! Classification results and their change log, organisation product inventories, alert drafts
//! with the advisories behind them, and small worker watermarks.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_organisations::Organisations;
use crate::m20261122_000004_ingest::Advisories;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AdvisoryClassifications::Table)
                    .col(big_integer(AdvisoryClassifications::AdvisoryId).primary_key())
                    .col(string_len(AdvisoryClassifications::AdvisoryFingerprint, 64))
                    .col(string_len(AdvisoryClassifications::RulesVersion, 64))
                    .col(string_len(AdvisoryClassifications::RulesHash, 64))
                    .col(string_len(AdvisoryClassifications::Severity, 16))
                    .col(double_null(AdvisoryClassifications::Score))
                    .col(text(AdvisoryClassifications::Categories))
                    .col(text(AdvisoryClassifications::Products))
                    .col(string_len(AdvisoryClassifications::Relevance, 16))
                    .col(text(AdvisoryClassifications::Themes))
                    .col(text(AdvisoryClassifications::KevCves))
                    .col(text(AdvisoryClassifications::Explanation))
                    .col(timestamp_with_time_zone(
                        AdvisoryClassifications::ClassifiedAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_classifications_advisory")
                            .from(
                                AdvisoryClassifications::Table,
                                AdvisoryClassifications::AdvisoryId,
                            )
                            .to(Advisories::Table, Advisories::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClassificationChanges::Table)
                    .col(big_pk_auto(ClassificationChanges::Id))
                    .col(big_integer(ClassificationChanges::AdvisoryId))
                    .col(string_len(ClassificationChanges::RulesVersion, 64))
                    .col(text(ClassificationChanges::Changes))
                    .col(timestamp_with_time_zone(ClassificationChanges::RecordedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_classification_changes_advisory")
                    .table(ClassificationChanges::Table)
                    .col(ClassificationChanges::AdvisoryId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WorkerState::Table)
                    .col(string_len(WorkerState::Key, 64).primary_key())
                    .col(text(WorkerState::Value))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrgProducts::Table)
                    .col(big_pk_auto(OrgProducts::Id))
                    .col(big_integer(OrgProducts::OrganisationId))
                    .col(string_null(OrgProducts::Cpe))
                    .col(string(OrgProducts::Vendor))
                    .col(string(OrgProducts::Product))
                    .col(string_null(OrgProducts::Versions))
                    .col(text_null(OrgProducts::Note))
                    .col(timestamp_with_time_zone(OrgProducts::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_org_products_organisation")
                            .from(OrgProducts::Table, OrgProducts::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_org_products_organisation")
                    .table(OrgProducts::Table)
                    .col(OrgProducts::OrganisationId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alerts::Table)
                    .col(big_pk_auto(Alerts::Id))
                    .col(string_len(Alerts::Status, 24))
                    .col(text(Alerts::Title))
                    .col(text(Alerts::Body))
                    .col(string_len(Alerts::Severity, 16))
                    .col(text(Alerts::Categories))
                    .col(string_len(Alerts::Tlp, 16))
                    .col(boolean(Alerts::AckRequired))
                    .col(integer_null(Alerts::AckWithinHours))
                    .col(boolean(Alerts::Drill).default(false))
                    .col(text(Alerts::Audience))
                    .col(string_len(Alerts::Origin, 128))
                    .col(big_integer_null(Alerts::ClusterKey))
                    .col(timestamp_with_time_zone(Alerts::CreatedAt))
                    .col(timestamp_with_time_zone(Alerts::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_alerts_status", Alerts::Status),
            ("idx_alerts_cluster", Alerts::ClusterKey),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Alerts::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AlertAdvisories::Table)
                    .col(big_integer(AlertAdvisories::AlertId))
                    .col(big_integer(AlertAdvisories::AdvisoryId))
                    .primary_key(
                        Index::create()
                            .col(AlertAdvisories::AlertId)
                            .col(AlertAdvisories::AdvisoryId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alert_advisories_alert")
                            .from(AlertAdvisories::Table, AlertAdvisories::AlertId)
                            .to(Alerts::Table, Alerts::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alert_advisories_advisory")
                            .from(AlertAdvisories::Table, AlertAdvisories::AdvisoryId)
                            .to(Advisories::Table, Advisories::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_alert_advisories_advisory")
                    .table(AlertAdvisories::Table)
                    .col(AlertAdvisories::AdvisoryId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AlertAdvisories::Table.into_iden(),
            Alerts::Table.into_iden(),
            OrgProducts::Table.into_iden(),
            WorkerState::Table.into_iden(),
            ClassificationChanges::Table.into_iden(),
            AdvisoryClassifications::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum AdvisoryClassifications {
    Table,
    AdvisoryId,
    AdvisoryFingerprint,
    RulesVersion,
    RulesHash,
    Severity,
    Score,
    Categories,
    Products,
    Relevance,
    Themes,
    KevCves,
    Explanation,
    ClassifiedAt,
}

#[derive(DeriveIden)]
pub enum ClassificationChanges {
    Table,
    Id,
    AdvisoryId,
    RulesVersion,
    Changes,
    RecordedAt,
}

#[derive(DeriveIden)]
pub enum WorkerState {
    Table,
    Key,
    Value,
}

#[derive(DeriveIden)]
pub enum OrgProducts {
    Table,
    Id,
    OrganisationId,
    Cpe,
    Vendor,
    Product,
    Versions,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Alerts {
    Table,
    Id,
    Status,
    Title,
    Body,
    Severity,
    Categories,
    Tlp,
    AckRequired,
    AckWithinHours,
    Drill,
    Audience,
    Origin,
    ClusterKey,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum AlertAdvisories {
    Table,
    AlertId,
    AdvisoryId,
}
