//! Refusals and limits answer with our error shape, naming the field and the limit.

#![expect(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value by key yields Null; it does not panic"
)]

mod common;

use common::TestServer;
use serde_json::json;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

async fn malformed_input_and_unknown_routes_use_the_error_shape() {
    let srv = TestServer::start().await;
    let (_, token) = srv.user("alice").await;
    let (status, body) = srv.call("GET", "/api/v1/nowhere", Some(&token), None).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (404, json!("not_found"))
    );
    let (status, _, body) = srv
        .call_full(
            "POST",
            "/api/v1/conversations",
            Some(&token),
            None,
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "malformed_json");
    let (status, body) = srv
        .call(
            "POST",
            "/api/v1/accounts",
            None,
            Some(json!({"screen_name": 5, "password": "x"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (400, json!("screen_name"))
    );
    let (status, body) = srv.call("GET", "/api/v1/me", None, None).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (401, json!("unauthenticated"))
    );
}

async fn registration_validates_each_field() {
    let srv = TestServer::start().await;
    srv.user("taken").await;
    for (body, field, status) in [
        (
            json!({"screen_name": "has space", "password": "long enough"}),
            "screen_name",
            400,
        ),
        (
            json!({"screen_name": "sixteen_chars_xx", "password": "long enough"}),
            "screen_name",
            400,
        ),
        (
            json!({"screen_name": "ok", "password": "short"}),
            "password",
            400,
        ),
        (
            json!({"screen_name": "ok", "password": "long enough", "name": "x".repeat(51)}),
            "name",
            400,
        ),
    ] {
        let (got, resp) = srv.call("POST", "/api/v1/accounts", None, Some(body)).await;
        assert_eq!(
            (got, resp["error"]["field"].clone()),
            (status, json!(field)),
            "{resp}"
        );
    }
    let (status, _) = srv
        .call(
            "POST",
            "/api/v1/accounts",
            None,
            Some(json!({"screen_name": "TAKEN", "password": "long enough"})),
        )
        .await;
    assert_eq!(status, 409, "screen names are unique ignoring case");
    let (status, _) = srv
        .call(
            "POST",
            "/api/v1/sessions",
            None,
            Some(json!({"screen_name": "taken", "password": "wrong one!"})),
        )
        .await;
    assert_eq!(status, 401);
}

async fn text_limits_name_the_field_and_the_limit() {
    let srv = TestServer::start().await;
    let (alice_id, alice) = srv.user("alice").await;
    let (bob_id, bob) = srv.user("bob").await;
    srv.follow(&bob, &alice_id).await;
    let too_long = "é".repeat(10_001);
    let (status, body) = srv
        .call(
            "POST",
            &format!("/api/v1/messages/with/{bob_id}"),
            Some(&alice),
            Some(json!({"text": too_long})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "text");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("10000")),
        "{body}"
    );
    srv.dm(&alice, &bob_id, &"é".repeat(10_000)).await;
    let (status, body) = srv
        .call(
            "POST",
            &format!("/api/v1/messages/with/{bob_id}"),
            Some(&alice),
            Some(json!({"text": "bell\u{7}"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (400, json!("text"))
    );
    let (status, _) = srv
        .call(
            "POST",
            &format!("/api/v1/messages/with/{bob_id}"),
            Some(&alice),
            Some(json!({"text": "  "})),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = srv
        .call(
            "POST",
            &format!("/api/v1/messages/with/{alice_id}"),
            Some(&alice),
            Some(json!({"text": "me"})),
        )
        .await;
    assert_eq!(status, 403, "messaging yourself is refused as such");
}

async fn the_daily_send_limit_answers_429_with_retry_after() {
    let srv = TestServer::with(|c| c.limits.dm_sends_per_day = 3).await;
    let (alice_id, alice) = srv.user("alice").await;
    let (bob_id, bob) = srv.user("bob").await;
    srv.follow(&bob, &alice_id).await;
    for i in 0..3 {
        srv.dm(&alice, &bob_id, &format!("m{i}")).await;
    }
    let (status, headers, body) = srv
        .call_full(
            "POST",
            &format!("/api/v1/messages/with/{bob_id}"),
            Some(&alice),
            Some(json!({"text": "one too many"})),
            &[],
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (429, json!("rate_limited"))
    );
    let retry: u64 = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(retry > 0, "Retry-After is set");
    let unlimited = TestServer::with(|c| {
        c.limits.dm_sends_per_day = 1;
        c.server.rate_limits = false;
    })
    .await;
    let (a_id, a) = unlimited.user("a").await;
    let (b_id, b) = unlimited.user("b").await;
    unlimited.follow(&b, &a_id).await;
    for i in 0..3 {
        unlimited.dm(&a, &b_id, &format!("m{i}")).await;
    }
}

/// Following, blocking, muting or messaging yourself is a well-formed request the account
/// cannot carry out: 403 `own_account`, naming the field, the same on every route.
async fn actions_on_your_own_account_are_refused_as_such() {
    let srv = TestServer::start().await;
    let (alice_id, alice, bob_id, _) = srv.friends().await;
    let hello = json!({"text": "hello me"});
    for (method, path, body, field) in [
        (
            "PUT",
            format!("/api/v1/me/following/{alice_id}"),
            None,
            "user_id",
        ),
        (
            "PUT",
            format!("/api/v1/me/blocks/{alice_id}"),
            None,
            "user_id",
        ),
        (
            "PUT",
            format!("/api/v1/me/mutes/{alice_id}"),
            None,
            "user_id",
        ),
        (
            "GET",
            format!("/api/v1/users/{alice_id}/dm_permission"),
            None,
            "user_id",
        ),
        (
            "POST",
            format!("/api/v1/messages/with/{alice_id}"),
            Some(hello.clone()),
            "recipient_id",
        ),
    ] {
        let (status, reply) = srv.call(method, &path, Some(&alice), body).await;
        assert_eq!(
            (status, &reply["error"]["code"], &reply["error"]["field"]),
            (403, &json!("own_account"), &json!(field)),
            "{method} {path}: {reply}"
        );
    }
    let (status, reply) = srv
        .call(
            "POST",
            "/api/v1/conversations",
            Some(&alice),
            Some(json!({"participant_ids": [alice_id]})),
        )
        .await;
    assert_eq!(
        (status, &reply["error"]["code"]),
        (403, &json!("own_account")),
        "{reply}"
    );
    // The same requests about someone else are carried out.
    let (status, _) = srv
        .call(
            "GET",
            &format!("/api/v1/users/{bob_id}/dm_permission"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(status, 200);
}

/// Only a group has a name: renaming a one-to-one conversation conflicts with what it is.
async fn only_a_group_takes_a_name() {
    let srv = TestServer::start().await;
    let (_, alice, bob_id, _) = srv.friends().await;
    let sent = srv.dm(&alice, &bob_id, "hi").await;
    let conversation = common::s(&sent["conversation_id"]);
    let (status, reply) = srv
        .call(
            "PATCH",
            &format!("/api/v1/conversations/{conversation}"),
            Some(&alice),
            Some(json!({"name": "us"})),
        )
        .await;
    assert_eq!(
        (status, &reply["error"]["code"], &reply["error"]["field"]),
        (409, &json!("not_a_group"), &json!("name")),
        "{reply}"
    );
}

crate::on_every_backend!(
    malformed_input_and_unknown_routes_use_the_error_shape,
    registration_validates_each_field,
    text_limits_name_the_field_and_the_limit,
    the_daily_send_limit_answers_429_with_retry_after,
    actions_on_your_own_account_are_refused_as_such,
    only_a_group_takes_a_name,
);
