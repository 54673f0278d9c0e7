//! 照会: a question an organisation asks (in the portal or by replying to a mail), routed to the
//! desk that sent what it is about (a prefecture, or the centre when `desk_organisation_id` is
//! empty), its messages both ways, and the anonymised よくある質問 entry made of it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Inquiries::Table)
                    .col(big_pk_auto(Inquiries::Id))
                    .col(big_integer(Inquiries::OrganisationId))
                    .col(big_integer_null(Inquiries::DeskOrganisationId))
                    .col(string_len(Inquiries::AboutKind, 16))
                    .col(big_integer_null(Inquiries::AboutId))
                    .col(string_len(Inquiries::Title, 200))
                    .col(string_len(Inquiries::AskerEmail, 254))
                    .col(string_len(Inquiries::Via, 16))
                    .col(boolean(Inquiries::SenderVouched).default(true))
                    .col(string_len(Inquiries::Status, 16))
                    .col(timestamp_with_time_zone(Inquiries::CreatedAt))
                    .col(timestamp_with_time_zone(Inquiries::LastMessageAt))
                    .col(timestamp_with_time_zone_null(Inquiries::AnsweredAt))
                    .col(timestamp_with_time_zone_null(Inquiries::EscalatedAt))
                    .col(text_null(Inquiries::FaqQuestion))
                    .col(text_null(Inquiries::FaqAnswer))
                    .col(timestamp_with_time_zone_null(Inquiries::FaqPublishedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_inquiries_org", Inquiries::OrganisationId),
            ("idx_inquiries_desk", Inquiries::DeskOrganisationId),
            ("idx_inquiries_status", Inquiries::Status),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Inquiries::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(InquiryMessages::Table)
                    .col(big_pk_auto(InquiryMessages::Id))
                    .col(big_integer(InquiryMessages::InquiryId))
                    .col(boolean(InquiryMessages::FromDesk))
                    .col(string_len(InquiryMessages::Author, 300))
                    .col(text(InquiryMessages::Body))
                    .col(timestamp_with_time_zone(InquiryMessages::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_inquiry_messages_inquiry")
                    .table(InquiryMessages::Table)
                    .col(InquiryMessages::InquiryId)
                    .to_owned(),
            )
            .await?;
        // A notice (mail) that answers an 照会 is that 照会's ledger row.
        manager
            .alter_table(
                Table::alter()
                    .table(AdminNotices::Table)
                    .add_column(big_integer_null(AdminNotices::InquiryId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AdminNotices::Table)
                    .drop_column(AdminNotices::InquiryId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(InquiryMessages::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Inquiries::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Inquiries {
    Table,
    Id,
    OrganisationId,
    DeskOrganisationId,
    AboutKind,
    AboutId,
    Title,
    AskerEmail,
    Via,
    SenderVouched,
    Status,
    CreatedAt,
    LastMessageAt,
    AnsweredAt,
    EscalatedAt,
    FaqQuestion,
    FaqAnswer,
    FaqPublishedAt,
}

#[derive(DeriveIden)]
enum InquiryMessages {
    Table,
    Id,
    InquiryId,
    FromDesk,
    Author,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AdminNotices {
    Table,
    InquiryId,
}
