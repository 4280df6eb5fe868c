//! Password guessing is slowed per account and per address, and a login's bearer token
//! expires.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::TestServer;

async fn login(
    srv: &TestServer,
    name: &str,
    password: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    srv.call_full(
        "POST",
        "/api/v1/sessions",
        None,
        Some(json!({"screen_name": name, "password": password})),
        &[],
    )
    .await
}

/// About 120 guesses a second went through, and the right password worked right after 100
/// wrong ones. Now five failures are free; after that each makes the next attempt wait
/// (1 s, doubling), and while it waits even the right password is refused.
async fn guessing_a_password_is_slowed_and_the_right_one_waits_too() {
    let srv = TestServer::start().await;
    srv.user("alice").await;
    for _ in 0..6 {
        let (status, _, body) = login(&srv, "alice", "wrong password").await;
        assert_eq!(status, 401, "{body}");
    }
    let (status, headers, body) = login(&srv, "Alice", "correct horse").await;
    assert_eq!(status, 429, "the right password waits too: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("login attempts for this account")),
        "{body}"
    );
    let wait: u64 = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("Retry-After: {headers:?}"));
    assert!((1..=2).contains(&wait), "{wait}");
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let (status, _, body) = login(&srv, "alice", "correct horse").await;
    assert_eq!(status, 200, "after the wait: {body}");
    // A success clears the account's count.
    let (status, _, _) = login(&srv, "alice", "wrong password").await;
    assert_eq!(status, 401);
}

/// One address guessing at many accounts waits too.
async fn one_address_guessing_many_accounts_is_slowed() {
    let srv = TestServer::start().await;
    srv.user("target").await;
    for n in 0..21 {
        let (status, _, _) = login(&srv, &format!("nobody{n}"), "guess").await;
        assert_eq!(status, 401);
    }
    let (status, _, body) = login(&srv, "target", "correct horse").await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("from this address")),
        "{body}"
    );
}

/// A bearer token from a login or sign-up expires (it never did): here after zero days.
async fn a_login_token_expires() {
    let srv = TestServer::with(|c| c.auth.login_token_days = 0).await;
    let (_, token) = srv.user("alice").await;
    let (status, _) = srv.call("GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!(status, 401, "the sign-up token has expired");
    let (status, _, body) = login(&srv, "alice", "correct horse").await;
    assert_eq!(status, 200);
    let token = body["token"].as_str().unwrap_or_default().to_owned();
    let (status, _) = srv.call("GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!(status, 401, "so has the login's");
}

crate::on_every_backend!(
    guessing_a_password_is_slowed_and_the_right_one_waits_too,
    one_address_guessing_many_accounts_is_slowed,
    a_login_token_expires,
);
