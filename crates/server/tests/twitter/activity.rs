//! X's current webhook surfaces (issue 18) through the real server, on both backends: v2
//! webhooks (`/2/webhooks`, CRC, replay), Account Activity on v2, and the X Activity API
//! (subscriptions, the NDJSON stream, webhook delivery of its envelopes).

use std::time::Duration;

use serde_json::{Value, json};

use crate::account_activity::{authorize, read_refused_once, register, server};
use crate::activity_stream::{next_line, open_stream};
use crate::client::{Keys, Tweak, app_keys_and_bearer};
use crate::common::receiver::{receiver, sign};
use crate::common::{TestServer, s};

crate::on_every_backend!(
    v2_webhooks_take_account_activity_subscriptions_and_replay,
    the_x_activity_api_streams_and_delivers_envelopes,
    x_activity_subscriptions_refuse_naming_why,
    an_app_has_at_most_five_webhooks,
    subscriptions_stop_at_the_configured_limits,
    a_retried_read_envelope_says_when_it_was_read,
);

pub async fn bearer(
    server: &TestServer,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", server.base))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let response = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn signed(
    keys: &Keys,
    server: &TestServer,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let answer = keys
        .call(
            &server.base,
            method,
            path,
            &[],
            None,
            body,
            &Tweak::default(),
        )
        .await;
    (answer.status, answer.body)
}

fn minute(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y%m%d%H%M").to_string()
}

async fn v2_webhooks_take_account_activity_subscriptions_and_replay() {
    let server = server().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    server.follow(&carol, &bot_id).await;
    server.follow(&bot, &carol_id).await;
    let (keys, app_token) = app_keys_and_bearer(&server, &bot).await;
    let mut rx = receiver(&keys.consumer_secret).await;

    let (status, made) = bearer(
        &server,
        &app_token,
        "POST",
        "/2/webhooks",
        Some(json!({"url": rx.url})),
    )
    .await;
    assert_eq!(status, 200, "{made}");
    assert_eq!(
        (made["data"]["url"].clone(), made["data"]["valid"].clone()),
        (json!(rx.url), json!(true))
    );
    let webhook = s(&made["data"]["id"]);
    assert!(rx.crcs.recv().await.is_some(), "the CRC came first");
    let (_, listed) = bearer(&server, &app_token, "GET", "/2/webhooks", None).await;
    assert_eq!(listed["meta"]["result_count"], 1, "{listed}");
    assert_eq!(listed["data"][0]["id"], webhook.as_str());
    let (status, again) = bearer(
        &server,
        &app_token,
        "POST",
        "/2/webhooks",
        Some(json!({"url": rx.url})),
    )
    .await;
    assert_eq!(status, 400, "a second webhook at the same URL: {again}");

    // Carol subscribes with her own token; the app lists and counts her.
    let carol_keys = authorize(&server, &keys, &carol).await;
    let subs = format!("/2/account_activity/webhooks/{webhook}/subscriptions/all");
    let (status, subscribed) = signed(&carol_keys, &server, "POST", &subs, Some(json!({}))).await;
    assert_eq!(
        (status, subscribed["data"]["subscribed"].clone()),
        (200, json!(true)),
        "{subscribed}"
    );
    let (_, checked) = signed(&carol_keys, &server, "GET", &subs, None).await;
    assert_eq!(checked["data"]["subscribed"], true);
    let (_, list) = bearer(&server, &app_token, "GET", &format!("{subs}/list"), None).await;
    assert_eq!(
        list["data"]["subscriptions"],
        json!([{"user_id": carol_id}]),
        "{list}"
    );
    assert_eq!(list["data"]["webhook_url"], rx.url.as_str());
    let (_, count) = bearer(
        &server,
        &app_token,
        "GET",
        "/2/account_activity/subscriptions/count",
        None,
    )
    .await;
    assert_eq!(
        (
            count["data"]["subscriptions_count_all"].clone(),
            count["data"]["subscriptions_count_direct_messages"].clone()
        ),
        (json!("1"), json!("0")),
        "{count}"
    );

    // Her messages arrive as Account Activity payloads, signed with the consumer secret.
    let start = chrono::Utc::now() - chrono::Duration::minutes(2);
    server.dm(&carol, &bot_id, "hello over v2").await;
    let heard = rx.next(Duration::from_secs(10)).await;
    let payload: Value = serde_json::from_str(&heard.body).unwrap_or(Value::Null);
    assert_eq!(payload["for_user_id"], carol_id.as_str(), "{payload}");
    assert_eq!(
        payload["direct_message_events"][0]["message_create"]["message_data"]["text"],
        "hello over v2"
    );
    assert_eq!(
        heard
            .headers
            .get("x-twitter-webhooks-signature")
            .and_then(|v| v.to_str().ok()),
        Some(sign(&keys.consumer_secret, heard.body.as_bytes()).as_str())
    );

    // Replay: the same payload again, then the job's end.
    // The next whole minute: after the message however the clock falls, and less than a
    // minute ahead (which counts as now).
    let end = chrono::Utc::now() + chrono::Duration::seconds(60);
    let (status, job) = bearer(
        &server,
        &app_token,
        "POST",
        "/2/webhooks/replay",
        Some(json!({"webhook_id": webhook, "from_date": minute(start), "to_date": minute(end)})),
    )
    .await;
    assert_eq!(status, 200, "{job}");
    let replayed = rx.next(Duration::from_secs(10)).await;
    assert_eq!(replayed.body, heard.body, "the same event again");
    let done: Value =
        serde_json::from_str(&rx.next(Duration::from_secs(10)).await.body).unwrap_or(Value::Null);
    assert_eq!(
        (
            done["replay_job_status"]["job_state"].clone(),
            done["replay_job_status"]["job_id"].clone()
        ),
        (json!("Complete"), job["data"]["job_id"].clone()),
        "{done}"
    );
    for bad in [
        json!({"webhook_id": webhook, "from_date": "2026-01-01", "to_date": minute(end)}),
        json!({"webhook_id": webhook, "from_date": minute(end), "to_date": minute(start)}),
    ] {
        let (status, refused) = bearer(
            &server,
            &app_token,
            "POST",
            "/2/webhooks/replay",
            Some(bad.clone()),
        )
        .await;
        assert_eq!(status, 400, "{bad}: {refused}");
    }

    // The app removes her; the CRC on demand; the webhook deleted.
    let (status, removed) = bearer(
        &server,
        &app_token,
        "DELETE",
        &format!("/2/account_activity/webhooks/{webhook}/subscriptions/{carol_id}/all"),
        None,
    )
    .await;
    assert_eq!(
        (status, removed["data"]["subscribed"].clone()),
        (200, json!(false))
    );
    let (status, valid) = bearer(
        &server,
        &app_token,
        "PUT",
        &format!("/2/webhooks/{webhook}"),
        None,
    )
    .await;
    assert_eq!((status, valid["data"]["valid"].clone()), (200, json!(true)));
    rx.wrong_crc
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let (status, _) = bearer(
        &server,
        &app_token,
        "PUT",
        &format!("/2/webhooks/{webhook}"),
        None,
    )
    .await;
    assert_eq!(status, 400, "a wrong CRC answer");
    // Someone who is not the app's owner cannot manage its webhooks.
    let (status, _) = signed(&carol_keys, &server, "GET", "/2/webhooks", None).await;
    assert_eq!(status, 403);
    let (status, deleted) = bearer(
        &server,
        &app_token,
        "DELETE",
        &format!("/2/webhooks/{webhook}"),
        None,
    )
    .await;
    assert_eq!(
        (status, deleted["data"]["deleted"].clone()),
        (200, json!(true))
    );
    let (_, listed) = bearer(&server, &app_token, "GET", "/2/webhooks", None).await;
    assert_eq!(listed, json!({"data": [], "meta": {"result_count": 0}}));
    let (status, _) = bearer(
        &server,
        &app_token,
        "DELETE",
        &format!("/2/webhooks/{webhook}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
}

async fn the_x_activity_api_streams_and_delivers_envelopes() {
    let server = server().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    let (dave_id, dave) = server.user("dave").await;
    server.follow(&carol, &bot_id).await;
    let (keys, app_token) = app_keys_and_bearer(&server, &bot).await;
    authorize(&server, &keys, &carol).await;
    let mut rx = receiver(&keys.consumer_secret).await;
    let (_, made) = bearer(
        &server,
        &app_token,
        "POST",
        "/2/webhooks",
        Some(json!({"url": rx.url})),
    )
    .await;
    let webhook = s(&made["data"]["id"]);

    let (status, dm) = bearer(
        &server,
        &app_token,
        "POST",
        "/2/activity/subscriptions",
        Some(json!({"event_type": "dm.received", "filter": {"user_id": carol_id, "direction": "received"},
                    "tag": "carol-in", "webhook_id": webhook})),
    )
    .await;
    assert_eq!(status, 200, "{dm}");
    let subscription = &dm["data"]["subscription"];
    assert_eq!(
        subscription["filter"],
        json!({"user_id": carol_id, "direction": "inbound"})
    );
    assert_eq!(
        (
            subscription["tag"].clone(),
            subscription["webhook_id"].clone()
        ),
        (json!("carol-in"), json!(webhook))
    );
    assert_eq!(dm["meta"]["total_subscriptions"], 1);
    let (status, follows) = bearer(
        &server,
        &app_token,
        "POST",
        "/2/activity/subscriptions",
        Some(json!({"event_type": "follow.follow", "filter": {"user_id": bot_id}})),
    )
    .await;
    assert_eq!(status, 200, "{follows}");

    let mut stream = open_stream(&server, &app_token, "").await;
    server.dm(&bot, &carol_id, "hello carol").await;
    let line = next_line(&mut stream).await;
    let data = &line["data"];
    assert_eq!(
        (
            data["event_type"].clone(),
            data["tag"].clone(),
            data["filter"]["user_id"].clone()
        ),
        (json!("dm.received"), json!("carol-in"), json!(carol_id)),
        "{line}"
    );
    assert_eq!(
        data["payload"]["direct_message_events"][0]["message_create"]["message_data"]["text"],
        "hello carol"
    );
    assert_eq!(
        data["payload"]["users"][&bot_id]["data"]["username"], "bot",
        "{line}"
    );
    assert!(
        data["event_uuid"]
            .as_str()
            .is_some_and(|u| u.parse::<i64>().is_ok()),
        "{line}"
    );
    // The webhook gets the same envelope, signed.
    let heard = rx.next(Duration::from_secs(10)).await;
    let delivered: Value = serde_json::from_str(&heard.body).unwrap_or(Value::Null);
    assert_eq!(
        delivered["data"]["event_uuid"], data["event_uuid"],
        "{delivered}"
    );
    assert_eq!(
        heard
            .headers
            .get("x-twitter-webhooks-signature")
            .and_then(|v| v.to_str().ok()),
        Some(sign(&keys.consumer_secret, heard.body.as_bytes()).as_str())
    );
    // Carol's own message is not received: the subscription asked for inbound only.
    server.dm(&carol, &bot_id, "thanks").await;
    server.follow(&dave, &bot_id).await;
    let line = next_line(&mut stream).await;
    assert_eq!(line["data"]["event_type"], "follow.follow", "{line}");
    assert_eq!(
        line["data"]["payload"]["source"]["data"]["id"],
        dave_id.as_str()
    );
    assert_eq!(
        line["data"]["payload"]["target"]["data"]["id"],
        bot_id.as_str()
    );

    // A second stream backfills what was stored in the last minutes; a third is one too many.
    let mut backfilled = open_stream(&server, &app_token, "?backfill_minutes=5").await;
    loop {
        let old = next_line(&mut backfilled).await;
        if old["data"]["event_uuid"] == data["event_uuid"] {
            assert_eq!(
                old["data"]["event_type"], "dm.received",
                "the same event, the same id"
            );
            break;
        }
    }
    let (status, refused) = bearer(&server, &app_token, "GET", "/2/activity/stream", None).await;
    assert_eq!(status, 429, "{refused}");
    drop(stream);
    drop(backfilled);

    // Listed, re-tagged, deleted.
    let (_, listed) = bearer(
        &server,
        &app_token,
        "GET",
        "/2/activity/subscriptions?max_results=1",
        None,
    )
    .await;
    assert_eq!(listed["meta"]["total_subscriptions"], 2, "{listed}");
    let next = s(&listed["meta"]["next_token"]);
    let (_, rest) = bearer(
        &server,
        &app_token,
        "GET",
        &format!("/2/activity/subscriptions?pagination_token={next}"),
        None,
    )
    .await;
    assert_eq!(rest["data"][0]["event_type"], "follow.follow", "{rest}");
    let id = s(&subscription["subscription_id"]);
    let (status, changed) = bearer(
        &server,
        &app_token,
        "PUT",
        &format!("/2/activity/subscriptions/{id}"),
        Some(json!({"tag": "dms"})),
    )
    .await;
    assert_eq!(
        (status, changed["data"]["subscription"]["tag"].clone()),
        (200, json!("dms")),
        "{changed}"
    );
    let (status, refused) = bearer(
        &server,
        &app_token,
        "PUT",
        &format!("/2/activity/subscriptions/{id}"),
        Some(json!({"tag": "t".repeat(201)})),
    )
    .await;
    assert_eq!(status, 400, "a tag over 200 characters: {refused}");
    assert!(refused.to_string().contains("tag"), "{refused}");
    let (status, gone) = bearer(
        &server,
        &app_token,
        "DELETE",
        &format!("/2/activity/subscriptions/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (
            status,
            gone["data"]["deleted"].clone(),
            gone["meta"]["total_subscriptions"].clone()
        ),
        (200, json!(true), json!(1))
    );
    let (status, many) = bearer(
        &server,
        &app_token,
        "DELETE",
        &format!(
            "/2/activity/subscriptions?ids={},{id}",
            s(&rest["data"][0]["subscription_id"])
        ),
        None,
    )
    .await;
    assert_eq!(status, 200, "{many}");
    assert_eq!(many["data"][0]["deleted"], true);
    assert_eq!(many["errors"][0]["subscription_id"], id.as_str(), "{many}");
}

async fn x_activity_subscriptions_refuse_naming_why() {
    let server = server().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    let (dave_id, _) = server.user("dave").await;
    let (keys, app_token) = app_keys_and_bearer(&server, &bot).await;
    let carol_keys = authorize(&server, &keys, &carol).await;
    let create = |body: Value| {
        let server = &server;
        let app_token = app_token.clone();
        async move {
            bearer(
                server,
                &app_token,
                "POST",
                "/2/activity/subscriptions",
                Some(body),
            )
            .await
        }
    };
    for (body, why) in [
        (
            json!({"event_type": "likes.everything", "filter": {"user_id": carol_id}}),
            "event_type",
        ),
        (
            json!({"event_type": "follow.follow", "filter": {"user_id": carol_id, "direction": "inbound"}}),
            "filter.direction",
        ),
        (
            json!({"event_type": "dm.sent", "filter": {"user_id": carol_id, "direction": "sideways"}}),
            "filter.direction",
        ),
        (
            json!({"event_type": "dm.sent", "filter": {"user_id": carol_id}, "tag": ""}),
            "tag",
        ),
        (
            json!({"event_type": "dm.sent", "filter": {"user_id": carol_id}, "tag": "t".repeat(201)}),
            "tag",
        ),
        (
            json!({"event_type": "dm.sent", "filter": {"user_id": carol_id}, "tag": "two\nlines"}),
            "tag",
        ),
        (
            json!({"event_type": "dm.sent", "filter": {"user_id": carol_id}, "webhook_id": "123456"}),
            "webhook_id",
        ),
        (
            json!({"event_type": "news.new", "filter": {"keyword": "postern"}}),
            "filter",
        ),
        (
            json!({"event_type": "dm.sent", "filter": {"user_id": carol_id}, "extra": 1}),
            "body",
        ),
    ] {
        let (status, refused) = create(body.clone()).await;
        assert!(status == 400 || status == 404, "{body}: {status} {refused}");
        assert!(
            refused.to_string().contains(why),
            "{body} names {why}: {refused}"
        );
    }
    // Private events need the person's consent, and by a person's token only their own.
    let (status, _) =
        create(json!({"event_type": "dm.received", "filter": {"user_id": dave_id}})).await;
    assert_eq!(status, 403, "dave never authorized the app");
    let (status, _) = signed(
        &carol_keys,
        &server,
        "POST",
        "/2/activity/subscriptions",
        Some(json!({"event_type": "dm.received", "filter": {"user_id": bot_id}})),
    )
    .await;
    assert_eq!(status, 403, "carol cannot subscribe to the bot's messages");
    let (status, own) = signed(
        &carol_keys,
        &server,
        "POST",
        "/2/activity/subscriptions",
        Some(json!({"event_type": "dm.received", "filter": {"user_id": carol_id}})),
    )
    .await;
    assert_eq!(status, 200, "{own}");
    let (status, twice) =
        create(json!({"event_type": "dm.received", "filter": {"user_id": carol_id}})).await;
    assert_eq!(status, 409, "the same subscription twice: {twice}");
    // The stream is the app's alone.
    let (status, _) = signed(&carol_keys, &server, "GET", "/2/activity/stream", None).await;
    assert_eq!(status, 403);
    let (status, _) = bearer(
        &server,
        &app_token,
        "GET",
        "/2/activity/stream?backfill_minutes=6",
        None,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = bearer(
        &server,
        &app_token,
        "DELETE",
        "/2/activity/subscriptions/123456",
        None,
    )
    .await;
    assert_eq!(status, 404);
}

async fn an_app_has_at_most_five_webhooks() {
    let server = server().await;
    let (_, bot) = server.user("bot").await;
    let (keys, app_token) = app_keys_and_bearer(&server, &bot).await;
    let rx = receiver(&keys.consumer_secret).await;
    for i in 0..5 {
        let url = format!("{}?n={i}", rx.url);
        let (status, made) = bearer(
            &server,
            &app_token,
            "POST",
            "/2/webhooks",
            Some(json!({"url": url})),
        )
        .await;
        assert_eq!(status, 200, "{made}");
    }
    let url = format!("{}?n=5", rx.url);
    let (status, refused) = bearer(
        &server,
        &app_token,
        "POST",
        "/2/webhooks",
        Some(json!({"url": url})),
    )
    .await;
    assert_eq!(status, 409, "a sixth: {refused}");
    assert!(refused.to_string().contains("at most 5"), "{refused}");
}

/// `webhooks.subscriptions_per_webhook` (Twitter's 250) and
/// `webhooks.activity_subscriptions_per_app` (X's 1,500), set to 1: the second subscription
/// is refused naming the limit, and the count reports what is provisioned.
async fn subscriptions_stop_at_the_configured_limits() {
    let server = TestServer::with(|c| {
        c.outbound.allow = vec!["127.0.0.1".into()];
        c.webhooks.subscriptions_per_webhook = 1;
        c.webhooks.activity_subscriptions_per_app = 1;
    })
    .await;
    let (_, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    let (keys, app_token) = app_keys_and_bearer(&server, &bot).await;
    let carol_keys = authorize(&server, &keys, &carol).await;
    let rx = receiver(&keys.consumer_secret).await;
    let env = "/1.1/account_activity/all/dev";
    register(&server, &keys, &rx).await;
    let path = format!("{env}/subscriptions.json");
    let (status, _) = signed(&keys, &server, "POST", &path, None).await;
    assert_eq!(status, 204, "the first subscription");
    let (status, refused) = signed(&carol_keys, &server, "POST", &path, None).await;
    assert!(
        (400..500).contains(&status) && refused.to_string().contains("at most 1 subscriptions"),
        "{status} {refused}"
    );
    let (status, count) = signed(
        &keys,
        &server,
        "GET",
        "/1.1/account_activity/all/subscriptions/count.json",
        None,
    )
    .await;
    assert_eq!(
        (
            status,
            count["provisioned_count"].clone(),
            count["subscriptions_count_all"].clone()
        ),
        (200, json!("1"), json!("1")),
        "{count}"
    );

    let (status, first) = signed(
        &carol_keys,
        &server,
        "POST",
        "/2/activity/subscriptions",
        Some(json!({"event_type": "dm.received", "filter": {"user_id": carol_id}})),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let (status, refused) = bearer(
        &server,
        &app_token,
        "POST",
        "/2/activity/subscriptions",
        Some(json!({"event_type": "dm.sent", "filter": {"user_id": carol_id}})),
    )
    .await;
    assert!(
        (400..500).contains(&status) && refused.to_string().contains("at most 1 subscriptions"),
        "{status} {refused}"
    );
}

/// A `dm.read` envelope refused once comes again identical, stamped when the message was read
/// (not when it went out).
async fn a_retried_read_envelope_says_when_it_was_read() {
    let server = server().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    server.follow(&carol, &bot_id).await;
    let (keys, app_token) = app_keys_and_bearer(&server, &bot).await;
    let rx = receiver(&keys.consumer_secret).await;
    let (_, made) = bearer(
        &server,
        &app_token,
        "POST",
        "/2/webhooks",
        Some(json!({"url": rx.url})),
    )
    .await;
    let (status, subscribed) = bearer(
        &server,
        &app_token,
        "POST",
        "/2/activity/subscriptions",
        Some(
            json!({"event_type": "dm.read", "filter": {"user_id": bot_id},
                    "webhook_id": s(&made["data"]["id"])}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{subscribed}");
    let sent = server.dm(&bot, &carol_id, "your order shipped").await;

    let mut rx = rx;
    let (second, before, after) = read_refused_once(
        &server,
        &mut rx,
        &carol,
        &s(&sent["conversation_id"]),
        &s(&sent["id"]),
    )
    .await;
    let envelope = second.json();
    assert_eq!(envelope["data"]["event_type"], "dm.read", "{envelope}");
    let read = &envelope["data"]["payload"]["direct_message_mark_read_events"][0];
    let at: i64 = s(&read["created_timestamp"]).parse().unwrap_or(0);
    assert!(
        (before..=after).contains(&at),
        "{before} ≤ {at} ≤ {after}: {read}"
    );
}
