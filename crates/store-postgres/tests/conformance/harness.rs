//! Building each backend on throwaway storage, and small helpers the cases share.

use std::fmt::Debug;
use std::sync::Arc;

use chrono::Utc;
use postern_core::model::InboxBox;
use postern_core::{ConversationId, IdGenerator, UserId};
use postern_store::{Appended, Fanout, NewMessage, NewUser, OneToOneSetup, Store};
use postern_store_postgres::PostgresStore;
use postern_store_sqlite::SqliteStore;
use postern_testkit::postgres::TestDatabase;

/// A store under test and the storage it lives on (removed when this is dropped).
pub struct Harness {
    pub store: Arc<dyn Store>,
    pub ids: Arc<IdGenerator>,
    /// Where the storage is, to open it again.
    place: Place,
    /// The temporary directory or database, removed on drop. Declared after `store`, so
    /// the store closes before its storage goes.
    _storage: Box<dyn std::any::Any + Send + Sync>,
}

enum Place {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

pub async fn sqlite() -> Harness {
    let dir = tempfile::tempdir().must("temporary directory");
    let ids = Arc::new(IdGenerator::new(1));
    let path = dir.path().join("postern.db");
    let store = SqliteStore::open(&path, ids.clone()).must("open SQLite");
    Harness {
        store: Arc::new(store),
        ids,
        place: Place::Sqlite(path),
        _storage: Box::new(dir),
    }
}

pub async fn postgres() -> Harness {
    let db = TestDatabase::create().await;
    let store = PostgresStore::connect(&db.url, Some(1))
        .await
        .must("connect to PostgreSQL");
    Harness {
        ids: store.ids(),
        store: Arc::new(store),
        place: Place::Postgres(db.url.clone()),
        _storage: Box::new(db),
    }
}

/// Runs each case against both backends: `<module>::sqlite::<case>` and
/// `<module>::postgres::<case>`, which needs PostgreSQL.
macro_rules! conformance {
    ($($case:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[::postern_testkit::test(multi_thread)]
                async fn $case() {
                    let h = crate::harness::sqlite().await;
                    super::$case(&h).await;
                }
            )+
        }
        mod postgres {
            $(
                #[::postern_testkit::test(needs(Postgres), multi_thread)]
                async fn $case() {
                    let h = crate::harness::postgres().await;
                    super::$case(&h).await;
                }
            )+
        }
    };
}
pub(crate) use conformance;

/// Unwrapping with a message, for tests (the workspace denies `unwrap`/`expect`).
pub trait Must<T> {
    fn must(self, what: &str) -> T;
}

impl<T, E: Debug> Must<T> for Result<T, E> {
    fn must(self, what: &str) -> T {
        self.unwrap_or_else(|e| panic!("{what}: {e:?}"))
    }
}

impl<T> Must<T> for Option<T> {
    fn must(self, what: &str) -> T {
        self.unwrap_or_else(|| panic!("{what}: nothing there"))
    }
}

impl Harness {
    pub async fn user(&self, screen_name: &str) -> UserId {
        let id = UserId(self.ids.next_id());
        self.store
            .create_user(NewUser {
                id,
                screen_name: screen_name.to_owned(),
                name: screen_name.to_owned(),
                password_hash: "hash".to_owned(),
                verified: false,
                created_at: Utc::now(),
            })
            .await
            .must("create user");
        id
    }

    /// A second store on the same storage, as a restart (or, on PostgreSQL, another node)
    /// opens it.
    pub async fn open_again(&self) -> Arc<dyn Store> {
        match &self.place {
            Place::Sqlite(path) => Arc::new(
                SqliteStore::open(path, Arc::new(IdGenerator::new(2))).must("open SQLite again"),
            ),
            Place::Postgres(url) => Arc::new(
                PostgresStore::connect(url, Some(2))
                    .await
                    .must("connect to PostgreSQL again"),
            ),
        }
    }

    /// A message from `from` to `to` in their one-to-one conversation (created on first
    /// contact, landing in `to`'s primary box), seen by both.
    pub fn dm(&self, from: UserId, to: UserId, text: &str, key: Option<&str>) -> NewMessage {
        NewMessage {
            conversation_id: ConversationId::one_to_one(from, to),
            sender_id: from,
            text: text.to_owned(),
            entities: Default::default(),
            reply_to_id: None,
            media: None,
            client_key: key.map(str::to_owned),
            idempotent_since: Utc::now() - chrono::Duration::hours(24),
            setup: Some(OneToOneSetup {
                recipient: to,
                recipient_box: InboxBox::Primary,
            }),
            notify: vec![from, to],
            also: Fanout::default(),
            parts: Default::default(),
        }
    }

    /// A message in an existing conversation, seen by `notify`.
    pub fn say(
        &self,
        conversation: &ConversationId,
        from: UserId,
        text: &str,
        notify: Vec<UserId>,
    ) -> NewMessage {
        NewMessage {
            conversation_id: conversation.clone(),
            sender_id: from,
            text: text.to_owned(),
            entities: Default::default(),
            reply_to_id: None,
            media: None,
            client_key: None,
            idempotent_since: Utc::now() - chrono::Duration::hours(24),
            setup: None,
            notify,
            also: Fanout::default(),
            parts: Default::default(),
        }
    }

    pub async fn send(&self, new: NewMessage) -> Appended {
        self.store.append_message(new).await.must("append message")
    }
}
