//! Developer apps and connected apps (issue 17, item 1).

use serde_json::json;

use crate::client::app_keys;
use crate::common::{TestServer, s};

crate::on_every_backend!(
    an_app_shows_its_secrets_once_and_rotation_retires_the_old_keys,
    app_fields_keep_to_their_rules,
    a_person_revokes_an_app_and_its_tokens_stop_working,
    only_the_owner_sees_and_changes_an_app,
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
