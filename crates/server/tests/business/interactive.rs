//! Quick replies and buttons (issue 15, items 3 and 4; SPEC §4.2, §4.3).

use serde_json::{Value, json};

use crate::common::{TestServer, s};

crate::on_every_backend!(
    a_quick_reply_is_answered_once_with_its_label,
    a_response_to_no_open_prompt_is_refused_naming_the_field,
    quick_replies_keep_to_their_limits,
    buttons_keep_to_their_limits_and_name_real_targets,
    every_click_is_counted_and_goes_where_the_button_says,
);

/// Acme (a support account) and Carol, who has written to it, so they share a conversation.
async fn brand_and_customer(server: &TestServer) -> (String, String, String, String, String) {
    let (brand_id, brand) = server.user("acme").await;
    let (carol_id, carol) = server.user("carol").await;
    let (status, _) = server
        .call(
            "PUT",
            "/api/v1/me/support",
            Some(&brand),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(status, 200);
    let first = server.dm(&carol, &brand_id, "hi").await;
    (
        brand_id,
        brand,
        carol_id,
        carol,
        s(&first["conversation_id"]),
    )
}

fn options(n: usize) -> Value {
    let list: Vec<Value> = (0..n)
        .map(|i| json!({"label": format!("Option {i}"), "metadata": format!("m{i}")}))
        .collect();
    json!({"type": "options", "options": list})
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

/// The message with `id` as `token` sees it in the conversation's history.
async fn seen(server: &TestServer, token: &str, conversation: &str, id: &Value) -> Value {
    let (status, page) = server
        .call(
            "GET",
            &format!("/api/v1/conversations/{conversation}/events?limit=50"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    page["events"]
        .as_array()
        .and_then(|events| events.iter().find(|e| &e["id"] == id).cloned())
        .unwrap_or(Value::Null)
}

async fn a_quick_reply_is_answered_once_with_its_label() {
    let server = TestServer::start().await;
    let (brand_id, brand, carol_id, carol, conversation) = brand_and_customer(&server).await;
    let prompt = json!({"type": "options", "options": [
        {"label": "Track my order", "description": "Where is it now?", "metadata": "track"},
        {"label": "Return an item", "description": "Start a return", "metadata": "return"},
        {"label": "Talk to a person", "description": "We reply within a day", "metadata": "human"},
    ]});
    let (status, asked) = send(
        &server,
        &brand,
        &carol_id,
        json!({"text": "How can we help?", "quick_reply": prompt}),
    )
    .await;
    assert_eq!(status, 201, "{asked}");
    assert_eq!(asked["quick_reply"]["open"], true);
    assert_eq!(
        asked["quick_reply"]["options"][1]["label"],
        "Return an item"
    );
    assert_eq!(
        seen(&server, &carol, &conversation, &asked["id"]).await["quick_reply"]["open"],
        true
    );

    // Tapping an option sends its label, with the metadata that says which.
    let (status, answer) = send(
        &server,
        &carol,
        &brand_id,
        json!({"quick_reply_response": {"type": "options", "metadata": "return"},
               "client_message_id": "tap-return"}),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["text"], "Return an item");
    let (status, retried) = send(
        &server,
        &carol,
        &brand_id,
        json!({"quick_reply_response": {"type": "options", "metadata": "return"},
               "client_message_id": "tap-return"}),
    )
    .await;
    assert_eq!(
        (status, &retried["id"]),
        (200, &answer["id"]),
        "a retried answer is its first try, though the prompt is closed: {retried}"
    );
    assert_eq!(
        answer["quick_reply_response"],
        json!({"type": "options", "metadata": "return"})
    );
    for who in [&carol, &brand] {
        let prompt = seen(&server, who, &conversation, &asked["id"]).await;
        assert_eq!(prompt["quick_reply"]["open"], false, "answered: {prompt}");
    }
    // Once: the prompt closed with the first answer.
    let (status, again) = send(
        &server, &carol, &brand_id,
        json!({"text": "and track it", "quick_reply_response": {"type": "options", "metadata": "track"}}),
    )
    .await;
    assert_eq!(
        (status, &again["error"]["code"]),
        (409, &json!("quick_reply_not_open")),
        "{again}"
    );
    assert_eq!(again["error"]["field"], "quick_reply_response.metadata");
}

async fn a_response_to_no_open_prompt_is_refused_naming_the_field() {
    let server = TestServer::start().await;
    let (brand_id, brand, carol_id, carol, conversation) = brand_and_customer(&server).await;
    let answer = |metadata: &str| json!({"text": "ok", "quick_reply_response": {"type": "options", "metadata": metadata}});
    let refused = |(status, body): (u16, Value)| {
        assert_eq!(
            (status, &body["error"]["code"]),
            (409, &json!("quick_reply_not_open")),
            "{body}"
        );
        assert_eq!(body["error"]["field"], "quick_reply_response.metadata");
    };
    refused(send(&server, &carol, &brand_id, answer("m0")).await); // none asked yet
    let (_, asked) = send(
        &server,
        &brand,
        &carol_id,
        json!({"text": "Pick one", "quick_reply": options(2)}),
    )
    .await;
    refused(send(&server, &carol, &brand_id, answer("m7")).await); // not one of the options
    refused(send(&server, &brand, &carol_id, answer("m0")).await); // the brand's own prompt
    // The brand writes again: its prompt closes.
    server.dm(&brand, &carol_id, "Or just tell us").await;
    assert_eq!(
        seen(&server, &carol, &conversation, &asked["id"]).await["quick_reply"]["open"],
        false
    );
    refused(send(&server, &carol, &brand_id, answer("m0")).await);
    // A fresh prompt is answerable; nothing refused above was stored.
    send(
        &server,
        &brand,
        &carol_id,
        json!({"text": "Pick again", "quick_reply": options(2)}),
    )
    .await;
    let (status, _) = send(&server, &carol, &brand_id, answer("m1")).await;
    assert_eq!(status, 201);
    let texts: Vec<String> = server
        .messages(&carol, &conversation)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        texts,
        ["ok", "Pick again", "Or just tell us", "Pick one", "hi"]
    );
}

async fn quick_replies_keep_to_their_limits() {
    let server = TestServer::start().await;
    let (_, brand, carol_id, carol, _) = brand_and_customer(&server).await;
    let one = |option: Value| json!({"type": "options", "options": [option]});
    let cases: [(Value, &str); 9] = [
        (options(21), "quick_reply.options"),
        (
            json!({"type": "options", "options": []}),
            "quick_reply.options",
        ),
        (
            json!({"type": "buttons", "options": [{"label": "a"}]}),
            "quick_reply.type",
        ),
        (
            one(json!({"label": "x".repeat(37)})),
            "quick_reply.options[0].label",
        ),
        (
            one(json!({"label": "see https://example.com"})),
            "quick_reply.options[0].label",
        ),
        (
            one(json!({"label": "a", "description": "d".repeat(73)})),
            "quick_reply.options[0].description",
        ),
        (
            one(json!({"label": "a", "description": " "})),
            "quick_reply.options[0].description",
        ),
        (
            one(json!({"label": "a", "metadata": "m".repeat(1001)})),
            "quick_reply.options[0].metadata",
        ),
        (
            json!({"type": "options", "options": [{"label": "a", "description": "d"}, {"label": "b"}]}),
            "quick_reply.options",
        ),
    ];
    for (quick_reply, field) in cases {
        let (status, body) = send(
            &server,
            &brand,
            &carol_id,
            json!({"text": "?", "quick_reply": quick_reply}),
        )
        .await;
        assert_eq!(status, 400, "{field}: {body}");
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    let (status, _) = send(
        &server,
        &brand,
        &carol_id,
        json!({"text": "20 is fine", "quick_reply": options(20)}),
    )
    .await;
    assert_eq!(status, 201);
    // Anything a send does not know is refused, not dropped.
    let (status, body) = send(
        &server,
        &brand,
        &carol_id,
        json!({"text": "x", "custom_profile": "7"}),
    )
    .await;
    assert_eq!(status, 400, "an unknown field is refused: {body}");
    // Quick replies are for one-to-one conversations.
    let (dave_id, dave) = server.user("dave").await;
    server.open_to_everyone(&dave).await;
    let (status, group) = server
        .call("POST", "/api/v1/conversations", Some(&carol), Some(json!({"participant_ids": [brand_id_of(&server, &brand).await, dave_id], "name": "Returns"})))
        .await;
    assert_eq!(status, 201, "{group}");
    let (status, body) = server
        .call(
            "POST",
            &format!("/api/v1/conversations/{}/messages", s(&group["id"])),
            Some(&carol),
            Some(json!({"text": "Which?", "quick_reply": options(2)})),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (409, &json!("quick_reply")),
        "{body}"
    );
}

async fn buttons_keep_to_their_limits_and_name_real_targets() {
    let server = TestServer::start().await;
    let (brand_id, brand, carol_id, carol, _) = brand_and_customer(&server).await;
    let url = |u: &str| json!({"type": "url", "label": "Help", "url": u});
    let cases: [(Value, u16, &str); 9] = [
        (
            json!([
                url("https://a.example"),
                url("https://b.example"),
                url("https://c.example"),
                url("https://d.example")
            ]),
            400,
            "ctas",
        ),
        (json!([url("javascript:alert(1)")]), 400, "ctas[0].url"),
        (json!([url("ftp://files.example")]), 400, "ctas[0].url"),
        (json!([url("https://")]), 400, "ctas[0].url"),
        (
            json!([{"type": "url", "label": "x".repeat(37), "url": "https://a.example"}]),
            400,
            "ctas[0].label",
        ),
        (
            json!([url("https://a.example"), {"type": "follow", "label": "Follow", "screen_name": "nobody_here"}]),
            404,
            "ctas[1].screen_name",
        ),
        (
            json!([{"type": "message", "label": "Sales", "recipient_id": "12345"}]),
            404,
            "ctas[0].recipient_id",
        ),
        (
            json!([{"type": "follow", "label": "Follow", "screen_name": "not a name"}]),
            400,
            "ctas[0].screen_name",
        ),
        (
            json!([{"type": "message", "label": "Sales", "recipient_id": carol_id, "welcome_message_id": "77"}]),
            404,
            "ctas[0].welcome_message_id",
        ),
    ];
    for (ctas, status, field) in cases {
        let (got, body) = send(
            &server,
            &brand,
            &carol_id,
            json!({"text": "links", "ctas": ctas}),
        )
        .await;
        assert_eq!(got, status, "{field}: {body}");
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    // A response names its kind, and a welcome message it follows must be the account's.
    let others: [(Value, u16, &str); 2] = [
        (
            json!({"text": "a", "quick_reply_response": {"type": "buttons", "metadata": "m"}}),
            400,
            "quick_reply_response.type",
        ),
        (
            json!({"text": "a", "initiated_via": {"welcome_message_id": "77"}}),
            404,
            "initiated_via.welcome_message_id",
        ),
    ];
    for (body, status, field) in others {
        let (got, refused) = send(&server, &carol, &brand_id, body).await;
        assert_eq!(
            (got, &refused["error"]["field"]),
            (status, &json!(field)),
            "{refused}"
        );
    }
}

async fn every_click_is_counted_and_goes_where_the_button_says() {
    let server = TestServer::start().await;
    let (_, brand, carol_id, carol, conversation) = brand_and_customer(&server).await;
    let (dave_id, _) = server.user("dave").await;
    let ctas = json!([
        {"type": "url", "label": "Help centre", "url": "https://help.example.com/returns?from=dm"},
        {"type": "follow", "label": "Follow us", "screen_name": "acme"},
        {"type": "message", "label": "Talk to sales", "recipient_id": dave_id, "text": "Hi Dave & team"},
    ]);
    let (status, sent) = send(
        &server,
        &brand,
        &carol_id,
        json!({"text": "Useful links", "ctas": ctas}),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    let links: Vec<String> = sent["ctas"]
        .as_array()
        .map(|a| a.iter().map(|b| s(&b["tco_url"])).collect())
        .unwrap_or_default();
    assert_eq!(links.len(), 3);
    assert!(links.iter().all(|l| l.starts_with("/l/")), "{links:?}");
    assert_eq!(sent["ctas"][0]["clicks"], 0, "the sender sees counts");
    assert!(
        seen(&server, &carol, &conversation, &sent["id"]).await["ctas"][0]
            .get("clicks")
            .is_none(),
        "the recipient does not"
    );

    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let click = |link: String| {
        let client = no_redirects.clone();
        let url = format!("{}{link}", server.base);
        async move {
            let r = client
                .get(url)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let location = r
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            (r.status().as_u16(), location)
        }
    };
    // Anyone holding the link may follow it, without a token, as a person tapping it would.
    assert_eq!(
        click(links[0].clone()).await,
        (302, "https://help.example.com/returns?from=dm".into())
    );
    assert_eq!(click(links[0].clone()).await.0, 302);
    assert_eq!(
        click(links[1].clone()).await,
        (302, "/intent/follow?screen_name=acme".into())
    );
    assert_eq!(
        click(links[2].clone()).await,
        (
            302,
            format!("/messages/compose?recipient_id={dave_id}&text=Hi%20Dave%20%26%20team")
        )
    );
    let counted = seen(&server, &brand, &conversation, &sent["id"]).await;
    let clicks: Vec<&Value> = (0..3).map(|i| &counted["ctas"][i]["clicks"]).collect();
    assert_eq!(clicks, [&json!(2), &json!(1), &json!(1)], "{counted}");

    // A post button opens the post composer with the text (and link) written for them.
    let (status, share) = send(
        &server,
        &brand,
        &carol_id,
        json!({"text": "Tell your friends?", "ctas": [{"type": "post", "label": "Share it",
               "text": "I love @acme #returns", "url": "https://acme.example/r"}]}),
    )
    .await;
    assert_eq!(status, 201, "{share}");
    assert_eq!(
        click(s(&share["ctas"][0]["tco_url"])).await,
        (
            302,
            "/intent/post?text=I%20love%20%40acme%20%23returns&url=https%3A%2F%2Facme.example%2Fr"
                .into()
        )
    );
    for (cta, field) in [
        (
            json!({"type": "post", "label": "Share", "text": "  "}),
            "ctas[0].text",
        ),
        (
            json!({"type": "post", "label": "Share", "text": "x".repeat(281)}),
            "ctas[0].text",
        ),
        (
            json!({"type": "post", "label": "Share", "text": "hi", "url": "ftp://x"}),
            "ctas[0].url",
        ),
    ] {
        let (status, refused) = send(
            &server,
            &brand,
            &carol_id,
            json!({"text": "Share?", "ctas": [cta]}),
        )
        .await;
        assert_eq!(
            (status, &refused["error"]["field"]),
            (400, &json!(field)),
            "{refused}"
        );
    }

    // A link that is not a button's is not found, and counts nothing.
    let token = links[0].rsplit('.').next().unwrap_or_default().to_owned();
    let forged = links[0].replace(&token, &"0".repeat(32));
    let wrong_button = links[0].replacen(".0.", ".1.", 1);
    for bad in [
        forged,
        wrong_button,
        "/l/nothing".into(),
        format!("/l/{conversation}.1.0.{}", "a".repeat(32)),
    ] {
        assert_eq!(click(bad.clone()).await.0, 404, "{bad}");
    }
    // A message deleted for everyone takes its buttons with it.
    let (status, _) = server
        .call(
            "DELETE",
            &format!(
                "/api/v1/conversations/{conversation}/messages/{}?for_everyone=true",
                s(&sent["id"])
            ),
            Some(&brand),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(click(links[0].clone()).await.0, 404);
}

async fn brand_id_of(server: &TestServer, token: &str) -> String {
    let (_, me) = server.call("GET", "/api/v1/me", Some(token), None).await;
    s(&me["id"])
}
