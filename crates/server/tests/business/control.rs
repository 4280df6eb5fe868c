//! Conversation control (issue 18, hand-over): a support account's bots (its tokens and apps)
//! and its people (the web app) never talk over each other.

use serde_json::{Value, json};

use crate::common::{TestServer, s};

crate::on_every_backend!(
    a_person_takes_over_and_the_bot_waits_until_handed_back,
    control_returns_to_the_bots_after_the_idle_time,
    control_is_a_support_accounts_and_refuses_naming_why,
);

/// The account's person in the web app: its session cookie and CSRF token.
pub struct Person {
    cookie: String,
    csrf: String,
}

pub async fn signed_in(server: &TestServer, name: &str) -> Person {
    let (status, headers, body) = server
        .call_full(
            "POST",
            "/api/v1/sessions",
            None,
            Some(json!({"screen_name": name, "password": "correct horse", "session": true})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let cookie = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("postern_session="))
        .and_then(|c| c.split(';').next())
        .unwrap_or_default()
        .to_owned();
    Person {
        cookie,
        csrf: s(&body["csrf_token"]),
    }
}

impl Person {
    pub async fn call(
        &self,
        server: &TestServer,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let (status, _, body) = server
            .call_full(
                method,
                path,
                None,
                body,
                &[("cookie", &self.cookie), ("x-csrf-token", &self.csrf)],
            )
            .await;
        (status, body)
    }
}

/// A support account ("acme", its token: the bot) and a customer who wrote to it.
async fn brand_and_customer(server: &TestServer) -> (String, String, String, String, String) {
    let (brand_id, bot) = server.user("acme").await;
    let (status, body) = server
        .call(
            "PUT",
            "/api/v1/me/support",
            Some(&bot),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (carol_id, carol) = server.user("carol").await;
    server.dm(&carol, &brand_id, "my order never came").await;
    let conversation = conversation(&brand_id, &carol_id);
    (brand_id, bot, carol_id, carol, conversation)
}

fn conversation(a: &str, b: &str) -> String {
    let (x, y): (u64, u64) = (a.parse().unwrap_or(0), b.parse().unwrap_or(0));
    format!("{}-{}", x.min(y), x.max(y))
}

async fn send(server: &TestServer, token: &str, conversation: &str, text: &str) -> (u16, Value) {
    server
        .call(
            "POST",
            &format!("/api/v1/conversations/{conversation}/messages"),
            Some(token),
            Some(json!({"text": text})),
        )
        .await
}

async fn put_control(
    server: &TestServer,
    token: &str,
    conversation: &str,
    body: Value,
) -> (u16, Value) {
    server
        .call(
            "PUT",
            &format!("/api/v1/conversations/{conversation}/control"),
            Some(token),
            Some(body),
        )
        .await
}

async fn a_person_takes_over_and_the_bot_waits_until_handed_back() {
    let server = TestServer::start().await;
    let (_, bot, _, carol, id) = brand_and_customer(&server).await;
    let control_path = format!("/api/v1/conversations/{id}/control");
    let (status, control) = server.call("GET", &control_path, Some(&bot), None).await;
    assert_eq!(status, 200, "{control}");
    assert_eq!(control["controller"], "bot", "the bots hold it first");
    let (status, _) = send(&server, &bot, &id, "Sorry to hear that! Your order number?").await;
    assert_eq!(status, 201);
    let mut brand_ws = server.ws(&bot, None).await;
    assert_eq!(brand_ws.next().await["type"], "ready");

    // A person answers from the web app: they hold it now, and the account's devices hear.
    let maria = signed_in(&server, "acme").await;
    let (status, sent) = maria
        .call(
            &server,
            "POST",
            &format!("/api/v1/conversations/{id}/messages"),
            Some(json!({"text": "Maria here, I'll look into it."})),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    let changed = brand_ws.next_of("control_changed").await;
    assert_eq!(changed["data"]["controller"], "human", "{changed}");
    assert_eq!(changed["data"]["conversation_id"], id.as_str());
    assert!(
        changed["data"]["returns_to_bot_at"].is_string(),
        "{changed}"
    );

    // The bot is refused, its typing too, and it cannot take control back.
    let (status, refused) = send(&server, &bot, &id, "Can I help with anything else?").await;
    assert_eq!(
        (status, s(&refused["error"]["code"])),
        (409, "human_in_control".into()),
        "{refused}"
    );
    let (status, refused) = server
        .call(
            "POST",
            &format!("/api/v1/conversations/{id}/typing"),
            Some(&bot),
            None,
        )
        .await;
    assert_eq!(
        (status, s(&refused["error"]["code"])),
        (409, "human_in_control".into())
    );
    let (status, refused) = put_control(&server, &bot, &id, json!({"action": "take"})).await;
    assert_eq!(
        (status, s(&refused["error"]["code"])),
        (409, "human_in_control".into())
    );
    let (status, refused) = put_control(&server, &bot, &id, json!({"action": "pass"})).await;
    assert_eq!(
        (status, s(&refused["error"]["code"])),
        (409, "not_in_control".into()),
        "{refused}"
    );
    // It may ask, with a note the person sees.
    let (status, asked) = put_control(
        &server,
        &bot,
        &id,
        json!({"action": "request", "note": "Carol asked for a refund form"}),
    )
    .await;
    assert_eq!(status, 200, "{asked}");
    assert_eq!(
        (asked["controller"].clone(), asked["requested_by"].clone()),
        (json!("human"), json!("bot"))
    );
    let asked_event = brand_ws.next_of("control_changed").await;
    assert_eq!(asked_event["data"]["note"], "Carol asked for a refund form");

    // The person resolves: back to the bots, which may speak again.
    let (status, passed) = maria
        .call(
            &server,
            "PUT",
            &control_path,
            Some(json!({"action": "pass", "note": "resolved"})),
        )
        .await;
    assert_eq!(status, 200, "{passed}");
    assert_eq!(passed["controller"], "bot");
    assert!(passed.get("requested_by").is_none(), "{passed}");
    assert_eq!(
        brand_ws.next_of("control_changed").await["data"]["controller"],
        "bot"
    );
    let (status, _) = send(&server, &bot, &id, "Anything else I can help with?").await;
    assert_eq!(status, 201);

    // The customer never hears who holds the conversation.
    let mut carol_ws = server.ws(&carol, Some("0")).await;
    loop {
        let frame = carol_ws.next().await;
        if frame["type"] == "ready" {
            break;
        }
        assert_ne!(frame["type"], "control_changed", "{frame}");
    }
}

async fn control_returns_to_the_bots_after_the_idle_time() {
    let server = TestServer::start().await;
    let (_, bot, _, _, id) = brand_and_customer(&server).await;
    let (status, _) = server
        .call(
            "PUT",
            "/api/v1/me/support",
            Some(&bot),
            Some(json!({"enabled": true, "handover_idle_minutes": 15})),
        )
        .await;
    assert_eq!(status, 200);
    let start = chrono::Utc::now();
    server.stand_at(&start.to_rfc3339());
    let maria = signed_in(&server, "acme").await;
    let (status, taken) = maria
        .call(
            &server,
            "PUT",
            &format!("/api/v1/conversations/{id}/control"),
            Some(json!({"action": "take"})),
        )
        .await;
    assert_eq!((status, taken["controller"].clone()), (200, json!("human")));
    let returns: chrono::DateTime<chrono::Utc> = s(&taken["returns_to_bot_at"])
        .parse()
        .unwrap_or_else(|e| panic!("{taken}: {e}"));
    assert_eq!((returns - start).num_minutes(), 15, "{taken}");

    server.stand_at(&(start + chrono::Duration::minutes(14)).to_rfc3339());
    let (status, _) = send(&server, &bot, &id, "still there?").await;
    assert_eq!(status, 409, "14 minutes: the person still holds it");
    server.stand_at(&(start + chrono::Duration::minutes(16)).to_rfc3339());
    let (status, sent) = send(&server, &bot, &id, "Is there anything else?").await;
    assert_eq!(status, 201, "after 15 quiet minutes the bot speaks: {sent}");
    let (_, control) = server
        .call(
            "GET",
            &format!("/api/v1/conversations/{id}/control"),
            Some(&bot),
            None,
        )
        .await;
    assert_eq!(control["controller"], "bot");
}

async fn control_is_a_support_accounts_and_refuses_naming_why() {
    let server = TestServer::start().await;
    let (brand_id, bot, _, carol, id) = brand_and_customer(&server).await;
    let path = format!("/api/v1/conversations/{id}/control");
    // The customer has no controller: their account is not a support account.
    let (status, refused) = server.call("GET", &path, Some(&carol), None).await;
    assert_eq!(
        (status, s(&refused["error"]["code"])),
        (403, "forbidden".into())
    );
    // Someone else's conversation, or none: not found.
    let (_, dave) = server.user("dave").await;
    let (status, _) = server.call("GET", &path, Some(&dave), None).await;
    assert_eq!(status, 404);
    let (status, _) = server
        .call(
            "GET",
            "/api/v1/conversations/nonsense/control",
            Some(&bot),
            None,
        )
        .await;
    assert_eq!(status, 400);
    // Bad bodies name the field.
    for (body, field) in [
        (json!({"action": "steal"}), "action"),
        (json!({}), "action"),
        (
            json!({"action": "request", "note": "x".repeat(1_001)}),
            "note",
        ),
        (json!({"action": "take", "by": "bot"}), "by"),
    ] {
        let (status, refused) = put_control(&server, &bot, &id, body.clone()).await;
        assert_eq!(status, 400, "{body}: {refused}");
        assert!(
            s(&refused["error"]["message"]).contains(field)
                || s(&refused["error"]["field"]) == field,
            "{body}: {refused}"
        );
    }
    // A personal account's sends never meet a controller.
    let (status, _) = send(&server, &carol, &id, "hello?").await;
    assert_eq!(status, 201);
    let _ = brand_id;
}
