//! The bot builder (issue 18): flows a support account builds without code answer its
//! customers, keep their answers, hand over to a person and stay silent while one helps.

use serde_json::{Value, json};

use crate::common::{TestServer, s};
use crate::control::signed_in;

crate::on_every_backend!(
    a_flow_greets_asks_keeps_the_answer_and_hands_over,
    a_runaway_flow_stops_at_the_step_budget_and_bots_never_answer_bots,
    flows_are_refused_naming_the_field,
);

async fn support_on(server: &TestServer, token: &str) {
    let (status, body) = server
        .call(
            "PUT",
            "/api/v1/me/support",
            Some(token),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn create_flow(server: &TestServer, token: &str, flow: Value) -> Value {
    let (status, made) = server
        .call("POST", "/api/v1/flows", Some(token), Some(flow))
        .await;
    assert_eq!(status, 201, "{made}");
    made
}

fn conversation(a: &str, b: &str) -> String {
    let (x, y): (u64, u64) = (a.parse().unwrap_or(0), b.parse().unwrap_or(0));
    format!("{}-{}", x.min(y), x.max(y))
}

async fn send(server: &TestServer, token: &str, to: &str, body: Value) -> Value {
    let (status, sent) = server
        .call(
            "POST",
            &format!("/api/v1/messages/with/{to}"),
            Some(token),
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    sent
}

/// The conversation's messages, oldest first, as (sender, text).
async fn said(server: &TestServer, token: &str, id: &str) -> Vec<(String, String)> {
    let (status, page) = server
        .call(
            "GET",
            &format!("/api/v1/conversations/{id}/events?limit=100"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let mut out: Vec<(String, String)> = page["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"] == "message")
        .map(|e| (s(&e["sender_id"]), s(&e["text"])))
        .collect();
    out.reverse();
    out
}

async fn a_flow_greets_asks_keeps_the_answer_and_hands_over() {
    let server = TestServer::start().await;
    let (brand_id, brand) = server.user("acme").await;
    support_on(&server, &brand).await;
    let (status, profile) = server
        .call(
            "POST",
            "/api/v1/custom_profiles",
            Some(&brand),
            Some(json!({"name": "Acme Bot"})),
        )
        .await;
    assert_eq!(status, 201, "{profile}");
    let bot = s(&profile["id"]);
    let options = json!({"type": "options", "options": [
        {"label": "Track my order", "metadata": "track"},
        {"label": "Talk to a person", "metadata": "human"}]});
    create_flow(
        &server,
        &brand,
        json!({"name": "Greeting", "trigger": {"type": "first_contact"}, "custom_profile_id": bot,
               "steps": [{"type": "reply", "text": "Hi! I'm the Acme bot.", "quick_reply": options}]}),
    )
    .await;
    create_flow(
        &server,
        &brand,
        json!({"name": "Track", "trigger": {"type": "quick_reply", "metadata": "track"},
               "custom_profile_id": bot,
               "steps": [
                   {"type": "ask", "text": "What's your order number?", "save_as": "order"},
                   {"type": "reply", "text": "Thanks, looking up {{order}}…"},
                   {"type": "handover", "note": "Order lookup"}]}),
    )
    .await;
    let handover = create_flow(
        &server,
        &brand,
        json!({"name": "Person", "trigger": {"type": "quick_reply", "metadata": "human"},
               "steps": [{"type": "handover", "text": "Connecting you to a person.",
                          "note": "Asked for a person"}]}),
    )
    .await;
    assert_eq!(handover["trigger"]["metadata"], "human");
    let (_, listed) = server
        .call("GET", "/api/v1/flows", Some(&brand), None)
        .await;
    let names: Vec<String> = listed["flows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| s(&f["name"]))
        .collect();
    assert_eq!(names, ["Greeting", "Track", "Person"], "in the order tried");

    let (carol_id, carol) = server.user("carol").await;
    let id = conversation(&brand_id, &carol_id);
    send(&server, &carol, &brand_id, json!({"text": "hello"})).await;
    let (_, page) = server
        .call(
            "GET",
            &format!("/api/v1/conversations/{id}/events?limit=1"),
            Some(&carol),
            None,
        )
        .await;
    let greeting = &page["events"][0];
    assert_eq!(greeting["text"], "Hi! I'm the Acme bot.", "{page}");
    assert_eq!(greeting["custom_profile"]["name"], "Acme Bot", "{greeting}");
    assert_eq!(greeting["quick_reply"]["open"], true);

    send(
        &server,
        &carol,
        &brand_id,
        json!({"quick_reply_response": {"type": "options", "metadata": "track"}}),
    )
    .await;
    send(&server, &carol, &brand_id, json!({"text": "A-17"})).await;
    let mut brand_ws = server.ws(&brand, Some("0")).await;
    let control = brand_ws.next_of("control_changed").await;
    assert_eq!(control["data"]["controller"], "human", "{control}");
    assert_eq!(
        control["data"]["note"], "Order lookup\norder: A-17",
        "the person reads the kept answer: {control}"
    );
    // The bot stays silent while a person holds the conversation.
    send(
        &server,
        &carol,
        &brand_id,
        json!({"text": "hello? anyone?"}),
    )
    .await;
    let texts: Vec<String> = said(&server, &carol, &id)
        .await
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert_eq!(
        texts,
        [
            "hello",
            "Hi! I'm the Acme bot.",
            "Track my order",
            "What's your order number?",
            "A-17",
            "Thanks, looking up A-17…",
            "hello? anyone?",
        ]
    );
    // The bot cannot take it back; the person passes it back once done.
    let control_path = format!("/api/v1/conversations/{id}/control");
    let (status, _) = server
        .call(
            "PUT",
            &control_path,
            Some(&brand),
            Some(json!({"action": "take"})),
        )
        .await;
    assert_eq!(status, 409);
    let maria = signed_in(&server, "acme").await;
    let (status, _) = maria
        .call(
            &server,
            "PUT",
            &control_path,
            Some(json!({"action": "pass"})),
        )
        .await;
    assert_eq!(status, 200);
    // Back with the bot, which met Carol already: nothing matches "thanks".
    send(&server, &carol, &brand_id, json!({"text": "thanks"})).await;
    let last = said(&server, &carol, &id).await;
    assert_eq!(last.last().map(|(_, t)| t.as_str()), Some("thanks"));
}

async fn a_runaway_flow_stops_at_the_step_budget_and_bots_never_answer_bots() {
    let server = TestServer::start().await;
    let (brand_id, brand) = server.user("acme").await;
    support_on(&server, &brand).await;
    let steps: Vec<Value> = (0..15)
        .map(|i| json!({"type": "reply", "text": format!("step {i}")}))
        .collect();
    create_flow(
        &server,
        &brand,
        json!({"name": "Chatty", "trigger": {"type": "any_message"}, "steps": steps}),
    )
    .await;
    let (carol_id, carol) = server.user("carol").await;
    send(&server, &carol, &brand_id, json!({"text": "hi"})).await;
    let replies = said(&server, &carol, &conversation(&brand_id, &carol_id))
        .await
        .into_iter()
        .filter(|(who, _)| *who == brand_id)
        .count();
    assert_eq!(replies, 10, "one message runs at most 10 steps");

    // Another support account with its own bot writes to this one: each bot answers the
    // other's person-or-token messages, never the other bot's flow messages.
    let (other_id, other) = server.user("globex").await;
    support_on(&server, &other).await;
    create_flow(
        &server,
        &other,
        json!({"name": "Echo", "trigger": {"type": "any_message"},
               "steps": [{"type": "reply", "text": "Globex here"}]}),
    )
    .await;
    send(&server, &other, &brand_id, json!({"text": "partnership?"})).await;
    let between = said(&server, &other, &conversation(&brand_id, &other_id)).await;
    assert_eq!(
        between.len(),
        11,
        "their message and Acme's ten: {between:?}"
    );
}

async fn flows_are_refused_naming_the_field() {
    let server = TestServer::start().await;
    let (_, brand) = server.user("acme").await;
    let reply = json!([{"type": "reply", "text": "hi"}]);
    for (flow, field) in [
        (
            json!({"name": "", "trigger": {"type": "any_message"}, "steps": reply}),
            "name",
        ),
        (
            json!({"name": "x", "trigger": {"type": "any_message"}, "steps": []}),
            "steps",
        ),
        (
            json!({"name": "x", "trigger": {"type": "keyword", "keywords": []}, "steps": reply}),
            "trigger.keywords",
        ),
        (
            json!({"name": "x", "trigger": {"type": "pattern", "pattern": "(unclosed"}, "steps": reply}),
            "trigger.pattern",
        ),
        (
            json!({"name": "x", "trigger": {"type": "any_message"},
                   "steps": [{"type": "ask", "text": "?", "save_as": "Order Number"}]}),
            "steps[0].save_as",
        ),
        (
            json!({"name": "x", "trigger": {"type": "any_message"},
                   "steps": [{"type": "survey", "kind": "csat", "privacy_url": "javascript:x"}]}),
            "steps[0].privacy_url",
        ),
        (
            json!({"name": "x", "trigger": {"type": "any_message"},
                   "steps": [{"type": "reply", "text": "x".repeat(10_001)}]}),
            "steps[0].text",
        ),
        (
            json!({"name": "x", "trigger": {"type": "any_message"}, "steps": reply,
                   "custom_profile_id": "123456"}),
            "custom_profile_id",
        ),
    ] {
        let (status, refused) = server
            .call("POST", "/api/v1/flows", Some(&brand), Some(flow.clone()))
            .await;
        assert!(status == 400 || status == 404, "{flow}: {status} {refused}");
        assert_eq!(refused["error"]["field"], field, "{flow}: {refused}");
    }
    let steps: Vec<Value> = (0..21)
        .map(|_| json!({"type": "reply", "text": "x"}))
        .collect();
    let (status, refused) = server
        .call(
            "POST",
            "/api/v1/flows",
            Some(&brand),
            Some(json!({"name": "x", "trigger": {"type": "any_message"}, "steps": steps})),
        )
        .await;
    assert_eq!(
        (status, s(&refused["error"]["field"])),
        (400, "steps".into())
    );
    let (status, _) = server
        .call(
            "POST",
            "/api/v1/flows",
            Some(&brand),
            Some(json!({"name": "x", "trigger": {"type": "sometimes"}, "steps": reply})),
        )
        .await;
    assert_eq!(status, 400);

    // Someone else's flow is not found; nothing was stored by the refusals.
    let made = create_flow(
        &server,
        &brand,
        json!({"name": "ok", "trigger": {"type": "any_message"}, "steps": reply}),
    )
    .await;
    let (_, dave) = server.user("dave").await;
    let path = format!("/api/v1/flows/{}", s(&made["id"]));
    for method in ["GET", "DELETE"] {
        let (status, _) = server.call(method, &path, Some(&dave), None).await;
        assert_eq!(status, 404, "{method}");
    }
    let (_, listed) = server
        .call("GET", "/api/v1/flows", Some(&brand), None)
        .await;
    assert_eq!(listed["flows"].as_array().map(Vec::len), Some(1));
    let (status, replaced) = server
        .call(
            "PUT",
            &path,
            Some(&brand),
            Some(json!({"name": "renamed", "enabled": false,
                        "trigger": {"type": "keyword", "keywords": ["Refund"]}, "steps": reply})),
        )
        .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(
        (
            replaced["name"].clone(),
            replaced["enabled"].clone(),
            replaced["trigger"]["keywords"].clone()
        ),
        (json!("renamed"), json!(false), json!(["refund"]))
    );
    let (status, _) = server.call("DELETE", &path, Some(&brand), None).await;
    assert_eq!(status, 204);
    let (status, _) = server.call("GET", &path, Some(&brand), None).await;
    assert_eq!(status, 404);

    // At most 50 flows an account.
    for i in 0..50 {
        create_flow(
            &server,
            &brand,
            json!({"name": format!("flow {i}"), "trigger": {"type": "any_message"}, "steps": reply}),
        )
        .await;
    }
    let (status, refused) = server
        .call(
            "POST",
            "/api/v1/flows",
            Some(&brand),
            Some(
                json!({"name": "one too many", "trigger": {"type": "any_message"}, "steps": reply}),
            ),
        )
        .await;
    assert_eq!(
        (status, s(&refused["error"]["field"])),
        (409, "flows".into()),
        "{refused}"
    );
}
