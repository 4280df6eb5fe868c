//! Business insights (issue 16, item 6): conversations started per source, messages in and
//! out, first-response times, buttons, cards, counted by hand.

use serde_json::{Value, json};

use crate::common::{TestServer, s};

crate::on_every_backend!(insights_count_what_the_dms_did);

async fn insights_count_what_the_dms_did() {
    let server = TestServer::start().await;
    let (brand_id, brand) = server.user("acme").await;
    // Closed, with an away message: automatic messages are neither answers nor "sent".
    let (status, _) = server
        .call(
            "PUT",
            "/api/v1/me/support",
            Some(&brand),
            Some(
                json!({"enabled": true, "hours": {"time_zone": "UTC", "weekly": []},
                        "away_message": {"text": "We're closed."}}),
            ),
        )
        .await;
    assert_eq!(status, 200);
    let (_, hello) = server
        .call(
            "POST",
            "/api/v1/welcome_messages",
            Some(&brand),
            Some(json!({"name": "Hi", "message_data": {"text": "Hello there!"}})),
        )
        .await;
    let (_, photo) = server
        .upload(
            &brand,
            &[("shared", "true")],
            include_bytes!("../fixtures/gps.jpg").to_vec(),
            "image/jpeg",
        )
        .await;
    let (_, card) = server
        .call(
            "POST",
            "/api/v1/dm_cards",
            Some(&brand),
            Some(
                json!({"name": "C", "media_id": s(&photo["id"]), "headline": "Talk to us",
                        "buttons": [{"label": "Go", "welcome_message_id": s(&hello["id"])}]}),
            ),
        )
        .await;
    let w = s(&hello["id"]);
    let starts: [(&str, Value); 5] = [
        ("direct", json!(null)),
        ("welcome", json!({"welcome_message_id": w})),
        (
            "linked",
            json!({"welcome_message_id": w, "source": "deep_link"}),
        ),
        ("posted", json!({"source": "post_button"})),
        (
            "carded",
            json!({"welcome_message_id": w, "card_id": s(&card["id"])}),
        ),
    ];
    let mut people = Vec::new();
    for (name, via) in starts {
        let (id, token) = server.user(name).await;
        let mut body = json!({"text": format!("hi from {name}")});
        if !via.is_null() {
            body["initiated_via"] = via;
        }
        let (status, sent) = server
            .call(
                "POST",
                &format!("/api/v1/messages/with/{brand_id}"),
                Some(&token),
                Some(body),
            )
            .await;
        assert_eq!(status, 201, "{name}: {sent}");
        people.push(id);
    }
    // The brand answers two of them, one with a button clicked once.
    let (_, answer) = server
        .call(
            "POST",
            &format!("/api/v1/messages/with/{}", people[0]),
            Some(&brand),
            Some(json!({"text": "How can we help?", "ctas": [{"type": "url", "label": "FAQ", "url": "https://acme.example/faq"}]})),
        )
        .await;
    server.dm(&brand, &people[2], "On it!").await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    for link in [
        s(&answer["ctas"][0]["tco_url"]),
        s(&card["buttons"][0]["url"]),
    ] {
        let r = client
            .get(format!("{}{link}", server.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status().as_u16(), 302);
    }
    // And moves a public complaint to DMs.
    let (fan_id, fan) = server.user("fan").await;
    server.follow(&fan, &brand_id).await;
    let (_, complaint) = server
        .call(
            "POST",
            "/api/v1/posts",
            Some(&fan),
            Some(json!({"text": "@acme late again"})),
        )
        .await;
    let (status, _) = server
        .call(
            "POST",
            &format!("/api/v1/messages/with/{fan_id}"),
            Some(&brand),
            Some(json!({"text": "Sorry! DM us the order.", "initiated_via": {"post_id": s(&complaint["id"])}})),
        )
        .await;
    assert_eq!(status, 201);

    let (status, insights) = server
        .call("GET", "/api/v1/insights", Some(&brand), None)
        .await;
    assert_eq!(status, 200, "{insights}");
    assert_eq!(
        insights["conversations_started"],
        json!({"total": 6, "by_source": {"card": 1, "deep_link": 1, "direct": 1,
               "post_button": 1, "switch_to_dm": 1, "welcome_message": 1}})
    );
    assert_eq!(
        insights["messages"],
        json!({"received": 5, "sent": 3}),
        "away messages and recorded welcome messages are not the brand writing"
    );
    let first = &insights["first_response"];
    assert_eq!(
        (&first["answered"], &first["unanswered"]),
        (&json!(2), &json!(3))
    );
    assert!(
        first["median_seconds"]
            .as_f64()
            .is_some_and(|t| (0.0..60.0).contains(&t)),
        "{first}"
    );
    assert_eq!(insights["buttons"], json!({"buttons": 1, "clicks": 1}));
    assert_eq!(
        insights["cards"],
        json!({"impressions": 0, "clicks": 1, "conversations": 1, "click_through": null})
    );
    assert_eq!(
        (&insights["csat"], &insights["nps"]),
        (&Value::Null, &Value::Null)
    );

    let (_, later) = server
        .call(
            "GET",
            "/api/v1/insights?from=2999-01-01&to=2999-01-31",
            Some(&brand),
            None,
        )
        .await;
    assert_eq!(later["conversations_started"]["total"], 0);
    // Insights count by the hour: a period is taken out to whole hours, and says so.
    let (_, hours) = server
        .call(
            "GET",
            "/api/v1/insights?from=2999-01-01T10:30:00Z&to=2999-01-01T12:00:01%2B01:00",
            Some(&brand),
            None,
        )
        .await;
    assert_eq!(
        (&hours["from"], &hours["to"]),
        (
            &json!("2999-01-01T10:00:00Z"),
            &json!("2999-01-01T12:00:00Z")
        ),
        "{hours}"
    );
    let (status, refused) = server
        .call("GET", "/api/v1/insights?from=soon", Some(&brand), None)
        .await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (400, &json!("from")),
        "{refused}"
    );
}
