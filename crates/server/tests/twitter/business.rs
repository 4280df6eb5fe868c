//! Welcome messages, their rule, custom profiles and feedback cards over v1.1 (issue 17,
//! item 4).

use serde_json::{Value, json};

use crate::client::{Keys, Tweak, app_keys};
use crate::common::{TestServer, s};

crate::on_every_backend!(
    welcome_messages_and_their_rule_as_twitter_has_them,
    custom_profiles_as_twitter_has_them,
    feedback_cards_as_twitter_has_them,
);

const WELCOME: &str = "/1.1/direct_messages/welcome_messages";

async fn call(
    keys: &Keys,
    server: &TestServer,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    body: Option<Value>,
) -> crate::client::Signed {
    keys.call(
        &server.base,
        method,
        path,
        query,
        None,
        body,
        &Tweak::default(),
    )
    .await
}

async fn welcome_messages_and_their_rule_as_twitter_has_them() {
    let server = TestServer::start().await;
    let (brand_id, brand) = server.user("acme").await;
    let (_, carol) = server.user("carol").await;
    let keys = app_keys(&server, &brand).await;
    let data = json!({"text": "Hi! How can we help?", "quick_reply": {"type": "options", "options": [
        {"label": "Orders", "metadata": "orders"}, {"label": "Returns", "metadata": "returns"}]}});
    let closed = call(
        &keys,
        &server,
        "POST",
        &format!("{WELCOME}/new.json"),
        &[],
        Some(json!({"welcome_message": {"message_data": data}})),
    )
    .await;
    assert_eq!(closed.code(403), 214);
    server.open_to_everyone(&brand).await;
    // twitter-api-v2 puts the name inside; the doc's example beside.
    let first = call(
        &keys,
        &server,
        "POST",
        &format!("{WELCOME}/new.json"),
        &[],
        Some(json!({"welcome_message": {"name": "inside", "message_data": data}})),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["name"], "inside");
    let w = &first.body["welcome_message"];
    assert!(
        w["id"].is_string() && w["created_timestamp"].is_string(),
        "{w}"
    );
    assert_eq!(
        w["message_data"]["quick_reply"]["options"][1]["metadata"],
        "returns"
    );
    assert_eq!(w["message_data"]["entities"]["hashtags"], json!([]));
    let second = call(
        &keys,
        &server,
        "POST",
        &format!("{WELCOME}/new.json"),
        &[],
        Some(json!({"name": "beside", "welcome_message": {"message_data": {"text": "Second"}}})),
    )
    .await;
    assert_eq!(second.body["name"], "beside", "{}", second.body);
    let id = s(&w["id"]);
    // Pages of one.
    let page = call(
        &keys,
        &server,
        "GET",
        &format!("{WELCOME}/list.json"),
        &[("count", "1")],
        None,
    )
    .await;
    assert_eq!(
        page.body["welcome_messages"][0]["id"],
        id.as_str(),
        "{}",
        page.body
    );
    let next = s(&page.body["next_cursor"]);
    let last = call(
        &keys,
        &server,
        "GET",
        &format!("{WELCOME}/list.json"),
        &[("count", "1"), ("cursor", &next)],
        None,
    )
    .await;
    assert_eq!(
        last.body["welcome_messages"][0]["message_data"]["text"],
        "Second"
    );
    assert!(last.body.get("next_cursor").is_none(), "{}", last.body);
    // Update replaces the message data whole: the quick replies are gone.
    let updated = call(
        &keys,
        &server,
        "PUT",
        &format!("{WELCOME}/update.json"),
        &[("id", &id)],
        Some(json!({"message_data": {"text": "Hello again"}})),
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(
        updated.body["welcome_message"]["message_data"]["text"],
        "Hello again"
    );
    assert!(
        updated.body["welcome_message"]["message_data"]
            .get("quick_reply")
            .is_none()
    );
    // The rule: one per account; it greets people.
    let rule = call(
        &keys,
        &server,
        "POST",
        &format!("{WELCOME}/rules/new.json"),
        &[],
        Some(json!({"welcome_message_rule": {"welcome_message_id": id}})),
    )
    .await;
    assert_eq!(rule.status, 200, "{}", rule.body);
    let rule_id = s(&rule.body["welcome_message_rule"]["id"]);
    assert_eq!(
        rule.body["welcome_message_rule"]["welcome_message_id"],
        id.as_str()
    );
    let again = call(&keys, &server, "POST", &format!("{WELCOME}/rules/new.json"), &[], Some(json!({"welcome_message_rule": {"welcome_message_id": s(&second.body["welcome_message"]["id"])}}))).await;
    assert_eq!(again.code(403), 151);
    let shown = call(
        &keys,
        &server,
        "GET",
        &format!("{WELCOME}/rules/show.json"),
        &[("id", &rule_id)],
        None,
    )
    .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    let rules = call(
        &keys,
        &server,
        "GET",
        &format!("{WELCOME}/rules/list.json"),
        &[],
        None,
    )
    .await;
    assert_eq!(
        rules.body["welcome_message_rules"].as_array().map(Vec::len),
        Some(1)
    );
    let (status, greeting) = server
        .call(
            "GET",
            &format!("/api/v1/users/{brand_id}/welcome_message"),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(status, 200, "{greeting}");
    assert_eq!(greeting["message_data"]["text"], "Hello again");
    let gone = call(
        &keys,
        &server,
        "DELETE",
        &format!("{WELCOME}/rules/destroy.json"),
        &[("id", &rule_id)],
        None,
    )
    .await;
    assert_eq!(gone.status, 204);
    let rules = call(
        &keys,
        &server,
        "GET",
        &format!("{WELCOME}/rules/list.json"),
        &[],
        None,
    )
    .await;
    assert_eq!(rules.body["welcome_message_rules"], json!([]));
    let deleted = call(
        &keys,
        &server,
        "DELETE",
        &format!("{WELCOME}/destroy.json"),
        &[("id", &id)],
        None,
    )
    .await;
    assert_eq!(deleted.status, 204);
    let missing = call(
        &keys,
        &server,
        "GET",
        &format!("{WELCOME}/show.json"),
        &[("id", &id)],
        None,
    )
    .await;
    assert_eq!(missing.code(404), 34);
    let long = call(
        &keys,
        &server,
        "POST",
        &format!("{WELCOME}/new.json"),
        &[],
        Some(json!({"welcome_message": {"message_data": {"text": "x".repeat(9_991)}}})),
    )
    .await;
    assert_eq!(long.code(403), 354);
}

async fn custom_profiles_as_twitter_has_them() {
    let server = TestServer::start().await;
    let (_, brand) = server.user("acme").await;
    let keys = app_keys(&server, &brand).await;
    let made = call(
        &keys,
        &server,
        "POST",
        "/1.1/custom_profiles/new.json",
        &[],
        Some(json!({"custom_profile": {"name": "Jon C, Partner Engineer"}})),
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let p = &made.body["custom_profile"];
    assert_eq!(p["name"], "Jon C, Partner Engineer");
    let created: i64 = s(&p["created_timestamp"]).parse().unwrap_or_default();
    assert!(
        (created - chrono::Utc::now().timestamp_millis()).abs() < 60_000,
        "{p}"
    );
    let id = s(&p["id"]);
    let shown = call(
        &keys,
        &server,
        "GET",
        &format!("/1.1/custom_profiles/{id}.json"),
        &[],
        None,
    )
    .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(shown.body["custom_profile"]["id"], id.as_str());
    let listed = call(
        &keys,
        &server,
        "GET",
        "/1.1/custom_profiles/list.json",
        &[],
        None,
    )
    .await;
    assert_eq!(
        listed.body["custom_profiles"][0]["id"],
        id.as_str(),
        "{}",
        listed.body
    );
    let long = call(
        &keys,
        &server,
        "POST",
        "/1.1/custom_profiles/new.json",
        &[],
        Some(json!({"custom_profile": {"name": "x".repeat(49)}})),
    )
    .await;
    assert_eq!(long.code(400), 44);
    for _ in 0..2 {
        let gone = call(
            &keys,
            &server,
            "DELETE",
            "/1.1/custom_profiles/destroy.json",
            &[("id", &id)],
            None,
        )
        .await;
        assert_eq!(gone.status, 204, "{}", gone.body);
    }
    let missing = call(
        &keys,
        &server,
        "GET",
        &format!("/1.1/custom_profiles/{id}.json"),
        &[],
        None,
    )
    .await;
    assert_eq!(missing.code(404), 34);
}

async fn feedback_cards_as_twitter_has_them() {
    let server = TestServer::start().await;
    let (brand_id, brand) = server.user("acme").await;
    let (carol_id, carol) = server.user("carol").await;
    server.follow(&carol, &brand_id).await;
    let keys = app_keys(&server, &brand).await;
    let ask = |body: Value| {
        let keys = keys.clone();
        let base = server.base.clone();
        async move {
            keys.post_json(&base, "/1.1/feedback/create.json", body)
                .await
        }
    };
    let good = json!({"type": "csat", "to_user_id": carol_id, "message": "Thanks for chatting with us!",
        "privacy_url": "https://acme.example/privacy", "external_id": "ticket_5555", "display_name": "ACME"});
    for (field, value) in [
        ("type", json!("CSAT")),
        ("question_variant_id", json!("3")),
        ("privacy_url", json!("not a url")),
        ("display_name", json!("x".repeat(21))),
    ] {
        let mut bad = good.clone();
        bad[field] = value;
        let refused = ask(bad).await;
        assert_eq!(refused.code(400), 44, "{field}");
        assert!(
            s(&refused.body["errors"][0]["message"]).contains(field),
            "{}",
            refused.body
        );
    }
    let made = ask(good.clone()).await;
    assert_eq!(made.status, 200, "{}", made.body);
    let f = &made.body;
    assert_eq!(
        (
            f["type"].clone(),
            f["from_user_id"].clone(),
            f["to_user_id"].clone()
        ),
        (json!("csat"), json!(brand_id), json!(carol_id))
    );
    assert_eq!(f["external_id"], "ticket_5555");
    assert_eq!(f["display_name"], "ACME");
    assert!(
        s(&f["created_at"]).ends_with("2026") || s(&f["created_at"]).contains("+0000"),
        "{f}"
    );
    let (a, b): (u64, u64) = (brand_id.parse().unwrap_or(0), carol_id.parse().unwrap_or(0));
    let seen = server
        .messages(&carol, &format!("{}-{}", a.min(b), a.max(b)))
        .await;
    let (text, id) = seen.last().cloned().unwrap_or_default();
    assert_eq!(id, s(&f["dm_id"]));
    assert!(
        text.starts_with(
            "Thanks for chatting with us!\n\nWhat is your overall satisfaction with ACME?"
        ),
        "{text}"
    );
    assert_eq!(ask(good).await.code(429), 88, "one a day per person");
    // Carol answers; the account sees the score and words, and the event.
    let id = s(&f["id"]);
    let (status, answered) = server
        .call(
            "POST",
            &format!("/api/v1/feedback_requests/{id}/response"),
            Some(&carol),
            Some(json!({"score": 5, "text": "Quick and kind"})),
        )
        .await;
    assert_eq!(status, 200, "{answered}");
    let shown = call(
        &keys,
        &server,
        "GET",
        &format!("/1.1/feedback/show/{id}.json"),
        &[],
        None,
    )
    .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(shown.body["response"]["score"]["value"], 5);
    assert_eq!(shown.body["response"]["text"]["value"], "Quick and kind");
    assert_eq!(shown.body["display_name"], "ACME");
    let carol_keys = app_keys(&server, &carol).await;
    let not_theirs = call(
        &carol_keys,
        &server,
        "GET",
        &format!("/1.1/feedback/show/{id}.json"),
        &[],
        None,
    )
    .await;
    assert_eq!(not_theirs.code(404), 34);
    let now = chrono::Utc::now().timestamp_millis().to_string();
    let events = call(
        &keys,
        &server,
        "GET",
        "/1.1/feedback/events.json",
        &[("from_time", "0"), ("to_time", &now)],
        None,
    )
    .await;
    assert_eq!(events.status, 200, "{}", events.body);
    assert_eq!(events.body["events"][0]["event_type"], "feedback.updated");
    assert_eq!(events.body["events"][0]["feedback"]["id"], id.as_str());
    assert!(events.body.get("next_cursor").is_none());
    let missing = call(
        &keys,
        &server,
        "GET",
        "/1.1/feedback/events.json",
        &[("to_time", &now)],
        None,
    )
    .await;
    assert_eq!(missing.code(400), 44);
}
