//! The `postern` binary's library: configuration, wiring and the running server, kept apart
//! from `main` so tests boot real servers in-process (several at once: no globals).

pub mod config;
pub mod listener;
pub mod migrate_data;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;
use postern_bus::{Bus, MemoryBus, NatsBus};
use postern_core::IdGenerator;
use postern_http::{AppState, stream::StreamConfig};
use postern_media::MediaStorage;
use postern_service::{ServiceConfig, Services};
use postern_store::Store;
use postern_store_postgres::PostgresStore;
use postern_store_sqlite::SqliteStore;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{Config, Database};

/// Builds the services for a configuration: store, bus and rules.
pub async fn services(config: &Config) -> anyhow::Result<Arc<Services>> {
    let (store, ids) = store(config).await?;
    let bus: Arc<dyn Bus> = match config.nats_url()? {
        None => Arc::new(MemoryBus::new()),
        Some(url) => Arc::new(
            NatsBus::connect(url, &config.bus.subject_prefix)
                .await
                .with_context(|| format!("cannot use bus.url {url}"))?,
        ),
    };
    let service_config = ServiceConfig {
        limits: config.limits.clone(),
        rate_limits: config.server.rate_limits,
        argon2_memory_kib: config.auth.argon2_memory_kib,
        argon2_iterations: config.auth.argon2_iterations,
        session_days: config.auth.session_days,
        login_token_days: config.auth.login_token_days,
        login: config.auth.login_limits(),
        secret_key: config.auth.secret_key()?,
        outbound: postern_outbound::Policy::allowing(&config.outbound.allow)
            .map_err(anyhow::Error::msg)?,
        webhook_lease: webhook_lease(config.webhooks.lease_secs)?,
        webhook_subscriptions_max: config.webhooks.subscriptions_per_webhook,
        activity_subscriptions_max: config.webhooks.activity_subscriptions_per_app,
        ..ServiceConfig::default()
    };
    let media = MediaStorage::open(&config.media, &config.storage.data_dir)?;
    // The storage client retries for minutes; a node should say at once that it cannot start.
    tokio::time::timeout(Duration::from_secs(10), media.ping())
        .await
        .map_err(|_| anyhow::anyhow!("no answer within 10 seconds"))
        .and_then(|answered| answered.map_err(anyhow::Error::from))
        .with_context(|| format!("cannot use media storage {media:?}"))?;
    Ok(Services::new(store, bus, ids, media, service_config))
}

/// `webhooks.lease_secs`, which must leave time to deliver something.
fn webhook_lease(secs: u64) -> anyhow::Result<Duration> {
    if !(2..=3600).contains(&secs) {
        anyhow::bail!("webhooks.lease_secs must be 2 to 3600 seconds, got {secs}");
    }
    Ok(Duration::from_secs(secs))
}

/// Makes the database file (creating it empty if missing, which SQLite takes as a new
/// database) and its -wal and -shm files readable by this user only. SQLite creates the
/// latter with the database file's permissions, so this runs before it opens it.
fn private_database_files(path: &std::path::Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("cannot create database {}", path.display()))?;
        for suffix in ["", "-wal", "-shm"] {
            let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .with_context(|| format!("cannot make {} private", file.display()))?;
            }
        }
    }
    Ok(())
}

/// Opens (creating and migrating if needed) the database `database.url` names.
async fn store(config: &Config) -> anyhow::Result<(Arc<dyn Store>, Arc<IdGenerator>)> {
    match config.database()? {
        Database::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                postern_media::storage::private_dir(dir)
                    .with_context(|| format!("data directory {}", dir.display()))?;
            }
            private_database_files(&path)?;
            let ids = Arc::new(IdGenerator::new(config.server.node_id.unwrap_or(0)));
            let store = SqliteStore::open(&path, ids.clone())
                .with_context(|| format!("cannot open database {}", path.display()))?;
            Ok((Arc::new(store), ids))
        }
        Database::Postgres(url) => {
            let store = PostgresStore::connect(&url, config.server.node_id)
                .await
                .with_context(|| format!("cannot open database {}", redact(&url)))?;
            let ids = store.ids();
            Ok((Arc::new(store), ids))
        }
    }
}

/// A database URL fit for logs and errors: any password replaced.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// A server that is accepting connections.
pub struct Running {
    pub addr: SocketAddr,
    pub services: Arc<Services>,
    /// Stops the server, its sweeper and its webhook deliveries when set, or when dropped.
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    sweeper: tokio::task::JoinHandle<()>,
    webhooks: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish, and waits (up to the grace period).
    pub async fn stop(self, grace: Duration) {
        let _ = self.shutdown.send(true);
        let _ = tokio::time::timeout(grace, async {
            let _ = self.task.await;
            let _ = self.sweeper.await;
            let _ = self.webhooks.await;
        })
        .await;
    }
}

/// Completes when `stop` is set, or when its sender is gone (the `Running` was dropped).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Binds and serves `config` until [`Running::stop`].
pub async fn start(config: &Config, metrics: Option<PrometheusHandle>) -> anyhow::Result<Running> {
    let tls = config.server.tls()?;
    let services = services(config).await?;
    let listener = TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let addr = listener.local_addr()?;
    let (shutdown, rx) = watch::channel(false);
    let state = AppState {
        services: services.clone(),
        metrics,
        metrics_token: Some(config.server.metrics_token.as_str())
            .filter(|t| !t.is_empty())
            .map(Into::into),
        stream: StreamConfig::default(),
        site: Arc::new(
            postern_http::site::Site::new(
                &config.server.public_url,
                &config.server.trusted_proxies,
            )
            .map_err(anyhow::Error::msg)?
            .serving_tls(tls.is_some()),
        ),
        stopping: rx.clone(),
    };
    let app = postern_http::app(state);
    let sweeper = services.spawn_sweeper(stopped(rx.clone()));
    let webhooks = services.spawn_webhook_delivery(stopped(rx.clone()));
    let limits = config.server.connection_limits();
    let task = tokio::spawn(listener::serve(listener, tls, app, limits, stopped(rx)));
    Ok(Running {
        addr,
        services,
        shutdown,
        task,
        sweeper,
        webhooks,
    })
}
