//! Browser sessions with CSRF protection, logout, and personal access tokens.

#![expect(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value by key yields Null; it does not panic"
)]

mod common;

use common::{TestServer, s};
use serde_json::json;

async fn cookie_sessions_need_the_csrf_token_to_change_anything() {
    let srv = TestServer::start().await;
    srv.user("alice").await;
    let login = json!({"screen_name": "alice", "password": "correct horse", "session": true});
    let (status, headers, body) = srv
        .call_full("POST", "/api/v1/sessions", None, Some(login), &[])
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.get("token").is_none(),
        "browsers get a cookie, not a bearer token"
    );
    let set_cookie = headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
    let csrf = s(&body["csrf_token"]);

    let (status, me, _) = {
        let (st, _, b) = srv
            .call_full("GET", "/api/v1/me", None, None, &[("cookie", &cookie)])
            .await;
        (st, b, ())
    };
    assert_eq!((status, me["screen_name"].clone()), (200, json!("alice")));
    let change = json!({"read_receipts": false});
    let (status, _, body) = srv
        .call_full(
            "PATCH",
            "/api/v1/me/settings",
            None,
            Some(change.clone()),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (403, json!("forbidden")),
        "no CSRF header"
    );
    let (status, _, _) = srv
        .call_full(
            "PATCH",
            "/api/v1/me/settings",
            None,
            Some(change.clone()),
            &[("cookie", &cookie), ("x-csrf-token", "wrong")],
        )
        .await;
    assert_eq!(status, 403, "wrong CSRF header");
    let (status, _, body) = srv
        .call_full(
            "PATCH",
            "/api/v1/me/settings",
            None,
            Some(change),
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!((status, body["read_receipts"].clone()), (200, json!(false)));

    let (status, _, _) = srv
        .call_full(
            "DELETE",
            "/api/v1/sessions/current",
            None,
            None,
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!(status, 204);
    let (status, _, _) = srv
        .call_full("GET", "/api/v1/me", None, None, &[("cookie", &cookie)])
        .await;
    assert_eq!(status, 401, "the session is gone after logout");
}

async fn personal_tokens_can_be_listed_and_revoked() {
    let srv = TestServer::start().await;
    let (_, first) = srv.user("alice").await;
    let (status, created) = srv
        .call(
            "POST",
            "/api/v1/me/tokens",
            Some(&first),
            Some(json!({"name": "bot"})),
        )
        .await;
    assert_eq!(status, 201);
    let bot = s(&created["token"]);
    let (status, _) = srv.call("GET", "/api/v1/me", Some(&bot), None).await;
    assert_eq!(status, 200);
    let (_, list) = srv
        .call("GET", "/api/v1/me/tokens", Some(&first), None)
        .await;
    assert!(
        list["tokens"]
            .as_array()
            .is_some_and(|t| t.iter().all(|t| t.get("token").is_none())),
        "secrets are shown once"
    );
    let (status, _) = srv
        .call(
            "DELETE",
            &format!("/api/v1/me/tokens/{}", s(&created["id"])),
            Some(&first),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = srv.call("GET", "/api/v1/me", Some(&bot), None).await;
    assert_eq!(status, 401, "a revoked token stops working at once");
    let (status, _) = srv
        .call("DELETE", "/api/v1/sessions/current", Some(&first), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = srv.call("GET", "/api/v1/me", Some(&first), None).await;
    assert_eq!(status, 401, "logout revokes the bearer token used");
}

crate::on_every_backend!(
    cookie_sessions_need_the_csrf_token_to_change_anything,
    personal_tokens_can_be_listed_and_revoked,
);
