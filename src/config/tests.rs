//! The settings file, defaults and validation.

use super::*;

#[test]
fn roles_parse_each_form_and_reject_unknown_ones() {
    assert_eq!(
        ProcessRoles::parse("web").map(|r| r.to_string()),
        Ok("web".into())
    );
    assert_eq!(
        ProcessRoles::parse("workers, web").map(|r| r.to_string()),
        Ok("web,workers".into())
    );
    assert!(ProcessRoles::parse("mail").is_err_and(|e| e.contains("`mail`")));
    assert!(ProcessRoles::parse("").is_err());
}

#[test]
fn a_database_password_never_shows_in_printed_settings() {
    let mut settings = Settings::default();
    settings.database.url = Some(SecretString::from(
        "postgres://noroshi:hunter2-secret@db.example/noroshi",
    ));
    let shown = settings.to_redacted_toml();
    assert!(!shown.contains("hunter2-secret"), "{shown}");
    assert!(shown.contains("noroshi:********@db.example"), "{shown}");
    let debug = format!("{settings:?}");
    assert!(!debug.contains("hunter2-secret"), "{debug}");
}

#[test]
fn the_example_file_parses_and_names_every_key() {
    let example = include_str!("../../docker/noroshi.example.toml");
    let parsed: Result<Settings, _> = Figment::new().merge(Toml::string(example)).extract();
    assert!(parsed.is_ok(), "{parsed:?}");
    let mut all = Settings::default();
    all.database.url = Some(SecretString::from("sqlite://x"));
    all.server.http_workers = Some(1);
    let documented: Vec<&str> = example
        .lines()
        .map(|l| l.trim_start_matches(['#', ' ']))
        .filter_map(|l| l.split_once(" = ").map(|(k, _)| k))
        .collect();
    for line in all.to_redacted_toml().lines() {
        if let Some((key, _)) = line.split_once(" = ") {
            assert!(
                documented.contains(&key),
                "`{key}` is missing from the example file"
            );
        }
    }
}

#[test]
fn unsupported_database_urls_are_named_in_the_error() {
    let mut settings = Settings::default();
    settings.database.url = Some(SecretString::from("mysql://x@y/z"));
    let err = settings
        .validate()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("database.url"), "{err}");
}
