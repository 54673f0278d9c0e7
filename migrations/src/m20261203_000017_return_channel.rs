//! The return channel: bounces recorded on the ledger row they belong to, each contact's bounce
//! count and reachability, and every message that came back to the hub (bounces, auto-replies,
//! replies) kept once, with what was done with it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for col in [
            timestamp_with_time_zone_null(Deliveries::BouncedAt),
            string_null(Deliveries::BounceStatus),
            text_null(Deliveries::BounceReason),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Deliveries::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        for col in [
            integer(OrgContacts::HardBounces).default(0).to_owned(),
            timestamp_with_time_zone_null(OrgContacts::LastBounceAt),
            boolean(OrgContacts::Unreachable).default(false).to_owned(),
            timestamp_with_time_zone_null(OrgContacts::ConfirmedAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OrgContacts::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(InboundMessages::Table)
                    .col(big_pk_auto(InboundMessages::Id))
                    .col(string_uniq(InboundMessages::Digest))
                    .col(string_null(InboundMessages::MessageId))
                    .col(string(InboundMessages::FromAddress))
                    .col(text(InboundMessages::Subject))
                    .col(string(InboundMessages::Kind))
                    .col(string(InboundMessages::Outcome))
                    .col(big_integer_null(InboundMessages::DeliveryId))
                    .col(big_integer_null(InboundMessages::AlertId))
                    .col(big_integer_null(InboundMessages::OrganisationId))
                    .col(text(InboundMessages::Detail))
                    .col(text(InboundMessages::Excerpt))
                    .col(string(InboundMessages::File))
                    .col(timestamp_with_time_zone(InboundMessages::ReceivedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inbound_messages_outcome")
                    .table(InboundMessages::Table)
                    .col(InboundMessages::Outcome)
                    .col(InboundMessages::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("deliveries_alert_org")
                    .table(Deliveries::Table)
                    .col(Deliveries::AlertId)
                    .col(Deliveries::OrganisationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("deliveries_alert_org").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(InboundMessages::Table).to_owned())
            .await?;
        for col in [
            OrgContacts::HardBounces,
            OrgContacts::LastBounceAt,
            OrgContacts::Unreachable,
            OrgContacts::ConfirmedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OrgContacts::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        for col in [
            Deliveries::BouncedAt,
            Deliveries::BounceStatus,
            Deliveries::BounceReason,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Deliveries::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    AlertId,
    OrganisationId,
    BouncedAt,
    BounceStatus,
    BounceReason,
}

#[derive(DeriveIden)]
enum OrgContacts {
    Table,
    HardBounces,
    LastBounceAt,
    Unreachable,
    ConfirmedAt,
}

#[derive(DeriveIden)]
enum InboundMessages {
    Table,
    Id,
    Digest,
    MessageId,
    FromAddress,
    Subject,
    Kind,
    Outcome,
    DeliveryId,
    AlertId,
    OrganisationId,
    Detail,
    Excerpt,
    File,
    ReceivedAt,
}
