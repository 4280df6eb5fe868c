//! X's v2 API (issue 17, item 5): DMs and users as v2 has them, fields and expansions as
//! asked, problem JSON for refusals.

use serde_json::{Value, json};

use crate::client::{Keys, Tweak, app_keys};
use crate::common::{TestServer, s};

crate::on_every_backend!(
    sends_create_conversations_and_lookups_page_with_fields_and_expansions,
    refusals_are_problem_json,
    users_by_id_name_and_lists_with_partial_errors,
    media_uploads_chunked_and_one_shot_then_a_dm_with_each,
    tweets_and_mentions_map_onto_posts,
);

async fn post(keys: &Keys, server: &TestServer, path: &str, body: Value) -> crate::client::Signed {
    keys.post_json(&server.base, path, body).await
}

async fn sends_create_conversations_and_lookups_page_with_fields_and_expansions() {
    let server = TestServer::start().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    let (dave_id, dave) = server.user("dave").await;
    for (token, id) in [
        (&carol, &bot_id),
        (&dave, &bot_id),
        (&bot, &carol_id),
        (&bot, &dave_id),
    ] {
        server.follow(token, id).await;
    }
    let keys = app_keys(&server, &bot).await;
    let sent = post(
        &keys,
        &server,
        &format!("/2/dm_conversations/with/{carol_id}/messages"),
        json!({"text": "Hello #v2"}),
    )
    .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let one_to_one = s(&sent.body["data"]["dm_conversation_id"]);
    let (a, b): (u64, u64) = (bot_id.parse().unwrap_or(0), carol_id.parse().unwrap_or(0));
    assert_eq!(
        one_to_one,
        format!("{}-{}", a.min(b), a.max(b)),
        "the smaller id first"
    );
    let first_event = s(&sent.body["data"]["dm_event_id"]);
    let group = post(&keys, &server, "/2/dm_conversations", json!({"conversation_type": "Group", "participant_ids": [carol_id, dave_id], "message": {"text": "Hi both"}})).await;
    assert_eq!(group.status, 201, "{}", group.body);
    let group_id = s(&group.body["data"]["dm_conversation_id"]);
    assert!(group_id.chars().all(|c| c.is_ascii_digit()), "{group_id}");
    let more = post(
        &keys,
        &server,
        &format!("/2/dm_conversations/{group_id}/messages"),
        json!({"text": "One more"}),
    )
    .await;
    assert_eq!(more.status, 201, "{}", more.body);

    // Everything, one at a time, with fields and the senders expanded.
    let mut seen: Vec<String> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut query = vec![
            ("max_results", "1".to_owned()),
            (
                "dm_event.fields",
                "sender_id,created_at,dm_conversation_id,participant_ids".to_owned(),
            ),
            ("expansions", "sender_id".to_owned()),
            ("user.fields", "username,verified".to_owned()),
        ];
        if let Some(t) = &token {
            query.push(("pagination_token", t.clone()));
        }
        let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = keys.get(&server.base, "/2/dm_events", &q).await;
        assert_eq!(page.status, 200, "{}", page.body);
        for e in page.body["data"].as_array().cloned().unwrap_or_default() {
            assert!(
                e["created_at"].as_str().is_some_and(|t| t.ends_with('Z')),
                "{e}"
            );
            assert!(e["dm_conversation_id"].is_string(), "{e}");
            seen.push(format!(
                "{} {}",
                s(&e["event_type"]),
                e["text"].as_str().unwrap_or_default()
            ));
            if e["event_type"] == "MessageCreate" {
                let sender = s(&e["sender_id"]);
                let users = page.body["includes"]["users"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                assert!(
                    users
                        .iter()
                        .any(|u| u["id"] == sender.as_str() && u.get("verified").is_some()),
                    "{}",
                    page.body
                );
            }
        }
        match page.body["meta"].get("next_token") {
            Some(next) => token = Some(s(next)),
            None => break,
        }
        assert!(seen.len() <= 6, "pages never end: {seen:?}");
    }
    assert_eq!(
        seen.first().map(String::as_str),
        Some("MessageCreate One more"),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|e| e.starts_with("ParticipantsJoin")),
        "{seen:?}"
    );
    assert_eq!(
        seen.last().map(String::as_str),
        Some("MessageCreate Hello #v2"),
        "{seen:?}"
    );
    // By participant and by conversation; only message events when asked.
    let with = keys
        .get(
            &server.base,
            &format!("/2/dm_conversations/with/{carol_id}/dm_events"),
            &[],
        )
        .await;
    assert_eq!(with.body["meta"]["result_count"], 1, "{}", with.body);
    assert_eq!(
        with.body["data"][0],
        json!({"id": first_event, "event_type": "MessageCreate", "text": "Hello #v2"}),
        "default fields only"
    );
    let messages = keys
        .get(
            &server.base,
            &format!("/2/dm_conversations/{group_id}/dm_events"),
            &[("event_types", "MessageCreate")],
        )
        .await;
    assert_eq!(
        messages.body["meta"]["result_count"], 2,
        "{}",
        messages.body
    );
    let one = keys
        .get(
            &server.base,
            &format!("/2/dm_events/{first_event}"),
            &[("dm_event.fields", "entities")],
        )
        .await;
    assert_eq!(
        one.body["data"]["entities"]["hashtags"][0]["tag"], "v2",
        "{}",
        one.body
    );
    let deleted = keys
        .call(
            &server.base,
            "DELETE",
            &format!("/2/dm_events/{first_event}"),
            &[],
            None,
            None,
            &Tweak::default(),
        )
        .await;
    assert_eq!(deleted.body, json!({"data": {"deleted": true}}));
    let gone = keys
        .get(&server.base, &format!("/2/dm_events/{first_event}"), &[])
        .await;
    assert_eq!(gone.status, 404, "{}", gone.body);
    assert_eq!(
        gone.body["type"],
        "https://api.twitter.com/2/problems/resource-not-found"
    );
    let empty = keys
        .get(
            &server.base,
            &format!("/2/dm_conversations/with/{carol_id}/dm_events"),
            &[],
        )
        .await;
    assert_eq!(empty.body, json!({"meta": {"result_count": 0}}));
}

async fn refusals_are_problem_json() {
    let server = TestServer::start().await;
    let (bot_id, bot) = server.user("bot").await;
    let (stranger_id, _) = server.user("stranger").await;
    let (blocker_id, blocker) = server.user("blocker").await;
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
    let bad_field = keys
        .get(&server.base, "/2/dm_events", &[("dm_event.fields", "mood")])
        .await;
    assert_eq!(bad_field.status, 400, "{}", bad_field.body);
    assert_eq!(
        bad_field
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    assert_eq!(
        bad_field.body["type"],
        "https://api.twitter.com/2/problems/invalid-request"
    );
    assert!(
        bad_field.body["errors"][0]["parameters"]
            .get("dm_event.fields")
            .is_some(),
        "{}",
        bad_field.body
    );
    for max in ["0", "101"] {
        let refused = keys
            .get(&server.base, "/2/dm_events", &[("max_results", max)])
            .await;
        assert_eq!(refused.status, 400, "max_results={max}: {}", refused.body);
        assert!(
            refused.body["errors"][0]["parameters"]
                .get("max_results")
                .is_some(),
            "{}",
            refused.body
        );
    }
    let empty = post(
        &keys,
        &server,
        &format!("/2/dm_conversations/with/{stranger_id}/messages"),
        json!({}),
    )
    .await;
    assert_eq!(empty.status, 400, "{}", empty.body);
    let refused = post(
        &keys,
        &server,
        &format!("/2/dm_conversations/with/{stranger_id}/messages"),
        json!({"text": "hi"}),
    )
    .await;
    assert_eq!(
        (refused.status, refused.body["title"].clone()),
        (403, json!("Forbidden")),
        "{}",
        refused.body
    );
    let blocked = post(
        &keys,
        &server,
        &format!("/2/dm_conversations/with/{blocker_id}/messages"),
        json!({"text": "hi"}),
    )
    .await;
    assert_eq!(blocked.status, 403, "{}", blocked.body);
    let group = post(&keys, &server, "/2/dm_conversations", json!({"conversation_type": "group", "participant_ids": [stranger_id], "message": {"text": "x"}})).await;
    assert_eq!(
        group.status, 400,
        "conversation_type is case-sensitive: {}",
        group.body
    );
    let anonymous = reqwest::get(format!("{}/2/users/me", server.base))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(anonymous.status().as_u16(), 401);
    let (_, app) = server
        .call(
            "POST",
            "/api/v1/apps",
            Some(&bot),
            Some(json!({"name": "app only"})),
        )
        .await;
    let app_only = reqwest::Client::new()
        .get(format!("{}/2/dm_events", server.base))
        .bearer_auth(s(&app["bearer_token"]))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(app_only.status().as_u16(), 403);
    let body: Value = app_only.json().await.unwrap_or_default();
    assert_eq!(
        body["type"], "https://api.twitter.com/2/problems/unsupported-authentication",
        "{body}"
    );
}

async fn users_by_id_name_and_lists_with_partial_errors() {
    let server = TestServer::start().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, _) = server.user("carol").await;
    let keys = app_keys(&server, &bot).await;
    let me = keys
        .get(
            &server.base,
            "/2/users/me",
            &[("user.fields", "created_at,description")],
        )
        .await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["data"]["id"], bot_id.as_str());
    assert_eq!(me.body["data"]["username"], "bot");
    assert!(me.body["data"]["created_at"].is_string(), "{}", me.body);
    let by_id = keys
        .get(&server.base, &format!("/2/users/{carol_id}"), &[])
        .await;
    assert_eq!(
        by_id.body["data"],
        json!({"id": carol_id, "name": by_id.body["data"]["name"], "username": "carol"})
    );
    let by_name = keys
        .get(&server.base, "/2/users/by/username/carol", &[])
        .await;
    assert_eq!(by_name.body["data"]["id"], carol_id.as_str());
    let missing = keys
        .get(&server.base, "/2/users/by/username/nobody_here", &[])
        .await;
    assert_eq!(missing.status, 404, "{}", missing.body);
    let list = keys
        .get(
            &server.base,
            "/2/users",
            &[("ids", &format!("{carol_id},999999"))],
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["data"][0]["id"], carol_id.as_str());
    assert_eq!(list.body["errors"][0]["resource_id"], "999999");
    assert_eq!(
        list.body["errors"][0]["type"],
        "https://api.twitter.com/2/problems/resource-not-found"
    );
    let names = keys
        .get(&server.base, "/2/users/by", &[("usernames", "carol,bot")])
        .await;
    assert_eq!(
        names.body["data"].as_array().map(Vec::len),
        Some(2),
        "{}",
        names.body
    );
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(w, h, image::Rgb([40, 160, 90])))
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap_or_else(|e| panic!("png: {e}"));
    out.into_inner()
}

async fn media_uploads_chunked_and_one_shot_then_a_dm_with_each() {
    use base64::Engine;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let server = TestServer::start().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    server.follow(&carol, &bot_id).await;
    let keys = app_keys(&server, &bot).await;
    let bytes = png(120, 90);
    let (first, second) = bytes.split_at(bytes.len() / 2);
    let init = post(&keys, &server, "/2/media/upload/initialize", json!({"media_type": "image/png", "media_category": "dm_image", "total_bytes": bytes.len()})).await;
    assert_eq!(init.status, 200, "{}", init.body);
    let id = s(&init.body["data"]["id"]);
    assert_eq!(init.body["data"]["media_key"], format!("3_{id}"));
    // X's SDK appends JSON with base64; others multipart.
    let appended = post(
        &keys,
        &server,
        &format!("/2/media/upload/{id}/append"),
        json!({"media": b64(first), "segment_index": 0}),
    )
    .await;
    assert_eq!(appended.status, 200, "{}", appended.body);
    assert!(
        appended.body["data"]["expires_at"]
            .as_i64()
            .is_some_and(|t| t > chrono::Utc::now().timestamp()),
        "{}",
        appended.body
    );
    let part = reqwest::multipart::Form::new()
        .text("segment_index", "1")
        .part(
            "media",
            reqwest::multipart::Part::bytes(second.to_vec()).file_name("blob"),
        );
    let appended = keys
        .multipart(
            &server.base,
            &format!("/2/media/upload/{id}/append"),
            &[],
            part,
        )
        .await;
    assert_eq!(appended.status, 200, "{}", appended.body);
    let pending = keys
        .get(
            &server.base,
            "/2/media/upload",
            &[("command", "STATUS"), ("media_id", &id)],
        )
        .await;
    assert_eq!(
        pending.body["data"]["processing_info"]["state"], "pending",
        "{}",
        pending.body
    );
    let done = post(
        &keys,
        &server,
        &format!("/2/media/upload/{id}/finalize"),
        json!({}),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["data"]["id"], id.as_str());
    assert_eq!(done.body["data"]["image"]["w"], 120);
    let sent = post(
        &keys,
        &server,
        &format!("/2/dm_conversations/with/{carol_id}/messages"),
        json!({"text": "chunked", "attachments": [{"media_id": id}]}),
    )
    .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let one = post(
        &keys,
        &server,
        "/2/media/upload",
        json!({"media": b64(&png(30, 20)), "media_category": "dm_image"}),
    )
    .await;
    assert_eq!(one.status, 200, "{}", one.body);
    let one_id = s(&one.body["data"]["id"]);
    let sent = post(
        &keys,
        &server,
        &format!("/2/dm_conversations/with/{carol_id}/messages"),
        json!({"attachments": [{"media_id": one_id}]}),
    )
    .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let listed = keys
        .get(
            &server.base,
            &format!("/2/dm_conversations/with/{carol_id}/dm_events"),
            &[
                ("dm_event.fields", "attachments"),
                ("expansions", "attachments.media_keys"),
                ("media.fields", "width,height"),
            ],
        )
        .await;
    assert_eq!(
        listed.body["data"][0]["attachments"]["media_keys"][0],
        format!("3_{one_id}"),
        "{}",
        listed.body
    );
    assert_eq!(
        listed.body["includes"]["media"][0]["width"], 30,
        "{}",
        listed.body
    );
    let owners = post(
        &keys,
        &server,
        "/2/media/upload/initialize",
        json!({"media_type": "image/png", "total_bytes": 10, "additional_owners": [carol_id]}),
    )
    .await;
    assert_eq!(owners.status, 400, "{}", owners.body);
    let junk = post(
        &keys,
        &server,
        "/2/media/upload",
        json!({"media": b64(b"not an image")}),
    )
    .await;
    assert_eq!(junk.status, 400, "{}", junk.body);
}

async fn tweets_and_mentions_map_onto_posts() {
    let server = TestServer::start().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    let keys = app_keys(&server, &bot).await;
    let carols = app_keys(&server, &carol).await;
    let made = post(
        &keys,
        &server,
        "/2/tweets",
        json!({"text": "Hello @carol, we are open #today"}),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let id = s(&made.body["data"]["id"]);
    assert_eq!(
        made.body["data"]["text"],
        "Hello @carol, we are open #today"
    );
    let reply = post(
        &carols,
        &server,
        "/2/tweets",
        json!({"text": "Thanks!", "reply": {"in_reply_to_tweet_id": id}}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let reply_id = s(&reply.body["data"]["id"]);
    let shown = keys
        .get(
            &server.base,
            &format!("/2/tweets/{reply_id}"),
            &[(
                "tweet.fields",
                "author_id,in_reply_to_user_id,referenced_tweets,created_at",
            )],
        )
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(shown.body["data"]["author_id"], carol_id.as_str());
    assert_eq!(shown.body["data"]["in_reply_to_user_id"], bot_id.as_str());
    assert_eq!(
        shown.body["data"]["referenced_tweets"][0]["id"],
        id.as_str()
    );
    // Carol's mentions hold the bot's post; the bot's hold Carol's reply.
    let mine = carols
        .get(
            &server.base,
            &format!("/2/users/{carol_id}/mentions"),
            &[("tweet.fields", "entities")],
        )
        .await;
    assert_eq!(mine.body["data"][0]["id"], id.as_str(), "{}", mine.body);
    assert_eq!(
        mine.body["data"][0]["entities"]["hashtags"][0]["tag"],
        "today"
    );
    assert_eq!(mine.body["meta"]["result_count"], 1);
    let theirs = keys
        .get(&server.base, &format!("/2/users/{carol_id}/mentions"), &[])
        .await;
    assert_eq!(theirs.status, 403, "{}", theirs.body);
    let listed = keys
        .get(
            &server.base,
            "/2/tweets",
            &[("ids", &format!("{id},{reply_id},12345"))],
        )
        .await;
    assert_eq!(
        listed.body["data"].as_array().map(Vec::len),
        Some(2),
        "{}",
        listed.body
    );
    assert_eq!(listed.body["errors"][0]["resource_type"], "tweet");
    let long = post(
        &keys,
        &server,
        "/2/tweets",
        json!({"text": "x".repeat(281)}),
    )
    .await;
    assert_eq!(long.status, 400, "{}", long.body);
    let not_mine = keys
        .call(
            &server.base,
            "DELETE",
            &format!("/2/tweets/{reply_id}"),
            &[],
            None,
            None,
            &Tweak::default(),
        )
        .await;
    assert_eq!(
        not_mine.status, 404,
        "another's post is not found to delete: {}",
        not_mine.body
    );
    let deleted = keys
        .call(
            &server.base,
            "DELETE",
            &format!("/2/tweets/{id}"),
            &[],
            None,
            None,
            &Tweak::default(),
        )
        .await;
    assert_eq!(deleted.body, json!({"data": {"deleted": true}}));
    let gone = keys
        .get(&server.base, &format!("/2/tweets/{id}"), &[])
        .await;
    assert_eq!(gone.status, 404, "{}", gone.body);
}
