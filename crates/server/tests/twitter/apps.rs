//! Developer apps and connected apps (issue 17, item 1).

use std::time::Duration;

use serde_json::json;

use crate::account_activity::{Subscribed, bot_subscribed};
use crate::client::app_keys;
use crate::common::{TestServer, s};

crate::on_every_backend!(
    an_app_shows_its_secrets_once_and_rotation_retires_the_old_keys,
    app_fields_keep_to_their_rules,
    a_person_revokes_an_app_and_its_tokens_stop_working,
    only_the_owner_sees_and_changes_an_app,
    an_app_gets_its_bearer_by_client_credentials_until_it_is_invalidated,
    a_deleted_apps_webhook_hears_nothing_more,
);

async fn an_app_shows_its_secrets_once_and_rotation_retires_the_old_keys() {
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let (status, made) = server
        .call(
            "POST",
            "/api/v1/apps",
            Some(&owner),
            Some(json!({"name": "Cocktail bot", "callback_urls": ["https://bot.example/cb", "bot-app://done"], "website_url": "https://bot.example"})),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    for secret in [
        "consumer_key",
        "consumer_secret",
        "client_id",
        "client_secret",
        "bearer_token",
    ] {
        assert!(s(&made[secret]).len() >= 20, "{secret}: {made}");
    }
    assert_eq!(made["app"]["name"], "Cocktail bot");
    assert_eq!(made["app"]["callback_urls"][1], "bot-app://done");
    let id = s(&made["app"]["id"]);
    let (status, list) = server.call("GET", "/api/v1/apps", Some(&owner), None).await;
    assert_eq!(status, 200);
    assert_eq!(list["apps"][0]["consumer_key"], made["consumer_key"]);
    let listed = list.to_string();
    for secret in ["consumer_secret", "client_secret", "bearer_token"] {
        assert!(
            !listed.contains(&s(&made[secret])),
            "{secret} listed: {listed}"
        );
    }

    // Credentials signed with the app's keys work; after rotation, the old key does not.
    let keys = app_keys_for(&server, &owner, &id, &made).await;
    let me = keys
        .get(&server.base, "/1.1/account/verify_credentials.json", &[])
        .await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["screen_name"], "builder");
    let (status, rotated) = server
        .call(
            "POST",
            &format!("/api/v1/apps/{id}/keys"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert_ne!(rotated["consumer_key"], made["consumer_key"]);
    assert_eq!(
        rotated["client_id"], made["client_id"],
        "the client id stays"
    );
    let old = keys
        .get(&server.base, "/1.1/account/verify_credentials.json", &[])
        .await;
    assert_eq!(old.code(401), 32);
    let renewed = crate::client::Keys {
        consumer_key: s(&rotated["consumer_key"]),
        consumer_secret: s(&rotated["consumer_secret"]),
        ..keys
    };
    let me = renewed
        .get(&server.base, "/1.1/account/verify_credentials.json", &[])
        .await;
    assert_eq!(me.status, 200, "a grant survives rotation: {}", me.body);

    // Deleting the app ends every credential it had.
    let (status, _) = server
        .call("DELETE", &format!("/api/v1/apps/{id}"), Some(&owner), None)
        .await;
    assert_eq!(status, 204);
    let gone = renewed
        .get(&server.base, "/1.1/account/verify_credentials.json", &[])
        .await;
    assert_eq!(gone.code(401), 32);
}

async fn app_keys_for(
    server: &TestServer,
    owner: &str,
    id: &str,
    made: &serde_json::Value,
) -> crate::client::Keys {
    let (status, tokens) = server
        .call(
            "POST",
            &format!("/api/v1/apps/{id}/access_tokens"),
            Some(owner),
            None,
        )
        .await;
    assert_eq!(status, 201, "{tokens}");
    assert_eq!(
        tokens["scopes"],
        json!([
            "tweet.read",
            "tweet.write",
            "users.read",
            "dm.read",
            "dm.write",
            "media.write",
            "offline.access"
        ])
    );
    crate::client::Keys {
        consumer_key: s(&made["consumer_key"]),
        consumer_secret: s(&made["consumer_secret"]),
        token: s(&tokens["access_token"]),
        token_secret: s(&tokens["access_token_secret"]),
    }
}

async fn app_fields_keep_to_their_rules() {
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let long = "x".repeat(33);
    let many: Vec<String> = (0..11).map(|i| format!("https://a.example/{i}")).collect();
    for (body, field, words) in [
        (json!({"name": long}), "name", "at most 32"),
        (json!({"name": ""}), "name", ""),
        (
            json!({"name": "ok", "callback_urls": ["not a url"]}),
            "callback_urls",
            "absolute URL",
        ),
        (
            json!({"name": "ok", "callback_urls": ["JavaScript://%0Aalert(1)"]}),
            "callback_urls",
            "not javascript:",
        ),
        (
            json!({"name": "ok", "callback_urls": ["data://text/html,hi"]}),
            "callback_urls",
            "absolute URL",
        ),
        (
            json!({"name": "ok", "callback_urls": many}),
            "callback_urls",
            "at most 10",
        ),
        (
            json!({"name": "ok", "website_url": "ftp://files.example"}),
            "website_url",
            "http",
        ),
    ] {
        let (status, refused) = server
            .call("POST", "/api/v1/apps", Some(&owner), Some(body.clone()))
            .await;
        assert_eq!(status, 400, "{body}: {refused}");
        assert_eq!(refused["error"]["field"], field, "{refused}");
        assert!(s(&refused["error"]["message"]).contains(words), "{refused}");
    }
    let (status, none) = server.call("GET", "/api/v1/apps", Some(&owner), None).await;
    assert_eq!(
        (status, none["apps"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    for _ in 0..25 {
        let (status, _) = server
            .call(
                "POST",
                "/api/v1/apps",
                Some(&owner),
                Some(json!({"name": "one of many"})),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (status, full) = server
        .call(
            "POST",
            "/api/v1/apps",
            Some(&owner),
            Some(json!({"name": "one too many"})),
        )
        .await;
    assert_eq!(status, 409, "{full}");
    assert!(
        s(&full["error"]["message"]).contains("at most 25 apps"),
        "{full}"
    );
}

async fn a_person_revokes_an_app_and_its_tokens_stop_working() {
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let keys = app_keys(&server, &owner).await;
    let (status, listed) = server
        .call("GET", "/api/v1/me/authorized_apps", Some(&owner), None)
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["apps"][0]["name"], "Test bot");
    assert!(
        listed["apps"][0]["scopes"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("dm.write")))
    );
    assert!(
        listed["apps"][0]["permissions"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("Send and manage your Direct Messages"))),
        "{listed}"
    );
    let app_id = s(&listed["apps"][0]["app_id"]);
    let ok = keys
        .get(&server.base, "/1.1/account/verify_credentials.json", &[])
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let (status, _) = server
        .call(
            "DELETE",
            &format!("/api/v1/me/authorized_apps/{app_id}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let revoked = keys
        .get(&server.base, "/1.1/account/verify_credentials.json", &[])
        .await;
    assert_eq!(revoked.code(401), 89);
    let (status, again) = server
        .call(
            "DELETE",
            &format!("/api/v1/me/authorized_apps/{app_id}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, 404, "{again}");
    let (_, listed) = server
        .call("GET", "/api/v1/me/authorized_apps", Some(&owner), None)
        .await;
    assert_eq!(listed["apps"], json!([]));
}

async fn only_the_owner_sees_and_changes_an_app() {
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let (_, other) = server.user("stranger").await;
    let (_, made) = server
        .call(
            "POST",
            "/api/v1/apps",
            Some(&owner),
            Some(json!({"name": "Mine"})),
        )
        .await;
    let id = s(&made["app"]["id"]);
    for (method, path) in [
        ("DELETE", format!("/api/v1/apps/{id}")),
        ("POST", format!("/api/v1/apps/{id}/keys")),
        ("POST", format!("/api/v1/apps/{id}/access_tokens")),
    ] {
        let (status, body) = server.call(method, &path, Some(&other), None).await;
        assert_eq!(status, 404, "{method} {path}: {body}");
    }
    let (_, theirs) = server.call("GET", "/api/v1/apps", Some(&other), None).await;
    assert_eq!(theirs["apps"], json!([]));
    let (status, _) = server.call("GET", "/api/v1/apps", None, None).await;
    assert_eq!(status, 401);
}

async fn an_app_gets_its_bearer_by_client_credentials_until_it_is_invalidated() {
    use base64::Engine;
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let (carol_id, _) = server.user("carol").await;
    let (_, made) = server
        .call(
            "POST",
            "/api/v1/apps",
            Some(&owner),
            Some(json!({"name": "Autohook"})),
        )
        .await;
    let basic = |key: &str, secret: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"))
        )
    };
    let good = basic(&s(&made["consumer_key"]), &s(&made["consumer_secret"]));
    let http = reqwest::Client::new();
    let post = |path: &str, auth: String, form: &str| {
        let request = http
            .post(format!("{}{path}", server.base))
            .header("authorization", auth)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_owned());
        async move {
            let r = request.send().await.unwrap_or_else(|e| panic!("{e}"));
            let status = r.status().as_u16();
            (
                status,
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    let (status, token) = post(
        "/oauth2/token",
        good.clone(),
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["token_type"], "bearer");
    assert_eq!(
        token["access_token"], made["bearer_token"],
        "the same token the app was given"
    );
    let (status, again) = post(
        "/oauth2/token",
        good.clone(),
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(
        (status, &again["access_token"]),
        (200, &made["bearer_token"])
    );
    let bearer = s(&token["access_token"]);
    let read = |token: String| {
        let request = http
            .get(format!("{}/2/users/{carol_id}", server.base))
            .bearer_auth(token);
        async move {
            request
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or_default()
        }
    };
    assert_eq!(read(bearer.clone()).await, 200);
    let (status, refused) = post(
        "/oauth2/token",
        basic(&s(&made["consumer_key"]), "wrong"),
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(
        (status, refused["errors"][0]["code"].clone()),
        (401, json!(32)),
        "{refused}"
    );
    let (status, refused) = post("/oauth2/token", good.clone(), "grant_type=password").await;
    assert_eq!(status, 400, "{refused}");
    let (status, refused) = post(
        "/oauth2/token",
        "Bearer x".into(),
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(
        (status, refused["errors"][0]["code"].clone()),
        (400, json!(215)),
        "{refused}"
    );
    let (status, gone) = post(
        "/oauth2/invalidate_token",
        good.clone(),
        &format!("access_token={bearer}"),
    )
    .await;
    assert_eq!(
        (status, &gone["access_token"]),
        (200, &token["access_token"]),
        "{gone}"
    );
    assert_eq!(
        read(bearer.clone()).await,
        401,
        "an invalidated token authenticates no one"
    );
    let (_, fresh) = post("/oauth2/token", good, "grant_type=client_credentials").await;
    assert_ne!(fresh["access_token"], token["access_token"]);
    assert_eq!(read(s(&fresh["access_token"])).await, 200);
}

async fn a_deleted_apps_webhook_hears_nothing_more() {
    let server = crate::account_activity::server().await;
    let Subscribed {
        bot_id,
        bot,
        carol,
        mut rx,
        ..
    } = bot_subscribed(&server).await;
    server.dm(&carol, &bot_id, "before").await;
    assert!(
        rx.next(Duration::from_secs(10))
            .await
            .body
            .contains("before")
    );

    let (_, apps) = server.call("GET", "/api/v1/apps", Some(&bot), None).await;
    let app = s(&apps["apps"][0]["id"]);
    let (status, _) = server
        .call("DELETE", &format!("/api/v1/apps/{app}"), Some(&bot), None)
        .await;
    assert_eq!(status, 204);
    server.dm(&carol, &bot_id, "after").await;
    // A delivery takes milliseconds and the loop looks every 250 ms: three seconds is ample.
    let late = tokio::time::timeout(Duration::from_secs(3), rx.heard.recv()).await;
    assert!(
        late.is_err(),
        "a deleted app's webhook was sent: {:?}",
        late.ok().flatten().map(|h| h.body)
    );
    let (status, _) = server
        .call(
            "GET",
            &format!("/api/v1/apps/{app}/webhooks"),
            Some(&bot),
            None,
        )
        .await;
    assert_eq!(status, 404, "the app and its webhooks are gone");
}
