//! Who may message whom (SPEC §3.3), through the real server.

#![expect(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value by key yields Null; it does not panic"
)]

mod common;

use common::{TestServer, s};
use serde_json::json;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

async fn default_setting_refuses_strangers_and_names_the_rule() {
    let srv = TestServer::start().await;
    let (_, alice) = srv.user("alice").await;
    let (bob_id, _) = srv.user("bob").await;
    let (status, body) = srv
        .call(
            "POST",
            &format!("/api/v1/messages/with/{bob_id}"),
            Some(&alice),
            Some(json!({"text": "hi"})),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "recipient_not_accepting");
    // The refusal names the rule, as dm_permission does, and the setting behind it.
    assert_eq!(body["error"]["rule"], "not_accepting");
    assert_eq!(
        body["error"]["message"],
        "this user accepts messages only from people they follow"
    );
    let (_, perm) = srv
        .call(
            "GET",
            &format!("/api/v1/users/{bob_id}/dm_permission"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(
        perm,
        json!({"allowed": false, "box": null, "rule": "not_accepting"})
    );
}

async fn a_follower_relationship_delivers_to_primary() {
    let srv = TestServer::start().await;
    let (alice_id, alice) = srv.user("alice").await;
    let (bob_id, bob) = srv.user("bob").await;
    srv.follow(&bob, &alice_id).await;
    let (_, perm) = srv
        .call(
            "GET",
            &format!("/api/v1/users/{bob_id}/dm_permission"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(perm["rule"], "recipient_follows_sender");
    srv.dm(&alice, &bob_id, "hello").await;
    let (_, inbox) = srv
        .call("GET", "/api/v1/conversations?box=primary", Some(&bob), None)
        .await;
    assert_eq!(inbox["conversations"][0]["last_message"]["text"], "hello");
    assert_eq!(inbox["conversations"][0]["unread_count"], 1);
}

async fn open_accounts_get_requests_until_accepted_then_replies_flow_back() {
    let srv = TestServer::start().await;
    let (alice_id, alice) = srv.user("alice").await;
    let (bob_id, bob) = srv.user("bob").await;
    srv.open_to_everyone(&bob).await;
    let m = srv.dm(&alice, &bob_id, "may I?").await;
    let conv = s(&m["conversation_id"]);
    let (_, primary) = srv
        .call("GET", "/api/v1/conversations", Some(&bob), None)
        .await;
    assert_eq!(primary["conversations"].as_array().map(Vec::len), Some(0));
    let (_, requests) = srv
        .call(
            "GET",
            "/api/v1/conversations?box=requests",
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(requests["conversations"][0]["id"], conv.as_str());
    // Alice cannot see Bob's read receipt while the request is pending.
    let (status, _) = srv
        .call(
            "POST",
            &format!("/api/v1/conversations/{conv}/read"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, seen_by_alice) = srv
        .call(
            "GET",
            &format!("/api/v1/conversations/{conv}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(seen_by_alice["read_by"], json!([]));
    let (status, accepted) = srv
        .call(
            "POST",
            &format!("/api/v1/conversations/{conv}/accept"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(accepted["box"], "primary");
    let (_, seen_by_alice) = srv
        .call(
            "GET",
            &format!("/api/v1/conversations/{conv}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(seen_by_alice["read_by"][0]["user_id"], bob_id.as_str());
    // Bob has now accepted Alice: even after closing his DMs, Alice may write (rule 3).
    srv.call(
        "PATCH",
        "/api/v1/me/settings",
        Some(&bob),
        Some(json!({"allow_dms_from": "following"})),
    )
    .await;
    let (_, perm) = srv
        .call(
            "GET",
            &format!("/api/v1/users/{bob_id}/dm_permission"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(perm["rule"], "prior_conversation");
    srv.dm(&bob, &alice_id, "welcome").await;
}

async fn blocks_refuse_both_ways_and_remove_follows() {
    let srv = TestServer::start().await;
    let (alice_id, alice) = srv.user("alice").await;
    let (bob_id, bob) = srv.user("bob").await;
    srv.follow(&bob, &alice_id).await;
    srv.follow(&alice, &bob_id).await;
    let (status, _) = srv
        .call(
            "PUT",
            &format!("/api/v1/me/blocks/{alice_id}"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(status, 204);
    for (token, to) in [(&alice, &bob_id), (&bob, &alice_id)] {
        let (status, body) = srv
            .call(
                "POST",
                &format!("/api/v1/messages/with/{to}"),
                Some(token),
                Some(json!({"text": "x"})),
            )
            .await;
        assert_eq!(
            (
                status,
                body["error"]["code"].clone(),
                body["error"]["rule"].clone()
            ),
            (403, json!("cannot_message_user"), json!("blocked"))
        );
    }
    let (_, rel) = srv
        .call(
            "GET",
            &format!("/api/v1/users/{alice_id}"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(
        rel["relationship"],
        json!({"following": false, "followed_by": false, "blocking": true, "muting": false})
    );
    let (_, perm) = srv
        .call(
            "GET",
            &format!("/api/v1/users/{bob_id}/dm_permission"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(perm["rule"], "blocked");
    let (status, _) = srv
        .call(
            "DELETE",
            &format!("/api/v1/me/blocks/{alice_id}"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, perm) = srv
        .call(
            "GET",
            &format!("/api/v1/users/{bob_id}/dm_permission"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(
        perm["rule"], "not_accepting",
        "the block removed the follow"
    );
}

async fn verified_only_accounts_admit_verified_senders() {
    let srv = TestServer::start().await;
    let (alice_id, alice) = srv.user("alice").await;
    let (_, carol) = srv.user("carol").await;
    let (bob_id, bob) = srv.user("bob").await;
    srv.call(
        "PATCH",
        "/api/v1/me/settings",
        Some(&bob),
        Some(json!({"allow_dms_from": "verified"})),
    )
    .await;
    let services = srv
        .running
        .as_ref()
        .map(|r| r.services.clone())
        .unwrap_or_else(|| panic!("running"));
    services
        .set_verified(alice_id.parse().unwrap_or_default(), true)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, perm) = srv
        .call(
            "GET",
            &format!("/api/v1/users/{bob_id}/dm_permission"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(
        perm,
        json!({"allowed": true, "box": "requests", "rule": "allows_verified"})
    );
    let (status, body) = srv
        .call(
            "POST",
            &format!("/api/v1/messages/with/{bob_id}"),
            Some(&carol),
            Some(json!({"text": "x"})),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["code"], &body["error"]["rule"]),
        (
            403,
            &json!("recipient_not_accepting"),
            &json!("not_accepting")
        )
    );
    assert_eq!(
        body["error"]["message"],
        "this user accepts messages only from people they follow and from verified accounts"
    );
}

crate::on_every_backend!(
    default_setting_refuses_strangers_and_names_the_rule,
    a_follower_relationship_delivers_to_primary,
    open_accounts_get_requests_until_accepted_then_replies_flow_back,
    blocks_refuse_both_ways_and_remove_follows,
    verified_only_accounts_admit_verified_senders,
);
