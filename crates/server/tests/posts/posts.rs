//! Public posts (issue 16, item 1; SPEC §3.7).

use serde_json::{Value, json};

use crate::common::{TestServer, s};

crate::on_every_backend!(
    a_post_keeps_its_limits_and_names_what_it_refuses,
    a_post_has_entities_and_reaches_whom_it_mentions,
    replies_reach_the_author_unless_they_block_the_replier,
    a_blocked_persons_mentions_do_not_reach_you,
    a_profile_lists_its_posts_newest_first_in_pages,
    search_finds_posts_by_word_starts_without_accents,
    a_deleted_post_is_gone_from_everywhere,
    a_post_carries_public_media_and_a_dm_button,
    switch_to_dm_quotes_the_post_subject_to_admission,
);

async fn post(server: &TestServer, token: &str, body: Value) -> (u16, Value) {
    server
        .call("POST", "/api/v1/posts", Some(token), Some(body))
        .await
}

async fn posted(server: &TestServer, token: &str, text: &str) -> Value {
    let (status, body) = post(server, token, json!({"text": text})).await;
    assert_eq!(status, 201, "post: {body}");
    body
}

async fn get(server: &TestServer, token: &str, path: &str) -> (u16, Value) {
    server.call("GET", path, Some(token), None).await
}

/// The texts of a list's posts, in order.
fn texts(list: &Value) -> Vec<String> {
    list["posts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| s(&p["text"]))
        .collect()
}

async fn block(server: &TestServer, token: &str, user: &str) {
    let (status, body) = server
        .call(
            "PUT",
            &format!("/api/v1/me/blocks/{user}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, 204, "block: {body}");
}

async fn a_post_keeps_its_limits_and_names_what_it_refuses() {
    let server = TestServer::start().await;
    let (_, alice) = server.user("alice").await;
    let (_, bob) = server.user("bob").await;
    let cases: [(Value, u16, &str); 7] = [
        (json!({"text": "x".repeat(281)}), 400, "text"),
        (json!({"text": "   "}), 400, "text"),
        (
            json!({"text": "hi", "reply_to_id": "12345"}),
            404,
            "reply_to_id",
        ),
        (json!({"text": "hi", "media_id": "12345"}), 404, "media_id"),
        (json!({"text": "hi", "card_id": "12345"}), 404, "card_id"),
        (
            json!({"text": "hi", "dm_button": {"welcome_message_id": "12345"}}),
            404,
            "dm_button.welcome_message_id",
        ),
        (
            json!({"text": "hi", "dm_button": {"text": "x".repeat(1_001)}}),
            400,
            "dm_button.text",
        ),
    ];
    for (body, status, field) in cases {
        let (got, refused) = post(&server, &alice, body.clone()).await;
        assert_eq!(
            (got, &refused["error"]["field"]),
            (status, &json!(field)),
            "{body}: {refused}"
        );
    }
    let (status, refused) = post(&server, &alice, json!({"text": "hi", "likes": 3})).await;
    assert_eq!(status, 400, "an unknown field is refused: {refused}");
    let made = posted(&server, &alice, &"é".repeat(280)).await;
    assert_eq!(s(&made["text"]).chars().count(), 280, "280 is the limit");
    // Bob's welcome message is not Alice's to link to.
    server.open_to_everyone(&bob).await;
    let (status, hello) = server
        .call(
            "POST",
            "/api/v1/welcome_messages",
            Some(&bob),
            Some(json!({"name": "Hi", "message_data": {"text": "Hello!"}})),
        )
        .await;
    assert_eq!(status, 201, "{hello}");
    let (status, refused) = post(
        &server,
        &alice,
        json!({"text": "DM me", "dm_button": {"welcome_message_id": s(&hello["id"])}}),
    )
    .await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (404, &json!("dm_button.welcome_message_id")),
        "{refused}"
    );
    let (_, mine) = get(&server, &alice, "/api/v1/me/mentions").await;
    assert_eq!(texts(&mine), Vec::<String>::new());
}

async fn a_post_has_entities_and_reaches_whom_it_mentions() {
    let server = TestServer::start().await;
    let (alice_id, alice) = server.user("alice").await;
    let (bob_id, bob) = server.user("bob").await;
    let mut bob_ws = server.ws(&bob, None).await;
    let text = "Thanks @bob and @nobody_here! #support https://example.com/help";
    let made = posted(&server, &alice, text).await;
    assert_eq!(made["author_id"], json!(alice_id));
    let entities = &made["entities"];
    assert_eq!(entities["mentions"][0]["screen_name"], "bob");
    assert_eq!(entities["mentions"][0]["user_id"], json!(bob_id));
    assert_eq!(entities["mentions"][0]["indices"], json!([7, 11]));
    assert_eq!(entities["mentions"][1]["user_id"], Value::Null);
    assert_eq!(entities["hashtags"][0]["text"], "support");
    assert_eq!(
        entities["urls"][0]["expanded_url"],
        "https://example.com/help"
    );
    let live = bob_ws.next_of("post.mentioned").await;
    assert_eq!(live["data"]["id"], made["id"], "{live}");
    let (status, mentions) = get(&server, &bob, "/api/v1/me/mentions").await;
    assert_eq!(status, 200, "{mentions}");
    assert_eq!(texts(&mentions), [text]);
    let (_, shown) = get(&server, &bob, &format!("/api/v1/posts/{}", s(&made["id"]))).await;
    assert_eq!(shown["text"], text);
    let (_, own) = get(&server, &alice, "/api/v1/me/mentions").await;
    assert_eq!(texts(&own), Vec::<String>::new(), "not your own mention");
}

async fn replies_reach_the_author_unless_they_block_the_replier() {
    let server = TestServer::start().await;
    let (alice_id, alice) = server.user("alice").await;
    let (bob_id, bob) = server.user("bob").await;
    let (_, carol) = server.user("carol").await;
    let first = posted(&server, &alice, "My parcel is late").await;
    let (status, reply) = post(
        &server,
        &bob,
        json!({"text": "Sorry to hear that!", "reply_to_id": s(&first["id"])}),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["reply_to_id"], first["id"]);
    assert_eq!(reply["in_reply_to_user_id"], json!(alice_id));
    let (_, mentions) = get(&server, &alice, "/api/v1/me/mentions").await;
    assert_eq!(
        texts(&mentions),
        ["Sorry to hear that!"],
        "a reply is a mention"
    );
    let replies = format!("/api/v1/posts/{}/replies", s(&first["id"]));
    let (status, thread) = get(&server, &carol, &replies).await;
    assert_eq!(status, 200, "{thread}");
    assert_eq!(texts(&thread), ["Sorry to hear that!"]);

    block(&server, &alice, &bob_id).await;
    let (status, refused) = post(
        &server,
        &bob,
        json!({"text": "Hello?", "reply_to_id": s(&first["id"])}),
    )
    .await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (403, &json!("cannot_reply")),
        "{refused}"
    );
    let (status, _) = post(
        &server,
        &carol,
        json!({"text": "Same here", "reply_to_id": s(&first["id"])}),
    )
    .await;
    assert_eq!(status, 201, "others still can");
    let (status, _) = get(&server, &bob, &format!("/api/v1/posts/{}", s(&first["id"]))).await;
    assert_eq!(status, 404, "a post's author who blocks you hides it");
    assert_eq!(get(&server, &bob, &replies).await.0, 404, "and its replies");
    let (_, thread) = get(&server, &alice, &replies).await;
    assert_eq!(
        texts(&thread),
        ["Same here", "Sorry to hear that!"],
        "newest first"
    );
}

async fn a_blocked_persons_mentions_do_not_reach_you() {
    let server = TestServer::start().await;
    let (_, alice) = server.user("alice").await;
    let (bob_id, bob) = server.user("bob").await;
    block(&server, &alice, &bob_id).await;
    let mut alice_ws = server.ws(&alice, None).await;
    alice_ws.next_of("ready").await;
    posted(&server, &bob, "@alice are you there?").await;
    let heard = alice_ws.frame_within(300).await;
    assert!(
        heard.is_none(),
        "nothing live from a blocked account: {heard:?}"
    );
    let (_, mentions) = get(&server, &alice, "/api/v1/me/mentions").await;
    assert_eq!(texts(&mentions), Vec::<String>::new());
    // Unblocked, the mention is there again (it was kept, only not shown).
    let (status, _) = server
        .call(
            "DELETE",
            &format!("/api/v1/me/blocks/{bob_id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, mentions) = get(&server, &alice, "/api/v1/me/mentions").await;
    assert_eq!(texts(&mentions), ["@alice are you there?"]);
}

async fn a_profile_lists_its_posts_newest_first_in_pages() {
    let server = TestServer::start().await;
    let (alice_id, alice) = server.user("alice").await;
    let (_, bob) = server.user("bob").await;
    for i in 0..5 {
        posted(&server, &alice, &format!("post {i}")).await;
    }
    let mut seen = Vec::new();
    let mut path = format!("/api/v1/users/{alice_id}/posts?limit=2");
    loop {
        let (status, page) = get(&server, &bob, &path).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(texts(&page));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/users/{alice_id}/posts?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, ["post 4", "post 3", "post 2", "post 1", "post 0"]);
    let (status, refused) = get(
        &server,
        &bob,
        &format!("/api/v1/users/{alice_id}/posts?cursor=nonsense"),
    )
    .await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (400, &json!("cursor")),
        "{refused}"
    );
    let (status, _) = get(&server, &bob, "/api/v1/users/12345/posts").await;
    assert_eq!(status, 404);
}

async fn search_finds_posts_by_word_starts_without_accents() {
    let server = TestServer::start().await;
    let (alice_id, alice) = server.user("alice").await;
    let (_, bob) = server.user("bob").await;
    let (_, carol) = server.user("carol").await;
    posted(&server, &alice, "The Café delivery was late").await;
    posted(&server, &alice, "Delivered on time, thanks").await;
    posted(&server, &carol, "Nothing to see here").await;
    let search = |q: &str| format!("/api/v1/search/posts?q={q}");
    let (status, found) = get(&server, &bob, &search("deliv")).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        texts(&found),
        ["Delivered on time, thanks", "The Café delivery was late"]
    );
    let (_, found) = get(&server, &bob, &search("cafe%20late")).await;
    assert_eq!(texts(&found), ["The Café delivery was late"]);
    let (status, refused) = get(&server, &bob, &search("%20%20")).await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (400, &json!("q")),
        "a search needs words: {refused}"
    );
    let (_, found) = get(&server, &bob, &search("%22%20OR%20*")).await;
    assert_eq!(texts(&found), Vec::<String>::new(), "no search syntax");
    // Paged, newest first.
    let (_, first) = get(&server, &bob, &format!("{}&limit=1", search("deliv"))).await;
    assert_eq!(texts(&first), ["Delivered on time, thanks"]);
    let next = s(&first["next_cursor"]);
    let (_, second) = get(
        &server,
        &bob,
        &format!("{}&limit=1&cursor={next}", search("deliv")),
    )
    .await;
    assert_eq!(texts(&second), ["The Café delivery was late"]);
    // Blocks apply either way.
    let (_, bob_id_body) = get(&server, &bob, "/api/v1/me").await;
    block(&server, &alice, &s(&bob_id_body["id"])).await;
    let (_, found) = get(&server, &bob, &search("deliv")).await;
    assert_eq!(texts(&found), Vec::<String>::new(), "{alice_id} blocks bob");
}

async fn a_deleted_post_is_gone_from_everywhere() {
    let server = TestServer::start().await;
    let (_, alice) = server.user("alice").await;
    let (_, bob) = server.user("bob").await;
    let made = posted(&server, &alice, "@bob unique-word-zebra").await;
    let path = format!("/api/v1/posts/{}", s(&made["id"]));
    let (status, _) = server.call("DELETE", &path, Some(&bob), None).await;
    assert_eq!(status, 404, "only its author deletes it");
    let (status, _) = server.call("DELETE", &path, Some(&alice), None).await;
    assert_eq!(status, 204);
    assert_eq!(get(&server, &bob, &path).await.0, 404);
    let (_, mentions) = get(&server, &bob, "/api/v1/me/mentions").await;
    assert_eq!(texts(&mentions), Vec::<String>::new());
    let (_, found) = get(&server, &bob, "/api/v1/search/posts?q=zebra").await;
    assert_eq!(texts(&found), Vec::<String>::new());
    let (status, _) = server.call("DELETE", &path, Some(&alice), None).await;
    assert_eq!(status, 404, "once");
}

async fn a_post_carries_public_media_and_a_dm_button() {
    let server = TestServer::start().await;
    let (alice_id, alice) = server.user("alice").await;
    let (_, bob) = server.user("bob").await;
    server.open_to_everyone(&alice).await;
    let (status, photo) = server
        .upload(
            &alice,
            &[],
            include_bytes!("../fixtures/gps.jpg").to_vec(),
            "image/jpeg",
        )
        .await;
    assert_eq!(status, 201, "{photo}");
    let (_, hello) = server
        .call(
            "POST",
            "/api/v1/welcome_messages",
            Some(&alice),
            Some(json!({"name": "Hi", "message_data": {"text": "Hello!"}})),
        )
        .await;
    let (status, made) = post(
        &server,
        &alice,
        json!({"text": "Our new shop", "media_id": s(&photo["id"]),
               "dm_button": {"welcome_message_id": s(&hello["id"]), "text": "I have a question"}}),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["media"]["id"], photo["id"]);
    assert_eq!(
        made["dm_button"]["url"],
        json!(format!(
            "/messages/compose?recipient_id={alice_id}&welcome_message_id={}&text=I%20have%20a%20question&source=post_button",
            s(&hello["id"])
        ))
    );
    let (status, _, _) = server
        .raw("GET", &s(&made["media"]["url"]), Some(&bob), None, &[])
        .await;
    assert_eq!(status, 200, "a post's media is public");
    let (status, refused) = post(
        &server,
        &alice,
        json!({"text": "again", "media_id": s(&photo["id"])}),
    )
    .await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (409, &json!("media_id")),
        "used once unless shared: {refused}"
    );
}

async fn switch_to_dm_quotes_the_post_subject_to_admission() {
    let server = TestServer::start().await;
    let (acme_id, acme) = server.user("acme").await;
    let (carol_id, carol) = server.user("carol").await;
    let (_, dave) = server.user("dave").await;
    let complaint = posted(&server, &carol, "@acme my order is late").await;
    let unrelated = posted(&server, &dave, "lovely weather").await;
    let dm = |post: &Value| {
        json!({"text": "Sorry! Can you send us your order number?",
               "initiated_via": {"post_id": s(&post["id"])}})
    };
    let send = |body: Value| {
        let server = &server;
        let acme = acme.clone();
        let to = carol_id.clone();
        async move {
            server
                .call(
                    "POST",
                    &format!("/api/v1/messages/with/{to}"),
                    Some(&acme),
                    Some(body),
                )
                .await
        }
    };
    // Carol takes messages only from people she follows: admission still applies.
    let (status, refused) = send(dm(&complaint)).await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (403, &json!("recipient_not_accepting")),
        "{refused}"
    );
    server.follow(&carol, &acme_id).await;
    let (status, refused) = send(dm(&unrelated)).await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (404, &json!("initiated_via.post_id")),
        "only a post of either of them: {refused}"
    );
    let (status, sent) = send(dm(&complaint)).await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(
        sent["initiated_via"],
        json!({"post_id": s(&complaint["id"])})
    );
    let (_, history) = server
        .call(
            "GET",
            &format!(
                "/api/v1/conversations/{}/events",
                s(&sent["conversation_id"])
            ),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(
        history["events"][0]["initiated_via"]["post_id"], complaint["id"],
        "she sees which post it is about: {history}"
    );
}
