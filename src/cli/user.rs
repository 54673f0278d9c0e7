//! `noroshi user …`: creating and listing portal users.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;
use clap::Subcommand;
use secrecy::{ExposeSecret, SecretString};

use super::output::table;
use crate::audit::Actor;
use crate::auth::{self, AddUser, EmailAddress, Role};
use crate::config::Settings;
use crate::context::AppContext;
use crate::registry::OrgCode;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is asked for twice at a prompt, or read from the first line
    /// of standard input when --password-stdin is given or input is not a terminal.
    ///
    /// Example: noroshi user add --org 131016 --role org_admin --email joho@city.chiyoda.lg.jp
    Add {
        /// The organisation's six-digit code, check digit included (e.g. 131016 for 千代田区).
        #[arg(long, value_parser = OrgCode::parse)]
        org: OrgCode,
        /// central_operator, central_approver or admin (central bodies only), prefecture_admin
        /// (prefectures only), org_admin or member.
        #[arg(long, value_parser = Role::parse)]
        role: Role,
        /// Sign-in address; also where the user's notices go.
        #[arg(long, value_parser = EmailAddress::parse)]
        email: EmailAddress,
        /// Name shown in the portal and audit log (defaults to the address).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the users of one organisation.
    List {
        #[arg(long, value_parser = OrgCode::parse)]
        org: OrgCode,
    },
    /// Enable a privileged account created in the portal (it waits for a hub administrator; on
    /// a hub with one administrator, who created it, this is the second person's way in).
    Enable {
        #[arg(value_parser = EmailAddress::parse)]
        email: EmailAddress,
    },
    /// Reset a user's second factor (a lost phone, no recovery code left): the user sets it up
    /// again at the next sign-in. Audited; the hub administrators are mailed for a privileged
    /// account.
    TotpReset {
        #[arg(value_parser = EmailAddress::parse)]
        email: EmailAddress,
    },
}

pub async fn run(cmd: UserCommand, settings: Settings) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add {
            org,
            role,
            email,
            name,
            password_stdin,
        } => {
            // Read the password before connecting, so a typo costs nothing.
            let password = read_password(password_stdin)?;
            let ctx = AppContext::connect(settings).await?;
            let req = AddUser {
                org,
                role,
                email,
                display_name: name,
                password,
            };
            let (user, org) =
                auth::add_user(&ctx.db, &ctx.settings.auth, req, &Actor::cli()).await?;
            println!(
                "created user {} ({}) at {} {} as {}",
                user.id,
                user.email,
                org.code,
                org.full_name(),
                user.role
            );
            Ok(())
        }
        UserCommand::Enable { email } => {
            let ctx = AppContext::connect(settings).await?;
            let user = auth::enable_at_console(&ctx.db, &email).await?;
            println!("enabled {} ({})", user.email, user.role);
            Ok(())
        }
        UserCommand::TotpReset { email } => {
            let ctx = AppContext::connect(settings).await?;
            let user = auth::store::find_by_email(&ctx.db, &email)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user has the address {email}"))?;
            auth::second_factor::reset(&ctx.db, &user, &Actor::cli()).await?;
            println!(
                "the second factor of {} is reset: it is set up again at the next sign-in",
                user.email
            );
            Ok(())
        }
        UserCommand::List { org } => {
            let ctx = AppContext::connect(settings).await?;
            let found = crate::registry::store::find_by_code(&ctx.db, org)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no organisation has the code {org}"))?;
            let users = auth::store::list_for_org(&ctx.db, found.id).await?;
            let rows = users
                .into_iter()
                .map(|u| {
                    vec![
                        u.id.to_string(),
                        u.email.to_string(),
                        u.display_name,
                        u.role.to_string(),
                        if u.awaiting_enable {
                            "waiting for a hub administrator"
                        } else if u.disabled {
                            "disabled"
                        } else {
                            "active"
                        }
                        .to_owned(),
                    ]
                })
                .collect();
            table(&["id", "email", "name", "role", "state"], rows);
            Ok(())
        }
    }
}

fn read_password(from_stdin: bool) -> anyhow::Result<SecretString> {
    let stdin = std::io::stdin();
    if from_stdin || !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        if password.is_empty() {
            anyhow::bail!("no password on standard input");
        }
        return Ok(SecretString::from(password));
    }
    let first = rpassword::prompt_password("Password: ").context("cannot read the password")?;
    let second =
        rpassword::prompt_password("Repeat password: ").context("cannot read the password")?;
    let (first, second) = (SecretString::from(first), SecretString::from(second));
    if first.expose_secret() != second.expose_secret() {
        anyhow::bail!("the two passwords differ; nothing was created");
    }
    Ok(first)
}
