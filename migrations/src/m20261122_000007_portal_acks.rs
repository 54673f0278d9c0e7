//! The portal and acknowledgements: server-side login sessions (only a hash of the cookie's
//! token is stored) and, per alert × organisation, the acknowledgement state with its history.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_organisations::Organisations;
use crate::m20261122_000002_users::Users;
use crate::m20261122_000005_classify_alerts::Alerts;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(big_pk_auto(Sessions::Id))
                    .col(string_len(Sessions::TokenHash, 64).unique_key())
                    .col(big_integer(Sessions::UserId))
                    .col(string_len(Sessions::CsrfToken, 64))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .col(timestamp_with_time_zone(Sessions::LastSeenAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_user")
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Acknowledgements::Table)
                    .col(big_integer(Acknowledgements::AlertId))
                    .col(big_integer(Acknowledgements::OrganisationId))
                    .col(string_len(Acknowledgements::State, 16))
                    .col(text_null(Acknowledgements::Note))
                    .col(string_len(Acknowledgements::UpdatedBy, 128))
                    .col(timestamp_with_time_zone(Acknowledgements::FirstKnownAt))
                    .col(timestamp_with_time_zone(Acknowledgements::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(Acknowledgements::AlertId)
                            .col(Acknowledgements::OrganisationId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_acknowledgements_alert")
                            .from(Acknowledgements::Table, Acknowledgements::AlertId)
                            .to(Alerts::Table, Alerts::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_acknowledgements_organisation")
                            .from(Acknowledgements::Table, Acknowledgements::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AckEvents::Table)
                    .col(big_pk_auto(AckEvents::Id))
                    .col(big_integer(AckEvents::AlertId))
                    .col(big_integer(AckEvents::OrganisationId))
                    .col(string_len(AckEvents::State, 16))
                    .col(text_null(AckEvents::Note))
                    .col(string_len(AckEvents::Actor, 128))
                    .col(string_len(AckEvents::Channel, 16))
                    .col(timestamp_with_time_zone(AckEvents::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ack_events_alert_org")
                    .table(AckEvents::Table)
                    .col(AckEvents::AlertId)
                    .col(AckEvents::OrganisationId)
                    .to_owned(),
            )
            .await?;
        // The inbox lists an organisation's alerts newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_alert_audience_org")
                    .table(AlertAudience::Table)
                    .col(AlertAudience::OrganisationId)
                    .col(AlertAudience::AlertId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_alert_audience_org")
                    .table(AlertAudience::Table)
                    .to_owned(),
            )
            .await?;
        for table in [
            AckEvents::Table.into_iden(),
            Acknowledgements::Table.into_iden(),
            Sessions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    TokenHash,
    UserId,
    CsrfToken,
    CreatedAt,
    ExpiresAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum Acknowledgements {
    Table,
    AlertId,
    OrganisationId,
    State,
    Note,
    UpdatedBy,
    FirstKnownAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AckEvents {
    Table,
    Id,
    AlertId,
    OrganisationId,
    State,
    Note,
    Actor,
    Channel,
    At,
}

#[derive(DeriveIden)]
enum AlertAudience {
    Table,
    AlertId,
    OrganisationId,
}
