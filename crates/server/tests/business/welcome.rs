//! Welcome messages (issue 15, item 2; SPEC §4.1).

use serde_json::{Value, json};

use crate::common::{TestServer, s};

crate::on_every_backend!(
    an_open_account_keeps_welcome_messages_and_a_default,
    the_default_greets_on_first_contact_and_after_a_quiet_week,
    a_chosen_welcome_message_always_shows_and_must_be_the_accounts,
    welcome_messages_keep_to_their_limits,
    a_first_message_records_the_welcome_message_it_started_from,
    a_welcome_message_stays_answerable_until_answered,
    an_account_keeps_at_most_200_welcome_messages,
    a_welcome_message_with_a_photo_greets_everyone_with_it,
);

async fn create(server: &TestServer, token: &str, body: Value) -> (u16, Value) {
    server
        .call("POST", "/api/v1/welcome_messages", Some(token), Some(body))
        .await
}

fn welcome(name: &str, text: &str) -> Value {
    json!({"name": name, "message_data": {
        "text": text,
        "quick_reply": {"type": "options", "options": [
            {"label": "Order status", "metadata": "status"},
            {"label": "Returns", "metadata": "returns"},
            {"label": "Something else", "metadata": "other"},
        ]},
        "ctas": [{"type": "url", "label": "Help centre", "url": "https://help.example.com"}],
    }})
}

async fn greeting(server: &TestServer, token: &str, account: &str, query: &str) -> (u16, Value) {
    server
        .call(
            "GET",
            &format!("/api/v1/users/{account}/welcome_message{query}"),
            Some(token),
            None,
        )
        .await
}

/// A support account (open to everyone) with a default welcome message.
async fn brand_with_default(server: &TestServer) -> (String, String, Value) {
    let (brand_id, brand) = server.user("acme").await;
    let (status, _) = server
        .call(
            "PUT",
            "/api/v1/me/support",
            Some(&brand),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, hello) = create(
        server,
        &brand,
        welcome("Default greeting", "Hi! How can we help today?"),
    )
    .await;
    assert_eq!(status, 201, "{hello}");
    let (status, set) = server
        .call(
            "PUT",
            "/api/v1/welcome_messages/default",
            Some(&brand),
            Some(json!({"welcome_message_id": s(&hello["id"])})),
        )
        .await;
    assert_eq!((status, &set["default"]), (200, &json!(true)), "{set}");
    (brand_id, brand, hello)
}

async fn an_open_account_keeps_welcome_messages_and_a_default() {
    let server = TestServer::start().await;
    let (_, closed) = server.user("closed").await;
    let (status, refused) = create(&server, &closed, welcome("Hi", "Hello")).await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (403, &json!("welcome_requires_open_dms")),
        "{refused}"
    );

    let (brand_id, brand, hello) = brand_with_default(&server).await;
    assert_eq!(hello["name"], "Default greeting");
    assert_eq!(
        hello["message_data"]["quick_reply"]["options"][1]["label"],
        "Returns"
    );
    assert_eq!(
        hello["message_data"]["ctas"][0]["url"],
        "https://help.example.com"
    );
    let (_, other) = create(&server, &brand, welcome("Sales", "Looking for a quote?")).await;
    let (_, list) = server
        .call("GET", "/api/v1/welcome_messages", Some(&brand), None)
        .await;
    let listed: Vec<(String, bool)> = list["welcome_messages"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|w| (s(&w["name"]), w["default"] == json!(true)))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        listed,
        [("Default greeting".into(), true), ("Sales".into(), false)]
    );

    // Updating replaces the message data whole.
    let path = format!("/api/v1/welcome_messages/{}", s(&hello["id"]));
    let (status, updated) = server
        .call(
            "PATCH",
            &path,
            Some(&brand),
            Some(json!({"message_data": {"text": "Hello again!"}})),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["message_data"], json!({"text": "Hello again!"}));
    assert_eq!(updated["name"], "Default greeting");

    // Deleting the default leaves none.
    assert_eq!(
        server.call("DELETE", &path, Some(&brand), None).await.0,
        204
    );
    assert_eq!(server.call("GET", &path, Some(&brand), None).await.0, 404);
    let (_, carol) = server.user("carol").await;
    assert_eq!(greeting(&server, &carol, &brand_id, "").await.0, 204);
    // Someone else's welcome message is not theirs to see, change or make their default.
    let other_path = format!("/api/v1/welcome_messages/{}", s(&other["id"]));
    for (method, body) in [
        ("GET", None),
        ("PATCH", Some(json!({"name": "Mine now"}))),
        ("DELETE", None),
    ] {
        assert_eq!(
            server.call(method, &other_path, Some(&carol), body).await.0,
            404,
            "{method}"
        );
    }
    server.open_to_everyone(&carol).await;
    let (status, refused) = server
        .call(
            "PUT",
            "/api/v1/welcome_messages/default",
            Some(&carol),
            Some(json!({"welcome_message_id": s(&other["id"])})),
        )
        .await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (404, &json!("welcome_message_id")),
        "{refused}"
    );
}

async fn the_default_greets_on_first_contact_and_after_a_quiet_week() {
    let server = TestServer::start().await;
    let (brand_id, brand, hello) = brand_with_default(&server).await;
    let (_, carol) = server.user("carol").await;
    let (status, shown) = greeting(&server, &carol, &brand_id, "").await;
    assert_eq!(
        (status, &shown["id"]),
        (200, &hello["id"]),
        "first contact: {shown}"
    );
    assert_eq!(
        greeting(&server, &brand, &brand_id, "").await.0,
        204,
        "not to the account itself"
    );

    let m = server.dm(&carol, &brand_id, "Where is my order?").await;
    assert_eq!(
        greeting(&server, &carol, &brand_id, "").await.0,
        204,
        "in a conversation"
    );
    server.stand_at(&(chrono::Utc::now() + chrono::Duration::days(8)).to_rfc3339());
    assert_eq!(
        greeting(&server, &carol, &brand_id, "").await.0,
        200,
        "after a quiet week"
    );
    server.stand_at(&(chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339());
    assert_eq!(greeting(&server, &carol, &brand_id, "").await.0, 204);
    // Deleted for Carol: her next contact is a first one again.
    let (status, _) = server
        .call(
            "DELETE",
            &format!("/api/v1/conversations/{}", s(&m["conversation_id"])),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        greeting(&server, &carol, &brand_id, "").await.0,
        200,
        "after deleting the conversation"
    );
}

async fn a_chosen_welcome_message_always_shows_and_must_be_the_accounts() {
    let server = TestServer::start().await;
    let (brand_id, brand, _) = brand_with_default(&server).await;
    let (_, sales) = create(&server, &brand, welcome("Sales", "Looking for a quote?")).await;
    let (_, carol) = server.user("carol").await;
    server.dm(&carol, &brand_id, "hello").await;
    let chosen = format!("?welcome_message_id={}", s(&sales["id"]));
    let (status, shown) = greeting(&server, &carol, &brand_id, &chosen).await;
    assert_eq!(
        (status, &shown["name"]),
        (200, &json!("Sales")),
        "a deep link's choice shows: {shown}"
    );

    let (rival_id, rival) = server.user("rival").await;
    server.open_to_everyone(&rival).await;
    let (status, refused) = greeting(&server, &carol, &rival_id, &chosen).await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (404, &json!("welcome_message_id")),
        "{refused}"
    );
    let (status, refused) = greeting(&server, &carol, &brand_id, "?welcome_message_id=07").await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (400, &json!("welcome_message_id")),
        "{refused}"
    );
    assert_eq!(greeting(&server, &carol, "12345", "").await.0, 404);
}

async fn welcome_messages_keep_to_their_limits() {
    let server = TestServer::start().await;
    let (_, brand, _) = brand_with_default(&server).await;
    let (status, photo) = server
        .upload(
            &brand,
            &[],
            include_bytes!("../fixtures/gps.jpg").to_vec(),
            "image/jpeg",
        )
        .await;
    assert_eq!(status, 201, "{photo}");
    let (status, shared) = server
        .upload(
            &brand,
            &[("shared", "true")],
            include_bytes!("../fixtures/gps.jpg").to_vec(),
            "image/jpeg",
        )
        .await;
    assert_eq!(status, 201, "{shared}");
    let data = |d: Value| json!({"name": "Greeting", "message_data": d});
    let cases: [(Value, u16, &str); 7] = [
        (
            json!({"name": "n".repeat(101), "message_data": {"text": "hi"}}),
            400,
            "name",
        ),
        (
            data(json!({"text": "x".repeat(9_991)})),
            400,
            "message_data.text",
        ),
        (data(json!({"text": ""})), 400, "message_data.text"),
        (
            data(json!({"text": "hi", "quick_reply": {"type": "options", "options": []}})),
            400,
            "message_data.quick_reply.options",
        ),
        (
            data(
                json!({"text": "hi", "ctas": [{"type": "url", "label": "x", "url": "javascript:1"}]}),
            ),
            400,
            "message_data.ctas[0].url",
        ),
        (
            data(json!({"text": "hi", "media_id": s(&photo["id"])})),
            409,
            "message_data.media_id",
        ),
        (
            data(json!({"text": "hi", "media_id": "12345"})),
            404,
            "message_data.media_id",
        ),
    ];
    for (body, status, field) in cases {
        let (got, refused) = create(&server, &brand, body.clone()).await;
        assert_eq!(
            (got, &refused["error"]["field"]),
            (status, &json!(field)),
            "{refused}"
        );
    }
    let (status, _) = create(
        &server,
        &brand,
        data(json!({"text": "", "media_id": s(&shared["id"])})),
    )
    .await;
    assert_eq!(
        status, 201,
        "a shared photo with no text is a welcome message"
    );
    let (status, _) = create(&server, &brand, data(json!({"text": "x".repeat(9_990)}))).await;
    assert_eq!(status, 201, "9,990 characters is the limit");
}

async fn send(server: &TestServer, token: &str, to: &str, body: Value) -> (u16, Value) {
    server
        .call(
            "POST",
            &format!("/api/v1/messages/with/{to}"),
            Some(token),
            Some(body),
        )
        .await
}

/// The conversation's messages, oldest first, as `viewer` sees them.
async fn history(server: &TestServer, token: &str, conversation: &str) -> Vec<Value> {
    let (status, page) = server
        .call(
            "GET",
            &format!("/api/v1/conversations/{conversation}/events?limit=100"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let mut messages: Vec<Value> = page["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"] == "message")
        .cloned()
        .collect();
    messages.reverse();
    messages
}

async fn a_first_message_records_the_welcome_message_it_started_from() {
    let server = TestServer::start().await;
    let (brand_id, brand, hello) = brand_with_default(&server).await;
    let (_, carol) = server.user("carol").await;
    let mut carol_ws = server.ws(&carol, None).await;
    let started = json!({"welcome_message_id": s(&hello["id"])});

    // A forged answer records nothing.
    let (status, refused) = send(
        &server,
        &carol,
        &brand_id,
        json!({"initiated_via": started,
               "quick_reply_response": {"type": "options", "metadata": "refund-now"}}),
    )
    .await;
    assert_eq!(
        (
            status,
            &refused["error"]["code"],
            &refused["error"]["field"]
        ),
        (
            409,
            &json!("quick_reply_not_open"),
            &json!("quick_reply_response.metadata")
        ),
        "{refused}"
    );
    assert_eq!(greeting(&server, &carol, &brand_id, "").await.0, 200);

    // Tapping "Returns" under the welcome message sends its label.
    let body = json!({"initiated_via": started, "client_message_id": "tap-1",
                      "quick_reply_response": {"type": "options", "metadata": "returns"}});
    let (status, sent) = send(&server, &carol, &brand_id, body.clone()).await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["text"], "Returns");
    assert_eq!(sent["initiated_via"], started);
    let (status, again) = send(&server, &carol, &brand_id, body).await;
    assert_eq!(
        (status, &again["id"]),
        (200, &sent["id"]),
        "a retry is the same send: {again}"
    );

    let conversation = s(&sent["conversation_id"]);
    for token in [&carol, &brand] {
        let shown = history(&server, token, &conversation).await;
        assert_eq!(
            shown.len(),
            2,
            "the welcome message once, then hers: {shown:?}"
        );
        let (greeted, answer) = (&shown[0], &shown[1]);
        assert_eq!(greeted["sender_id"], json!(brand_id));
        assert_eq!(greeted["text"], "Hi! How can we help today?");
        assert_eq!(
            greeted["quick_reply"]["options"].as_array().map(Vec::len),
            Some(3)
        );
        assert_eq!(greeted["quick_reply"]["open"], false, "answered, so closed");
        assert!(
            s(&greeted["ctas"][0]["tco_url"]).contains("/l/"),
            "{greeted}"
        );
        assert_eq!(answer["id"], sent["id"]);
    }
    let live = carol_ws.next_of("message.created").await;
    assert_eq!(
        live["data"]["text"], "Hi! How can we help today?",
        "the stream carries the welcome message first: {live}"
    );
    assert_eq!(
        carol_ws.next_of("message.created").await["data"]["id"],
        sent["id"]
    );

    let (_, inbox) = server
        .call("GET", "/api/v1/conversations", Some(&carol), None)
        .await;
    assert_eq!(
        inbox["conversations"][0]["unread_count"], 0,
        "her own message reads up to it: {inbox}"
    );
    assert_eq!(
        greeting(&server, &carol, &brand_id, "").await.0,
        204,
        "greeted once"
    );
    let (status, refused) = send(
        &server,
        &carol,
        &brand_id,
        json!({"quick_reply_response": {"type": "options", "metadata": "status"}}),
    )
    .await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (409, &json!("quick_reply_not_open")),
        "one answer closes it: {refused}"
    );
}

async fn a_welcome_message_stays_answerable_until_answered() {
    let server = TestServer::start().await;
    let (brand_id, brand, _) = brand_with_default(&server).await;
    let (_, sales) = create(&server, &brand, welcome("Sales", "Looking for a quote?")).await;
    let (_, dave) = server.user("dave").await;
    let started = json!({"welcome_message_id": s(&sales["id"])});
    let (status, sent) = send(
        &server,
        &dave,
        &brand_id,
        json!({"text": "Hi, I have a question", "initiated_via": started}),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    let conversation = s(&sent["conversation_id"]);
    let shown = history(&server, &dave, &conversation).await;
    assert_eq!(shown[0]["text"], "Looking for a quote?", "the chosen one");
    assert_eq!(
        shown[0]["quick_reply"]["open"], true,
        "still open: {shown:?}"
    );
    let (status, answer) = send(
        &server,
        &dave,
        &brand_id,
        json!({"quick_reply_response": {"type": "options", "metadata": "other"}}),
    )
    .await;
    assert_eq!(
        (status, &answer["text"]),
        (201, &json!("Something else")),
        "{answer}"
    );

    // Another account's welcome message, and a group, are refused.
    let (rival_id, rival) = server.user("rival").await;
    server.open_to_everyone(&rival).await;
    let (status, refused) = send(
        &server,
        &dave,
        &rival_id,
        json!({"text": "hi", "initiated_via": started}),
    )
    .await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (404, &json!("initiated_via.welcome_message_id")),
        "{refused}"
    );
    let (status, group) = server
        .call(
            "POST",
            "/api/v1/conversations",
            Some(&dave),
            Some(json!({"participant_ids": [brand_id, rival_id]})),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let (status, refused) = server
        .call(
            "POST",
            &format!("/api/v1/conversations/{}/messages", s(&group["id"])),
            Some(&dave),
            Some(json!({"text": "hi", "initiated_via": started})),
        )
        .await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (409, &json!("initiated_via")),
        "{refused}"
    );
    // A message button may now name one of its account's welcome messages.
    let (status, sent) = send(
        &server,
        &brand,
        &s(&sent["sender_id"]),
        json!({"text": "Talk to sales", "ctas": [{"type": "message", "label": "Sales",
               "recipient_id": brand_id, "welcome_message_id": s(&sales["id"])}]}),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
}

async fn an_account_keeps_at_most_200_welcome_messages() {
    let server = TestServer::start().await;
    let (_, brand, first) = brand_with_default(&server).await;
    for i in 1..200 {
        let (status, made) = create(
            &server,
            &brand,
            json!({"name": format!("Greeting {i}"), "message_data": {"text": "hi"}}),
        )
        .await;
        assert_eq!(status, 201, "welcome message {i}: {made}");
    }
    let too_many = json!({"name": "Greeting 200", "message_data": {"text": "hi"}});
    let (status, refused) = create(&server, &brand, too_many.clone()).await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (409, &json!("name")),
        "the 201st: {refused}"
    );
    assert!(
        s(&refused["error"]["message"]).contains("at most 200"),
        "{refused}"
    );
    let (status, _) = server
        .call(
            "DELETE",
            &format!("/api/v1/welcome_messages/{}", s(&first["id"])),
            Some(&brand),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        create(&server, &brand, too_many).await.0,
        201,
        "room again after deleting one"
    );
}

async fn a_welcome_message_with_a_photo_greets_everyone_with_it() {
    let server = TestServer::start().await;
    let (brand_id, brand, _) = brand_with_default(&server).await;
    let (status, shared) = server
        .upload(
            &brand,
            &[("shared", "true")],
            include_bytes!("../fixtures/gps.jpg").to_vec(),
            "image/jpeg",
        )
        .await;
    assert_eq!(status, 201, "{shared}");
    let (status, pictured) = create(
        &server,
        &brand,
        json!({"name": "Pictured", "message_data": {"text": "Our new shop!", "media_id": s(&shared["id"])}}),
    )
    .await;
    assert_eq!(status, 201, "{pictured}");
    for name in ["carol", "dave"] {
        let (_, token) = server.user(name).await;
        let (status, sent) = send(
            &server,
            &token,
            &brand_id,
            json!({"text": "Nice!", "initiated_via": {"welcome_message_id": s(&pictured["id"])}}),
        )
        .await;
        assert_eq!(status, 201, "{name}: {sent}");
        let shown = history(&server, &token, &s(&sent["conversation_id"])).await;
        assert_eq!(shown[0]["text"], "Our new shop!");
        assert_eq!(
            shown[0]["media"]["id"], shared["id"],
            "{name} sees the photo: {shown:?}"
        );
    }
}
