//! v1.1 direct messages (issue 17, item 4): shapes as clients parse them, and each refusal's
//! status and code (reference §11.2).

use serde_json::{Value, json};

use crate::client::{Keys, Tweak, app_keys, dm_body};
use crate::common::{TestServer, s};

crate::on_every_backend!(
    a_bot_sends_reads_pages_and_deletes_in_twitters_shapes,
    quick_replies_buttons_and_profiles_come_back_as_twitter_writes_them,
    typing_and_read_receipts_take_query_or_form_parameters,
    every_refusal_has_twitters_status_and_code,
    users_friendships_and_blocks,
    the_app_a_message_was_sent_through_is_named_to_its_sender_only,
);

const NEW: &str = "/1.1/direct_messages/events/new.json";

async fn send(keys: &Keys, server: &TestServer, to: &str, data: Value) -> crate::client::Signed {
    keys.post_json(&server.base, NEW, dm_body(to, data)).await
}

async fn a_bot_sends_reads_pages_and_deletes_in_twitters_shapes() {
    let server = TestServer::start().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    let (dave_id, dave) = server.user("dave").await;
    server.follow(&carol, &bot_id).await;
    server.follow(&dave, &bot_id).await;
    let keys = app_keys(&server, &bot).await;
    // tweepy sends recipient_id as a number.
    let carol_number: u64 = carol_id.parse().unwrap_or_default();
    let first = keys
        .post_json(
            &server.base,
            NEW,
            json!({"event": {"type": "message_create", "message_create": {
            "target": {"recipient_id": carol_number},
            "message_data": {"text": "Hello #welcome @carol https://example.com"}}}}),
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let event = &first.body["event"];
    assert_eq!(event["type"], "message_create");
    assert!(
        event["id"].is_string() && event["created_timestamp"].is_string(),
        "{event}"
    );
    assert_eq!(
        event["message_create"]["target"]["recipient_id"],
        carol_id.as_str()
    );
    assert_eq!(event["message_create"]["sender_id"], bot_id.as_str());
    let entities = &event["message_create"]["message_data"]["entities"];
    assert_eq!(entities["hashtags"][0]["text"], "welcome");
    assert_eq!(entities["user_mentions"][0]["id_str"], carol_id.as_str());
    assert_eq!(entities["urls"][0]["expanded_url"], "https://example.com");
    assert_eq!(entities["symbols"], json!([]));
    // More messages both ways, in two conversations; then a page at a time, newest first.
    for i in 0..3 {
        assert_eq!(
            send(
                &keys,
                &server,
                &dave_id,
                json!({"text": format!("dave {i}")})
            )
            .await
            .status,
            200
        );
    }
    server.dm(&carol, &bot_id, "a reply from carol").await;
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("count", "2")];
        if let Some(c) = &cursor {
            query.push(("cursor", c.as_str()));
        }
        let page = keys
            .get(
                &server.base,
                "/1.1/direct_messages/events/list.json",
                &query,
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        for e in page.body["events"].as_array().cloned().unwrap_or_default() {
            seen.push(s(&e["message_create"]["message_data"]["text"]));
        }
        match page.body.get("next_cursor") {
            Some(next) => cursor = Some(s(next)),
            None => break,
        }
        assert!(seen.len() <= 5, "pages never end: {seen:?}");
    }
    assert_eq!(
        seen,
        [
            "a reply from carol",
            "dave 2",
            "dave 1",
            "dave 0",
            "Hello #welcome @carol https://example.com"
        ]
    );
    // More than 50 is taken as 50 (twitter-api-v2 asks for 100); none or a word is refused.
    let all = keys
        .get(
            &server.base,
            "/1.1/direct_messages/events/list.json",
            &[("count", "100")],
        )
        .await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.body["events"].as_array().map(Vec::len), Some(5));
    for bad in ["0", "many", "-1"] {
        let refused = keys
            .get(
                &server.base,
                "/1.1/direct_messages/events/list.json",
                &[("count", bad)],
            )
            .await;
        assert_eq!(refused.status, 400, "count={bad}: {}", refused.body);
        assert_eq!(refused.body["errors"][0]["code"], 44);
    }
    // Show, then delete for the bot alone: it is gone for the bot, not for Carol.
    let id = s(&event["id"]);
    let shown = keys
        .get(
            &server.base,
            "/1.1/direct_messages/events/show.json",
            &[("id", &id)],
        )
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(shown.body["event"]["id"], id.as_str());
    let deleted = keys
        .call(
            &server.base,
            "DELETE",
            "/1.1/direct_messages/events/destroy.json",
            &[("id", &id)],
            None,
            None,
            &Tweak::default(),
        )
        .await;
    assert_eq!((deleted.status, deleted.body.clone()), (204, Value::Null));
    let gone = keys
        .get(
            &server.base,
            "/1.1/direct_messages/events/show.json",
            &[("id", &id)],
        )
        .await;
    assert_eq!(gone.code(404), 34);
    let (a, b): (u64, u64) = (bot_id.parse().unwrap_or(0), carol_id.parse().unwrap_or(0));
    let carols = server
        .messages(&carol, &format!("{}-{}", a.min(b), a.max(b)))
        .await;
    assert!(
        carols.iter().any(|(text, _)| text.starts_with("Hello")),
        "{carols:?}"
    );
    // Someone else's message is not found by its id.
    let daves = server.dm(&dave, &bot_id, "private to the bot").await;
    let carol_app = app_keys(&server, &carol).await;
    let hidden = carol_app
        .get(
            &server.base,
            "/1.1/direct_messages/events/show.json",
            &[("id", &s(&daves["id"]))],
        )
        .await;
    assert_eq!(hidden.code(404), 34);
}

async fn quick_replies_buttons_and_profiles_come_back_as_twitter_writes_them() {
    let server = TestServer::start().await;
    let (brand_id, brand) = server.user("acme").await;
    let (carol_id, carol) = server.user("carol").await;
    server.follow(&carol, &brand_id).await;
    let keys = app_keys(&server, &brand).await;
    let (status, maria) = server
        .call(
            "POST",
            "/api/v1/custom_profiles",
            Some(&brand),
            Some(json!({"name": "Maria from Support"})),
        )
        .await;
    assert_eq!(status, 201, "{maria}");
    let body = json!({"event": {"type": "message_create", "message_create": {
    "target": {"recipient_id": carol_id},
    "custom_profile_id": s(&maria["id"]),
    "message_data": {
        "text": "How can we help?",
        "quick_reply": {"type": "options", "options": [
            {"label": "Order status", "metadata": "order"},
            {"label": "Talk to a person", "metadata": "human"}]},
        "ctas": [{"type": "web_url", "label": "Help centre", "url": "https://help.example/start"}],
    }}}});
    let sent = keys.post_json(&server.base, NEW, body).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let create = &sent.body["event"]["message_create"];
    assert_eq!(create["custom_profile_id"], maria["id"]);
    let data = &create["message_data"];
    assert_eq!(data["quick_reply"]["type"], "options");
    assert_eq!(data["quick_reply"]["options"][1]["metadata"], "human");
    assert_eq!(data["ctas"][0]["type"], "web_url");
    assert_eq!(data["ctas"][0]["url"], "https://help.example/start");
    let tco = s(&data["ctas"][0]["tco_url"]);
    assert!(tco.starts_with(&format!("{}/l/", server.base)), "{tco}");
    // Carol answers through her own app with the option's metadata: the label is the text.
    let carol_keys = app_keys(&server, &carol).await;
    let answer = carol_keys
        .post_json(
            &server.base,
            NEW,
            dm_body(
                &brand_id,
                json!({"quick_reply_response": {"type": "options", "metadata": "human"}}),
            ),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let data = &answer.body["event"]["message_create"]["message_data"];
    assert_eq!(data["text"], "Talk to a person");
    assert_eq!(
        data["quick_reply_response"],
        json!({"type": "options", "metadata": "human"})
    );
    // A button of another kind than web_url is refused, naming where.
    let refused = keys
        .post_json(
            &server.base,
            NEW,
            dm_body(
                &carol_id,
                json!({"text": "x", "ctas": [{"type": "postback", "label": "a"}]}),
            ),
        )
        .await;
    assert_eq!(refused.code(400), 44);
    assert!(
        s(&refused.body["errors"][0]["message"]).contains("ctas[0].type"),
        "{}",
        refused.body
    );
}

async fn typing_and_read_receipts_take_query_or_form_parameters() {
    let server = TestServer::start().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    server.follow(&carol, &bot_id).await;
    server.follow(&bot, &carol_id).await;
    let keys = app_keys(&server, &bot).await;
    let received = server.dm(&carol, &bot_id, "hello bot").await;
    let mut ws = server.ws(&carol, None).await;
    // tweepy: query string.
    let typed = keys
        .call(
            &server.base,
            "POST",
            "/1.1/direct_messages/indicate_typing.json",
            &[("recipient_id", &carol_id)],
            None,
            None,
            &Tweak::default(),
        )
        .await;
    assert_eq!((typed.status, typed.body.clone()), (204, Value::Null));
    let typing = ws.next_of("typing").await;
    assert_eq!(typing["data"]["user_id"], bot_id.as_str());
    // twitter-api-v2: a form body.
    let id = s(&received["id"]);
    let form = [
        ("last_read_event_id", id.as_str()),
        ("recipient_id", carol_id.as_str()),
    ];
    let read = keys
        .call(
            &server.base,
            "POST",
            "/1.1/direct_messages/mark_read.json",
            &[],
            Some(&form),
            None,
            &Tweak::default(),
        )
        .await;
    assert_eq!(read.status, 204, "{}", read.body);
    let receipt = ws.next_of("conversation.read").await;
    assert_eq!(receipt["data"]["last_read_event_id"], id.as_str());
    let missing = keys
        .call(
            &server.base,
            "POST",
            "/1.1/direct_messages/mark_read.json",
            &[("recipient_id", &carol_id)],
            None,
            None,
            &Tweak::default(),
        )
        .await;
    assert_eq!(missing.code(400), 44);
    assert!(s(&missing.body["errors"][0]["message"]).contains("last_read_event_id"));
}

async fn every_refusal_has_twitters_status_and_code() {
    let server = TestServer::with(|c| c.limits.dm_sends_per_day = 6).await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    let (stranger_id, _) = server.user("stranger").await;
    let (blocker_id, blocker) = server.user("blocker").await;
    server.follow(&carol, &bot_id).await;
    server.follow(&blocker, &bot_id).await;
    let (status, _) = server
        .call(
            "PUT",
            &format!("/api/v1/me/blocks/{bot_id}"),
            Some(&blocker),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let keys = app_keys(&server, &bot).await;
    let text = |t: &str| json!({"text": t});
    assert_eq!(
        send(&keys, &server, &blocker_id, text("hi"))
            .await
            .code(403),
        349
    );
    assert_eq!(
        send(&keys, &server, &stranger_id, text("hi"))
            .await
            .code(403),
        150
    );
    let long = "x".repeat(10_001);
    assert_eq!(
        send(&keys, &server, &carol_id, text(&long)).await.code(403),
        354
    );
    let bad_media =
        json!({"text": "see", "attachment": {"type": "media", "media": {"id": "123456"}}});
    let refused = send(&keys, &server, &carol_id, bad_media).await;
    assert!(
        matches!(refused.code(refused.status), 324 | 325),
        "{}",
        refused.body
    );
    assert_eq!(refused.status, 400);
    assert_eq!(
        send(&keys, &server, &bot_id, text("me")).await.code(403),
        151
    );
    assert_eq!(
        send(&keys, &server, "999999999", text("hi"))
            .await
            .code(404),
        50
    );
    let refused = send(&keys, &server, "not-an-id", text("hi")).await;
    assert_eq!(refused.code(400), 44);
    assert!(
        s(&refused.body["errors"][0]["message"]).contains("recipient_id"),
        "{}",
        refused.body
    );
    let refused = keys
        .post_json(
            &server.base,
            NEW,
            json!({"event": {"type": "message_create"}}),
        )
        .await;
    assert_eq!(refused.code(400), 44);
    assert!(
        s(&refused.body["errors"][0]["message"]).contains("event.message_create"),
        "{}",
        refused.body
    );
    let unknown = keys
        .get(
            &server.base,
            "/1.1/direct_messages/events/show.json",
            &[("id", "12345")],
        )
        .await;
    assert_eq!(unknown.code(404), 34);
    // Over the daily send limit: 429, code 88, and when to come back.
    let mut last = None;
    for i in 0..8 {
        let r = send(&keys, &server, &carol_id, text(&format!("m{i}"))).await;
        if r.status != 200 {
            last = Some(r);
            break;
        }
    }
    let limited = last.unwrap_or_else(|| panic!("the send limit never refused"));
    assert_eq!(limited.code(429), 88);
    assert!(limited.headers.contains_key("retry-after"));
    assert!(limited.headers.contains_key("x-rate-limit-reset"));
}

async fn users_friendships_and_blocks() {
    let server = TestServer::start().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, _) = server.user("carol").await;
    let keys = app_keys(&server, &bot).await;
    let post = |path: &'static str, query: Vec<(&'static str, String)>| {
        let keys = keys.clone();
        let base = server.base.clone();
        async move {
            let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            keys.call(&base, "POST", path, &q, None, None, &Tweak::default())
                .await
        }
    };
    let followed = post(
        "/1.1/friendships/create.json",
        vec![("screen_name", "carol".into())],
    )
    .await;
    assert_eq!(followed.status, 200, "{}", followed.body);
    assert_eq!(followed.body["id_str"], carol_id.as_str());
    let shown = keys
        .get(
            &server.base,
            "/1.1/friendships/show.json",
            &[("source_id", &bot_id), ("target_id", &carol_id)],
        )
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(shown.body["relationship"]["source"]["following"], true);
    assert_eq!(shown.body["relationship"]["target"]["followed_by"], true);
    let blocked = post(
        "/1.1/blocks/create.json",
        vec![("user_id", carol_id.clone())],
    )
    .await;
    assert_eq!(blocked.status, 200, "{}", blocked.body);
    let shown = keys
        .get(
            &server.base,
            "/1.1/friendships/show.json",
            &[("target_screen_name", "carol")],
        )
        .await;
    assert_eq!(
        shown.body["relationship"]["source"]["blocking"], true,
        "{}",
        shown.body
    );
    let unblocked = post(
        "/1.1/blocks/destroy.json",
        vec![("user_id", carol_id.clone())],
    )
    .await;
    assert_eq!(unblocked.status, 200);
    assert_eq!(
        post(
            "/1.1/friendships/create.json",
            vec![("user_id", bot_id.clone())]
        )
        .await
        .code(403),
        151
    );
    assert_eq!(
        post(
            "/1.1/friendships/destroy.json",
            vec![("screen_name", "nobody_here".into())]
        )
        .await
        .code(404),
        50
    );
    let none = keys
        .get(
            &server.base,
            "/1.1/users/lookup.json",
            &[("user_id", "1,2")],
        )
        .await;
    assert_eq!(none.code(404), 50);
    let missing = keys.get(&server.base, "/1.1/users/show.json", &[]).await;
    assert_eq!(missing.code(400), 44);
}

async fn the_app_a_message_was_sent_through_is_named_to_its_sender_only() {
    let server = TestServer::start().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    server.follow(&carol, &bot_id).await;
    server.follow(&bot, &carol_id).await;
    let keys = app_keys(&server, &bot).await;
    let sent = send(&keys, &server, &carol_id, json!({"text": "via the app"})).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    // Not on the write path, as on Twitter.
    assert!(
        sent.body["event"]["message_create"]
            .get("source_app_id")
            .is_none()
    );
    server.dm(&bot, &carol_id, "from the web app").await;
    let (_, apps) = server.call("GET", "/api/v1/apps", Some(&bot), None).await;
    let app_id = s(&apps["apps"][0]["id"]);

    let list = keys
        .get(&server.base, "/1.1/direct_messages/events/list.json", &[])
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    let by_text = |text: &str| {
        list.body["events"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|e| e["message_create"]["message_data"]["text"] == text)
            })
            .cloned()
            .unwrap_or_else(|| panic!("{text} in {}", list.body))
    };
    assert_eq!(
        by_text("via the app")["message_create"]["source_app_id"],
        app_id
    );
    assert!(
        by_text("from the web app")["message_create"]
            .get("source_app_id")
            .is_none()
    );
    assert_eq!(
        list.body["apps"][&app_id],
        json!({"id": app_id, "name": "Test bot", "url": ""})
    );
    let id = s(&sent.body["event"]["id"]);
    let shown = keys
        .get(
            &server.base,
            "/1.1/direct_messages/events/show.json",
            &[("id", &id)],
        )
        .await;
    assert_eq!(
        shown.body["event"]["message_create"]["source_app_id"],
        app_id
    );
    assert_eq!(shown.body["apps"][&app_id]["name"], "Test bot");

    // Carol, through an app of her own, sees the message but not the bot's app.
    let carol_keys = app_keys(&server, &carol).await;
    let theirs = carol_keys
        .get(&server.base, "/1.1/direct_messages/events/list.json", &[])
        .await;
    assert_eq!(theirs.status, 200, "{}", theirs.body);
    assert!(theirs.body.get("apps").is_none(), "{}", theirs.body);
    assert!(
        theirs.body["events"].as_array().is_some_and(|a| a
            .iter()
            .all(|e| e["message_create"].get("source_app_id").is_none())),
        "{}",
        theirs.body
    );
}
