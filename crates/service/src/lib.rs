//! Postern's use cases: the one place the rules are applied. Every surface (the native
//! API, the Twitter adapters, the web app) calls these and nothing else.
//!
//! - [`auth`]: passwords, sessions, personal access tokens; who is calling.
//! - [`apps`]: developer apps, their keys, and the grants people give them.
//! - [`secrets`]: sealing the app secrets a signature needs back.
//! - [`actor`]: who a call acts for, who or what is acting, and the profile it speaks as.
//! - [`accounts`]: registration, login, profiles, settings.
//! - [`avatars`]: a person's picture, cut square from one of their uploads.
//! - [`graph`]: follows, blocks, mutes, reports, and `dm_permission`.
//! - [`conversations`]: the inbox, groups, per-participant state, requests.
//! - [`direct_messages`]: one-to-one messages across conversations, as Twitter lists them.
//! - [`messages`]: sending (admission, limits, idempotency), edits, deletes, reactions,
//!   read receipts, typing, history, search.
//! - [`cards`]: DM cards on posts: their buttons, impressions, clicks, conversations.
//! - [`feedback`]: CSAT and NPS surveys in DMs, their answers and results.
//! - [`insights`]: what an account's DMs did over a period.
//! - [`posts`]: public posts, replies, mentions, a profile's posts, post search.
//! - [`media`]: uploads (simple and chunked), their checks, who may fetch them, expiry.
//! - [`custom_profiles`]: the names and pictures an account's agents send as.
//! - [`interactive`]: quick replies and their answers, buttons' links and clicks.
//! - [`welcome`]: welcome messages, the default, and who is greeted when.
//! - [`support`]: support accounts: settings, open now, the away message.
//! - [`clock`]: the time support hours are read at, which tests can stand still.
//! - [`stream`]: a user's real-time events with resume from a position.
//! - [`rate`]: the per-user send limits.
//! - [`login_guard`]: slowing password guessing, per account and per address.
//! - [`sweeper`]: background housekeeping: expired idempotency keys, media and tokens, and
//!   quiet login-failure counts.

pub mod account_activity;
pub mod accounts;
pub mod activity;
mod activity_payload;
pub mod activity_stream;
pub mod actor;
pub mod app_webhooks;
pub mod apps;
pub mod auth;
pub mod authorize;
pub mod avatars;
pub mod cards;
pub mod clock;
pub mod control;
pub mod conversations;
pub mod custom_profiles;
pub mod direct_messages;
pub mod feedback;
pub mod flows;
pub mod graph;
pub mod insights;
pub mod interactive;
pub mod login_guard;
pub mod media;
pub mod messages;
pub mod posts;
pub mod rate;
pub mod secrets;
pub mod stream;
pub mod support;
pub mod sweeper;
pub mod webhook_delivery;
pub mod webhook_replay;
pub mod webhook_typing;
mod webhook_wake;
pub mod webhooks;
pub mod welcome;

use std::sync::Arc;
use std::time::Duration;

use postern_bus::Bus;
use postern_core::IdGenerator;
use postern_core::limits::Limits;
use postern_core::stream::Delivery;
use postern_media::MediaStorage;
use postern_store::Store;

pub use actor::{Actor, Agent};
pub use auth::{Caller, Credential};

/// Tunables of the service layer; part of the server's configuration.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub limits: Limits,
    /// Per-user send limits (SPEC §6); off for load tests.
    pub rate_limits: bool,
    /// Argon2id memory cost in KiB and iterations.
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    /// Browser sessions last this long.
    pub session_days: i64,
    /// Bearer tokens from an API login or sign-up last this long (tokens made on purpose
    /// with `POST /me/tokens` do not expire).
    pub login_token_days: i64,
    pub login: login_guard::LoginLimits,
    /// How often [`Services::spawn_sweeper`] forgets expired idempotency keys.
    pub sweep_every: Duration,
    /// The time for support hours: real, unless a test stands it still.
    pub clock: clock::Clock,
    /// The key app secrets are sealed with (`auth.secret_key`); unset, one the database
    /// keeps.
    pub secret_key: Option<[u8; secrets::KEY_LEN]>,
    /// Where outward calls (webhooks) may go besides public addresses (`outbound.allow`).
    pub outbound: postern_outbound::Policy,
    /// How long a node holds a webhook it delivers (`webhooks.lease_secs`).
    pub webhook_lease: Duration,
    /// People subscribed to one Account Activity webhook, at most
    /// (`webhooks.subscriptions_per_webhook`).
    pub webhook_subscriptions_max: usize,
    /// X Activity API subscriptions an app may have, at most
    /// (`webhooks.activity_subscriptions_per_app`).
    pub activity_subscriptions_max: usize,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            limits: Limits::default(),
            rate_limits: true,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            session_days: 30,
            login_token_days: 30,
            login: login_guard::LoginLimits::default(),
            sweep_every: Duration::from_secs(5 * 60),
            clock: clock::Clock::default(),
            secret_key: None,
            outbound: postern_outbound::Policy::default(),
            webhook_lease: Duration::from_secs(120),
            webhook_subscriptions_max: 250,
            activity_subscriptions_max: 1_500,
        }
    }
}

/// Everything a request handler needs, passed as a value (never a global), so several
/// servers can live in one process.
pub struct Services {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) bus: Arc<dyn Bus>,
    pub(crate) ids: Arc<IdGenerator>,
    pub(crate) config: ServiceConfig,
    pub(crate) rate: rate::SendLimits,
    pub(crate) tokens: auth::TokenCache,
    pub(crate) app_cache: apps::AppCache,
    pub(crate) sealer: tokio::sync::OnceCell<secrets::Sealer>,
    pub(crate) login_guard: login_guard::LoginGuard,
    /// Streams open on this node, per user (see `limits.streams_per_user`).
    pub(crate) open_streams: dashmap::DashMap<postern_core::UserId, usize>,
    /// Rung with the accounts this node stores events for, so their webhook deliveries
    /// start at once rather than at the next look.
    pub(crate) webhook_wake: webhook_wake::Wake,
    /// Typing for Account Activity webhooks, handed to the delivery task (typing is not
    /// stored, so it goes out once, best effort; a full queue drops it).
    pub(crate) typing_out: tokio::sync::mpsc::Sender<webhook_typing::Typed>,
    pub(crate) typing_in:
        std::sync::Mutex<Option<tokio::sync::mpsc::Receiver<webhook_typing::Typed>>>,
    /// Open X Activity streams per app, on this node.
    pub(crate) open_activity_streams: dashmap::DashMap<postern_core::ObjectId, usize>,
    /// Password hashes in progress at once: each takes ~19 MiB and a core for tens of
    /// milliseconds, so a burst of sign-ups or logins queues here instead of exhausting
    /// memory and starving message traffic.
    pub(crate) hashing: tokio::sync::Semaphore,
    /// Media bytes: a local directory or S3-compatible storage.
    pub(crate) media: MediaStorage,
    /// Uploads being decoded and checked at once: each may take a core and up to
    /// `limits.media_decode_bytes` of memory.
    pub(crate) media_checks: tokio::sync::Semaphore,
    /// The one client for calls outward (webhook deliveries), or why it could not be made.
    pub(crate) outbound: std::result::Result<postern_outbound::Outbound, String>,
    /// v1.1's shapes, for Account Activity deliveries (set by the HTTP layer).
    pub(crate) twitter_format: std::sync::OnceLock<Arc<dyn account_activity::TwitterFormat>>,
}

impl Services {
    pub fn new(
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        ids: Arc<IdGenerator>,
        media: MediaStorage,
        config: ServiceConfig,
    ) -> Arc<Self> {
        let rate = rate::SendLimits::new(&config);
        let login_guard = login_guard::LoginGuard::new(config.login);
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let outbound = postern_outbound::Outbound::new(
            config.outbound.clone(),
            postern_outbound::Limits::default(),
        );
        let (typing_out, typing_in) = tokio::sync::mpsc::channel(webhook_typing::QUEUE);
        Arc::new(Services {
            store,
            bus,
            ids,
            config,
            rate,
            tokens: auth::TokenCache::default(),
            app_cache: apps::AppCache::default(),
            sealer: tokio::sync::OnceCell::new(),
            login_guard,
            open_streams: dashmap::DashMap::new(),
            open_activity_streams: dashmap::DashMap::new(),
            webhook_wake: webhook_wake::Wake::default(),
            typing_out,
            typing_in: std::sync::Mutex::new(Some(typing_in)),
            hashing: tokio::sync::Semaphore::new(cores),
            media,
            media_checks: tokio::sync::Semaphore::new(cores),
            outbound,
            twitter_format: std::sync::OnceLock::new(),
        })
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn media_storage(&self) -> &MediaStorage {
        &self.media
    }

    /// Hands committed events to the bus. Called after the store has made them durable.
    pub(crate) async fn publish(&self, deliveries: Vec<Delivery>) {
        if !deliveries.is_empty() {
            let stored = deliveries.iter().filter(|d| d.position.is_some());
            if stored.clone().next().is_some() {
                self.webhook_wake.ring(stored.map(|d| d.user_id));
            }
            self.bus.publish(deliveries).await;
        }
    }
}
