//! Stream positions under concurrent writers: dense, in order, each event exactly once; and
//! history that a reader following new events never sees out of order.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use postern_core::model::InboxBox;
use postern_core::{ConversationId, EventId, ObjectId, UserId};
use postern_store::{Fanout, HistoryDirection, HistoryQuery, NewGroup, Store};

use crate::harness::{Harness, Must, conformance};

conformance!(concurrent_appends_keep_streams_dense_and_ordered);

const USERS: usize = 6;
const WRITERS: usize = 24;
const SENDS_EACH: usize = 4;

/// What one reader saw: `(position, kind, data)` in the order it read them.
type Seen = Vec<(i64, String, String)>;

/// Follows `user`'s stream the way a reconnecting client does, from the last position seen,
/// until the writers are done and nothing more arrives. A position that appeared before an
/// earlier one committed would be skipped for good, so every read must continue the last.
async fn follow_stream(store: Arc<dyn Store>, user: UserId, done: Arc<AtomicBool>) -> Seen {
    let mut seen: Seen = Vec::new();
    let mut last = 0;
    loop {
        let finished = done.load(Ordering::SeqCst);
        let batch = store.stream_since(user, last, 7).await.must("stream_since");
        for r in &batch {
            assert_eq!(
                r.position,
                last + 1,
                "positions are dense and arrive in order"
            );
            last = r.position;
            seen.push((r.position, r.body.kind.clone(), r.body.data.clone()));
        }
        if batch.is_empty() {
            if finished {
                return seen;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }
}

/// Follows a conversation's history forward from its start, as a client paging with
/// `after`, until the writers are done.
async fn follow_history(
    store: Arc<dyn Store>,
    id: ConversationId,
    viewer: UserId,
    done: Arc<AtomicBool>,
) -> Vec<EventId> {
    let mut seen = Vec::new();
    let mut last = EventId(0);
    loop {
        let finished = done.load(Ordering::SeqCst);
        let query = HistoryQuery {
            conversation_id: id.clone(),
            viewer,
            direction: HistoryDirection::After(last),
            limit: 5,
            visible_after: None,
            visible_until: None,
        };
        let page = store.history(query).await.must("history");
        for e in &page {
            last = e.id();
            seen.push(last);
        }
        if page.is_empty() {
            if finished {
                return seen;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }
}

async fn concurrent_appends_keep_streams_dense_and_ordered(h: &Harness) {
    let mut users = Vec::new();
    for i in 0..USERS {
        users.push(h.user(&format!("user{i}")).await);
    }
    let creator = *users.first().must("a user");
    let group = ConversationId::group(ObjectId(h.ids.next_id()));
    let members = users
        .iter()
        .skip(1)
        .map(|u| (*u, InboxBox::Primary))
        .collect();
    let new_group = NewGroup {
        id: group.clone(),
        creator,
        name: None,
        members,
    };
    h.store
        .create_group(new_group, Fanout::default())
        .await
        .must("group");

    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = users
        .iter()
        .map(|u| tokio::spawn(follow_stream(h.store.clone(), *u, done.clone())))
        .collect();
    let history_reader = tokio::spawn(follow_history(
        h.store.clone(),
        group.clone(),
        creator,
        done.clone(),
    ));

    // Writers: a third write in the group (everyone notified), the rest in one-to-one
    // conversations between changing pairs, many created by these very writes.
    let writers = (0..WRITERS).map(|w| {
        let h_users = users.clone();
        let store = h.store.clone();
        let messages: Vec<_> = (0..SENDS_EACH)
            .map(|s| {
                let n = w * SENDS_EACH + s;
                let from = *h_users.get(n % USERS).must("sender");
                match n % 3 {
                    0 => h.say(&group, from, &format!("group {n}"), h_users.clone()),
                    _ => {
                        let to = *h_users.get((n + 1 + n / USERS) % USERS).must("recipient");
                        let to = if to == from {
                            *h_users.get((n + 1) % USERS).must("other")
                        } else {
                            to
                        };
                        h.dm(from, to, &format!("dm {n}"), None)
                    }
                }
            })
            .collect();
        tokio::spawn(async move {
            let mut out = Vec::new();
            for m in messages {
                out.push(store.append_message(m).await.must("append"));
            }
            out
        })
    });
    let appended: Vec<_> = futures::future::join_all(writers)
        .await
        .into_iter()
        .flat_map(|r| r.must("writer"))
        .collect();
    done.store(true, Ordering::SeqCst);

    // What the writers were told was delivered, per user and position.
    let mut told: BTreeMap<UserId, BTreeMap<i64, (String, String)>> = BTreeMap::new();
    for d in appended.iter().flat_map(|a| &a.deliveries) {
        let position = d.position.must("stored events have positions");
        let previous = told
            .entry(d.user_id)
            .or_default()
            .insert(position, (d.body.kind.clone(), d.body.data.clone()));
        assert!(
            previous.is_none(),
            "position {position} given twice to {:?}",
            d.user_id
        );
    }
    for (user, reader) in users.iter().zip(readers) {
        let seen = reader.await.must("reader");
        let expected: Vec<(i64, String, String)> = told
            .remove(user)
            .unwrap_or_default()
            .into_iter()
            .map(|(p, (kind, data))| (p, kind, data))
            .collect();
        assert_eq!(seen.len(), expected.len(), "every event once for {user:?}");
        assert!(
            seen == expected,
            "the stream replays what was delivered, for {user:?}"
        );
        let position = h.store.stream_position(*user).await.must("position");
        assert_eq!(position, i64::try_from(expected.len()).must("count"));
        let replay = h.store.stream_since(*user, 0, 10_000).await.must("replay");
        let positions: Vec<i64> = replay.iter().map(|r| r.position).collect();
        assert_eq!(positions, (1..=position).collect::<Vec<_>>());
    }

    // The forward reader saw the group's whole history, in order, nothing skipped.
    let followed = history_reader.await.must("history reader");
    let everything = h
        .store
        .history(HistoryQuery {
            conversation_id: group.clone(),
            viewer: creator,
            direction: HistoryDirection::After(EventId(0)),
            limit: 10_000,
            visible_after: None,
            visible_until: None,
        })
        .await
        .must("history");
    let all: Vec<EventId> = everything.iter().map(|e| e.id()).collect();
    assert_eq!(followed, all);
    let in_group = appended
        .iter()
        .filter(|a| a.message.conversation_id == group)
        .count();
    assert_eq!(
        all.len(),
        in_group + 1,
        "every group message plus the creation"
    );
    assert!(all.windows(2).all(|w| matches!(w, [a, b] if a < b)));
}
