//! Client input the server must refuse with a clear 4xx naming the field, losing nothing.

use serde_json::json;

use crate::common::{TestServer, s};

/// A NUL in a search query stopped the full-text query (a 500 on PostgreSQL); a query is
/// text a person typed: non-empty, bounded, no control characters.
async fn search_queries_with_control_characters_are_refused() {
    let srv = TestServer::start().await;
    let (_, alice, bob_id, _) = srv.friends().await;
    srv.dm(&alice, &bob_id, "a b").await;
    for (q, says) in [
        ("a%00b", "control characters"),
        ("%20", "must not be empty"),
        (&"x".repeat(501), "at most 500 characters"),
    ] {
        for path in ["/api/v1/search/messages", "/api/v1/users/search"] {
            let (status, body) = srv
                .call("GET", &format!("{path}?q={q}"), Some(&alice), None)
                .await;
            if path.ends_with("users/search") && q == "%20" {
                // The people picker asks before anything is typed: no one, not an error.
                assert_eq!((status, body["users"].clone()), (200, json!([])), "{body}");
                continue;
            }
            assert_eq!(status, 400, "{path}?q={q}: {body}");
            assert_eq!(body["error"]["field"], "q", "{body}");
            assert!(s(&body["error"]["message"]).contains(says), "{body}");
        }
    }
    let (status, body) = srv
        .call("GET", "/api/v1/search/messages?q=a", Some(&alice), None)
        .await;
    assert_eq!(
        (status, body["messages"][0]["text"].clone()),
        (200, json!("a b"))
    );
}

/// A JSON body over the limit is 413 and names the limit (it was a 400), and nothing of it
/// is kept.
async fn json_bodies_over_the_limit_are_413() {
    let srv = TestServer::start().await;
    let (_, alice, bob_id, bob) = srv.friends().await;
    let text = "x".repeat(3 * 1024 * 1024);
    let (status, body) = srv
        .call(
            "POST",
            &format!("/api/v1/messages/with/{bob_id}"),
            Some(&alice),
            Some(json!({ "text": text })),
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "too_large");
    assert!(
        s(&body["error"]["message"]).contains("2097152 bytes"),
        "{body}"
    );
    let (_, inbox) = srv
        .call("GET", "/api/v1/conversations", Some(&bob), None)
        .await;
    assert_eq!(inbox["conversations"], json!([]), "nothing was sent");
}

/// Names with bidirectional overrides (which make a name read backwards after them) and names
/// or messages made of nothing visible are refused.
async fn names_and_messages_must_show_what_they_are() {
    let srv = TestServer::start().await;
    let (_, alice, bob_id, _) = srv.friends().await;
    for name in [
        "Support\u{202E}troppuS",
        "\u{200B}\u{3164}",
        "\u{2066}Bob\u{2069}",
    ] {
        let (status, body) = srv
            .call(
                "PATCH",
                "/api/v1/me",
                Some(&alice),
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(
            (status, body["error"]["field"].clone()),
            (400, json!("name")),
            "{name:?}: {body}"
        );
    }
    let (status, body) = srv
        .call(
            "POST",
            "/api/v1/accounts",
            None,
            Some(json!({"screen_name": "ghost", "password": "correct horse", "name": "\u{2800}"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (400, json!("name")),
        "{body}"
    );
    let (status, body) = srv
        .call(
            "POST",
            &format!("/api/v1/messages/with/{bob_id}"),
            Some(&alice),
            Some(json!({"text": "\u{200B}\u{200D}\u{FEFF}"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (400, json!("text")),
        "{body}"
    );
    // Right-to-left scripts and joined emoji are text like any other.
    let (status, body) = srv
        .call(
            "PATCH",
            "/api/v1/me",
            Some(&alice),
            Some(json!({"name": "مريم 👩\u{200D}👧"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// A one-to-one conversation has one spelling: `0A-B`, `+A-B` and `00A-0B` each made a
/// second conversation with the same person, with its own mute and report state.
async fn a_conversation_has_one_spelling() {
    let srv = TestServer::start().await;
    let (alice_id, alice, bob_id, bob) = srv.friends().await;
    let conversation = s(&srv.dm(&alice, &bob_id, "hello").await["conversation_id"]);
    let (low, high) = conversation
        .split_once('-')
        .unwrap_or_else(|| panic!("a one-to-one id: {conversation}"));
    assert!([low, high].contains(&alice_id.as_str()) && [low, high].contains(&bob_id.as_str()));
    for spelling in [
        format!("0{low}-{high}"),
        format!("+{low}-{high}"),
        format!("00{low}-0{high}"),
        format!("{low}-+{high}"),
    ] {
        let (status, body) = srv
            .call(
                "POST",
                &format!("/api/v1/conversations/{spelling}/messages"),
                Some(&alice),
                Some(json!({"text": "around the mute"})),
            )
            .await;
        assert_eq!(status, 400, "{spelling}: {body}");
        assert_eq!(body["error"]["field"], "conversation_id", "{body}");
        let (status, _) = srv
            .call(
                "GET",
                &format!("/api/v1/conversations/{spelling}"),
                Some(&bob),
                None,
            )
            .await;
        assert_eq!(status, 400, "{spelling}");
    }
    let (_, inbox) = srv
        .call("GET", "/api/v1/conversations", Some(&bob), None)
        .await;
    let ids: Vec<String> = inbox["conversations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| s(&c["id"]))
        .collect();
    assert_eq!(ids, std::slice::from_ref(&conversation), "{inbox}");
    assert_eq!(srv.messages(&bob, &conversation).await.len(), 1);
}

/// A JSON body is an object: serde filled a struct from an array too, so `[null, null]` was
/// taken as an empty profile update (found by schemathesis).
async fn a_json_body_must_be_an_object() {
    let srv = TestServer::start().await;
    let (_, alice) = srv.user("alice").await;
    for body in ["[null, null]", "\"name\"", "  [\"x\"]", "null"] {
        let (status, _, answer) = srv
            .raw(
                "PATCH",
                "/api/v1/me",
                Some(&alice),
                Some(body.into()),
                &[("content-type", "application/json")],
            )
            .await;
        let answer = String::from_utf8_lossy(&answer);
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer.contains("must be a JSON object"), "{answer}");
    }
    let (status, _, _) = srv
        .raw(
            "PATCH",
            "/api/v1/me",
            Some(&alice),
            Some("{}".into()),
            &[("content-type", "application/json; charset=utf-8")],
        )
        .await;
    assert_eq!(status, 200);
    let (status, _, _) = srv
        .raw(
            "PATCH",
            "/api/v1/me",
            Some(&alice),
            Some("{}".into()),
            &[("content-type", "text/plain")],
        )
        .await;
    assert_eq!(status, 415);
}

/// Every id has one spelling, in a path or a body: `0`, `+7`, `007` and ` 7` are refused
/// naming the field (found by schemathesis: `DELETE /me/blocks/0` answered 204). Two
/// people's ids the wrong way round are well formed and name no conversation: 404.
async fn an_id_has_one_spelling() {
    let srv = TestServer::start().await;
    let (alice_id, alice, bob_id, _) = srv.friends().await;
    let conversation = s(&srv.dm(&alice, &bob_id, "hello").await["conversation_id"]);
    for spelling in [
        "0",
        format!("+{bob_id}").as_str(),
        format!("0{bob_id}").as_str(),
    ] {
        for (method, path) in [
            ("PUT", format!("/api/v1/me/blocks/{spelling}")),
            ("DELETE", format!("/api/v1/me/blocks/{spelling}")),
            ("DELETE", format!("/api/v1/me/following/{spelling}")),
            ("GET", format!("/api/v1/users/{spelling}")),
            ("GET", format!("/api/v1/media/{spelling}")),
            (
                "DELETE",
                format!("/api/v1/conversations/{conversation}/messages/{spelling}"),
            ),
        ] {
            let (status, body) = srv.call(method, &path, Some(&alice), None).await;
            assert_eq!(status, 400, "{method} {path}: {body}");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("id")),
                "{body}"
            );
        }
    }
    for spelling in [format!(" {bob_id}"), format!("0{bob_id}")] {
        let (status, body) = srv
            .call(
                "POST",
                "/api/v1/conversations",
                Some(&alice),
                Some(json!({"participant_ids": [spelling]})),
            )
            .await;
        assert_eq!(status, 400, "{spelling:?}: {body}");
    }
    let (status, body) = srv
        .call(
            "POST",
            "/api/v1/conversations",
            Some(&alice),
            Some(json!({"participant_ids": [bob_id.parse::<i64>().unwrap_or_default()]})),
        )
        .await;
    assert_eq!(
        (status, s(&body["id"])),
        (200, conversation.clone()),
        "a number is an id too"
    );
    let (low, high) = conversation.split_once('-').unwrap_or_default();
    for reversed in [format!("{high}-{low}"), format!("{alice_id}-{alice_id}")] {
        let (status, body) = srv
            .call(
                "GET",
                &format!("/api/v1/conversations/{reversed}"),
                Some(&alice),
                None,
            )
            .await;
        assert_eq!(status, 404, "{reversed}: {body}");
    }
}

/// Edges the contract gate found, each answered as documented: the WebSocket stream asked
/// without a handshake (426 in the error shape, not axum's bare text), a resume position
/// that is not one (400 naming the header), a size written `1000.0` (JSON has one kind of
/// number), and a token name left blank (no name, as when left out).
async fn edges_answer_as_documented() {
    let srv = TestServer::start().await;
    let (_, alice) = srv.user("alice").await;
    let (status, headers, body) = srv
        .call_full("GET", "/api/v1/stream", Some(&alice), None, &[])
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (426, &json!("websocket_required")),
        "{body}"
    );
    assert_eq!(
        headers.get("upgrade").and_then(|v| v.to_str().ok()),
        Some("websocket")
    );
    let (status, _, body) = srv
        .call_full(
            "GET",
            "/api/v1/stream/sse",
            Some(&alice),
            None,
            &[("last-event-id", "{}")],
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (400, &json!("Last-Event-ID")),
        "{body}"
    );
    for (size, expected) in [
        (json!(1000.0), 201),
        (json!(1000.5), 400),
        (json!(-1.0), 400),
    ] {
        let (status, body) = srv
            .call(
                "POST",
                "/api/v1/media/uploads",
                Some(&alice),
                Some(json!({"total_bytes": size, "media_type": "image/png"})),
            )
            .await;
        assert_eq!(status, expected, "total_bytes {size}: {body}");
    }
    let (status, token) = srv
        .call(
            "POST",
            "/api/v1/me/tokens",
            Some(&alice),
            Some(json!({"name": "   "})),
        )
        .await;
    assert_eq!((status, &token["name"]), (201, &json!(null)), "{token}");
}

crate::on_every_backend!(
    edges_answer_as_documented,
    an_id_has_one_spelling,
    a_json_body_must_be_an_object,
    a_conversation_has_one_spelling,
    search_queries_with_control_characters_are_refused,
    json_bodies_over_the_limit_are_413,
    names_and_messages_must_show_what_they_are,
);
