//! Ingest: source health and leases, raw documents stored once by hash, advisories with their
//! revisions, CVE links (for clustering) and attachments.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Sources::Table)
                    .col(string_len(Sources::Key, 64).primary_key())
                    .col(boolean(Sources::Enabled).default(true))
                    .col(timestamp_with_time_zone(Sources::NextPollAt))
                    .col(string_len_null(Sources::LeaseOwner, 128))
                    .col(timestamp_with_time_zone_null(Sources::LeaseUntil))
                    .col(text_null(Sources::Etag))
                    .col(text_null(Sources::LastModified))
                    .col(timestamp_with_time_zone_null(Sources::LastAttemptAt))
                    .col(timestamp_with_time_zone_null(Sources::LastSuccessAt))
                    .col(timestamp_with_time_zone_null(Sources::LastErrorAt))
                    .col(text_null(Sources::LastError))
                    .col(text_null(Sources::LastOutcome))
                    .col(integer(Sources::ConsecutiveFailures).default(0))
                    .col(big_integer(Sources::ItemsSeen).default(0))
                    .col(big_integer(Sources::AdvisoriesNew).default(0))
                    .col(big_integer(Sources::AdvisoriesRevised).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RawDocuments::Table)
                    .col(string_len(RawDocuments::Sha256, 64).primary_key())
                    .col(string_len(RawDocuments::SourceKey, 64))
                    .col(string_null(RawDocuments::MediaType))
                    .col(big_integer(RawDocuments::Size))
                    .col(string_len(RawDocuments::Encoding, 16).default("identity"))
                    .col(text(RawDocuments::Origin))
                    .col(timestamp_with_time_zone(RawDocuments::ReceivedAt))
                    .col(blob(RawDocuments::Content))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Advisories::Table)
                    .col(big_pk_auto(Advisories::Id))
                    .col(string_len(Advisories::SourceKey, 64))
                    .col(string_len(Advisories::UpstreamId, 512))
                    .col(string_len(Advisories::Kind, 32))
                    .col(text_null(Advisories::Url))
                    .col(text(Advisories::Title))
                    .col(text(Advisories::SummaryHtml))
                    .col(text(Advisories::SummaryText))
                    .col(timestamp_with_time_zone_null(Advisories::PublishedAt))
                    .col(timestamp_with_time_zone_null(Advisories::UpdatedAt))
                    .col(text(Advisories::CveIds))
                    .col(text(Advisories::Cvss))
                    .col(text(Advisories::Products))
                    .col(text(Advisories::RefList))
                    .col(string_len_null(Advisories::Tlp, 16))
                    .col(string_len_null(Advisories::Lang, 16))
                    .col(boolean(Advisories::Withdrawn).default(false))
                    .col(text(Advisories::Extra))
                    .col(string_len(Advisories::Fingerprint, 64))
                    .col(integer(Advisories::Revision).default(1))
                    .col(string_len(Advisories::RawSha256, 64))
                    .col(big_integer_null(Advisories::ClusterId))
                    .col(timestamp_with_time_zone(Advisories::FirstSeenAt))
                    .col(timestamp_with_time_zone(Advisories::ChangedAt))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [(
            "idx_advisories_source_upstream",
            vec![Advisories::SourceKey, Advisories::UpstreamId],
        )] {
            let mut index = Index::create();
            index.name(name).table(Advisories::Table).unique();
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }
        for (name, col) in [
            ("idx_advisories_cluster", Advisories::ClusterId),
            ("idx_advisories_published", Advisories::PublishedAt),
            ("idx_advisories_changed", Advisories::ChangedAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Advisories::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AdvisoryRevisions::Table)
                    .col(big_pk_auto(AdvisoryRevisions::Id))
                    .col(big_integer(AdvisoryRevisions::AdvisoryId))
                    .col(integer(AdvisoryRevisions::Revision))
                    .col(text(AdvisoryRevisions::Snapshot))
                    .col(text(AdvisoryRevisions::ChangedFields))
                    .col(string_len(AdvisoryRevisions::RawSha256, 64))
                    .col(timestamp_with_time_zone(AdvisoryRevisions::RecordedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_revisions_advisory")
                            .from(AdvisoryRevisions::Table, AdvisoryRevisions::AdvisoryId)
                            .to(Advisories::Table, Advisories::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_revisions_advisory")
                    .table(AdvisoryRevisions::Table)
                    .col(AdvisoryRevisions::AdvisoryId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AdvisoryCves::Table)
                    .col(big_integer(AdvisoryCves::AdvisoryId))
                    .col(string_len(AdvisoryCves::CveId, 32))
                    .primary_key(
                        Index::create()
                            .col(AdvisoryCves::AdvisoryId)
                            .col(AdvisoryCves::CveId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_cves_advisory")
                            .from(AdvisoryCves::Table, AdvisoryCves::AdvisoryId)
                            .to(Advisories::Table, Advisories::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_advisory_cves_cve")
                    .table(AdvisoryCves::Table)
                    .col(AdvisoryCves::CveId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AdvisoryAttachments::Table)
                    .col(big_pk_auto(AdvisoryAttachments::Id))
                    .col(big_integer(AdvisoryAttachments::AdvisoryId))
                    .col(string_len(AdvisoryAttachments::Sha256, 64))
                    .col(string(AdvisoryAttachments::Filename))
                    .col(string(AdvisoryAttachments::MediaType))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_attachments_advisory")
                            .from(AdvisoryAttachments::Table, AdvisoryAttachments::AdvisoryId)
                            .to(Advisories::Table, Advisories::Id),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AdvisoryAttachments::Table.into_iden(),
            AdvisoryCves::Table.into_iden(),
            AdvisoryRevisions::Table.into_iden(),
            Advisories::Table.into_iden(),
            RawDocuments::Table.into_iden(),
            Sources::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Sources {
    Table,
    Key,
    Enabled,
    NextPollAt,
    LeaseOwner,
    LeaseUntil,
    Etag,
    LastModified,
    LastAttemptAt,
    LastSuccessAt,
    LastErrorAt,
    LastError,
    LastOutcome,
    ConsecutiveFailures,
    ItemsSeen,
    AdvisoriesNew,
    AdvisoriesRevised,
}

#[derive(DeriveIden)]
pub enum RawDocuments {
    Table,
    Sha256,
    SourceKey,
    MediaType,
    Size,
    Encoding,
    Origin,
    ReceivedAt,
    Content,
}

#[derive(DeriveIden)]
pub enum Advisories {
    Table,
    Id,
    SourceKey,
    UpstreamId,
    Kind,
    Url,
    Title,
    SummaryHtml,
    SummaryText,
    PublishedAt,
    UpdatedAt,
    CveIds,
    Cvss,
    Products,
    RefList,
    Tlp,
    Lang,
    Withdrawn,
    Extra,
    Fingerprint,
    Revision,
    RawSha256,
    ClusterId,
    FirstSeenAt,
    ChangedAt,
}

#[derive(DeriveIden)]
pub enum AdvisoryRevisions {
    Table,
    Id,
    AdvisoryId,
    Revision,
    Snapshot,
    ChangedFields,
    RawSha256,
    RecordedAt,
}

#[derive(DeriveIden)]
pub enum AdvisoryCves {
    Table,
    AdvisoryId,
    CveId,
}

#[derive(DeriveIden)]
pub enum AdvisoryAttachments {
    Table,
    Id,
    AdvisoryId,
    Sha256,
    Filename,
    MediaType,
}
