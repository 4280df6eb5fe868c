//! Refusals of SPEC §3 that the feature suites do not reach, each through the real server:
//! its status, its code, and the field or admission rule it names.

#![expect(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value by key yields Null; it does not panic"
)]

mod common;

use common::{TestServer, s};
use serde_json::{Value, json};

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

/// What a refusal says: status, code, and the field (or, for admission, the rule) it names.
fn said(status: u16, body: &Value) -> (u16, String, String) {
    let error = &body["error"];
    let named = error["field"].as_str().or(error["rule"].as_str());
    // (An answer that is no refusal has no code: it reads as "", and fails the comparison.)
    let code = error["code"].as_str().unwrap_or_default();
    (
        status,
        code.to_owned(),
        named.unwrap_or_default().to_owned(),
    )
}

fn refusal(status: u16, code: &str, named: &str) -> (u16, String, String) {
    (status, code.to_owned(), named.to_owned())
}

/// Alice and Bob follow each other; Erin follows Alice; Carol is a stranger who takes
/// messages only from people she follows; Dave has blocked Alice.
struct Cast {
    alice: String,
    bob_id: String,
    carol_id: String,
    carol: String,
    dave_id: String,
    erin_id: String,
}

async fn cast(srv: &TestServer) -> Cast {
    let (alice_id, alice, bob_id, _) = srv.friends().await;
    let (carol_id, carol) = srv.user("carol").await;
    let (dave_id, dave) = srv.user("dave").await;
    let (erin_id, erin) = srv.user("erin").await;
    srv.follow(&erin, &alice_id).await;
    let (status, _) = srv
        .call(
            "PUT",
            &format!("/api/v1/me/blocks/{alice_id}"),
            Some(&dave),
            None,
        )
        .await;
    assert_eq!(status, 204);
    Cast {
        alice,
        bob_id,
        carol_id,
        carol,
        dave_id,
        erin_id,
    }
}

async fn conversations_refuse_who_may_not_be_written_to_and_what_does_not_fit() {
    let srv = TestServer::with(|c| c.limits.group_create_max_others = 2).await;
    let c = cast(&srv).await;
    let create = |ids: Vec<&String>| json!({"participant_ids": ids, "name": "crew"});
    let cases = [
        (
            "a group over the configured size",
            create(vec![&c.bob_id, &c.erin_id, &c.carol_id]),
            refusal(400, "invalid_request", "participant_ids"),
        ),
        (
            "a group with someone who blocked the creator",
            create(vec![&c.bob_id, &c.dave_id]),
            refusal(403, "cannot_message_user", "blocked"),
        ),
        (
            "a group with someone who does not take the creator's messages",
            create(vec![&c.bob_id, &c.carol_id]),
            refusal(403, "recipient_not_accepting", "not_accepting"),
        ),
        (
            "a one-to-one with someone who does not take the creator's messages",
            json!({"participant_ids": [&c.carol_id]}),
            refusal(403, "recipient_not_accepting", "not_accepting"),
        ),
        (
            "a one-to-one across a block",
            json!({"participant_ids": [&c.dave_id]}),
            refusal(403, "cannot_message_user", "blocked"),
        ),
    ];
    for (what, body, expected) in cases {
        let (status, answer) = srv
            .call("POST", "/api/v1/conversations", Some(&c.alice), Some(body))
            .await;
        assert_eq!(said(status, &answer), expected, "{what}: {answer}");
    }
    // Nothing of the refused groups was created.
    let (_, inbox) = srv
        .call("GET", "/api/v1/conversations", Some(&c.alice), None)
        .await;
    assert_eq!(inbox["conversations"], json!([]), "{inbox}");

    // Membership rules of a group that was created, and of a one-to-one.
    let (status, group) = srv
        .call(
            "POST",
            "/api/v1/conversations",
            Some(&c.alice),
            Some(create(vec![&c.bob_id, &c.erin_id])),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let group = s(&group["id"]);
    let sent = srv.dm(&c.alice, &c.bob_id, "hi").await;
    let pair = s(&sent["conversation_id"]);
    let alice_id = s(&sent["sender_id"]);
    let cases = [
        (
            "adding to a one-to-one",
            "POST",
            format!("/api/v1/conversations/{pair}/participants/{}", c.erin_id),
            refusal(409, "not_a_group", "conversation_id"),
        ),
        (
            "adding someone already in the group",
            "POST",
            format!("/api/v1/conversations/{group}/participants/{}", c.bob_id),
            refusal(409, "conflict", ""),
        ),
        (
            "leaving a one-to-one",
            "DELETE",
            format!("/api/v1/conversations/{pair}/participants/{alice_id}"),
            refusal(409, "not_a_group", "conversation_id"),
        ),
    ];
    for (what, method, path, expected) in cases {
        let (status, answer) = srv.call(method, &path, Some(&c.alice), None).await;
        assert_eq!(said(status, &answer), expected, "{what}: {answer}");
    }

    // To someone outside it, a conversation does not exist.
    for (method, path, body) in [
        ("GET", format!("/api/v1/conversations/{group}"), None),
        ("GET", format!("/api/v1/conversations/{group}/events"), None),
        (
            "POST",
            format!("/api/v1/conversations/{group}/messages"),
            Some(json!({"text": "let me in"})),
        ),
        ("GET", format!("/api/v1/conversations/{pair}/events"), None),
    ] {
        let (status, answer) = srv.call(method, &path, Some(&c.carol), body).await;
        assert_eq!(
            said(status, &answer),
            refusal(404, "not_found", ""),
            "{method} {path}"
        );
    }
}

async fn messages_refuse_replies_and_changes_that_do_not_apply() {
    let srv = TestServer::start().await;
    let c = cast(&srv).await;
    let send = |path: String, body: Value| {
        let srv = &srv;
        let alice = c.alice.clone();
        async move { srv.call("POST", &path, Some(&alice), Some(body)).await }
    };
    let to_bob = format!("/api/v1/messages/with/{}", c.bob_id);
    let first = srv.dm(&c.alice, &c.bob_id, "first").await;
    let gone = srv.dm(&c.alice, &c.bob_id, "oops").await;
    let pair = s(&first["conversation_id"]);
    let gone_id = s(&gone["id"]);
    let (status, _) = srv
        .call(
            "DELETE",
            &format!("/api/v1/conversations/{pair}/messages/{gone_id}?for_everyone=true"),
            Some(&c.alice),
            None,
        )
        .await;
    assert!(status < 300, "{status}");
    let (_, group) = send(
        "/api/v1/conversations".into(),
        json!({"participant_ids": [&c.bob_id, &c.erin_id]}),
    )
    .await;
    let group = s(&group["id"]);

    let cases = [
        (
            "a reply to a message of another conversation",
            format!("/api/v1/conversations/{group}/messages"),
            json!({"text": "re", "reply_to_id": s(&first["id"])}),
            refusal(404, "not_found", "reply_to_id"),
        ),
        (
            "a reply to a deleted message",
            to_bob.clone(),
            json!({"text": "re", "reply_to_id": &gone_id}),
            refusal(404, "not_found", "reply_to_id"),
        ),
        (
            "an idempotency key over 128 characters",
            to_bob.clone(),
            json!({"text": "x", "client_message_id": "k".repeat(129)}),
            refusal(400, "invalid_request", "client_message_id"),
        ),
        (
            "an idempotency key with a space",
            to_bob.clone(),
            json!({"text": "x", "client_message_id": "two words"}),
            refusal(400, "invalid_request", "client_message_id"),
        ),
    ];
    for (what, path, body, expected) in cases {
        let (status, answer) = send(path, body).await;
        assert_eq!(said(status, &answer), expected, "{what}: {answer}");
    }
    // The same key in the header: the refusal names the header.
    let (status, _, answer) = srv
        .call_full(
            "POST",
            &to_bob,
            Some(&c.alice),
            Some(json!({"text": "x"})),
            &[("Idempotency-Key", &"k".repeat(129))],
        )
        .await;
    assert_eq!(
        said(status, &answer),
        refusal(400, "invalid_request", "Idempotency-Key"),
        "{answer}"
    );

    // A deleted message takes no edits and no reactions.
    let message = format!("/api/v1/conversations/{pair}/messages/{gone_id}");
    for (method, path, body) in [
        ("PATCH", message.clone(), Some(json!({"text": "fixed"}))),
        ("PUT", format!("{message}/reactions/👍"), None),
    ] {
        let (status, answer) = srv.call(method, &path, Some(&c.alice), body).await;
        assert_eq!(said(status, &answer).0, 409, "{method} {path}: {answer}");
    }
}

async fn profiles_settings_follows_and_reports_refuse_what_does_not_fit() {
    let srv = TestServer::start().await;
    let c = cast(&srv).await;
    let alice_id = {
        let (_, me) = srv.call("GET", "/api/v1/me", Some(&c.alice), None).await;
        s(&me["id"])
    };
    let cases = [
        (
            "a description over 160 characters",
            "PATCH",
            "/api/v1/me".to_owned(),
            Some(json!({"description": "d".repeat(161)})),
            refusal(400, "invalid_request", "description"),
        ),
        (
            "a name over 50 characters",
            "PATCH",
            "/api/v1/me".to_owned(),
            Some(json!({"name": "n".repeat(51)})),
            refusal(400, "invalid_request", "name"),
        ),
        (
            "an empty name",
            "PATCH",
            "/api/v1/me".to_owned(),
            Some(json!({"name": "  "})),
            refusal(400, "invalid_request", "name"),
        ),
        (
            "an allow_dms_from that is not a setting",
            "PATCH",
            "/api/v1/me/settings".to_owned(),
            Some(json!({"allow_dms_from": "friends"})),
            refusal(400, "invalid_request", "allow_dms_from"),
        ),
        (
            "following across a block",
            "PUT",
            format!("/api/v1/me/following/{}", c.dave_id),
            None,
            refusal(403, "forbidden", ""),
        ),
        (
            "a report reason over 500 characters",
            "POST",
            "/api/v1/reports".to_owned(),
            Some(
                json!({"target_type": "user", "target_id": &c.carol_id, "reason": "r".repeat(501)}),
            ),
            refusal(400, "invalid_request", "reason"),
        ),
        (
            "reporting oneself",
            "POST",
            "/api/v1/reports".to_owned(),
            Some(json!({"target_type": "user", "target_id": &alice_id, "reason": "spam"})),
            refusal(403, "own_account", "target_id"),
        ),
    ];
    for (what, method, path, body, expected) in cases {
        let (status, answer) = srv.call(method, &path, Some(&c.alice), body).await;
        assert_eq!(said(status, &answer), expected, "{what}: {answer}");
    }
    // A message one cannot see cannot be reported: it does not exist for them.
    let sent = srv.dm(&c.alice, &c.bob_id, "private").await;
    let target = format!("{}:{}", s(&sent["conversation_id"]), s(&sent["id"]));
    let (status, answer) = srv
        .call(
            "POST",
            "/api/v1/reports",
            Some(&c.carol),
            Some(json!({"target_type": "message", "target_id": target, "reason": "spam"})),
        )
        .await;
    assert_eq!(
        said(status, &answer),
        refusal(404, "not_found", ""),
        "{answer}"
    );
    // And the profile refused above is unchanged.
    let (_, me) = srv.call("GET", "/api/v1/me", Some(&c.alice), None).await;
    assert_eq!(me["name"], "alice", "{me}");
}

async fn sign_up_counts_screen_names_in_characters_and_fills_a_blank_name() {
    let srv = TestServer::start().await;
    let register = |screen_name: &str, name: Option<&str>| {
        let mut body = json!({"screen_name": screen_name, "password": "correct horse"});
        if let Some(name) = name {
            body["name"] = json!(name);
        }
        body
    };
    // Sixteen characters (twenty bytes): the message counts what the person typed.
    let (status, answer) = srv
        .call(
            "POST",
            "/api/v1/accounts",
            None,
            Some(register("ñandúñandúñandú_", None)),
        )
        .await;
    assert_eq!(
        said(status, &answer),
        refusal(400, "invalid_request", "screen_name")
    );
    assert_eq!(
        answer["error"]["message"],
        "screen_name: must be 1 to 15 characters, got 16"
    );
    // Within the length, the letters themselves are refused.
    let (status, answer) = srv
        .call(
            "POST",
            "/api/v1/accounts",
            None,
            Some(register("ñandú", None)),
        )
        .await;
    assert_eq!(
        said(status, &answer),
        refusal(400, "invalid_request", "screen_name")
    );
    assert!(
        s(&answer["error"]["message"]).contains("only letters A-Z"),
        "{answer}"
    );
    // The name is optional: left blank, the screen name stands in.
    let (status, answer) = srv
        .call(
            "POST",
            "/api/v1/accounts",
            None,
            Some(register("grace", Some("   "))),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["user"]["name"], "grace");
}

async fn uploads_are_held_to_their_category_before_any_bytes_arrive() {
    let srv = TestServer::start().await;
    let (_, alice) = srv.user("alice").await;
    let start = |total_bytes: u64, media_type: &str, category: &str| json!({"total_bytes": total_bytes, "media_type": media_type, "media_category": category});
    let cases = [
        (
            "a GIF over 15 MB",
            start(15_000_001, "image/gif", "dm_gif"),
            refusal(413, "too_large", "media"),
        ),
        (
            "a video over 512 MB",
            start(512_000_001, "video/mp4", "dm_video"),
            refusal(413, "too_large", "media"),
        ),
        (
            "a PNG as a GIF",
            start(1_000, "image/png", "dm_gif"),
            refusal(400, "invalid_request", "media_category"),
        ),
    ];
    for (what, body, expected) in cases {
        let (status, answer) = srv
            .call("POST", "/api/v1/media/uploads", Some(&alice), Some(body))
            .await;
        assert_eq!(said(status, &answer), expected, "{what}: {answer}");
    }
    // At the caps themselves, uploads may start.
    for body in [
        start(15_000_000, "image/gif", "dm_gif"),
        start(512_000_000, "video/mp4", "dm_video"),
    ] {
        let (status, answer) = srv
            .call("POST", "/api/v1/media/uploads", Some(&alice), Some(body))
            .await;
        assert_eq!(status, 201, "{answer}");
    }
}

crate::on_every_backend!(
    conversations_refuse_who_may_not_be_written_to_and_what_does_not_fit,
    messages_refuse_replies_and_changes_that_do_not_apply,
    profiles_settings_follows_and_reports_refuse_what_does_not_fit,
    sign_up_counts_screen_names_in_characters_and_fills_a_blank_name,
    uploads_are_held_to_their_category_before_any_bytes_arrive,
);
