//! Mutes, reports, the quality filter and the young-account limit on new conversations.

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

async fn mutes_are_listed_and_cannot_target_yourself() {
    let srv = TestServer::start().await;
    let (alice_id, alice, bob_id, _) = srv.friends().await;
    let (status, _) = srv
        .call(
            "PUT",
            &format!("/api/v1/me/mutes/{bob_id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, list) = srv
        .call("GET", "/api/v1/me/mutes", Some(&alice), None)
        .await;
    assert_eq!(list["users"][0]["id"], bob_id.as_str());
    let (status, body) = srv
        .call(
            "PUT",
            &format!("/api/v1/me/mutes/{alice_id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(
        (status, &body["error"]["code"], &body["error"]["field"]),
        (403, &json!("own_account"), &json!("user_id"))
    );
    let (status, _) = srv
        .call("PUT", "/api/v1/me/mutes/424242", Some(&alice), None)
        .await;
    assert_eq!(status, 404);
}

async fn reporting_a_conversation_hides_and_silences_it_until_the_reporter_writes() {
    let srv = TestServer::start().await;
    let (alice_id, alice, bob_id, bob) = srv.friends().await;
    let conv = s(&srv.dm(&alice, &bob_id, "hello").await["conversation_id"]);
    let (status, body) = srv
        .call(
            "POST",
            "/api/v1/reports",
            Some(&bob),
            Some(json!({"target_type": "conversation", "target_id": conv, "reason": " "})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (400, json!("reason"))
    );
    let (status, body) = srv
        .call(
            "POST",
            "/api/v1/reports",
            Some(&bob),
            Some(json!({"target_type": "message", "target_id": "nonsense", "reason": "spam"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (400, json!("target_id"))
    );
    let (status, _) = srv
        .call(
            "POST",
            "/api/v1/reports",
            Some(&bob),
            Some(json!({"target_type": "conversation", "target_id": conv, "reason": "spam"})),
        )
        .await;
    assert_eq!(status, 201);
    let (_, inbox) = srv
        .call("GET", "/api/v1/conversations", Some(&bob), None)
        .await;
    assert_eq!(
        inbox["conversations"],
        json!([]),
        "hidden from the reporter"
    );
    let mut ws = srv.ws(&bob, None).await;
    ws.next().await;
    srv.dm(&alice, &bob_id, "are you there?").await;
    assert!(ws.quiet_for(300).await, "silenced");
    srv.dm(&bob, &alice_id, "back again").await;
    let (_, inbox) = srv
        .call("GET", "/api/v1/conversations", Some(&bob), None)
        .await;
    assert_eq!(
        inbox["conversations"][0]["id"],
        conv.as_str(),
        "writing again restores it"
    );
    srv.dm(&alice, &bob_id, "welcome back").await;
    assert_eq!(
        ws.next_of("message.created").await["data"]["text"],
        "back again",
        "his own, first"
    );
    assert_eq!(
        ws.next_of("message.created").await["data"]["text"],
        "welcome back"
    );
}

async fn the_quality_filter_sends_likely_spam_to_the_filtered_box() {
    // A young sender whose requests go unanswered looks like spam after one.
    let srv = TestServer::with(|c| c.limits.spam_unanswered_requests = 1).await;
    let (_, spammer) = srv.user("spammer").await;
    let (bob_id, bob) = srv.user("bob").await;
    let (carol_id, carol) = srv.user("carol").await;
    let (dave_id, dave) = srv.user("dave").await;
    for t in [&bob, &carol, &dave] {
        srv.open_to_everyone(t).await;
    }
    srv.call(
        "PATCH",
        "/api/v1/me/settings",
        Some(&dave),
        Some(json!({"quality_filter": false})),
    )
    .await;
    srv.dm(&spammer, &bob_id, "first").await;
    let (_, perm) = srv
        .call(
            "GET",
            &format!("/api/v1/users/{carol_id}/dm_permission"),
            Some(&spammer),
            None,
        )
        .await;
    assert_eq!(perm["box"], "filtered");
    srv.dm(&spammer, &carol_id, "second").await;
    let (_, filtered) = srv
        .call(
            "GET",
            "/api/v1/conversations?box=filtered",
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(
        filtered["conversations"][0]["last_message"]["text"],
        "second"
    );
    let (_, requests) = srv
        .call(
            "GET",
            "/api/v1/conversations?box=requests",
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(requests["conversations"], json!([]));
    let (_, perm) = srv
        .call(
            "GET",
            &format!("/api/v1/users/{dave_id}/dm_permission"),
            Some(&spammer),
            None,
        )
        .await;
    assert_eq!(perm["box"], "requests", "with the filter off, a request");
    let (status, body) = srv
        .call("GET", "/api/v1/conversations?box=spam", Some(&carol), None)
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (400, json!("box"))
    );
}

async fn young_accounts_open_few_new_conversations_with_non_followers() {
    let srv = TestServer::with(|c| c.limits.young_account_new_conversations_per_day = 1).await;
    let (alice_id, alice) = srv.user("alice").await;
    let (bob_id, bob) = srv.user("bob").await;
    let (carol_id, carol) = srv.user("carol").await;
    let (dave_id, dave) = srv.user("dave").await;
    srv.open_to_everyone(&bob).await;
    srv.open_to_everyone(&carol).await;
    srv.follow(&dave, &alice_id).await;
    srv.dm(&alice, &bob_id, "one").await;
    srv.dm(&alice, &bob_id, "same conversation is fine").await;
    let (status, body) = srv
        .call(
            "POST",
            &format!("/api/v1/messages/with/{carol_id}"),
            Some(&alice),
            Some(json!({"text": "two"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (429, json!("rate_limited"))
    );
    srv.dm(&alice, &dave_id, "followers are not limited").await;
}

async fn only_groups_are_renamed_and_renames_reach_members() {
    let srv = TestServer::start().await;
    let (alice_id, alice, bob_id, bob) = srv.friends().await;
    let (carol_id, carol) = srv.user("carol").await;
    srv.follow(&carol, &alice_id).await;
    let conv = s(&srv.dm(&alice, &bob_id, "hi").await["conversation_id"]);
    let (status, body) = srv
        .call(
            "PATCH",
            &format!("/api/v1/conversations/{conv}"),
            Some(&alice),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (409, json!("name"))
    );
    let (_, group) = srv
        .call(
            "POST",
            "/api/v1/conversations",
            Some(&alice),
            Some(json!({"participant_ids": [bob_id, carol_id]})),
        )
        .await;
    let gid = s(&group["id"]);
    let mut ws = srv.ws(&carol, None).await;
    ws.next().await;
    let (status, body) = srv
        .call(
            "PATCH",
            &format!("/api/v1/conversations/{gid}"),
            Some(&bob),
            Some(json!({"name": "x".repeat(51)})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (400, json!("name"))
    );
    let (status, renamed) = srv
        .call(
            "PATCH",
            &format!("/api/v1/conversations/{gid}"),
            Some(&bob),
            Some(json!({"name": "crew"})),
        )
        .await;
    assert_eq!((status, renamed["name"].clone()), (200, json!("crew")));
    assert_eq!(
        ws.next_of("conversation.updated").await["data"]["conversation_id"],
        gid.as_str()
    );
}

crate::on_every_backend!(
    mutes_are_listed_and_cannot_target_yourself,
    reporting_a_conversation_hides_and_silences_it_until_the_reporter_writes,
    the_quality_filter_sends_likely_spam_to_the_filtered_box,
    young_accounts_open_few_new_conversations_with_non_followers,
    only_groups_are_renamed_and_renames_reach_members,
);
