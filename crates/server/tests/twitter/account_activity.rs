//! The Account Activity API (issue 18, item 3) through the real server, on both backends:
//! registration with the CRC, subscriptions, Twitter's payloads signed with the consumer
//! secret, Twitter's retries, and the refusals.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};

use crate::client::{Keys, Tweak, app_keys};
use crate::common::receiver::Heard;
pub use crate::common::receiver::{Receiver, receiver, sign};
use crate::common::{TestServer, s};
use crate::consent::{access_token, field, form_of, request_token};

crate::on_every_backend!(
    a_bot_registers_subscribes_and_receives_twitters_payloads,
    follows_blocks_mutes_and_mentions_arrive_as_twitters_events,
    a_backlog_arrives_in_fewer_posts_each_message_once_in_order,
    the_crc_and_the_owner_are_required,
    a_retried_read_receipt_says_when_it_was_read,
);

pub const BASE: &str = "/1.1/account_activity/all";

pub async fn server() -> TestServer {
    TestServer::with(|c| c.outbound.allow = vec!["127.0.0.1".into()]).await
}

/// Carol's own credentials for `keys`' app, by OAuth 1.0a's PIN flow.
pub async fn authorize(server: &TestServer, keys: &Keys, session: &str) -> Keys {
    let app_only = Keys {
        token: String::new(),
        token_secret: String::new(),
        ..keys.clone()
    };
    let request = request_token(server, &app_only, "oob").await;
    let (_, next) = server
        .call(
            "POST",
            &format!("/api/v1/oauth/request_tokens/{}", request.token),
            Some(session),
            Some(json!({"allow": true})),
        )
        .await;
    let answer = access_token(server, &request, &s(&next["pin"])).await;
    let form = form_of(&answer.body);
    Keys {
        token: field(&form, "oauth_token"),
        token_secret: field(&form, "oauth_token_secret"),
        ..keys.clone()
    }
}

/// Registers `rx` as the app's `dev` webhook, which answers the CRC: 200 and the webhook.
pub async fn register(server: &TestServer, keys: &Keys, rx: &Receiver) -> crate::client::Signed {
    let made = call(
        keys,
        server,
        "POST",
        &format!("{BASE}/dev/webhooks.json"),
        &[("url", &rx.url)],
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.body);
    made
}

/// The app's `dev` webhooks as its owner lists them.
pub async fn webhooks_listed(keys: &Keys, server: &TestServer) -> crate::client::Signed {
    call(
        keys,
        server,
        "GET",
        &format!("{BASE}/dev/webhooks.json"),
        &[],
    )
    .await
}

/// A bot whose app's `dev` webhook is `rx` and who has subscribed itself; the bot follows
/// Carol, so she may write to it.
pub struct Subscribed {
    pub bot_id: String,
    pub bot: String,
    pub carol_id: String,
    pub carol: String,
    pub keys: Keys,
    pub rx: Receiver,
}

pub async fn bot_subscribed(server: &TestServer) -> Subscribed {
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    server.follow(&bot, &carol_id).await;
    let keys = app_keys(server, &bot).await;
    let rx = receiver(&keys.consumer_secret).await;
    register(server, &keys, &rx).await;
    let path = format!("{BASE}/dev/subscriptions.json");
    assert_eq!(call(&keys, server, "POST", &path, &[]).await.status, 204);
    Subscribed {
        bot_id,
        bot,
        carol_id,
        carol,
        keys,
        rx,
    }
}

/// `reader` marks `message` read while `rx` refuses, then `rx` takes the retry: it must be
/// the refused body again. Answers it, and the milliseconds the read request was made between.
pub async fn read_refused_once(
    server: &TestServer,
    rx: &mut Receiver,
    reader: &str,
    conversation: &str,
    message: &str,
) -> (Heard, i64, i64) {
    rx.status.store(500, Ordering::SeqCst);
    let before = chrono::Utc::now().timestamp_millis();
    let (status, _) = server
        .call(
            "POST",
            &format!("/api/v1/conversations/{conversation}/read"),
            Some(reader),
            Some(json!({"last_read_event_id": message})),
        )
        .await;
    assert_eq!(status, 204);
    let after = chrono::Utc::now().timestamp_millis();
    let first = rx.next(Duration::from_secs(10)).await;
    rx.status.store(200, Ordering::SeqCst);
    let second = rx.next(Duration::from_secs(10)).await;
    assert_eq!(first.body, second.body, "the retry is the same body");
    (second, before, after)
}

pub async fn call(
    keys: &Keys,
    server: &TestServer,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
) -> crate::client::Signed {
    keys.call(
        &server.base,
        method,
        path,
        query,
        None,
        None,
        &Tweak::default(),
    )
    .await
}

async fn a_bot_registers_subscribes_and_receives_twitters_payloads() {
    let server = server().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    server.follow(&bot, &carol_id).await;
    server.follow(&carol, &bot_id).await;
    let keys = app_keys(&server, &bot).await;
    let mut rx = receiver(&keys.consumer_secret).await;

    let made = register(&server, &keys, &rx).await;
    assert_eq!(
        (made.body["url"].clone(), made.body["valid"].clone()),
        (json!(rx.url), json!(true))
    );
    let webhook_id = s(&made.body["id"]);
    // The CRC came signed over its query, as Twitter signs it.
    let crc = rx.crcs.recv().await.unwrap_or_default();
    assert!(
        crc.get("x-twitter-webhooks-signature")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("sha256=")),
        "{crc:?}"
    );
    let again = call(
        &keys,
        &server,
        "POST",
        &format!("{BASE}/dev/webhooks.json"),
        &[("url", &rx.url)],
    )
    .await;
    assert_eq!(
        (again.status, again.body["errors"][0]["code"].clone()),
        (403, json!(214)),
        "{}",
        again.body
    );
    let listed = webhooks_listed(&keys, &server).await;
    assert_eq!(listed.body[0]["id"], webhook_id, "{}", listed.body);

    let carol_keys = authorize(&server, &keys, &carol).await;
    let path = format!("{BASE}/dev/subscriptions.json");
    let unsubscribed = call(&carol_keys, &server, "GET", &path, &[]).await;
    assert_eq!(unsubscribed.status, 404, "{}", unsubscribed.body);
    for k in [&carol_keys, &keys] {
        assert_eq!(call(k, &server, "POST", &path, &[]).await.status, 204);
    }
    assert_eq!(
        call(&carol_keys, &server, "GET", &path, &[]).await.status,
        204
    );
    let list = call(
        &keys,
        &server,
        "GET",
        &format!("{BASE}/dev/subscriptions/list.json"),
        &[],
    )
    .await;
    let ids: Vec<String> = list.body["subscriptions"]
        .as_array()
        .map(|a| a.iter().map(|x| s(&x["user_id"])).collect())
        .unwrap_or_default();
    assert_eq!(ids.len(), 2, "{}", list.body);
    assert!(ids.contains(&carol_id) && ids.contains(&bot_id));
    let count = call(
        &keys,
        &server,
        "GET",
        &format!("{BASE}/subscriptions/count.json"),
        &[],
    )
    .await;
    assert_eq!(count.body["subscriptions_count_all"], "2", "{}", count.body);

    // A message between them reaches the webhook once for each subscribed person, in
    // Twitter's shape, signed with the consumer secret.
    server.dm(&carol, &bot_id, "hello bot").await;
    let mut for_users = Vec::new();
    for _ in 0..2 {
        let heard = rx.next(Duration::from_secs(10)).await;
        assert_eq!(
            heard
                .headers
                .get("x-twitter-webhooks-signature")
                .and_then(|v| v.to_str().ok()),
            Some(sign(&keys.consumer_secret, heard.body.as_bytes()).as_str())
        );
        assert_eq!(
            heard
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        let payload: Value = serde_json::from_str(&heard.body).unwrap_or(Value::Null);
        let event = &payload["direct_message_events"][0];
        assert_eq!(event["type"], "message_create", "{payload}");
        assert_eq!(event["message_create"]["message_data"]["text"], "hello bot");
        assert_eq!(event["message_create"]["sender_id"], carol_id);
        assert_eq!(
            payload["users"][&carol_id]["screen_name"], "carol",
            "{payload}"
        );
        assert_eq!(payload["users"][&bot_id]["screen_name"], "bot", "{payload}");
        for_users.push(s(&payload["for_user_id"]));
    }
    for_users.sort();
    let mut expected = vec![bot_id.clone(), carol_id.clone()];
    expected.sort();
    assert_eq!(for_users, expected);

    // Carol leaves; the app removes the bot: nothing more arrives for either.
    assert_eq!(
        call(&carol_keys, &server, "DELETE", &path, &[])
            .await
            .status,
        204
    );
    assert_eq!(
        call(&carol_keys, &server, "GET", &path, &[]).await.status,
        404
    );
    // Leaving twice, or removing someone who is not subscribed: not found.
    let twice = call(&carol_keys, &server, "DELETE", &path, &[]).await;
    assert_eq!(twice.status, 404, "{}", twice.body);
    let absent = call(
        &keys,
        &server,
        "DELETE",
        &format!("{BASE}/dev/subscriptions/{carol_id}.json"),
        &[],
    )
    .await;
    assert_eq!(absent.status, 404, "{}", absent.body);
    let removed = call(
        &keys,
        &server,
        "DELETE",
        &format!("{BASE}/dev/subscriptions/{bot_id}.json"),
        &[],
    )
    .await;
    assert_eq!(removed.status, 204, "{}", removed.body);

    // Twitter's retries: refused once, the same payload again 3 s later.
    assert_eq!(
        call(&carol_keys, &server, "POST", &path, &[]).await.status,
        204
    );
    rx.status.store(500, Ordering::SeqCst);
    server.dm(&bot, &carol_id, "are you there?").await;
    let first = rx.next(Duration::from_secs(10)).await;
    rx.status.store(200, Ordering::SeqCst);
    let second = rx.next(Duration::from_secs(10)).await;
    assert_eq!(first.body, second.body);

    // Carol reads it: the bot (subscribed again) hears of it as Twitter's mark_read event.
    let sent: Value = serde_json::from_str(&second.body).unwrap_or(Value::Null);
    let message_id = s(&sent["direct_message_events"][0]["id"]);
    assert_eq!(call(&keys, &server, "POST", &path, &[]).await.status, 204);
    let (status, _) = server
        .call(
            "POST",
            &format!(
                "/api/v1/conversations/{}/read",
                conversation(&bot_id, &carol_id)
            ),
            Some(&carol),
            Some(json!({"last_read_event_id": message_id})),
        )
        .await;
    assert_eq!(status, 204);
    let heard = rx.next(Duration::from_secs(10)).await;
    let payload: Value = serde_json::from_str(&heard.body).unwrap_or(Value::Null);
    let read = &payload["direct_message_mark_read_events"][0];
    assert_eq!(
        (
            read["sender_id"].clone(),
            read["target"]["recipient_id"].clone(),
            read["last_read_event_id"].clone()
        ),
        (json!(carol_id), json!(bot_id), json!(message_id)),
        "{payload}"
    );

    // The CRC on demand: a wrong answer marks it invalid and says why.
    rx.wrong_crc.store(true, Ordering::SeqCst);
    let hook_path = format!("{BASE}/dev/webhooks/{webhook_id}.json");
    let refused = call(&keys, &server, "PUT", &hook_path, &[]).await;
    assert_eq!(
        (refused.status, refused.body["errors"][0]["code"].clone()),
        (403, json!(214)),
        "{}",
        refused.body
    );
    let listed = webhooks_listed(&keys, &server).await;
    assert_eq!(listed.body[0]["valid"], false, "{}", listed.body);
    rx.wrong_crc.store(false, Ordering::SeqCst);
    assert_eq!(
        call(&keys, &server, "PUT", &hook_path, &[]).await.status,
        204
    );
    assert_eq!(
        call(&keys, &server, "DELETE", &hook_path, &[]).await.status,
        204
    );
    let listed = webhooks_listed(&keys, &server).await;
    assert_eq!(listed.body, json!([]));
}

/// Messages that wait (here, while the receiver refuses) go out together once it answers,
/// several to a POST in `direct_message_events` as Twitter's arrays allow: each once, in the
/// order sent, with every sender described in `users`.
async fn a_backlog_arrives_in_fewer_posts_each_message_once_in_order() {
    let server = server().await;
    let Subscribed {
        bot_id,
        bot,
        carol_id,
        carol,
        keys,
        mut rx,
        ..
    } = bot_subscribed(&server).await;

    rx.status.store(500, Ordering::SeqCst);
    let texts: Vec<String> = (1..=6).map(|n| format!("message {n}")).collect();
    server.dm(&carol, &bot_id, &texts[0]).await;
    // Refused: Twitter's retry comes 3 s later, with the rest waiting behind it.
    let refused = rx.next(Duration::from_secs(10)).await;
    rx.status.store(200, Ordering::SeqCst);
    for text in &texts[1..] {
        server.dm(&carol, &bot_id, text).await;
    }
    let mut heard = Vec::new();
    let mut posts = 0;
    while heard.len() < texts.len() {
        let delivery = rx.next(Duration::from_secs(10)).await;
        assert_eq!(
            delivery.header("x-twitter-webhooks-signature"),
            Some(sign(&keys.consumer_secret, delivery.body.as_bytes()).as_str())
        );
        let payload = delivery.json();
        assert_eq!(payload["for_user_id"], bot_id, "{payload}");
        assert_eq!(
            payload["users"][&carol_id]["screen_name"], "carol",
            "{payload}"
        );
        assert_eq!(payload["users"][&bot_id]["screen_name"], "bot", "{payload}");
        for event in payload["direct_message_events"]
            .as_array()
            .into_iter()
            .flatten()
        {
            heard.push(s(&event["message_create"]["message_data"]["text"]));
        }
        posts += 1;
    }
    assert_eq!(heard, texts, "each once, in order");
    assert!(
        posts < texts.len(),
        "{posts} POSTs for {} waiting messages",
        texts.len()
    );
    assert!(refused.json()["direct_message_events"][0].is_object());

    // The app's owner sees a log row per POST, each saying how many messages it carried.
    let (_, apps) = server.call("GET", "/api/v1/apps", Some(&bot), None).await;
    let app = s(&apps["apps"][0]["id"]);
    let (status, hooks) = server
        .call(
            "GET",
            &format!("/api/v1/apps/{app}/webhooks"),
            Some(&bot),
            None,
        )
        .await;
    assert_eq!(status, 200, "{hooks}");
    assert_eq!(
        (
            hooks["webhooks"][0]["url"].clone(),
            hooks["webhooks"][0]["valid"].clone()
        ),
        (json!(rx.url), json!(true)),
        "{hooks}"
    );
    let log = format!(
        "/api/v1/apps/{app}/webhooks/{}/deliveries",
        s(&hooks["webhooks"][0]["id"])
    );
    // Each POST's row is written with the subscription's new position, just after its answer.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let rows = loop {
        let (status, body) = server
            .call("GET", &format!("{log}?limit=100"), Some(&bot), None)
            .await;
        assert_eq!(status, 200, "{body}");
        let rows = body["deliveries"].as_array().cloned().unwrap_or_default();
        let delivered: Vec<&Value> = rows.iter().filter(|r| r["status"] == 200).collect();
        let carried: i64 = delivered.iter().filter_map(|r| r["events"].as_i64()).sum();
        if delivered.len() == posts && carried == 6 {
            break rows;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{posts} POSTs carrying 6 messages, logged: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let first = rows
        .last()
        .map(|r| (r["status"].clone(), r["events"].clone()));
    assert_eq!(first, Some((json!(500), json!(1))), "the refusal: {rows:?}");
    assert!(
        rows.iter()
            .any(|r| r["status"] == 200 && r["events"].as_i64() > Some(1)),
        "a POST carried several: {rows:?}"
    );

    // Only the app's owner reads it, only for the app's own webhooks, a page at a time.
    let (status, refused) = server.call("GET", &log, Some(&carol), None).await;
    assert_eq!(status, 404, "not her app: {refused}");
    let (status, refused) = server
        .call(
            "GET",
            &format!("/api/v1/apps/{app}/webhooks"),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(status, 404, "not her app's webhooks: {refused}");
    let (status, refused) = server
        .call(
            "GET",
            &format!("/api/v1/apps/{app}/webhooks/1/deliveries"),
            Some(&bot),
            None,
        )
        .await;
    assert_eq!(status, 404, "no such webhook: {refused}");
    let (status, refused) = server
        .call("GET", &format!("{log}?limit=101"), Some(&bot), None)
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused.to_string().contains("limit"), "{refused}");
}

/// A read receipt refused once comes again 3 s later exactly as it was: its
/// `created_timestamp` is when Carol read, not when it was sent.
async fn a_retried_read_receipt_says_when_it_was_read() {
    let server = server().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    server.follow(&carol, &bot_id).await;
    let keys = app_keys(&server, &bot).await;
    let mut rx = receiver(&keys.consumer_secret).await;
    register(&server, &keys, &rx).await;
    let path = format!("{BASE}/dev/subscriptions.json");
    assert_eq!(call(&keys, &server, "POST", &path, &[]).await.status, 204);
    server.dm(&bot, &carol_id, "your order shipped").await;
    let sent = rx.next(Duration::from_secs(10)).await.json();
    let message_id = s(&sent["direct_message_events"][0]["id"]);

    let (second, before, after) = read_refused_once(
        &server,
        &mut rx,
        &carol,
        &conversation(&bot_id, &carol_id),
        &message_id,
    )
    .await;
    let read = &second.json()["direct_message_mark_read_events"][0];
    let at: i64 = s(&read["created_timestamp"]).parse().unwrap_or(0);
    assert!(
        (before..=after).contains(&at),
        "{before} ≤ {at} ≤ {after}: {read}"
    );
}

fn conversation(a: &str, b: &str) -> String {
    let (x, y): (u64, u64) = (a.parse().unwrap_or(0), b.parse().unwrap_or(0));
    format!("{}-{}", x.min(y), x.max(y))
}

async fn the_crc_and_the_owner_are_required() {
    let server = server().await;
    let (_, bot) = server.user("bot").await;
    let (_, carol) = server.user("carol").await;
    let keys = app_keys(&server, &bot).await;
    let mut rx = receiver(&keys.consumer_secret).await;
    rx.wrong_crc.store(true, Ordering::SeqCst);
    let refused = call(
        &keys,
        &server,
        "POST",
        &format!("{BASE}/dev/webhooks.json"),
        &[("url", &rx.url)],
    )
    .await;
    assert_eq!(
        (refused.status, refused.body["errors"][0]["code"].clone()),
        (403, json!(214)),
        "{}",
        refused.body
    );
    assert!(
        refused.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("response_token")),
        "{}",
        refused.body
    );
    let _ = rx.crcs.try_recv();
    // Someone who authorized the app is not its owner: they cannot point its webhook.
    rx.wrong_crc.store(false, Ordering::SeqCst);
    let carol_keys = authorize(&server, &keys, &carol).await;
    let refused = call(
        &carol_keys,
        &server,
        "POST",
        &format!("{BASE}/dev/webhooks.json"),
        &[("url", &rx.url)],
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    // Inward addresses, a bad environment name, no webhook to subscribe to.
    for (env, url, code) in [
        ("dev", "http://10.0.0.1/hook", 214),
        ("not a name", rx.url.as_str(), 44),
    ] {
        let refused = call(
            &keys,
            &server,
            "POST",
            &format!("{BASE}/{}/webhooks.json", env.replace(' ', "%20")),
            &[("url", url)],
        )
        .await;
        assert_eq!(
            refused.body["errors"][0]["code"], code,
            "{env} {url}: {}",
            refused.body
        );
    }
    let none = call(
        &keys,
        &server,
        "POST",
        &format!("{BASE}/empty/subscriptions.json"),
        &[],
    )
    .await;
    assert_eq!(none.status, 404, "{}", none.body);
}

/// Graph events arrive as Twitter's `follow_events`, `block_events` and `mute_events` (undoing
/// under the same key, `"type":"unmute"`), mentions as `tweet_create_events`, typing as
/// `direct_message_indicate_typing_events`.
async fn follows_blocks_mutes_and_mentions_arrive_as_twitters_events() {
    let server = server().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    let (dave_id, _) = server.user("dave").await;
    let keys = app_keys(&server, &bot).await;
    let mut rx = receiver(&keys.consumer_secret).await;
    register(&server, &keys, &rx).await;
    let path = format!("{BASE}/dev/subscriptions.json");
    assert_eq!(call(&keys, &server, "POST", &path, &[]).await.status, 204);

    server.follow(&carol, &bot_id).await;
    for (method, path) in [
        ("PUT", format!("/api/v1/me/blocks/{dave_id}")),
        ("PUT", format!("/api/v1/me/mutes/{carol_id}")),
        ("DELETE", format!("/api/v1/me/mutes/{carol_id}")),
    ] {
        let (status, body) = server.call(method, &path, Some(&bot), None).await;
        assert!(status < 300, "{method} {path}: {status} {body}");
    }
    let (status, post) = server
        .call(
            "POST",
            "/api/v1/posts",
            Some(&carol),
            Some(json!({"text": "@bot where is my order?"})),
        )
        .await;
    assert_eq!(status, 201, "{post}");

    // Events of one kind that wait together may share a payload (its array holds each).
    let mut heard = Vec::new();
    while heard.len() < 4 {
        let payload: Value = serde_json::from_str(&rx.next(Duration::from_secs(10)).await.body)
            .unwrap_or(Value::Null);
        assert_eq!(payload["for_user_id"], bot_id, "{payload}");
        let (field, events) = ["follow_events", "block_events", "mute_events"]
            .into_iter()
            .find_map(|f| payload[f].as_array().map(|e| (f, e.clone())))
            .unwrap_or_else(|| panic!("no graph event: {payload}"));
        for event in events {
            assert!(
                s(&event["created_timestamp"]).parse::<i64>().is_ok(),
                "{event}"
            );
            heard.push(format!(
                "{field} {} {} {}",
                s(&event["source"]["screen_name"]),
                s(&event["type"]),
                s(&event["target"]["id_str"])
            ));
        }
    }
    assert_eq!(
        heard,
        [
            format!("follow_events carol follow {bot_id}"),
            format!("block_events bot block {dave_id}"),
            format!("mute_events bot mute {carol_id}"),
            format!("mute_events bot unmute {carol_id}"),
        ]
    );
    let payload: Value =
        serde_json::from_str(&rx.next(Duration::from_secs(10)).await.body).unwrap_or(Value::Null);
    let tweet = &payload["tweet_create_events"][0];
    assert_eq!(
        (
            tweet["text"].clone(),
            tweet["id_str"].clone(),
            tweet["user"]["screen_name"].clone(),
            tweet["entities"]["user_mentions"][0]["id_str"].clone(),
            payload["user_has_blocked"].clone(),
        ),
        (
            json!("@bot where is my order?"),
            post["id"].clone(),
            json!("carol"),
            json!(bot_id),
            json!("false"),
        ),
        "{payload}"
    );

    // Typing to the bot arrives as Twitter's typing event (sent once: typing is not kept).
    let sent = server.dm(&bot, &carol_id, "How can I help?").await;
    let payload: Value =
        serde_json::from_str(&rx.next(Duration::from_secs(10)).await.body).unwrap_or(Value::Null);
    assert_eq!(
        payload["direct_message_events"][0]["message_create"]["message_data"]["text"],
        "How can I help?"
    );
    let (status, _) = server
        .call(
            "POST",
            &format!(
                "/api/v1/conversations/{}/typing",
                s(&sent["conversation_id"])
            ),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let payload: Value =
        serde_json::from_str(&rx.next(Duration::from_secs(10)).await.body).unwrap_or(Value::Null);
    let typing = &payload["direct_message_indicate_typing_events"][0];
    assert_eq!(
        (
            typing["sender_id"].clone(),
            typing["target"]["recipient_id"].clone(),
            payload["for_user_id"].clone(),
            payload["users"][&carol_id]["screen_name"].clone(),
        ),
        (
            json!(carol_id),
            json!(bot_id),
            json!(bot_id),
            json!("carol")
        ),
        "{payload}"
    );
}
