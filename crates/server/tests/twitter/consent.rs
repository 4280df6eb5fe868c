//! People authorizing apps (issue 17, item 2): OAuth 1.0a's three legs and OAuth 2.0's
//! authorization code with PKCE, through the consent page's calls, and every refusal.

use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;

use crate::client::{Keys, Tweak};
use crate::common::{Client, TestServer, s};

crate::on_every_backend!(
    three_legged_oauth1_gives_the_person_credentials_for_the_app,
    a_pin_replaces_the_callback_and_a_wrong_one_uses_the_token_up,
    a_denied_or_unregistered_request_token_gets_nothing,
    pkce_gives_a_two_hour_token_that_refreshes_and_revokes,
    pkce_refuses_what_the_app_did_not_register_or_prove,
    the_twitter_addresses_lead_to_the_consent_pages,
);

const CALLBACK: &str = "https://bot.example/callback";
const ME_V1: &str = "/1.1/account/verify_credentials.json";

/// An app with a callback, made by `owner`; its keys without a token.
async fn app(server: &Client, owner: &str) -> (Value, Keys) {
    let (status, app) = server
        .call(
            "POST",
            "/api/v1/apps",
            Some(owner),
            Some(json!({"name": "Helpdesk bot", "callback_urls": [CALLBACK, "myapp://done"]})),
        )
        .await;
    assert_eq!(status, 201, "{app}");
    let keys = Keys {
        consumer_key: s(&app["consumer_key"]),
        consumer_secret: s(&app["consumer_secret"]),
        token: String::new(),
        token_secret: String::new(),
    };
    (app, keys)
}

fn form_of(body: &Value) -> Vec<(String, String)> {
    let text = body
        .as_str()
        .unwrap_or_else(|| panic!("a form body: {body}"));
    form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

fn field(form: &[(String, String)], name: &str) -> String {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("{name} in {form:?}"))
}

/// `POST /oauth/request_token` for `callback`: the request token and its secret.
async fn request_token(server: &Client, keys: &Keys, callback: &str) -> Keys {
    let answer = keys
        .call(
            &server.base,
            "POST",
            "/oauth/request_token",
            &[],
            Some(&[("oauth_callback", callback)]),
            None,
            &Tweak::default(),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // Counted against the app's window, not its address's.
    assert_eq!(
        answer
            .headers
            .get("x-rate-limit-limit")
            .and_then(|v| v.to_str().ok()),
        Some("900")
    );
    let form = form_of(&answer.body);
    assert_eq!(field(&form, "oauth_callback_confirmed"), "true");
    Keys {
        token: field(&form, "oauth_token"),
        token_secret: field(&form, "oauth_token_secret"),
        ..keys.clone()
    }
}

/// `POST /oauth/access_token` with `verifier`.
async fn access_token(server: &Client, request: &Keys, verifier: &str) -> crate::client::Signed {
    request
        .call(
            &server.base,
            "POST",
            "/oauth/access_token",
            &[],
            Some(&[("oauth_verifier", verifier)]),
            None,
            &Tweak::default(),
        )
        .await
}

fn query_of(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

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

fn challenge_of(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

/// The query an app sends to `/i/oauth2/authorize`.
fn code_request(client_id: &str, scope: &str, verifier: &str) -> Value {
    json!({
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": scope,
        "state": "state-from-the-app",
        "code_challenge": challenge_of(verifier),
        "code_challenge_method": "S256",
    })
}

fn as_query(request: &Value) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in request.as_object().into_iter().flatten() {
        q.append_pair(k, v.as_str().unwrap_or_default());
    }
    q.finish()
}

/// The consent page allows `request` as `person`: the code it sends back.
async fn allow(server: &Client, person: &str, request: &Value) -> String {
    let (status, consent) = server
        .call(
            "GET",
            &format!("/api/v1/oauth2/authorization?{}", as_query(request)),
            Some(person),
            None,
        )
        .await;
    assert_eq!(status, 200, "{consent}");
    let mut answer = request.clone();
    answer["allow"] = json!(true);
    let (status, next) = server
        .call(
            "POST",
            "/api/v1/oauth2/authorization",
            Some(person),
            Some(answer),
        )
        .await;
    assert_eq!(status, 200, "{next}");
    let back = query_of(&s(&next["redirect_to"]));
    assert_eq!(field(&back, "state"), "state-from-the-app");
    field(&back, "code")
}

async fn post_form(
    server: &Client,
    path: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish(),
        );
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn bearer_get(server: &Client, token: &str, path: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", server.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

const VERIFIER: &str = "a-verifier-of-forty-three-or-more-characters-1234567890";

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

    // A code is the app's own: another app cannot trade it.
    let (other, _) = self::app(&server, &owner).await;
    let code = allow(&server, &carol, &good).await;
    let (status, body) = post_form(
        &server,
        "/2/oauth2/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
            ("client_id", &s(&other["client_id"])),
        ],
        None,
    )
    .await;
    assert_eq!(status, 400, "{body}");
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

async fn the_twitter_addresses_lead_to_the_consent_pages() {
    let server = TestServer::start().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    for (path, expected) in [
        (
            "/oauth/authorize?oauth_token=abc",
            "/i/oauth/authorize?oauth_token=abc",
        ),
        (
            "/oauth/authenticate?oauth_token=abc&force_login=true",
            "/i/oauth/authorize?oauth_token=abc&force_login=true",
        ),
        (
            "/2/oauth2/authorize?response_type=code&client_id=x",
            "/i/oauth2/authorize?response_type=code&client_id=x",
        ),
    ] {
        let response = http
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(response.status().as_u16(), 303, "{path}");
        assert_eq!(
            response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok()),
            Some(expected)
        );
    }
    // The page itself is the web app's.
    for path in [
        "/i/oauth/authorize?oauth_token=abc",
        "/i/oauth2/authorize?client_id=x",
    ] {
        let response = http
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let page = response.text().await.unwrap_or_default();
        assert!(page.contains("<div id=\"app\""), "{path}: {page}");
    }
}
