//! Sending, replies, reactions, edits, deletes, idempotency, unread counts and cursors.

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

async fn idempotent_sends_return_the_original_once() {
    let srv = TestServer::start().await;
    let (_, alice, bob_id, bob) = srv.friends().await;
    let path = format!("/api/v1/messages/with/{bob_id}");
    let (first, _, a) = srv
        .call_full(
            "POST",
            &path,
            Some(&alice),
            Some(json!({"text": "once"})),
            &[("idempotency-key", "k1")],
        )
        .await;
    let (again, _, b) = srv
        .call_full(
            "POST",
            &path,
            Some(&alice),
            Some(json!({"text": "once"})),
            &[("idempotency-key", "k1")],
        )
        .await;
    assert_eq!((first, again), (201, 200));
    assert_eq!(a["id"], b["id"]);
    let (_, c) = srv
        .call(
            "POST",
            &path,
            Some(&alice),
            Some(json!({"text": "twice", "client_message_id": "k2"})),
        )
        .await;
    let (status, d) = srv
        .call(
            "POST",
            &path,
            Some(&alice),
            Some(json!({"text": "twice", "client_message_id": "k2"})),
        )
        .await;
    assert_eq!((status, c["id"].clone()), (200, d["id"].clone()));
    let conv = s(&a["conversation_id"]);
    let (_, page) = srv
        .call(
            "GET",
            &format!("/api/v1/conversations/{conv}/events"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(page["events"].as_array().map(Vec::len), Some(2));
}

async fn unread_counts_follow_sends_and_reads() {
    let srv = TestServer::start().await;
    let (_, alice, bob_id, bob) = srv.friends().await;
    let mut last = Value::Null;
    for i in 0..3 {
        last = srv.dm(&alice, &bob_id, &format!("m{i}")).await;
    }
    let conv = s(&last["conversation_id"]);
    let (_, inbox) = srv
        .call("GET", "/api/v1/conversations", Some(&bob), None)
        .await;
    assert_eq!(inbox["conversations"][0]["unread_count"], 3);
    let (_, inbox) = srv
        .call("GET", "/api/v1/conversations", Some(&alice), None)
        .await;
    assert_eq!(
        inbox["conversations"][0]["unread_count"], 0,
        "your own messages are read"
    );
    let (status, _) = srv
        .call(
            "POST",
            &format!("/api/v1/conversations/{conv}/read"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, inbox) = srv
        .call("GET", "/api/v1/conversations", Some(&bob), None)
        .await;
    assert_eq!(inbox["conversations"][0]["unread_count"], 0);
    assert_eq!(inbox["conversations"][0]["last_read_event_id"], last["id"]);
}

async fn history_pages_both_ways_without_gaps() {
    let srv = TestServer::start().await;
    let (alice_id, alice, bob_id, bob) = srv.friends().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(s(&srv.dm(&alice, &bob_id, &format!("m{i}")).await["id"]));
    }
    let conv = s(&srv.dm(&bob, &alice_id, "reply").await["conversation_id"]);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor
            .as_ref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let (status, page) = srv
            .call(
                "GET",
                &format!("/api/v1/conversations/{conv}/events?limit=3{q}"),
                Some(&bob),
                None,
            )
            .await;
        assert_eq!(status, 200, "{page}");
        seen.extend(
            page["events"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| s(&e["id"])),
        );
        match page.get("next_cursor") {
            Some(c) => cursor = Some(s(c)),
            None => break,
        }
    }
    assert_eq!(seen.len(), 8, "7 messages and the reply, newest first");
    assert!(
        seen.windows(2).all(|w| w.first() > w.get(1)),
        "strictly newest first"
    );
    // Forward from the third message: the rest, oldest first.
    let third = ids.get(2).cloned().unwrap_or_default();
    let (_, page) = srv
        .call(
            "GET",
            &format!("/api/v1/conversations/{conv}/events?after={third}&limit=2"),
            Some(&bob),
            None,
        )
        .await;
    let forward: Vec<String> = page["events"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| s(&e["id"]))
        .collect();
    assert_eq!(
        forward,
        ids.get(3..5).map(<[String]>::to_vec).unwrap_or_default()
    );
    let (_, next) = srv
        .call(
            "GET",
            &format!(
                "/api/v1/conversations/{conv}/events?cursor={}&limit=10",
                s(&page["next_cursor"])
            ),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(
        next["events"].as_array().map(Vec::len),
        Some(3),
        "m5, m6 and the reply"
    );
    let (status, _) = srv
        .call(
            "GET",
            &format!("/api/v1/conversations/{conv}/events?limit=0"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(status, 400);
}

async fn replies_reactions_edits_and_deletes() {
    let srv = TestServer::start().await;
    let (_, alice, bob_id, bob) = srv.friends().await;
    let m = srv.dm(&alice, &bob_id, "first").await;
    let (conv, mid) = (s(&m["conversation_id"]), s(&m["id"]));
    let base = format!("/api/v1/conversations/{conv}/messages");
    let (status, reply) = srv
        .call(
            "POST",
            &base,
            Some(&bob),
            Some(json!({"text": "re", "reply_to_id": mid})),
        )
        .await;
    assert_eq!((status, reply["reply_to_id"].clone()), (201, json!(mid)));
    let (status, body) = srv
        .call(
            "POST",
            &base,
            Some(&bob),
            Some(json!({"text": "re", "reply_to_id": "12345"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (404, json!("reply_to_id"))
    );

    let (status, _) = srv
        .call(
            "PUT",
            &format!("{base}/{mid}/reactions/👍"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = srv
        .call(
            "PUT",
            &format!("{base}/{mid}/reactions/❤️"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(status, 204, "a new emoji replaces the old one");
    let (status, body) = srv
        .call(
            "PUT",
            &format!("{base}/{mid}/reactions/ab"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (400, json!("emoji"))
    );
    let (_, page) = srv
        .call(
            "GET",
            &format!("/api/v1/conversations/{conv}/events"),
            Some(&alice),
            None,
        )
        .await;
    let first = page["events"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["id"] == mid.as_str())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        first["reactions"],
        json!([{"emoji": "❤️", "count": 1, "user_ids": [bob_id]}])
    );

    for n in 1..=5 {
        let (status, edited) = srv
            .call(
                "PATCH",
                &format!("{base}/{mid}"),
                Some(&alice),
                Some(json!({"text": format!("v{n}")})),
            )
            .await;
        assert_eq!((status, edited["edit_count"].clone()), (200, json!(n)));
    }
    let (status, body) = srv
        .call(
            "PATCH",
            &format!("{base}/{mid}"),
            Some(&alice),
            Some(json!({"text": "v6"})),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (409, &json!("edit_limit")),
        "at most 5 edits: {body}"
    );
    let (status, _) = srv
        .call(
            "PATCH",
            &format!("{base}/{mid}"),
            Some(&bob),
            Some(json!({"text": "mine now"})),
        )
        .await;
    assert_eq!(status, 403, "only the sender edits");
    let (_, page) = srv
        .call(
            "GET",
            &format!("/api/v1/conversations/{conv}/events"),
            Some(&bob),
            None,
        )
        .await;
    let first = page["events"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["id"] == mid.as_str())
        .cloned()
        .unwrap_or_default();
    assert_eq!(first["edit_history"][0]["text"], "first");

    let rid = s(&reply["id"]);
    let (status, _) = srv
        .call("DELETE", &format!("{base}/{rid}"), Some(&alice), None)
        .await;
    assert_eq!(status, 204, "delete for me");
    let (_, page) = srv
        .call(
            "GET",
            &format!("/api/v1/conversations/{conv}/events"),
            Some(&alice),
            None,
        )
        .await;
    assert!(
        page["events"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|e| e["id"] != rid.as_str())
    );
    let (status, _) = srv
        .call(
            "DELETE",
            &format!("{base}/{mid}?for_everyone=true"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(status, 403, "only the sender deletes for everyone");
    let (status, _) = srv
        .call(
            "DELETE",
            &format!("{base}/{mid}?for_everyone=true"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, page) = srv
        .call(
            "GET",
            &format!("/api/v1/conversations/{conv}/events"),
            Some(&bob),
            None,
        )
        .await;
    let tomb = page["events"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["id"] == mid.as_str())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (tomb["deleted"].clone(), tomb["text"].clone()),
        (json!(true), json!(""))
    );
}

async fn search_finds_only_own_conversations() {
    let srv = TestServer::start().await;
    let (_, alice, bob_id, bob) = srv.friends().await;
    let (_, carol) = srv.user("carol").await;
    srv.dm(&alice, &bob_id, "the quarterly numbers are in")
        .await;
    let (_, found) = srv
        .call("GET", "/api/v1/search/messages?q=quarter", Some(&bob), None)
        .await;
    assert_eq!(found["messages"][0]["text"], "the quarterly numbers are in");
    let (_, none) = srv
        .call(
            "GET",
            "/api/v1/search/messages?q=quarterly",
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(none["messages"], json!([]));
}

async fn search_follows_edits_and_deletes() {
    let srv = TestServer::start().await;
    let (_, alice, bob_id, bob) = srv.friends().await;
    let m = srv.dm(&alice, &bob_id, "lunch at noon").await;
    let base = format!(
        "/api/v1/conversations/{}/messages",
        s(&m["conversation_id"])
    );
    let mid = s(&m["id"]);
    let hits = |q: &'static str| {
        let srv = &srv;
        let bob = &bob;
        async move {
            let (status, found) = srv
                .call(
                    "GET",
                    &format!("/api/v1/search/messages?q={q}"),
                    Some(bob),
                    None,
                )
                .await;
            assert_eq!(status, 200, "{found}");
            found["messages"].as_array().map_or(0, Vec::len)
        }
    };
    assert_eq!(hits("lunch").await, 1);
    let (status, _) = srv
        .call(
            "PATCH",
            &format!("{base}/{mid}"),
            Some(&alice),
            Some(json!({"text": "dinner at eight"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(hits("lunch").await, 0, "the old text is no longer indexed");
    assert_eq!(hits("dinner").await, 1);
    let (status, _) = srv
        .call(
            "DELETE",
            &format!("{base}/{mid}?for_everyone=true"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(hits("dinner").await, 0, "deleted messages are not found");
}

async fn pins_are_limited_and_lead_the_inbox() {
    let srv = TestServer::with(|c| c.limits.pinned_conversations = 1).await;
    let (alice_id, alice, bob_id, _) = srv.friends().await;
    let (carol_id, carol) = srv.user("carol").await;
    srv.follow(&carol, &alice_id).await;
    let with_bob = s(&srv.dm(&alice, &bob_id, "old").await["conversation_id"]);
    let with_carol = s(&srv.dm(&alice, &carol_id, "new").await["conversation_id"]);
    let (status, _) = srv
        .call(
            "PATCH",
            &format!("/api/v1/conversations/{with_bob}"),
            Some(&alice),
            Some(json!({"pinned": true})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, inbox) = srv
        .call("GET", "/api/v1/conversations", Some(&alice), None)
        .await;
    assert_eq!(inbox["conversations"][0]["id"], with_bob.as_str());
    let (status, body) = srv
        .call(
            "PATCH",
            &format!("/api/v1/conversations/{with_carol}"),
            Some(&alice),
            Some(json!({"pinned": true})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (400, json!("pinned"))
    );
}

/// The reactions on message `mid` as `token` sees them.
async fn reactions_of(srv: &TestServer, token: &str, conv: &str, mid: &str) -> serde_json::Value {
    let path = format!("/api/v1/conversations/{conv}/events");
    let (_, page) = srv.call("GET", &path, Some(token), None).await;
    page["events"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["id"] == mid)
        .map(|e| e["reactions"].clone())
        .unwrap_or_default()
}

async fn a_reaction_is_removed_only_by_naming_its_emoji() {
    let srv = TestServer::start().await;
    let (_, alice, bob_id, bob) = srv.friends().await;
    let m = srv.dm(&alice, &bob_id, "react to me").await;
    let (conv, mid) = (s(&m["conversation_id"]), s(&m["id"]));
    let reaction =
        |emoji: &str| format!("/api/v1/conversations/{conv}/messages/{mid}/reactions/{emoji}");
    let mut alice_ws = srv.ws(&alice, None).await;
    alice_ws.next_of("ready").await;
    let (status, _) = srv.call("PUT", &reaction("👍"), Some(&bob), None).await;
    assert_eq!(status, 204);
    alice_ws.next_of("reaction.added").await;
    let (status, _) = srv.call("DELETE", &reaction("❤️"), Some(&bob), None).await;
    assert_eq!(
        status, 204,
        "removing an emoji that is not there changes nothing"
    );
    assert_eq!(
        reactions_of(&srv, &alice, &conv, &mid).await,
        json!([{"emoji": "👍", "count": 1, "user_ids": [bob_id]}])
    );
    assert!(alice_ws.quiet_for(200).await, "and tells nobody");

    let (status, _) = srv.call("DELETE", &reaction("👍"), Some(&bob), None).await;
    assert_eq!(status, 204);
    let removed = alice_ws.next_of("reaction.removed").await;
    assert_eq!(removed["data"]["emoji"], "👍");
    assert_eq!(reactions_of(&srv, &alice, &conv, &mid).await, json!([]));
    let (status, _) = srv.call("DELETE", &reaction("👍"), Some(&bob), None).await;
    assert_eq!(status, 204, "removing again is harmless");
    let (status, body) = srv.call("DELETE", &reaction("ab"), Some(&bob), None).await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (400, json!("emoji"))
    );
}

crate::on_every_backend!(
    a_reaction_is_removed_only_by_naming_its_emoji,
    idempotent_sends_return_the_original_once,
    unread_counts_follow_sends_and_reads,
    history_pages_both_ways_without_gaps,
    replies_reactions_edits_and_deletes,
    search_finds_only_own_conversations,
    search_follows_edits_and_deletes,
    pins_are_limited_and_lead_the_inbox,
    clients_can_ask_for_the_limits_this_server_enforces,
);

async fn clients_can_ask_for_the_limits_this_server_enforces() {
    let srv = TestServer::with(|c| {
        c.limits.dm_text = 120;
        c.limits.edits_per_message = 2;
        c.limits.group_create_max_others = 9;
        c.limits.media_part_bytes = 1_000_000;
    })
    .await;
    // Public, as a sign-up page needs it before there is a session.
    let (status, limits) = srv.call("GET", "/api/v1/limits", None, None).await;
    assert_eq!(status, 200, "{limits}");
    assert_eq!(limits["message_text_chars"], 120);
    assert_eq!(limits["edits_per_message"], 2);
    assert_eq!(limits["group_create_min_others"], 2);
    assert_eq!(limits["group_create_max_others"], 9);
    assert_eq!(limits["group_members"], 256);
    assert_eq!(limits["media_part_bytes"], 1_000_000);
    assert_eq!(limits["media_bytes"]["dm_image"], 5_000_000);

    // What it lists is what a send is held to.
    let (_, alice, bob_id, _) = srv.friends().await;
    srv.dm(&alice, &bob_id, &"x".repeat(120)).await;
    let (status, body) = srv
        .call(
            "POST",
            &format!("/api/v1/messages/with/{bob_id}"),
            Some(&alice),
            Some(json!({"text": "x".repeat(121)})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(s(&body["error"]["message"]).contains("120"), "{body}");
}
