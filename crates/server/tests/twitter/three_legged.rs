//! OAuth 1.0a's three legs (issue 17, item 2) through the consent page's calls: a callback,
//! a PIN, a denial, and every refusal.

use serde_json::json;

use super::consent::{CALLBACK, ME_V1, access_token, app, field, form_of, query_of, request_token};
use crate::client::{Keys, Tweak};
use crate::common::{TestServer, s};

crate::on_every_backend!(
    three_legged_oauth1_gives_the_person_credentials_for_the_app,
    a_pin_replaces_the_callback_and_a_wrong_one_uses_the_token_up,
    a_denied_or_unregistered_request_token_gets_nothing,
    a_request_token_is_its_apps_alone,
);

async fn three_legged_oauth1_gives_the_person_credentials_for_the_app() {
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let (_, carol) = server.user("carol").await;
    let (_, keys) = app(&server, &owner).await;
    let request = request_token(&server, &keys, &format!("{CALLBACK}?from=setup")).await;

    // The consent page shows who asks and what it may do.
    let path = format!("/api/v1/oauth/request_tokens/{}", request.token);
    let (status, consent) = server.call("GET", &path, Some(&carol), None).await;
    assert_eq!(status, 200, "{consent}");
    assert_eq!(consent["app"]["name"], "Helpdesk bot");
    assert_eq!(consent["app"]["owner_screen_name"], "builder");
    assert_eq!(consent["pin"], false);
    let scopes: Vec<&str> = consent["scopes"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(scopes.contains(&"dm.write"), "{consent}");

    // The token is not yet usable: nobody has allowed it.
    let early = access_token(&server, &request, "guess").await;
    assert_eq!(early.status, 400, "{}", early.body);
    let request = request_token(&server, &keys, CALLBACK).await;
    let path = format!("/api/v1/oauth/request_tokens/{}", request.token);

    let (status, next) = server
        .call("POST", &path, Some(&carol), Some(json!({"allow": true})))
        .await;
    assert_eq!(status, 200, "{next}");
    let to = s(&next["redirect_to"]);
    assert!(to.starts_with(&format!("{CALLBACK}?")), "{to}");
    let back = query_of(&to);
    assert_eq!(field(&back, "oauth_token"), request.token);
    let verifier = field(&back, "oauth_verifier");

    // A second answer (another tab) finds it taken.
    let (status, again) = server
        .call("POST", &path, Some(&carol), Some(json!({"allow": false})))
        .await;
    assert_eq!(status, 404, "{again}");

    // twitter-api-v2 sends oauth_token in the header and again in the form, signed once.
    let url = format!("{}/oauth/access_token", server.base);
    let header = request.header(
        "POST",
        &url,
        &[("oauth_verifier", &verifier)],
        &Tweak::default(),
    );
    let response = reqwest::Client::new()
        .post(&url)
        .header("authorization", header)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            form_urlencoded::Serializer::new(String::new())
                .append_pair("oauth_verifier", &verifier)
                .append_pair("oauth_token", &request.token)
                .finish(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("access_token: {e}"));
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.unwrap_or_default();
    let form: Vec<(String, String)> = form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(field(&form, "screen_name"), "carol");
    let carol_keys = Keys {
        token: field(&form, "oauth_token"),
        token_secret: field(&form, "oauth_token_secret"),
        ..keys.clone()
    };
    let me = carol_keys.get(&server.base, ME_V1, &[]).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["screen_name"], "carol");
    assert_eq!(me.body["id_str"], field(&form, "user_id"));

    // Used once.
    let replay = access_token(&server, &request, &verifier).await;
    assert_eq!(replay.status, 401, "{}", replay.body);
    assert_eq!(replay.body["errors"][0]["code"], 89);

    // Carol sees the app among her connected apps, and revoking it ends the token.
    let (_, connected) = server
        .call("GET", "/api/v1/me/authorized_apps", Some(&carol), None)
        .await;
    assert_eq!(connected["apps"][0]["name"], "Helpdesk bot", "{connected}");
    let app_id = s(&connected["apps"][0]["app_id"]);
    let (status, _) = server
        .call(
            "DELETE",
            &format!("/api/v1/me/authorized_apps/{app_id}"),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let me = carol_keys.get(&server.base, ME_V1, &[]).await;
    assert_eq!(me.status, 401, "{}", me.body);
}

async fn a_pin_replaces_the_callback_and_a_wrong_one_uses_the_token_up() {
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let (_, carol) = server.user("carol").await;
    let (_, keys) = app(&server, &owner).await;

    let request = request_token(&server, &keys, "oob").await;
    let path = format!("/api/v1/oauth/request_tokens/{}", request.token);
    let (_, consent) = server.call("GET", &path, Some(&carol), None).await;
    assert_eq!(consent["pin"], true, "{consent}");
    let (status, next) = server
        .call("POST", &path, Some(&carol), Some(json!({"allow": true})))
        .await;
    assert_eq!(status, 200, "{next}");
    assert!(next.get("redirect_to").is_none(), "{next}");
    let pin = s(&next["pin"]);
    assert!(
        pin.len() == 7 && pin.bytes().all(|b| b.is_ascii_digit()),
        "{pin}"
    );
    let answer = access_token(&server, &request, &pin).await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    // A wrong PIN uses the token up: guessing gets one try.
    let request = request_token(&server, &keys, "oob").await;
    let path = format!("/api/v1/oauth/request_tokens/{}", request.token);
    let (_, next) = server
        .call("POST", &path, Some(&carol), Some(json!({"allow": true})))
        .await;
    let pin = s(&next["pin"]);
    let wrong = if pin == "0000000" {
        "0000001"
    } else {
        "0000000"
    };
    let answer = access_token(&server, &request, wrong).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("oauth_verifier")),
        "{}",
        answer.body
    );
    let answer = access_token(&server, &request, &pin).await;
    assert_eq!(answer.status, 401, "{}", answer.body);

    // Signed with the wrong token secret: refused, and the token survives for the real app.
    let request = request_token(&server, &keys, "oob").await;
    let forged = Keys {
        token_secret: "not-the-secret".into(),
        ..request.clone()
    };
    let answer = access_token(&server, &forged, "1234567").await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert_eq!(answer.body["errors"][0]["code"], 32);
}

async fn a_denied_or_unregistered_request_token_gets_nothing() {
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let (_, carol) = server.user("carol").await;
    let (_, keys) = app(&server, &owner).await;

    let refused = keys
        .call(
            &server.base,
            "POST",
            "/oauth/request_token",
            &[],
            Some(&[("oauth_callback", "https://evil.example/steal")]),
            None,
            &Tweak::default(),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("oauth_callback:")),
        "{}",
        refused.body
    );
    let missing = keys
        .call(
            &server.base,
            "POST",
            "/oauth/request_token",
            &[],
            None,
            None,
            &Tweak::default(),
        )
        .await;
    assert_eq!(missing.status, 400, "{}", missing.body);
    let forged = Keys {
        consumer_secret: "wrong".into(),
        ..keys.clone()
    };
    let bad = forged
        .call(
            &server.base,
            "POST",
            "/oauth/request_token",
            &[],
            Some(&[("oauth_callback", "oob")]),
            None,
            &Tweak::default(),
        )
        .await;
    assert_eq!(bad.status, 401, "{}", bad.body);

    let request = request_token(&server, &keys, CALLBACK).await;
    let path = format!("/api/v1/oauth/request_tokens/{}", request.token);
    let (status, _) = server.call("GET", &path, None, None).await;
    assert_eq!(
        status, 401,
        "the consent page's calls need a signed-in person"
    );
    let (status, next) = server
        .call("POST", &path, Some(&carol), Some(json!({"allow": false})))
        .await;
    assert_eq!(status, 200, "{next}");
    assert_eq!(
        s(&next["redirect_to"]),
        format!("{CALLBACK}?denied={}", request.token)
    );
    let (status, _) = server.call("GET", &path, Some(&carol), None).await;
    assert_eq!(status, 404);
    let answer = access_token(&server, &request, "anything").await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    let (_, connected) = server
        .call("GET", "/api/v1/me/authorized_apps", Some(&carol), None)
        .await;
    assert_eq!(connected["apps"], json!([]));
}

async fn a_request_token_is_its_apps_alone() {
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let (_, carol) = server.user("carol").await;
    let (_, keys) = app(&server, &owner).await;
    let (_, other) = app(&server, &owner).await;
    let request = request_token(&server, &keys, CALLBACK).await;
    let path = format!("/api/v1/oauth/request_tokens/{}", request.token);
    let (_, next) = server
        .call("POST", &path, Some(&carol), Some(json!({"allow": true})))
        .await;
    let verifier = field(&query_of(&s(&next["redirect_to"])), "oauth_verifier");
    // Another app holding the token and its secret signs with its own key: unknown to it.
    let stolen = Keys {
        consumer_key: other.consumer_key.clone(),
        consumer_secret: other.consumer_secret.clone(),
        ..request.clone()
    };
    let refused = access_token(&server, &stolen, &verifier).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert_eq!(refused.body["errors"][0]["code"], 89);
    // The rightful app still trades it, and allowing the app again gives the same token.
    let first = access_token(&server, &request, &verifier).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let again = request_token(&server, &keys, CALLBACK).await;
    let path = format!("/api/v1/oauth/request_tokens/{}", again.token);
    let (_, next) = server
        .call("POST", &path, Some(&carol), Some(json!({"allow": true})))
        .await;
    let verifier = field(&query_of(&s(&next["redirect_to"])), "oauth_verifier");
    let second = access_token(&server, &again, &verifier).await;
    assert_eq!(
        field(&form_of(&second.body), "oauth_token"),
        field(&form_of(&first.body), "oauth_token")
    );
    // Keys no app was given, a NUL among them, name no one (401, never a 500).
    for key in ["%00", "nobody", "a%0Ab"] {
        let header = format!(
            "OAuth oauth_consumer_key=\"{key}\", oauth_nonce=\"n\", oauth_signature=\"s\", \
             oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1\", oauth_version=\"1.0\""
        );
        let response = reqwest::Client::new()
            .post(format!("{}/oauth/request_token", server.base))
            .header("authorization", header)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status().as_u16(), 401, "{key}");
    }
}
