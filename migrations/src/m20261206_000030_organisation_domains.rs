//! The mail domains an organisation holds, kept by the hub administrators: an address at one of
//! them (or under it) is the organisation's own. Membership is never inferred from a contact's
//! address any more (review 3 N-H1: one municipality's `@docomo.ne.jp` backup address made
//! every docomo customer a reader of its TLP:AMBER items). Nothing is copied from contacts:
//! the administrators register the domains (the settings page suggests them).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrganisationDomains::Table)
                    .col(big_pk_auto(OrganisationDomains::Id))
                    .col(big_integer(OrganisationDomains::OrganisationId))
                    .col(string_len_uniq(OrganisationDomains::Domain, 253))
                    .col(string_len(OrganisationDomains::CreatedBy, 300))
                    .col(timestamp_with_time_zone(OrganisationDomains::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_organisation_domains_org")
                    .table(OrganisationDomains::Table)
                    .col(OrganisationDomains::OrganisationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrganisationDomains::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OrganisationDomains {
    Table,
    Id,
    OrganisationId,
    Domain,
    CreatedBy,
    CreatedAt,
}
