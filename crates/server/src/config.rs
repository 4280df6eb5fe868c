//! Configuration: defaults, then `postern.toml`, then `POSTERN__SECTION__KEY` environment
//! variables, then command-line flags. Unknown keys are refused, so a typo cannot silently
//! leave a default in place.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use postern_core::limits::Limits;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub database: DatabaseConfig,
    pub bus: BusConfig,
    pub media: postern_media::StorageConfig,
    pub auth: AuthConfig,
    pub log: LogConfig,
    pub limits: Limits,
    pub outbound: OutboundConfig,
    pub webhooks: WebhooksConfig,
}

/// Delivering webhooks.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Seconds a node holds a webhook it is delivering: if the node dies, another takes the
    /// webhook over this long after, from the last event delivered. Longer than a batch of
    /// deliveries can take (at most 50, 10 s each, one after another: keep the default).
    pub lease_secs: u64,
    /// People subscribed to one Account Activity webhook, at most (Twitter's paid tier: 250).
    pub subscriptions_per_webhook: usize,
    /// X Activity API subscriptions one app may have, at most (X's: 1,500).
    pub activity_subscriptions_per_app: usize,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        let service = postern_service::ServiceConfig::default();
        WebhooksConfig {
            lease_secs: 120,
            subscriptions_per_webhook: service.webhook_subscriptions_max,
            activity_subscriptions_per_app: service.activity_subscriptions_max,
        }
    }
}

/// Calls Postern makes outward (webhook deliveries).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct OutboundConfig {
    /// Addresses or CIDR ranges outward calls may reach besides public addresses
    /// (`["10.0.0.0/8"]` for webhooks on a private network). Empty: public addresses only.
    pub allow: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Distinguishes nodes in generated ids (0–1023). Unset: 0 on SQLite; on PostgreSQL
    /// each node claims one from the database at start.
    pub node_id: Option<u16>,
    /// Per-user send limits; turn off for load tests.
    pub rate_limits: bool,
    /// Seconds to let requests and streams finish on shutdown.
    pub shutdown_grace_secs: u64,
    /// Seconds a client has to send a request's headers, counted from when the connection
    /// is ready for one: also how long a kept-alive connection may sit idle.
    pub header_timeout_secs: u64,
    /// A request body must arrive at this many bytes a second on average once
    /// `body_grace_secs` have passed, or the request is refused and the connection closed.
    pub body_min_bytes_per_sec: u64,
    pub body_grace_secs: u64,
    /// Connections open at once, in all (lowered to what the open-file limit allows) and
    /// from one IP address. A connection over either is answered 503 and closed.
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    /// The bearer token `GET /metrics` asks for. Empty: it answers loopback clients only.
    pub metrics_token: String,
    /// The site as browsers reach it (`https://dm.example.com`). Empty: from each request's
    /// `Host` (or a trusted proxy's `X-Forwarded-Host` and `X-Forwarded-Proto`).
    pub public_url: String,
    /// Addresses or CIDR ranges of reverse proxies whose `X-Forwarded-*` headers are
    /// believed; anyone else's are ignored.
    pub trusted_proxies: Vec<String>,
    /// PEM files of the certificate chain and its private key: with both set, the server
    /// speaks HTTPS only (Twitter's client libraries need it). Empty: plain HTTP.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            node_id: None,
            rate_limits: true,
            shutdown_grace_secs: 10,
            header_timeout_secs: 10,
            body_min_bytes_per_sec: 512,
            body_grace_secs: 10,
            max_connections: 10_000,
            max_connections_per_ip: 1_000,
            metrics_token: String::new(),
            public_url: String::new(),
            trusted_proxies: Vec::new(),
            tls_cert: None,
            tls_key: None,
        }
    }
}

impl ServerConfig {
    /// The TLS acceptor `tls_cert` and `tls_key` make; neither set is plain HTTP, one alone
    /// is a mistake worth stopping for.
    pub fn tls(&self) -> anyhow::Result<Option<tokio_rustls::TlsAcceptor>> {
        match (&self.tls_cert, &self.tls_key) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => crate::listener::tls::acceptor(cert, key).map(Some),
            (Some(_), None) => anyhow::bail!("server.tls_cert is set without server.tls_key"),
            (None, Some(_)) => anyhow::bail!("server.tls_key is set without server.tls_cert"),
        }
    }

    /// The listener's limits; the total is capped by the process's open-file limit.
    pub fn connection_limits(&self) -> crate::listener::ConnectionLimits {
        let nofile = rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(u64::MAX, |(soft, _)| soft);
        crate::listener::ConnectionLimits {
            header_timeout: std::time::Duration::from_secs(self.header_timeout_secs),
            body_rate: crate::listener::BodyRate {
                min_bytes_per_sec: self.body_min_bytes_per_sec,
                grace: std::time::Duration::from_secs(self.body_grace_secs),
            },
            max_connections: self
                .max_connections
                .min(crate::listener::connections_for(nofile)),
            max_connections_per_ip: self.max_connections_per_ip,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    pub data_dir: PathBuf,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            data_dir: PathBuf::from("./postern-data"),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://USER@HOST:PORT/DB`; empty means `DATA_DIR/postern.db`.
    pub url: String,
}

/// Where the data lives, from `database.url`'s scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    /// The URL as given, for the PostgreSQL driver.
    Postgres(String),
}

impl Database {
    /// Parses a database URL; `setting` names where it came from (`database.url`, a flag) in
    /// errors. Only the two schemes are accepted, in full, so a typo cannot fall back to a
    /// default store.
    pub fn parse(setting: &str, url: &str) -> anyhow::Result<Database> {
        let url = url.trim();
        match url.split_once("://") {
            Some(("sqlite", path)) if !path.is_empty() => Ok(Database::Sqlite(PathBuf::from(path))),
            Some(("sqlite", _)) => {
                anyhow::bail!("{setting} `{url}` names no file; use sqlite://PATH")
            }
            Some(("postgres" | "postgresql", rest)) if !rest.is_empty() => {
                Ok(Database::Postgres(url.to_owned()))
            }
            Some(("postgres" | "postgresql", _)) => anyhow::bail!(
                "{setting} `{url}` names no server; use postgres://USER@HOST:PORT/DATABASE"
            ),
            Some((scheme, _)) => anyhow::bail!(
                "{setting} scheme `{scheme}` is not supported; use sqlite://PATH or postgres://USER@HOST:PORT/DATABASE"
            ),
            None => anyhow::bail!(
                "{setting} `{url}` has no scheme; use sqlite://PATH or postgres://USER@HOST:PORT/DATABASE"
            ),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct BusConfig {
    /// `nats://HOST:PORT` to fan events out across nodes; empty for a single node.
    pub url: String,
    /// NATS subjects start with this; nodes of one installation share it.
    pub subject_prefix: String,
}

impl Default for BusConfig {
    fn default() -> Self {
        BusConfig {
            url: String::new(),
            subject_prefix: "postern".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub session_days: i64,
    /// Bearer tokens from an API login or sign-up expire after this many days.
    pub login_token_days: i64,
    /// Failed logins an account, or one address, may have before each further one makes
    /// the next attempt wait (1 s, doubling, up to `login_longest_wait_secs`).
    pub login_free_failures_per_account: u32,
    pub login_free_failures_per_address: u32,
    pub login_longest_wait_secs: u64,
    /// 32 bytes in base64 (`openssl rand -base64 32`) that seal the secrets of developer
    /// apps in the database. Empty: the server makes a key and keeps it in the database.
    pub secret_key: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        let login = postern_service::login_guard::LoginLimits::default();
        AuthConfig {
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            session_days: 30,
            login_token_days: 30,
            login_free_failures_per_account: login.free_per_account,
            login_free_failures_per_address: login.free_per_address,
            login_longest_wait_secs: login.longest_wait.as_secs(),
            secret_key: String::new(),
        }
    }
}

impl AuthConfig {
    /// `secret_key`, read; `None` when it is left empty.
    pub fn secret_key(&self) -> anyhow::Result<Option<[u8; postern_service::secrets::KEY_LEN]>> {
        match self.secret_key.trim() {
            "" => Ok(None),
            raw => postern_service::secrets::parse_key("auth.secret_key", raw)
                .map(Some)
                .map_err(anyhow::Error::msg),
        }
    }

    pub fn login_limits(&self) -> postern_service::login_guard::LoginLimits {
        postern_service::login_guard::LoginLimits {
            free_per_account: self.login_free_failures_per_account,
            free_per_address: self.login_free_failures_per_address,
            longest_wait: std::time::Duration::from_secs(self.login_longest_wait_secs),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// A tracing filter, e.g. `info,postern_http=debug`; `RUST_LOG` overrides.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: "text".into(),
            filter: "info".into(),
        }
    }
}

impl Config {
    /// Loads the layered configuration; `file` defaults to `./postern.toml` if present.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(f) => {
                anyhow::ensure!(
                    f.exists(),
                    "configuration file {} does not exist",
                    f.display()
                );
                figment = figment.merge(Toml::file(f));
            }
            None => figment = figment.merge(Toml::file("postern.toml")),
        }
        figment = figment.merge(Env::prefixed("POSTERN__").split("__"));
        figment.extract().context("invalid configuration")
    }

    /// The database `database.url` names (empty: `DATA_DIR/postern.db`).
    pub fn database(&self) -> anyhow::Result<Database> {
        let url = self.database.url.trim();
        if url.is_empty() {
            return Ok(Database::Sqlite(self.storage.data_dir.join("postern.db")));
        }
        Database::parse("database.url", url)
    }

    /// The NATS server `bus.url` names, or `None` for the in-process bus.
    pub fn nats_url(&self) -> anyhow::Result<Option<&str>> {
        let url = self.bus.url.trim();
        if url.is_empty() {
            return Ok(None);
        }
        match url.split_once("://") {
            Some(("nats", rest)) if !rest.is_empty() => Ok(Some(url)),
            _ => anyhow::bail!("bus.url `{url}` is not supported; use nats://HOST:PORT"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("postern.toml");
        std::fs::write(&file, "[server]\nlisten = \"127.0.0.1:9000\"\nlisen = 1\n")?;
        let err = Config::load(Some(&file)).err().map(|e| format!("{e:#}"));
        assert!(
            err.is_some_and(|e| e.contains("lisen")),
            "the message names the unknown key"
        );
        std::fs::write(
            &file,
            "[server]\nlisten = \"127.0.0.1:9000\"\n[limits]\ndm_text = 500\n",
        )?;
        let config = Config::load(Some(&file))?;
        assert_eq!(config.server.listen.port(), 9000);
        assert_eq!(config.limits.dm_text, 500);
        Ok(())
    }

    #[test]
    fn database_urls() {
        let mut c = Config::default();
        let db = |c: &Config| c.database().map_err(|e| e.to_string());
        assert!(matches!(db(&c), Ok(Database::Sqlite(p)) if p.ends_with("postern.db")));
        c.database.url = "sqlite:///tmp/x.db".into();
        assert_eq!(db(&c), Ok(Database::Sqlite(PathBuf::from("/tmp/x.db"))));
        c.database.url = "postgres://postgres@127.0.0.1:5432/postern".into();
        assert_eq!(db(&c), Ok(Database::Postgres(c.database.url.clone())));
        c.database.url = "postgresql://u@h/d".into();
        assert!(matches!(db(&c), Ok(Database::Postgres(_))));
        for (url, says) in [
            ("mysql://x", "scheme `mysql` is not supported"),
            ("x.db", "has no scheme"),
            ("sqlite://", "names no file"),
            ("postgres://", "names no server"),
        ] {
            c.database.url = url.into();
            assert!(
                db(&c).is_err_and(|e| e.contains(says)),
                "{url}: {:?}",
                db(&c)
            );
        }
    }

    #[test]
    fn bus_urls() {
        let mut c = Config::default();
        assert!(c.nats_url().is_ok_and(|u| u.is_none()));
        c.bus.url = "nats://127.0.0.1:4222".into();
        assert!(
            c.nats_url()
                .is_ok_and(|u| u == Some("nats://127.0.0.1:4222"))
        );
        c.bus.url = "redis://x".into();
        assert!(
            c.nats_url()
                .is_err_and(|e| e.to_string().contains("nats://HOST:PORT"))
        );
    }
}
