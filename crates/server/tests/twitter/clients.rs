//! Real Twitter client libraries against Postern (issue 17): each runs a bot's calls as it
//! would against Twitter, over TLS with a certificate made here, changing only the host —
//! tweepy (`clients/tweepy_bot.py`) and twitter-api-v2 (`clients/node/bot.mjs`). Each also
//! runs the 3-legged OAuth 1.0a flow and OAuth 2.0 with PKCE and refresh, approving the
//! consent page's calls as the person would.

use serde_json::json;

use crate::common::{TestServer, s};
use crate::tls::tls_server;

/// A server over TLS with a bot, the people it talks to, and its app; what a script needs.
struct World {
    _server: TestServer,
    dir: tempfile::TempDir,
    env: Vec<(&'static str, String)>,
}

const CALLBACK: &str = "https://bot.example/callback";

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let (server, api, addr) = tls_server(dir.path(), |_| {}).await;
    let (bot_id, bot) = api.user("bot").await;
    let (friend_id, friend) = api.user("carol").await;
    let (blocker_id, blocker) = api.user("blocker").await;
    let (other_id, other) = api.user("dave").await;
    api.follow(&other, &bot_id).await;
    api.follow(&friend, &bot_id).await;
    api.follow(&bot, &friend_id).await;
    api.dm(&friend, &bot_id, "hi bot").await;
    // Welcome messages need open DMs, as on Twitter (code 214 otherwise).
    api.open_to_everyone(&bot).await;
    let (status, _) = api
        .call(
            "PUT",
            &format!("/api/v1/me/blocks/{bot_id}"),
            Some(&blocker),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, app) = api
        .call(
            "POST",
            "/api/v1/apps",
            Some(&bot),
            Some(json!({"name": "Support bot", "callback_urls": [CALLBACK]})),
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
    let photo = dir.path().join("photo.png");
    image::RgbImage::from_pixel(64, 48, image::Rgb([200, 80, 20]))
        .save(&photo)
        .unwrap_or_else(|e| panic!("photo: {e}"));
    let env = vec![
        ("POSTERN_HOST", addr.to_string()),
        ("POSTERN_BASE", format!("https://{addr}")),
        ("CONSUMER_KEY", s(&app["consumer_key"])),
        ("CONSUMER_SECRET", s(&app["consumer_secret"])),
        ("CLIENT_ID", s(&app["client_id"])),
        ("CLIENT_SECRET", s(&app["client_secret"])),
        ("CALLBACK_URL", CALLBACK.to_owned()),
        ("ACCESS_TOKEN", s(&tokens["access_token"])),
        ("ACCESS_TOKEN_SECRET", s(&tokens["access_token_secret"])),
        ("FRIEND_ID", friend_id),
        ("FRIEND_SESSION", friend),
        ("BLOCKER_ID", blocker_id),
        ("OTHER_ID", other_id),
        ("PHOTO", photo.display().to_string()),
    ];
    World {
        _server: server,
        dir,
        env,
    }
}

/// Runs `command` with the world's environment; fails with everything it said unless it
/// exits 0 having said "every call behaved".
async fn run_scenario(world: &World, mut command: tokio::process::Command, what: &str) {
    for (k, v) in &world.env {
        command.env(k, v);
    }
    let output = command
        .output()
        .await
        .unwrap_or_else(|e| panic!("run {what}: {e}"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{what}: {said}");
    assert!(said.contains("every call behaved"), "{what}: {said}");
}

#[postern_testkit::test(needs(TwitterClients))]
async fn tweepy_runs_a_bot_unchanged() {
    let world = world().await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/twitter/clients/tweepy_bot.py");
    let mut command = tokio::process::Command::new(postern_testkit::services::twitter_python());
    command
        .arg(&script)
        .env("REQUESTS_CA_BUNDLE", world.dir.path().join("cert.pem"))
        .env_remove("CURL_CA_BUNDLE");
    run_scenario(&world, command, "tweepy").await;
}

#[postern_testkit::test(needs(TwitterClients))]
async fn twitter_api_v2_runs_a_bot_unchanged() {
    let world = world().await;
    let folder = postern_testkit::services::twitter_node_suite();
    let mut command = tokio::process::Command::new("node");
    command
        .arg("bot.mjs")
        .current_dir(&folder)
        .env("NODE_EXTRA_CA_CERTS", world.dir.path().join("cert.pem"));
    run_scenario(&world, command, "twitter-api-v2").await;
}
