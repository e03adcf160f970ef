//! Service tokens.

use portico_auth::{AuthError, Permission, Principal, ServiceToken, ServiceTokens};

const CI: &str = "ci-3f9a7c1e5b2d4680aa11";
const BOT: &str = "bot-0c8e2a4f6b1d3957cc22";

fn tokens() -> ServiceTokens {
    ServiceTokens::new(vec![
        ServiceToken {
            token: CI.to_owned(),
            subject: "ci".to_owned(),
            permissions: vec![Permission::LocationCreate, Permission::EntityRefresh],
        },
        ServiceToken {
            token: BOT.to_owned(),
            subject: "bot".to_owned(),
            permissions: vec![],
        },
    ])
    .unwrap()
}

#[test]
fn a_configured_token_matches_its_entry() {
    let tokens = tokens();
    assert_eq!(tokens.check(CI).unwrap().subject, "ci");
    assert_eq!(tokens.check(BOT).unwrap().subject, "bot");
    assert_eq!(
        tokens.check(CI).unwrap().principal(),
        Principal::Service {
            subject: "ci".to_owned(),
            permissions: vec![Permission::LocationCreate, Permission::EntityRefresh],
        }
    );
}

#[test]
fn other_tokens_do_not_match() {
    let tokens = tokens();
    let mut last_changed = CI.to_owned();
    last_changed.pop();
    last_changed.push('X');
    for presented in [
        "",
        "ci",
        &CI[..CI.len() - 1],
        &format!("{CI}0"),
        &last_changed,
        &CI.to_uppercase(),
        &format!(" {CI}"),
    ] {
        assert!(tokens.check(presented).is_none(), "{presented:?}");
    }
    assert!(ServiceTokens::new(vec![]).unwrap().check(CI).is_none());
}

#[test]
fn configuration_is_checked() {
    let token = |t: &str, s: &str| ServiceToken {
        token: t.to_owned(),
        subject: s.to_owned(),
        permissions: vec![],
    };
    let err = ServiceTokens::new(vec![token("short", "ci")]).unwrap_err();
    assert!(
        matches!(&err, AuthError::InvalidConfig(m) if m.contains("`ci`")),
        "{err:?}"
    );
    let err = ServiceTokens::new(vec![token(CI, "a"), token(CI, "b")]).unwrap_err();
    assert!(
        matches!(&err, AuthError::InvalidConfig(m) if m.contains("`b`")),
        "{err:?}"
    );
    assert!(ServiceTokens::new(vec![token(CI, " ")]).is_err());
}

#[test]
fn debug_output_hides_the_secret() {
    let shown = format!("{:?}", tokens());
    assert!(!shown.contains(CI) && !shown.contains(BOT), "{shown}");
    assert!(
        shown.contains("ci") && shown.contains("redacted"),
        "{shown}"
    );
}

#[test]
fn tokens_load_from_configuration_json() {
    let config = serde_json::json!([
        {"token": CI, "subject": "ci", "permissions": ["location-create", "template-run"]},
        {"token": BOT, "subject": "bot"},
    ]);
    let list: Vec<ServiceToken> = serde_json::from_value(config).unwrap();
    let tokens = ServiceTokens::new(list).unwrap();
    assert_eq!(
        tokens.check(CI).unwrap().permissions,
        [Permission::LocationCreate, Permission::TemplateRun]
    );
    assert!(tokens.check(BOT).unwrap().permissions.is_empty());

    let bad = serde_json::json!([{"token": CI, "subject": "ci", "permissions": ["location-nuke"]}]);
    let err = serde_json::from_value::<Vec<ServiceToken>>(bad).unwrap_err();
    assert!(err.to_string().contains("location-nuke"), "{err}");
}
