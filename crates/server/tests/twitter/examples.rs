//! The repository's examples (`examples/`), run unchanged against a fresh server over TLS:
//! the tweepy support bot registers its webhook, answers the CRC, and answers a customer's
//! messages as it would have on Twitter.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::common::{Client, s};
use crate::tls::tls_server;

/// The conversation's messages, newest first, as (sender, text, whole event).
async fn said(api: &Client, token: &str, conversation: &str) -> Vec<(String, String, Value)> {
    let (status, page) = api
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
        .into_iter()
        .flatten()
        .filter(|e| e["type"] == "message")
        .map(|e| (s(&e["sender_id"]), s(&e["text"]), e.clone()))
        .collect()
}

/// Waits for the bot's answer to be the newest message.
async fn answer_from(api: &Client, token: &str, conversation: &str, bot: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let messages = said(api, token, conversation).await;
        if let Some((sender, _, event)) = messages.first()
            && sender == bot
        {
            return event.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the bot never answered: {messages:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[postern_testkit::test(needs(TwitterClients))]
async fn the_tweepy_support_bot_example_answers_customers() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let (_server, api, addr) = tls_server(dir.path(), |c| {
        c.outbound.allow = vec!["127.0.0.1".into()];
    })
    .await;
    let (bot_id, bot) = api.user("acmehelp").await;
    let (carol_id, carol) = api.user("carol").await;
    api.follow(&bot, &carol_id).await;
    let (status, app) = api
        .call(
            "POST",
            "/api/v1/apps",
            Some(&bot),
            Some(json!({"name": "Acme support bot"})),
        )
        .await;
    assert_eq!(status, 201, "{app}");
    let (status, tokens) = api
        .call(
            "POST",
            &format!("/api/v1/apps/{}/access_tokens", s(&app["app"]["id"])),
            Some(&bot),
            None,
        )
        .await;
    assert_eq!(status, 201, "{tokens}");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"));
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/tweepy-support-bot/support_bot.py");
    let mut bot_process = tokio::process::Command::new(postern_testkit::services::twitter_python())
        .arg(&script)
        .env("TWITTER_HOST", addr.to_string())
        .env("CONSUMER_KEY", s(&app["consumer_key"]))
        .env("CONSUMER_SECRET", s(&app["consumer_secret"]))
        .env("ACCESS_TOKEN", s(&tokens["access_token"]))
        .env("ACCESS_TOKEN_SECRET", s(&tokens["access_token_secret"]))
        .env("WEBHOOK_URL", format!("http://127.0.0.1:{port}/webhook"))
        .env("PORT", port.to_string())
        .env("REQUESTS_CA_BUNDLE", dir.path().join("cert.pem"))
        .env_remove("CURL_CA_BUNDLE")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("python: {e}"));
    let stdout = bot_process
        .stdout
        .take()
        .unwrap_or_else(|| panic!("the bot's output"));
    let mut lines = BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .ok()
        .and_then(Result::ok)
        .flatten()
        .unwrap_or_else(|| panic!("the bot never became ready"));
    assert_eq!(ready, format!("ready as {bot_id}"));
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let conversation = {
        let (x, y): (u64, u64) = (bot_id.parse().unwrap_or(0), carol_id.parse().unwrap_or(0));
        format!("{}-{}", x.min(y), x.max(y))
    };
    api.dm(&carol, &bot_id, "hello?").await;
    let greeting = answer_from(&api, &carol, &conversation, &bot_id).await;
    assert_eq!(greeting["text"], "Hi! I'm the support bot. How can I help?");
    assert_eq!(greeting["quick_reply"]["options"][0]["metadata"], "order");
    let (status, tapped) = api
        .call(
            "POST",
            &format!("/api/v1/messages/with/{bot_id}"),
            Some(&carol),
            Some(json!({"quick_reply_response": {"type": "options", "metadata": "order"}})),
        )
        .await;
    assert_eq!(status, 201, "{tapped}");
    let asked = answer_from(&api, &carol, &conversation, &bot_id).await;
    assert_eq!(asked["text"], "Sure! What is your order number?");
    api.dm(&carol, &bot_id, "a-17").await;
    let found = answer_from(&api, &carol, &conversation, &bot_id).await;
    assert_eq!(found["text"], "Order A-17 left our warehouse today.");
    assert!(
        bot_process.try_wait().ok().flatten().is_none(),
        "the bot stopped"
    );
}
