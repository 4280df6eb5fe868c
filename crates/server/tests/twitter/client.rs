//! A small OAuth 1.0a client for the tests: signs as tweepy and twitter-api-v2 do (query and
//! form parameters signed, a JSON body not), with knobs to break a request on purpose.

use postern_http::twitter::oauth1::{base_string, encode, sign};
use serde_json::{Value, json};

use crate::common::{Client, s};

/// An app's keys and a user's token for it.
#[derive(Clone, Debug)]
pub struct Keys {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub token: String,
    pub token_secret: String,
}

/// What a test may change about a signed request.
#[derive(Clone, Debug, Default)]
pub struct Tweak {
    pub nonce: Option<String>,
    pub timestamp: Option<i64>,
    /// The base URL the client signs (scheme, host, port), instead of the one it calls.
    pub signed_origin: Option<String>,
    /// Writes the header without spaces after the commas, as twitter-api-v2 does.
    pub compact: bool,
    /// Sends a different parameter value than the one signed.
    pub tamper: Option<(String, String)>,
}

pub struct Signed {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

/// Makes an app as `owner` and the owner's own credentials for it.
pub async fn app_keys(server: &Client, owner: &str) -> Keys {
    app_keys_and_bearer(server, owner).await.0
}

/// [`app_keys`], and the app's own bearer token (app-only).
pub async fn app_keys_and_bearer(server: &Client, owner: &str) -> (Keys, String) {
    let (status, app) = server
        .call(
            "POST",
            "/api/v1/apps",
            Some(owner),
            Some(json!({"name": "Test bot"})),
        )
        .await;
    assert_eq!(status, 201, "create app: {app}");
    let (status, tokens) = server
        .call(
            "POST",
            &format!("/api/v1/apps/{}/access_tokens", s(&app["app"]["id"])),
            Some(owner),
            None,
        )
        .await;
    assert_eq!(status, 201, "access tokens: {tokens}");
    let keys = Keys {
        consumer_key: s(&app["consumer_key"]),
        consumer_secret: s(&app["consumer_secret"]),
        token: s(&tokens["access_token"]),
        token_secret: s(&tokens["access_token_secret"]),
    };
    (keys, s(&app["bearer_token"]))
}

fn nonce() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("n{now}x{n}")
}

fn query_string(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Keys {
    /// The `Authorization` header for a request to `url` (no query) with `signed` params.
    pub fn header(
        &self,
        method: &str,
        url: &str,
        signed: &[(&str, &str)],
        tweak: &Tweak,
    ) -> String {
        let nonce = tweak.nonce.clone().unwrap_or_else(nonce);
        let timestamp = tweak
            .timestamp
            .unwrap_or_else(|| chrono::Utc::now().timestamp())
            .to_string();
        let oauth = [
            ("oauth_consumer_key", self.consumer_key.as_str()),
            ("oauth_nonce", nonce.as_str()),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", timestamp.as_str()),
            ("oauth_token", self.token.as_str()),
            ("oauth_version", "1.0"),
        ];
        let all: Vec<(String, String)> = signed
            .iter()
            .chain(oauth.iter())
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let signature = sign(
            &base_string(method, url, &all),
            &self.consumer_secret,
            &self.token_secret,
        );
        let mut parts: Vec<String> = oauth
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", encode(v)))
            .collect();
        parts.push(format!("oauth_signature=\"{}\"", encode(&signature)));
        let separator = if tweak.compact { "," } else { ", " };
        format!("OAuth {}", parts.join(separator))
    }

    /// A signed request: `query` in the URL, `form` as a form body, or `json` as a JSON body.
    #[expect(
        clippy::too_many_arguments,
        reason = "each test spells out the request it makes in one call"
    )]
    pub async fn call(
        &self,
        base: &str,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        form: Option<&[(&str, &str)]>,
        json: Option<Value>,
        tweak: &Tweak,
    ) -> Signed {
        self.call_with(
            &reqwest::Client::new(),
            base,
            method,
            path,
            query,
            form,
            json,
            tweak,
        )
        .await
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "each test spells out the request it makes in one call"
    )]
    pub async fn call_with(
        &self,
        http: &reqwest::Client,
        base: &str,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        form: Option<&[(&str, &str)]>,
        json: Option<Value>,
        tweak: &Tweak,
    ) -> Signed {
        let mut signed: Vec<(&str, &str)> = query.to_vec();
        signed.extend(form.unwrap_or_default());
        let signed_url = format!("{}{path}", tweak.signed_origin.as_deref().unwrap_or(base));
        let header = self.header(method, &signed_url, &signed, tweak);
        let mut sent_query: Vec<(&str, &str)> = query.to_vec();
        if let Some((k, v)) = &tweak.tamper {
            sent_query.retain(|(key, _)| key != k);
            sent_query.push((k.as_str(), v.as_str()));
        }
        let mut url = format!("{base}{path}");
        if !sent_query.is_empty() {
            url = format!("{url}?{}", query_string(&sent_query));
        }
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .unwrap_or_else(|e| panic!("method {method}: {e}"));
        let mut request = http.request(method, url).header("authorization", header);
        if let Some(form) = form {
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(query_string(form));
        }
        if let Some(json) = json {
            request = request
                .header("content-type", "application/json; charset=utf-8")
                .body(json.to_string());
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("request {path}: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Signed {
            status,
            headers,
            body,
        }
    }

    /// A signed POST of a multipart form (whose fields are not signed, only the query).
    pub async fn multipart(
        &self,
        base: &str,
        path: &str,
        query: &[(&str, &str)],
        form: reqwest::multipart::Form,
    ) -> Signed {
        let header = self.header("POST", &format!("{base}{path}"), query, &Tweak::default());
        let mut url = format!("{base}{path}");
        if !query.is_empty() {
            url = format!("{url}?{}", query_string(query));
        }
        let response = reqwest::Client::new()
            .post(url)
            .header("authorization", header)
            .multipart(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("multipart {path}: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Signed {
            status,
            headers,
            body,
        }
    }

    /// A signed GET of a file at `url` (absolute): its status, type and length.
    pub async fn fetch(&self, url: &str) -> (u16, String, usize) {
        let header = self.header("GET", url, &[], &Tweak::default());
        let response = reqwest::Client::new()
            .get(url)
            .header("authorization", header)
            .send()
            .await
            .unwrap_or_else(|e| panic!("fetch {url}: {e}"));
        let status = response.status().as_u16();
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = response.bytes().await.map(|b| b.len()).unwrap_or_default();
        (status, kind, bytes)
    }

    /// A plain signed GET with query parameters.
    pub async fn get(&self, base: &str, path: &str, query: &[(&str, &str)]) -> Signed {
        self.call(base, "GET", path, query, None, None, &Tweak::default())
            .await
    }

    /// A signed POST of a JSON body.
    pub async fn post_json(&self, base: &str, path: &str, body: Value) -> Signed {
        self.call(base, "POST", path, &[], None, Some(body), &Tweak::default())
            .await
    }
}

impl Signed {
    /// The first error's code, asserting the response's status.
    pub fn code(&self, status: u16) -> i64 {
        assert_eq!(self.status, status, "{}", self.body);
        self.body["errors"][0]["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("no error code in {}", self.body))
    }
}

/// A v1.1 `events/new` body.
pub fn dm_body(recipient: &str, data: Value) -> Value {
    json!({"event": {"type": "message_create", "message_create": {
        "target": {"recipient_id": recipient},
        "message_data": data,
    }}})
}
