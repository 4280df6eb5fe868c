//! OAuth 2.0's authorization code with PKCE (issue 17, item 2) through the consent page's
//! calls: tokens, refresh, revocation, and every refusal.

use serde_json::{Value, json};

use super::consent::{
    CALLBACK, ME_V1, VERIFIER, allow, app, as_query, bearer_get, code_request, field, post_form,
    query_of,
};
use crate::common::{TestServer, s};

crate::on_every_backend!(
    pkce_gives_a_two_hour_token_that_refreshes_and_revokes,
    pkce_refuses_what_the_app_did_not_register_or_prove,
    one_apps_tokens_and_codes_are_not_anothers,
);

async fn pkce_gives_a_two_hour_token_that_refreshes_and_revokes() {
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let (_, carol) = server.user("carol").await;
    let (app, _) = app(&server, &owner).await;
    let client_id = s(&app["client_id"]);
    let scope = "tweet.read users.read dm.read offline.access";
    let code = allow(&server, &carol, &code_request(&client_id, scope, VERIFIER)).await;

    // A public client names itself in the form.
    let (status, tokens) = post_form(
        &server,
        "/2/oauth2/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
            ("client_id", &client_id),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 7200);
    assert_eq!(tokens["scope"], scope);
    let access = s(&tokens["access_token"]);
    let refresh = s(&tokens["refresh_token"]);
    let (status, me) = bearer_get(&server, &access, "/2/users/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["data"]["username"], "carol");
    // OAuth 2.0 tokens are v2's, as on X: v1.1 answers 403, code 220.
    let (status, v1) = bearer_get(&server, &access, ME_V1).await;
    assert_eq!(status, 403, "{v1}");
    assert_eq!(v1["errors"][0]["code"], 220);

    // Its scopes hold: no dm.write, no sending.
    let response = reqwest::Client::new()
        .post(format!(
            "{}/2/dm_conversations/with/{}/messages",
            server.base,
            s(&me["data"]["id"])
        ))
        .bearer_auth(&access)
        .json(&json!({"text": "hi"}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("send: {e}"));
    assert_eq!(response.status().as_u16(), 403);

    // A code is used once.
    let (status, again) = post_form(
        &server,
        "/2/oauth2/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
            ("client_id", &client_id),
        ],
        None,
    )
    .await;
    assert_eq!(status, 400, "{again}");
    assert_eq!(again["error"], "invalid_request");

    // A confidential client refreshes with HTTP Basic; the old refresh token then fails.
    let secret = s(&app["client_secret"]);
    let (status, fresh) = post_form(
        &server,
        "/2/oauth2/token",
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        Some((&client_id, &secret)),
    )
    .await;
    assert_eq!(status, 200, "{fresh}");
    let access2 = s(&fresh["access_token"]);
    let refresh2 = s(&fresh["refresh_token"]);
    assert_ne!(access2, access);
    assert_ne!(refresh2, refresh);
    assert_eq!(bearer_get(&server, &access2, "/2/users/me").await.0, 200);
    assert_eq!(bearer_get(&server, &access, "/2/users/me").await.0, 401);
    let (status, stale) = post_form(
        &server,
        "/2/oauth2/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &client_id),
        ],
        None,
    )
    .await;
    assert_eq!(status, 400, "{stale}");
    let (status, wrong) = post_form(
        &server,
        "/2/oauth2/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh2),
        ],
        Some((&client_id, "not-the-secret")),
    )
    .await;
    assert_eq!(status, 401, "{wrong}");
    assert_eq!(wrong["error"], "invalid_client");

    // Revoking the refresh token ends the access token too.
    let (status, revoked) = post_form(
        &server,
        "/2/oauth2/revoke",
        &[("token", &refresh2), ("client_id", &client_id)],
        None,
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked, json!({"revoked": true}));
    assert_eq!(bearer_get(&server, &access2, "/2/users/me").await.0, 401);

    // Without offline.access there is no refresh token. twitter-api-v2 posts JSON, with the
    // secret in HTTP Basic and in the body.
    let code = allow(
        &server,
        &carol,
        &code_request(&client_id, "users.read tweet.read", VERIFIER),
    )
    .await;
    let response = reqwest::Client::new()
        .post(format!("{}/2/oauth2/token", server.base))
        .basic_auth(&client_id, Some(&secret))
        .header("content-type", "application/json;charset=UTF-8")
        .body(
            json!({
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "code_verifier": VERIFIER,
                "client_id": client_id,
                "client_secret": secret,
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("token: {e}"));
    let status = response.status().as_u16();
    let tokens: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
}

async fn pkce_refuses_what_the_app_did_not_register_or_prove() {
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let (_, carol) = server.user("carol").await;
    let (app, _) = app(&server, &owner).await;
    let client_id = s(&app["client_id"]);
    let good = code_request(&client_id, "users.read", VERIFIER);
    let consent = |request: Value| {
        let server = &server;
        let carol = &carol;
        async move {
            server
                .call(
                    "GET",
                    &format!("/api/v1/oauth2/authorization?{}", as_query(&request)),
                    Some(carol),
                    None,
                )
                .await
        }
    };
    let with = |key: &str, value: &str| {
        let mut r = good.clone();
        r[key] = json!(value);
        r
    };
    let (status, _) = consent(with("client_id", "nobody")).await;
    assert_eq!(status, 404);
    for (key, value) in [
        ("redirect_uri", "https://bot.example/callback/other"),
        ("redirect_uri", "https://evil.example/"),
        ("scope", "dm.read follows.everything"),
        ("scope", ""),
        ("state", ""),
        ("code_challenge", "short"),
        ("code_challenge_method", "md5"),
        ("response_type", "token"),
    ] {
        let (status, body) = consent(with(key, value)).await;
        assert_eq!(status, 400, "{key}={value}: {body}");
        assert_eq!(body["error"]["field"], key, "{body}");
    }
    let (status, body) = consent(with("state", &"s".repeat(501))).await;
    assert_eq!((status, s(&body["error"]["field"])), (400, "state".into()));

    // Denied: back to the app with access_denied, and no code.
    let mut denied = good.clone();
    denied["allow"] = json!(false);
    let (status, next) = server
        .call(
            "POST",
            "/api/v1/oauth2/authorization",
            Some(&carol),
            Some(denied),
        )
        .await;
    assert_eq!(status, 200, "{next}");
    let back = query_of(&s(&next["redirect_to"]));
    assert_eq!(field(&back, "error"), "access_denied");
    assert_eq!(field(&back, "state"), "state-from-the-app");

    // A wrong verifier or redirect_uri: refused, and the code is used up.
    for (form_key, value) in [
        ("code_verifier", "b".repeat(43)),
        ("redirect_uri", "myapp://done".into()),
    ] {
        let code = allow(&server, &carol, &good).await;
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.clone()),
            ("redirect_uri", CALLBACK.to_owned()),
            ("code_verifier", VERIFIER.to_owned()),
            ("client_id", client_id.clone()),
        ];
        for pair in &mut form {
            if pair.0 == form_key {
                pair.1 = value.clone();
            }
        }
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = post_form(&server, "/2/oauth2/token", &pairs, None).await;
        assert_eq!(status, 400, "{form_key}: {body}");
        assert_eq!(body["error"], "invalid_request");
        assert!(
            s(&body["error_description"]).starts_with(form_key),
            "{body}"
        );
        let (status, _) = post_form(
            &server,
            "/2/oauth2/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", VERIFIER),
                ("client_id", &client_id),
            ],
            None,
        )
        .await;
        assert_eq!(status, 400, "a code is tried once");
    }

    for (form, expected) in [
        (
            vec![
                ("grant_type", "password"),
                ("client_id", client_id.as_str()),
            ],
            "grant_type",
        ),
        (vec![("grant_type", "authorization_code")], "client_id"),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("client_id", client_id.as_str()),
            ],
            "refresh_token",
        ),
    ] {
        let (status, body) = post_form(&server, "/2/oauth2/token", &form, None).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            s(&body["error_description"]).starts_with(expected),
            "{body}"
        );
    }
    let (status, body) = post_form(
        &server,
        "/2/oauth2/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", "nobody"),
        ],
        None,
    )
    .await;
    assert_eq!((status, s(&body["error"])), (401, "invalid_client".into()));
}

async fn one_apps_tokens_and_codes_are_not_anothers() {
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let (_, carol) = server.user("carol").await;
    let (mine, _) = app(&server, &owner).await;
    let (theirs, _) = app(&server, &owner).await;
    let (mine_id, theirs_id) = (s(&mine["client_id"]), s(&theirs["client_id"]));
    let scope = "users.read tweet.read offline.access";
    let trade = |code: String, client: String| {
        let server = &server;
        async move {
            post_form(
                server,
                "/2/oauth2/token",
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", CALLBACK),
                    ("code_verifier", VERIFIER),
                    ("client_id", &client),
                ],
                None,
            )
            .await
        }
    };

    // Another app cannot trade my code, and its try does not use it up.
    let code = allow(&server, &carol, &code_request(&mine_id, scope, VERIFIER)).await;
    let (status, body) = trade(code.clone(), theirs_id.clone()).await;
    assert_eq!(status, 400, "{body}");
    let (status, tokens) = trade(code, mine_id.clone()).await;
    assert_eq!(status, 200, "{tokens}");
    let (access, refresh) = (s(&tokens["access_token"]), s(&tokens["refresh_token"]));

    // Nor refresh or revoke my tokens.
    let (status, body) = post_form(
        &server,
        "/2/oauth2/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &theirs_id),
        ],
        None,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post_form(
        &server,
        "/2/oauth2/revoke",
        &[("token", &access), ("client_id", &theirs_id)],
        None,
    )
    .await;
    assert_eq!((status, body), (200, json!({"revoked": true})));
    assert_eq!(bearer_get(&server, &access, "/2/users/me").await.0, 200);

    // HTTP Basic and the form must name the same client.
    let secret = s(&mine["client_secret"]);
    let (status, body) = post_form(
        &server,
        "/2/oauth2/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &theirs_id),
        ],
        Some((&mine_id, &secret)),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        s(&body["error_description"]).starts_with("client_id"),
        "{body}"
    );

    // A JSON body's fields are strings; a client id with a NUL names no app (never a 500).
    let response = reqwest::Client::new()
        .post(format!("{}/2/oauth2/token", server.base))
        .header("content-type", "application/json")
        .body(
            json!({"grant_type": "refresh_token", "refresh_token": ["x"], "client_id": mine_id})
                .to_string(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert!(
        s(&body["error_description"]).starts_with("refresh_token"),
        "{body}"
    );
    let (status, body) = post_form(
        &server,
        "/2/oauth2/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", "a\u{0}b"),
        ],
        None,
    )
    .await;
    assert_eq!((status, s(&body["error"])), (401, "invalid_client".into()));
    let (status, _) = server
        .call(
            "GET",
            &format!(
                "/api/v1/oauth2/authorization?{}",
                as_query(&code_request("a\u{0}b", scope, VERIFIER))
            ),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(status, 404);
}
