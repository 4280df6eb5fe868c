//! Support accounts (issue 15, item 1; SPEC §3.1, §3.3 rule 4, §6).

use serde_json::{Value, json};

use crate::common::{TestServer, s};

crate::on_every_backend!(
    an_away_message_offers_quick_replies_and_buttons,
    support_settings_round_trip_and_keep_the_account_open_to_everyone,
    users_say_whether_a_support_account_is_open_by_its_local_clock,
    messages_from_anyone_reach_a_support_accounts_primary_box,
    the_away_message_goes_once_per_closed_period,
    support_settings_are_refused_naming_the_field,
    support_accounts_are_exempt_from_the_daily_send_limit,
);

const WEEKDAYS_UTC: &str = r#"{"time_zone":"UTC","weekly":[
    {"day":"mon","open":"09:00","close":"17:00"},{"day":"tue","open":"09:00","close":"17:00"},
    {"day":"wed","open":"09:00","close":"17:00"},{"day":"thu","open":"09:00","close":"17:00"},
    {"day":"fri","open":"09:00","close":"17:00"}]}"#;

async fn set_support(server: &TestServer, token: &str, body: Value) -> (u16, Value) {
    server
        .call("PUT", "/api/v1/me/support", Some(token), Some(body))
        .await
}

/// Turns support on with `hours` and `away`; expects success.
async fn support_on(server: &TestServer, token: &str, hours: Value, away: Value) {
    let body = json!({"enabled": true, "hours": hours, "away_message": away});
    let (status, answer) = set_support(server, token, body.clone()).await;
    let mut expected = body;
    expected["handover_idle_minutes"] = json!(60);
    assert_eq!(
        (status, &answer),
        (200, &expected),
        "the idle time defaults to an hour"
    );
}

async fn support_of(server: &TestServer, token: &str, user: &str) -> Value {
    let (status, seen) = server
        .call("GET", &format!("/api/v1/users/{user}"), Some(token), None)
        .await;
    assert_eq!(status, 200, "{seen}");
    seen["support"].clone()
}

async fn support_settings_round_trip_and_keep_the_account_open_to_everyone() {
    let server = TestServer::start().await;
    let (brand_id, brand) = server.user("acme").await;
    let (_, carol) = server.user("carol").await;
    let (_, off) = server
        .call("GET", "/api/v1/me/support", Some(&brand), None)
        .await;
    assert_eq!(
        off,
        json!({"enabled": false, "hours": null, "away_message": null, "handover_idle_minutes": 60})
    );
    assert_eq!(
        support_of(&server, &carol, &brand_id).await,
        json!({"enabled": false, "open_now": false, "next_change_at": null})
    );

    let hours: Value = serde_json::from_str(WEEKDAYS_UTC).unwrap_or_default();
    support_on(
        &server,
        &brand,
        hours.clone(),
        json!({"text": "We're closed; back at 9."}),
    )
    .await;
    let (_, read) = server
        .call("GET", "/api/v1/me/support", Some(&brand), None)
        .await;
    assert_eq!(read["hours"], hours);
    let (_, settings) = server
        .call("GET", "/api/v1/me/settings", Some(&brand), None)
        .await;
    assert_eq!(
        settings["allow_dms_from"], "everyone",
        "support opens the account"
    );

    // While support is on, who may write cannot be narrowed: one refusal, naming it.
    for narrower in ["following", "verified"] {
        let (status, refused) = server
            .call(
                "PATCH",
                "/api/v1/me/settings",
                Some(&brand),
                Some(json!({"allow_dms_from": narrower})),
            )
            .await;
        assert_eq!(status, 409, "{refused}");
        assert_eq!(refused["error"]["field"], "allow_dms_from");
    }
    let (status, _) = server
        .call(
            "PATCH",
            "/api/v1/me/settings",
            Some(&brand),
            Some(json!({"read_receipts": false, "allow_dms_from": "everyone"})),
        )
        .await;
    assert_eq!(status, 200, "everything else may change");
    let (status, _) = set_support(&server, &brand, json!({"enabled": false})).await;
    assert_eq!(status, 200);
    let (status, _) = server
        .call(
            "PATCH",
            "/api/v1/me/settings",
            Some(&brand),
            Some(json!({"allow_dms_from": "following"})),
        )
        .await;
    assert_eq!(status, 200, "support off, the account may close again");
}

async fn users_say_whether_a_support_account_is_open_by_its_local_clock() {
    let server = TestServer::start().await;
    let (brand_id, brand) = server.user("acme").await;
    let (_, carol) = server.user("carol").await;
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let weekly: Vec<Value> = days
        .iter()
        .map(|d| json!({"day": d, "open": "09:00", "close": "17:30"}))
        .collect();
    support_on(
        &server,
        &brand,
        json!({"time_zone": "Europe/Berlin", "weekly": weekly}),
        Value::Null,
    )
    .await;
    // Berlin moves its clocks forward on Sunday 29 March 2026: 09:00 is 08:00 UTC the day
    // before and 07:00 UTC that day.
    let cases = [
        ("2026-03-28T08:30:00Z", true, "2026-03-28T16:30:00Z"),
        ("2026-03-28T17:00:00Z", false, "2026-03-29T07:00:00Z"),
        ("2026-03-29T07:30:00Z", true, "2026-03-29T15:30:00Z"),
    ];
    for (now, open, next) in cases {
        server.stand_at(now);
        let support = support_of(&server, &carol, &brand_id).await;
        assert_eq!(support["enabled"], true);
        assert_eq!(support["open_now"], open, "{now}: {support}");
        let at: chrono::DateTime<chrono::Utc> =
            s(&support["next_change_at"]).parse().unwrap_or_default();
        assert_eq!(at.to_rfc3339(), next.replace('Z', "+00:00"), "{now}");
    }
    // Everywhere a user object appears: their own view, search, conversations.
    let (_, me) = server.call("GET", "/api/v1/me", Some(&brand), None).await;
    assert_eq!(me["support"]["open_now"], true);
    let (_, found) = server
        .call("GET", "/api/v1/users/search?q=acme", Some(&carol), None)
        .await;
    assert_eq!(found["users"][0]["support"]["open_now"], true, "{found}");

    // An empty week is never open; no hours is always open.
    support_on(
        &server,
        &brand,
        json!({"time_zone": "UTC", "weekly": []}),
        Value::Null,
    )
    .await;
    assert_eq!(
        support_of(&server, &carol, &brand_id).await,
        json!({"enabled": true, "open_now": false, "next_change_at": null})
    );
    support_on(&server, &brand, Value::Null, Value::Null).await;
    assert_eq!(
        support_of(&server, &carol, &brand_id).await,
        json!({"enabled": true, "open_now": true, "next_change_at": null})
    );
}

async fn messages_from_anyone_reach_a_support_accounts_primary_box() {
    let server = TestServer::start().await;
    let (brand_id, brand) = server.user("acme").await;
    let (_, carol) = server.user("carol").await;
    let (_, dave) = server.user("dave").await;
    // Open to everyone but not support: a stranger's message is a request.
    server.open_to_everyone(&brand).await;
    let first = server.dm(&carol, &brand_id, "hello?").await;
    let (_, boxed) = server
        .call(
            "GET",
            &format!("/api/v1/conversations/{}", s(&first["conversation_id"])),
            Some(&brand),
            None,
        )
        .await;
    assert_eq!(boxed["box"], "requests");

    support_on(&server, &brand, Value::Null, Value::Null).await;
    let (_, permission) = server
        .call(
            "GET",
            &format!("/api/v1/users/{brand_id}/dm_permission"),
            Some(&dave),
            None,
        )
        .await;
    assert_eq!(
        (&permission["allowed"], &permission["box"]),
        (&json!(true), &json!("primary")),
        "{permission}"
    );
    let second = server.dm(&dave, &brand_id, "my order is late").await;
    let (_, primary) = server
        .call(
            "GET",
            "/api/v1/conversations?box=primary",
            Some(&brand),
            None,
        )
        .await;
    let ids: Vec<String> = primary["conversations"]
        .as_array()
        .map(|a| a.iter().map(|c| s(&c["id"])).collect())
        .unwrap_or_default();
    assert!(ids.contains(&s(&second["conversation_id"])), "{primary}");
}

async fn the_away_message_goes_once_per_closed_period() {
    let server = TestServer::start().await;
    let (brand_id, brand) = server.user("acme").await;
    let (_, carol) = server.user("carol").await;
    let (_, dave) = server.user("dave").await;
    let hours: Value = serde_json::from_str(WEEKDAYS_UTC).unwrap_or_default();
    support_on(
        &server,
        &brand,
        hours,
        json!({"text": "We're closed until Monday 9:00."}),
    )
    .await;
    server.stand_at("2026-12-05T12:00:00Z"); // a Saturday
    let m = server.dm(&carol, &brand_id, "hi, anyone there?").await;
    let conversation = s(&m["conversation_id"]);
    assert_eq!(away_count(&server, &carol, &conversation).await, 1);
    let newest = server.messages(&carol, &conversation).await;
    assert_eq!(
        newest[0].0, "We're closed until Monday 9:00.",
        "after the person's message: {newest:?}"
    );
    server.dm(&carol, &brand_id, "hello?").await;
    server.stand_at("2026-12-06T20:00:00Z"); // still closed: Sunday
    server.dm(&carol, &brand_id, "still nobody").await;
    assert_eq!(
        away_count(&server, &carol, &conversation).await,
        1,
        "once while closed"
    );
    // Someone else gets their own.
    let d = server.dm(&dave, &brand_id, "hi").await;
    assert_eq!(
        away_count(&server, &dave, &s(&d["conversation_id"])).await,
        1
    );

    server.stand_at("2026-12-07T10:00:00Z"); // Monday, open
    server.dm(&carol, &brand_id, "it's Monday").await;
    assert_eq!(
        away_count(&server, &carol, &conversation).await,
        1,
        "none while open"
    );
    server.stand_at("2026-12-07T18:00:00Z"); // closed again, after being open
    server.dm(&carol, &brand_id, "one more thing").await;
    assert_eq!(away_count(&server, &carol, &conversation).await, 2);
    // The away message is the account's, and the brand sees it in its history too.
    let (_, history) = server
        .call(
            "GET",
            &format!("/api/v1/conversations/{conversation}/events?limit=1"),
            Some(&brand),
            None,
        )
        .await;
    assert_eq!(
        history["events"][0]["sender_id"],
        json!(brand_id),
        "{history}"
    );
}

/// How many of a support account's away messages the conversation holds.
async fn away_count(server: &TestServer, token: &str, conversation: &str) -> usize {
    server
        .messages(token, conversation)
        .await
        .iter()
        .filter(|(text, _)| text.starts_with("We're closed"))
        .count()
}

async fn support_settings_are_refused_naming_the_field() {
    let server = TestServer::start().await;
    let (_, brand) = server.user("acme").await;
    let opening =
        |day: &str, open: &str, close: &str| json!({"day": day, "open": open, "close": close});
    let hours = |zone: &str, weekly: Vec<Value>| json!({"time_zone": zone, "weekly": weekly});
    let cases: [(Value, &str); 10] = [
        (
            json!({"enabled": true, "hours": hours("Mars/Olympus", vec![])}),
            "hours.time_zone",
        ),
        (
            json!({"enabled": true, "hours": hours("UTC", vec![opening("funday", "09:00", "10:00")])}),
            "hours.weekly[0].day",
        ),
        (
            json!({"enabled": true, "hours": hours("UTC", vec![opening("mon", "9am", "10:00")])}),
            "hours.weekly[0].open",
        ),
        (
            json!({"enabled": true, "hours": hours("UTC", vec![opening("mon", "24:00", "09:00")])}),
            "hours.weekly[0].open",
        ),
        (
            json!({"enabled": true, "hours": hours("UTC", vec![opening("mon", "10:00", "25:00")])}),
            "hours.weekly[0].close",
        ),
        (
            json!({"enabled": true, "away_message": {"text": "x".repeat(1001)}}),
            "away_message.text",
        ),
        (
            json!({"enabled": true, "away_message": {"text": "  "}}),
            "away_message.text",
        ),
        (json!({"enabled": "yes"}), "enabled"),
        (
            json!({"enabled": true, "handover_idle_minutes": 10_081}),
            "handover_idle_minutes",
        ),
        (
            json!({"enabled": true, "handover_idle_minutes": -1}),
            "handover_idle_minutes",
        ),
    ];
    for (body, field) in cases {
        let (status, refused) = set_support(&server, &brand, body.clone()).await;
        assert_eq!(status, 400, "{body}: {refused}");
        assert_eq!(refused["error"]["field"], field, "{body}: {refused}");
    }
    let (status, refused) = set_support(
        &server,
        &brand,
        json!({"enabled": true, "office": "Berlin"}),
    )
    .await;
    assert_eq!(
        status, 400,
        "an unknown field is refused, not dropped: {refused}"
    );
    assert_eq!(
        set_support(&server, "nobody", json!({"enabled": true}))
            .await
            .0,
        401
    );
    // Nothing was stored by the refusals.
    let (_, read) = server
        .call("GET", "/api/v1/me/support", Some(&brand), None)
        .await;
    assert_eq!(read["enabled"], false);
}

async fn support_accounts_are_exempt_from_the_daily_send_limit() {
    let server = TestServer::with(|c| c.limits.dm_sends_per_day = 2).await;
    let (brand_id, brand) = server.user("acme").await;
    let (carol_id, carol) = server.user("carol").await;
    server.follow(&carol, &brand_id).await;
    server.follow(&brand, &carol_id).await;
    support_on(&server, &brand, Value::Null, Value::Null).await;
    for i in 0..4 {
        let (status, body) = server
            .call(
                "POST",
                &format!("/api/v1/messages/with/{carol_id}"),
                Some(&brand),
                Some(json!({"text": format!("update {i}")})),
            )
            .await;
        assert_eq!(status, 201, "support send {i}: {body}");
    }
    // A person is held to it.
    for i in 0..2 {
        server.dm(&carol, &brand_id, &format!("thanks {i}")).await;
    }
    let (status, refused) = server
        .call(
            "POST",
            &format!("/api/v1/messages/with/{brand_id}"),
            Some(&carol),
            Some(json!({"text": "one more"})),
        )
        .await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (429, &json!("rate_limited"))
    );
}

async fn an_away_message_offers_quick_replies_and_buttons() {
    let server = TestServer::start().await;
    let (brand_id, brand) = server.user("acme").await;
    let (_, carol) = server.user("carol").await;
    let away = json!({
        "text": "We're closed. Pick what you need and we'll start there in the morning.",
        "quick_reply": {"type": "options", "options": [
            {"label": "Order status", "metadata": "status"},
            {"label": "Returns", "metadata": "returns"},
        ]},
        "ctas": [{"type": "url", "label": "Help centre", "url": "https://help.example.com"}],
    });
    // Each part is checked as on any message, naming the field.
    let refusals = [
        (
            json!({"text": "Closed", "quick_reply": {"type": "options", "options": []}}),
            400,
            "away_message.quick_reply.options",
        ),
        (
            json!({"text": "Closed", "ctas": [{"type": "follow", "label": "Follow", "screen_name": "nobody_here"}]}),
            404,
            "away_message.ctas[0].screen_name",
        ),
    ];
    for (bad, status, field) in refusals {
        let (got, refused) = set_support(&server, &brand, json!({"enabled": true, "hours": {"time_zone": "UTC", "weekly": []}, "away_message": bad})).await;
        assert_eq!(
            (got, &refused["error"]["field"]),
            (status, &json!(field)),
            "{refused}"
        );
    }
    let (status, saved) = set_support(
        &server,
        &brand,
        json!({"enabled": true, "hours": {"time_zone": "UTC", "weekly": []}, "away_message": away}),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["away_message"]["ctas"], away["ctas"]);
    assert_eq!(
        saved["away_message"]["quick_reply"]["options"],
        away["quick_reply"]["options"]
    );
    let m = server.dm(&carol, &brand_id, "hello?").await;
    let conversation = s(&m["conversation_id"]);
    let (_, page) = server
        .call(
            "GET",
            &format!("/api/v1/conversations/{conversation}/events?limit=1"),
            Some(&carol),
            None,
        )
        .await;
    let reply = &page["events"][0];
    assert_eq!(reply["sender_id"], json!(brand_id), "{page}");
    assert_eq!(reply["quick_reply"]["open"], true, "{reply}");
    assert!(
        s(&reply["ctas"][0]["tco_url"]).starts_with("/l/"),
        "{reply}"
    );
    let (status, answer) = server
        .call(
            "POST",
            &format!("/api/v1/messages/with/{brand_id}"),
            Some(&carol),
            Some(json!({"quick_reply_response": {"type": "options", "metadata": "returns"}})),
        )
        .await;
    assert_eq!(
        (status, &answer["text"]),
        (201, &json!("Returns")),
        "{answer}"
    );
}
