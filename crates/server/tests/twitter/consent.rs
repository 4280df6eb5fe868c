//! What both consent flows share (issue 17, item 2): an app with callbacks, the consent
//! page's calls, form bodies; and the Twitter addresses that lead to the pages. The flows'
//! tests: `three_legged` (OAuth 1.0a) and `pkce` (OAuth 2.0).

use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;

use crate::client::{Keys, Tweak};
use crate::common::{Client, TestServer, s};

crate::on_every_backend!(the_twitter_addresses_lead_to_the_consent_pages);

pub const CALLBACK: &str = "https://bot.example/callback";
pub const ME_V1: &str = "/1.1/account/verify_credentials.json";

/// An app with a callback, made by `owner`; its keys without a token.
pub async fn app(server: &Client, owner: &str) -> (Value, Keys) {
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

pub fn form_of(body: &Value) -> Vec<(String, String)> {
    let text = body
        .as_str()
        .unwrap_or_else(|| panic!("a form body: {body}"));
    form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

pub fn field(form: &[(String, String)], name: &str) -> String {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("{name} in {form:?}"))
}

/// `POST /oauth/request_token` for `callback`: the request token and its secret.
pub async fn request_token(server: &Client, keys: &Keys, callback: &str) -> Keys {
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
pub async fn access_token(
    server: &Client,
    request: &Keys,
    verifier: &str,
) -> crate::client::Signed {
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

pub fn query_of(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

pub fn challenge_of(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

/// The query an app sends to `/i/oauth2/authorize`.
pub fn code_request(client_id: &str, scope: &str, verifier: &str) -> Value {
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

pub fn as_query(request: &Value) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in request.as_object().into_iter().flatten() {
        q.append_pair(k, v.as_str().unwrap_or_default());
    }
    q.finish()
}

/// The consent page allows `request` as `person`: the code it sends back.
pub async fn allow(server: &Client, person: &str, request: &Value) -> String {
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

pub async fn post_form(
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

pub async fn bearer_get(server: &Client, token: &str, path: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", server.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub const VERIFIER: &str = "a-verifier-of-forty-three-or-more-characters-1234567890";

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
