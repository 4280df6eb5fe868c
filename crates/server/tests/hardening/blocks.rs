//! A block stops every kind of contact in an existing one-to-one conversation, both ways:
//! not only new messages, but edits of old ones, reactions, typing and read receipts.

use serde_json::json;

use crate::common::{TestServer, s};

async fn a_block_stops_every_kind_of_contact_both_ways() {
    let srv = TestServer::start().await;
    let (alice_id, alice, bob_id, bob) = srv.friends().await;
    let from_alice = srv.dm(&alice, &bob_id, "hi bob").await;
    let from_bob = srv.dm(&bob, &alice_id, "hi alice").await;
    let conversation = s(&from_alice["conversation_id"]);
    let base = format!("/api/v1/conversations/{conversation}");
    let mut bob_ws = srv.ws(&bob, None).await;
    bob_ws.next_of("ready").await;

    // Before the block, Alice's read mark reaches Bob live: the check below can fail.
    let (status, _) = srv
        .call(
            "POST",
            &format!("{base}/read"),
            Some(&alice),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        bob_ws.next_of("conversation.read").await["data"]["user_id"],
        alice_id.as_str()
    );

    let (status, _) = srv
        .call(
            "PUT",
            &format!("/api/v1/me/blocks/{alice_id}"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(status, 204);
    // The blocker's own devices hear of it (the blocked person does not).
    assert_eq!(
        bob_ws.next_of("relationship.changed").await["data"]["user_id"],
        alice_id.as_str()
    );
    // Each way: the blocked person on the blocker's message and their own, and back.
    for (who, own, theirs) in [
        (&alice, &from_alice, &from_bob),
        (&bob, &from_bob, &from_alice),
    ] {
        let attempts = [
            (
                "PATCH",
                format!("{base}/messages/{}", s(&own["id"])),
                Some(json!({"text": "x".repeat(10_000)})),
            ),
            (
                "PUT",
                format!("{base}/messages/{}/reactions/👍", s(&theirs["id"])),
                None,
            ),
            (
                "PUT",
                format!("{base}/messages/{}/reactions/👍", s(&own["id"])),
                None,
            ),
            ("POST", format!("{base}/typing"), Some(json!({}))),
        ];
        for (method, path, body) in attempts {
            let (status, refusal) = srv.call(method, &path, Some(who), body).await;
            assert_eq!(status, 403, "{method} {path}: {refusal}");
            assert_eq!(refusal["error"]["rule"], "blocked", "{refusal}");
        }
    }
    // A read mark still moves the reader's own position, and reaches no one else.
    let (status, _) = srv
        .call(
            "POST",
            &format!("{base}/read"),
            Some(&alice),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 204);
    assert!(bob_ws.quiet_for(300).await, "nothing reaches the blocker");
    let (_, seen) = srv.call("GET", &base, Some(&bob), None).await;
    assert_eq!(seen["read_by"], json!([]), "{seen}");
    let (_, history) = srv
        .call("GET", &format!("{base}/events"), Some(&bob), None)
        .await;
    for event in history["events"].as_array().into_iter().flatten() {
        assert_eq!(event["reactions"], json!([]), "{event}");
        assert!(
            event.get("edit_history").is_none_or(|h| h == &json!([])),
            "{event}"
        );
    }
}

crate::on_every_backend!(a_block_stops_every_kind_of_contact_both_ways);
