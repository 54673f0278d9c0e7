//! The organisation registry: local governments (prefectures and municipalities) and central bodies.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organisations::Table)
                    .col(big_pk_auto(Organisations::Id))
                    .col(string_len_uniq(Organisations::Code, 6))
                    .col(string_len(Organisations::Kind, 16))
                    .col(string(Organisations::Name))
                    .col(string(Organisations::Kana))
                    .col(small_integer_null(Organisations::Prefecture))
                    .col(big_integer_null(Organisations::ParentId))
                    .col(timestamp_with_time_zone(Organisations::CreatedAt))
                    .col(timestamp_with_time_zone(Organisations::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_organisations_parent")
                            .from(Organisations::Table, Organisations::ParentId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_organisations_prefecture")
                    .table(Organisations::Table)
                    .col(Organisations::Prefecture)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Organisations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Organisations {
    Table,
    Id,
    Code,
    Kind,
    Name,
    Kana,
    Prefecture,
    ParentId,
    CreatedAt,
    UpdatedAt,
}
