//! A thin client for the native API: just the calls the scenarios need.

use anyhow::{Context, bail};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// OAuth 1.0a credentials: an app an account made, and the account's own token for it.
#[derive(Clone)]
pub struct OAuthKeys {
    consumer_key: String,
    pub consumer_secret: String,
    token: String,
    token_secret: String,
}

/// A registered account the load runs as.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Account {
    pub id: String,
    pub token: String,
}

#[derive(Clone)]
pub struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(base: &str, connections: usize) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(connections)
            .tcp_nodelay(true)
            .build()?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// One request; returns the status and the parsed body (or `null`).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.context("request failed")?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await?;
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Ok((status, value))
    }

    async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        want: u16,
    ) -> anyhow::Result<Value> {
        let (status, value) = self.call(method.clone(), path, token, body).await?;
        if status != want {
            bail!("{method} {path}: expected {want}, got {status}: {value}");
        }
        Ok(value)
    }

    pub async fn register(&self, screen_name: &str) -> anyhow::Result<Account> {
        let body = json!({"screen_name": screen_name, "password": "bench password"});
        let value = self
            .expect(
                reqwest::Method::POST,
                "/api/v1/accounts",
                None,
                Some(&body),
                201,
            )
            .await?;
        Ok(Account {
            id: string(&value["user"]["id"])?,
            token: string(&value["token"])?,
        })
    }

    /// Makes an app as `who` and gets `who`'s own OAuth 1.0a credentials for it.
    pub async fn app_credentials(&self, who: &Account) -> anyhow::Result<OAuthKeys> {
        let post = reqwest::Method::POST;
        let body = json!({"name": "bench"});
        let app = self
            .expect(
                post.clone(),
                "/api/v1/apps",
                Some(&who.token),
                Some(&body),
                201,
            )
            .await?;
        let path = format!("/api/v1/apps/{}/access_tokens", string(&app["app"]["id"])?);
        let tokens = self
            .expect(post, &path, Some(&who.token), None, 201)
            .await?;
        Ok(OAuthKeys {
            consumer_key: string(&app["consumer_key"])?,
            consumer_secret: string(&app["consumer_secret"])?,
            token: string(&tokens["access_token"])?,
            token_secret: string(&tokens["access_token_secret"])?,
        })
    }

    /// A POST of a JSON body signed with OAuth 1.0a, as Twitter's client libraries sign it
    /// (a fresh nonce each time; the JSON body is not signed).
    pub async fn signed_post(
        &self,
        keys: &OAuthKeys,
        path: &str,
        body: &Value,
    ) -> anyhow::Result<(u16, Value)> {
        self.signed(keys, path, &[], Some(body)).await
    }

    /// A POST signed with OAuth 1.0a: `query` is signed and sent in the URL, a JSON `body`
    /// (if any) is not signed.
    pub async fn signed(
        &self,
        keys: &OAuthKeys,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        use postern_http::twitter::oauth1::{base_string, encode, sign};
        let url = format!("{}{path}", self.base);
        let nonce = format!("{:032x}", rand::random::<u128>());
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs()
            .to_string();
        let oauth = [
            ("oauth_consumer_key", keys.consumer_key.as_str()),
            ("oauth_nonce", &nonce),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", &timestamp),
            ("oauth_token", &keys.token),
            ("oauth_version", "1.0"),
        ];
        let params: Vec<(String, String)> = oauth
            .iter()
            .chain(query)
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let signature = sign(
            &base_string("POST", &url, &params),
            &keys.consumer_secret,
            &keys.token_secret,
        );
        let mut header: Vec<String> = oauth
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", encode(v)))
            .collect();
        header.push(format!("oauth_signature=\"{}\"", encode(&signature)));
        let mut request = self
            .http
            .post(url)
            .query(query)
            .header("authorization", format!("OAuth {}", header.join(", ")));
        if let Some(body) = body {
            request = request.json(body);
        }
        let resp = request.send().await.context("request failed")?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    pub async fn follow(&self, who: &Account, whom: &Account) -> anyhow::Result<()> {
        let path = format!("/api/v1/me/following/{}", whom.id);
        self.expect(reqwest::Method::PUT, &path, Some(&who.token), None, 204)
            .await
            .map(drop)
    }

    /// Sends `text` to `to` (opening the conversation if needed); returns the message.
    pub async fn send_to_user(
        &self,
        from: &Account,
        to: &Account,
        text: &str,
    ) -> anyhow::Result<Value> {
        let path = format!("/api/v1/messages/with/{}", to.id);
        let body = json!({ "text": text });
        self.expect(
            reqwest::Method::POST,
            &path,
            Some(&from.token),
            Some(&body),
            201,
        )
        .await
    }

    /// Creates a group of `owner` and `members`; returns its conversation id.
    pub async fn create_group(
        &self,
        owner: &Account,
        members: &[&Account],
        name: &str,
    ) -> anyhow::Result<String> {
        let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
        let body = json!({ "participant_ids": ids, "name": name });
        let made = self
            .expect(
                reqwest::Method::POST,
                "/api/v1/conversations",
                Some(&owner.token),
                Some(&body),
                201,
            )
            .await?;
        string(&made["id"])
    }

    /// Opens the stream as `who` and waits for its `ready` frame.
    pub async fn stream(&self, who: &Account) -> anyhow::Result<Socket> {
        let url = format!("{}/api/v1/stream", self.base.replacen("http", "ws", 1));
        let mut req = url.into_client_request()?;
        req.headers_mut()
            .insert("authorization", format!("Bearer {}", who.token).parse()?);
        let (mut socket, _) = tokio_tungstenite::connect_async(req).await?;
        while let Some(frame) = socket.next().await {
            if let Message::Text(text) = frame? {
                let value: Value = serde_json::from_str(&text)?;
                if value["type"] == "ready" {
                    return Ok(socket);
                }
            }
        }
        bail!("the stream closed before it was ready")
    }
}

pub fn string(value: &Value) -> anyhow::Result<String> {
    value
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("expected a string, got {value}"))
}

/// Screen names unique to this run, so runs can repeat against one server.
pub fn screen_name(run: &str, role: char, index: usize) -> String {
    format!("b{run}{role}{index}")
}

/// Registers `count` accounts with `concurrency` requests in flight (registration hashes a
/// password, so it is deliberately slow).
pub async fn register_many(
    api: &Api,
    run: &str,
    role: char,
    count: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<Account>> {
    futures::stream::iter(0..count)
        .map(|i| {
            let api = api.clone();
            let name = screen_name(run, role, i);
            async move { api.register(&name).await }
        })
        .buffered(concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// A short random tag for this run's screen names.
pub fn run_tag() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..4)
        .map(|_| char::from(rng.sample(rand::distr::Alphanumeric)).to_ascii_lowercase())
        .collect()
}
