//! Services on throwaway embedded storage, for the service-level tests.

use std::sync::Arc;

use postern_bus::Bus;
use postern_core::{IdGenerator, UserId};
use postern_media::{MediaStorage, StorageConfig};
use postern_service::accounts::Registration;
use postern_service::{ServiceConfig, Services};
use postern_store_sqlite::SqliteStore;

/// Services over SQLite and local media storage in `dir`, with cheap password hashing and
/// no send limits on top of `config`.
pub fn services(dir: &std::path::Path, bus: Arc<dyn Bus>, config: ServiceConfig) -> Arc<Services> {
    let ids = Arc::new(IdGenerator::new(0));
    let store = SqliteStore::open(&dir.join("postern.db"), ids.clone())
        .unwrap_or_else(|e| panic!("open: {e}"));
    let media =
        MediaStorage::open(&StorageConfig::default(), dir).unwrap_or_else(|e| panic!("media: {e}"));
    let config = ServiceConfig {
        rate_limits: false,
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        ..config
    };
    Services::new(Arc::new(store), bus, ids, media, config)
}

pub async fn register(services: &Services, name: &str) -> UserId {
    let (user, _) = services
        .register(Registration {
            screen_name: name.into(),
            password: "correct horse".into(),
            name: None,
            verified: false,
            session: false,
        })
        .await
        .unwrap_or_else(|e| panic!("register {name}: {e}"));
    user.id
}

/// Alice and Bob, where Bob follows Alice so she may write to him.
pub async fn alice_and_bob(services: &Services) -> (UserId, UserId) {
    let alice = register(services, "alice").await;
    let bob = register(services, "bob").await;
    services
        .follow(bob, alice)
        .await
        .unwrap_or_else(|e| panic!("follow: {e}"));
    (alice, bob)
}
