//! What only the PostgreSQL store has to get right: several nodes (with their own id
//! generators and clocks) writing one database, and recomputing its derived state after rows
//! are copied in.

use std::sync::Arc;

use chrono::Utc;
use postern_core::model::InboxBox;
use postern_core::{ConversationId, UserId};
use postern_store::{
    AccountStore, Fanout, HistoryDirection, HistoryQuery, MessageStore, NewMessage, NewUser,
    OneToOneSetup, StreamStore,
};
use postern_store_postgres::PostgresStore;
use postern_testkit::postgres::TestDatabase;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

fn must<T, E: std::fmt::Debug>(r: Result<T, E>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

async fn user(store: &PostgresStore, name: &str) -> UserId {
    let id = UserId(store.ids().next_id());
    let new = NewUser {
        id,
        screen_name: name.to_owned(),
        name: name.to_owned(),
        password_hash: "x".to_owned(),
        verified: false,
        created_at: Utc::now(),
    };
    must(store.create_user(new).await, "create user");
    id
}

fn dm(from: UserId, to: UserId, text: String) -> NewMessage {
    NewMessage {
        conversation_id: ConversationId::one_to_one(from, to),
        sender_id: from,
        text,
        entities: Default::default(),
        reply_to_id: None,
        media: None,
        client_key: None,
        idempotent_since: Utc::now(),
        setup: Some(OneToOneSetup {
            recipient: to,
            recipient_box: InboxBox::Primary,
        }),
        notify: vec![from, to],
        also: Fanout::default(),
        parts: Default::default(),
    }
}

#[postern_testkit::test(needs(Postgres), multi_thread)]
async fn nodes_with_skewed_clocks_keep_history_and_streams_in_order() {
    let db = TestDatabase::create().await;
    let a = Arc::new(must(
        PostgresStore::connect(&db.url, Some(1)).await,
        "node 1",
    ));
    let b = Arc::new(must(
        PostgresStore::connect(&db.url, Some(2)).await,
        "node 2",
    ));
    // Node 2's clock runs an hour ahead: its ids are far larger than node 1's.
    b.ids().observe(b.ids().next_id() + (3_600_000 << 22));
    let (alice, bob) = (user(&a, "alice").await, user(&a, "bob").await);

    let sends = (0..40).map(|i| {
        let (node, from, to) = if i % 2 == 0 {
            (a.clone(), alice, bob)
        } else {
            (b.clone(), bob, alice)
        };
        tokio::spawn(async move { node.append_message(dm(from, to, format!("m{i}"))).await })
    });
    let sent: Vec<_> = futures::future::join_all(sends)
        .await
        .into_iter()
        .map(|r| must(must(r, "task"), "append"))
        .collect();
    let history = must(
        a.history(HistoryQuery {
            conversation_id: ConversationId::one_to_one(alice, bob),
            viewer: alice,
            direction: HistoryDirection::After(postern_core::EventId(0)),
            limit: 100,
            visible_after: None,
            visible_until: None,
        })
        .await,
        "history",
    );
    assert_eq!(history.len(), 40);
    // Stream positions follow commit order; ids must too, even from the node whose clock is
    // behind: ordered by alice's positions, the messages' ids increase.
    let mut by_position: Vec<(i64, i64)> = sent
        .iter()
        .flat_map(|s| s.deliveries.iter().map(move |d| (d, s.message.id.0)))
        .filter(|(d, _)| d.user_id == alice && d.body.kind == "message.created")
        .map(|(d, id)| (d.position.unwrap_or_default(), id))
        .collect();
    by_position.sort();
    assert!(
        by_position
            .windows(2)
            .all(|w| matches!(w, [x, y] if x.1 < y.1))
    );
    let positions = must(a.stream_since(alice, 0, 1000).await, "replay");
    let expected: Vec<i64> = (1..=41).collect();
    assert_eq!(
        positions.iter().map(|r| r.position).collect::<Vec<_>>(),
        expected
    );
    drop((a, b));
    db.drop_database().await;
}

#[postern_testkit::test(needs(Postgres))]
async fn derived_state_is_rebuilt_after_a_copy() {
    let db = TestDatabase::create().await;
    let store = must(PostgresStore::connect(&db.url, Some(1)).await, "connect");
    let (alice, bob) = (user(&store, "alice").await, user(&store, "bob").await);
    must(
        store
            .append_message(dm(alice, bob, "Crème brûlée".to_owned()))
            .await,
        "send",
    );
    must(
        store.append_message(dm(alice, bob, "!!!".to_owned())).await,
        "send",
    );
    // What a table-by-table copy from SQLite leaves: no search words, no stream heads.
    let pool = must(sqlx::PgPool::connect(&db.url).await, "connect");
    must(
        sqlx::query("UPDATE events SET search = NULL")
            .execute(&pool)
            .await,
        "clear",
    );
    must(
        sqlx::query("DELETE FROM stream_heads").execute(&pool).await,
        "clear",
    );
    pool.close().await;
    let found = must(
        store.search_messages(bob, "creme", None, 10).await,
        "search",
    );
    assert!(found.items.is_empty());

    must(store.rebuild_derived().await, "rebuild");
    must(store.rebuild_derived().await, "rebuild again");
    let found = must(
        store.search_messages(bob, "creme brul", None, 10).await,
        "search",
    );
    assert_eq!(found.items.len(), 1);
    let before = must(store.stream_position(bob).await, "position");
    let next = must(
        store.append_message(dm(bob, alice, "hi".to_owned())).await,
        "send",
    );
    let mine = next
        .deliveries
        .iter()
        .find(|d| d.user_id == bob)
        .and_then(|d| d.position);
    assert_eq!(mine, Some(before + 1), "positions carry on densely");
    drop(store);
    db.drop_database().await;
}
