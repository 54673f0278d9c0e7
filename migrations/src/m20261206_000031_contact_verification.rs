//! Whether a contact address may receive more than TLP:CLEAR: it is at a domain its
//! organisation holds, a hub administrator added it, or its owner confirmed it from the address
//! itself. Addresses that existed before keep receiving what they did (`legacy`): they were
//! accepted under the old rule by the organisation's administrator, and an upgrade that
//! silently stopped a 緊急 alert reaching an address that worked yesterday would be worse.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OrgContacts::Table)
                    .add_column(string_len_null(OrgContacts::VerifiedBy, 16))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OrgContacts::Table)
                    .add_column(timestamp_with_time_zone_null(OrgContacts::VerifiedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE org_contacts SET verified_by = 'legacy', verified_at = created_at",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [OrgContacts::VerifiedAt, OrgContacts::VerifiedBy] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OrgContacts::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum OrgContacts {
    Table,
    VerifiedBy,
    VerifiedAt,
}
