//! Reminders and escalations. A delivery now has a kind (the alert itself, a reminder to an
//! organisation that has not acknowledged, or an escalation to a prefecture about its silent
//! municipalities), and `follow_ups` records, once per alert × organisation × kind, that one was
//! made: the worker's idempotency and the dashboard's mark.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Deliveries::Table)
                    .add_column(string_len(Deliveries::Kind, 16).default("alert"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FollowUps::Table)
                    .col(big_integer(FollowUps::AlertId))
                    .col(big_integer(FollowUps::OrganisationId))
                    .col(string_len(FollowUps::Kind, 16))
                    .col(big_integer(FollowUps::RevisionId))
                    .col(integer(FollowUps::Recipients))
                    .col(timestamp_with_time_zone(FollowUps::At))
                    .primary_key(
                        Index::create()
                            .col(FollowUps::AlertId)
                            .col(FollowUps::OrganisationId)
                            .col(FollowUps::Kind),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FollowUps::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Deliveries::Table)
                    .drop_column(Deliveries::Kind)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Kind,
}

#[derive(DeriveIden)]
enum FollowUps {
    Table,
    AlertId,
    OrganisationId,
    Kind,
    RevisionId,
    Recipients,
    At,
}
