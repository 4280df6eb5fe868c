//! Appending (first contact, idempotency), history, edits, deletes, reactions, read marks.

use postern_core::error::Thing;
use postern_core::model::{ConversationEvent, ConversationKind, InboxBox};
use postern_core::stream::StreamEvent;
use postern_core::{ConversationId, Error, EventId, UserId};
use postern_store::{Fanout, HistoryDirection, HistoryQuery, OneToOneSetup, ParticipantPatch};

use crate::harness::{Harness, Must, conformance};

conformance!(
    first_message_creates_the_conversation_and_retries_are_duplicates,
    concurrent_retries_store_one_message,
    one_key_sent_to_several_people_at_once_stores_one_message,
    a_report_silences_until_its_reporter_writes,
    history_pages_both_ways,
    edits_deletes_reactions_and_read_marks,
);

async fn first_message_creates_the_conversation_and_retries_are_duplicates(h: &Harness) {
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    let mut first = h.dm(alice, bob, "hello", Some("k1"));
    first.setup = Some(OneToOneSetup {
        recipient: bob,
        recipient_box: InboxBox::Requests,
    });
    let sent = h.send(first.clone()).await;
    assert!(!sent.duplicate);
    let kinds: Vec<(UserId, &str, Option<i64>)> = sent
        .deliveries
        .iter()
        .map(|d| (d.user_id, d.body.kind.as_str(), d.position))
        .collect();
    assert_eq!(
        kinds,
        [
            (alice, "conversation.created", Some(1)),
            (bob, "conversation.created", Some(1)),
            (alice, "message.created", Some(2)),
            (bob, "message.created", Some(2)),
        ]
    );
    let id = ConversationId::one_to_one(alice, bob);
    let record = h
        .store
        .conversation(&id)
        .await
        .must("conversation")
        .must("found");
    assert_eq!(record.kind, ConversationKind::OneToOne);
    assert_eq!(
        (record.member_count, record.last_event_id),
        (2, Some(sent.message.id))
    );
    let members = h.store.participants(&id).await.must("participants");
    let summary: Vec<(UserId, InboxBox, bool, u64)> = members
        .iter()
        .map(|p| (p.user_id, p.inbox, p.accepted, p.unread_count))
        .collect();
    assert_eq!(
        summary,
        [
            (alice, InboxBox::Primary, true, 0),
            (bob, InboxBox::Requests, false, 1)
        ]
    );

    let retry = h.send(first).await;
    assert!(retry.duplicate && retry.deliveries.is_empty());
    assert_eq!(retry.message, sent.message);
    assert_eq!(h.store.stream_position(bob).await.must("position"), 2);
    // A key outside its window no longer deduplicates.
    let mut stale = h.dm(alice, bob, "hello again", Some("k1"));
    stale.idempotent_since = chrono::Utc::now() + chrono::Duration::minutes(1);
    let fresh = h.send(stale).await;
    assert!(!fresh.duplicate && fresh.message.id > sent.message.id);

    // Bob answers: that accepts the request.
    let reply = h.send(h.dm(bob, alice, "hi", None)).await;
    assert_eq!(reply.deliveries.len(), 2, "no second conversation.created");
    let me = h
        .store
        .participant(&id, bob)
        .await
        .must("participant")
        .must("found");
    assert!(me.accepted && me.inbox == InboxBox::Primary);
}

async fn concurrent_retries_store_one_message(h: &Harness) {
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    // The same first message, retried eight times at once: one conversation, one message.
    let sends = (0..8).map(|_| {
        let store = h.store.clone();
        let new = h.dm(alice, bob, "once", Some("same-key"));
        tokio::spawn(async move { store.append_message(new).await })
    });
    let results: Vec<_> = futures::future::join_all(sends).await;
    let results: Vec<_> = results
        .into_iter()
        .map(|r| r.must("task").must("append"))
        .collect();
    assert_eq!(results.iter().filter(|r| !r.duplicate).count(), 1);
    let first = results.first().must("a result").message.id;
    assert!(results.iter().all(|r| r.message.id == first));
    let id = ConversationId::one_to_one(alice, bob);
    let history = h
        .store
        .history(query(&id, bob, HistoryDirection::Before(None), 50))
        .await;
    assert_eq!(history.must("history").len(), 1);
    assert_eq!(h.store.stream_position(bob).await.must("position"), 2);
}

async fn one_key_sent_to_several_people_at_once_stores_one_message(h: &Harness) {
    let alice = h.user("alice").await;
    let mut others = Vec::new();
    for name in ["bob", "carol", "dave", "erin", "frank", "grace"] {
        others.push(h.user(name).await);
    }
    // The same key on first messages to six people at once: one is stored, and the
    // conversations the others would have opened do not exist.
    let sends = others.iter().map(|&to| {
        let store = h.store.clone();
        let new = h.dm(alice, to, "once", Some("one-key"));
        tokio::spawn(async move { store.append_message(new).await })
    });
    let results: Vec<_> = futures::future::join_all(sends)
        .await
        .into_iter()
        .map(|r| r.must("task").must("append"))
        .collect();
    assert_eq!(results.iter().filter(|r| !r.duplicate).count(), 1);
    let first = &results.first().must("a result").message;
    assert!(results.iter().all(|r| r.message == *first));
    let mut opened = Vec::new();
    for &to in &others {
        let id = ConversationId::one_to_one(alice, to);
        let heard = h.store.stream_position(to).await.must("position");
        let found = h.store.conversation(&id).await.must("conversation");
        if id == first.conversation_id {
            assert_eq!(heard, 2, "conversation.created and message.created");
        } else {
            assert_eq!(heard, 0, "nothing for those not written to");
        }
        opened.extend(found.map(|c| c.id));
    }
    assert_eq!(opened, std::slice::from_ref(&first.conversation_id));
}

async fn a_report_silences_until_its_reporter_writes(h: &Harness) {
    let (alice, bob, carol) = (
        h.user("alice").await,
        h.user("bob").await,
        h.user("carol").await,
    );
    let id = ConversationId::one_to_one(alice, bob);
    h.send(h.dm(alice, bob, "hello", None)).await;
    let report = ParticipantPatch {
        reported: Some(true),
        ..ParticipantPatch::default()
    };
    h.store
        .update_participant(&id, bob, report, Fanout::default())
        .await
        .must("report");

    // Bob hears nothing of the next message and it is not unread for him; events sent along
    // with it reach everyone they name.
    let mut quiet = h.say(&id, alice, "still there?", vec![alice, bob]);
    let updated = StreamEvent::ConversationUpdated {
        conversation_id: id.clone(),
    };
    quiet.also = Fanout::default().to(vec![bob, carol], updated);
    let sent = h.send(quiet).await;
    let deliveries: Vec<(UserId, &str, Option<i64>)> = sent
        .deliveries
        .iter()
        .map(|d| (d.user_id, d.body.kind.as_str(), d.position))
        .collect();
    assert_eq!(
        deliveries,
        [
            (alice, "message.created", Some(3)),
            (bob, "conversation.updated", Some(3)),
            (carol, "conversation.updated", Some(1)),
        ]
    );
    let me = h.store.participant(&id, bob).await.must("p").must("bob");
    assert_eq!((me.reported, me.unread_count), (true, 1));

    // Writing ends his report: he hears the answer.
    h.send(h.say(&id, bob, "sorry", vec![alice, bob])).await;
    let me = h.store.participant(&id, bob).await.must("p").must("bob");
    assert!(!me.reported && me.unread_count == 0);
    let answer = h.send(h.say(&id, alice, "ok", vec![alice, bob])).await;
    assert_eq!(answer.deliveries.len(), 2);
}

fn query(
    id: &ConversationId,
    viewer: UserId,
    direction: HistoryDirection,
    limit: usize,
) -> HistoryQuery {
    HistoryQuery {
        conversation_id: id.clone(),
        viewer,
        direction,
        limit,
        visible_after: None,
        visible_until: None,
    }
}

fn ids(events: &[ConversationEvent]) -> Vec<EventId> {
    events.iter().map(ConversationEvent::id).collect()
}

async fn history_pages_both_ways(h: &Harness) {
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    let mut sent = Vec::new();
    for i in 0..25 {
        sent.push(
            h.send(h.dm(alice, bob, &format!("m{i}"), None))
                .await
                .message
                .id,
        );
    }
    let id = ConversationId::one_to_one(alice, bob);
    let newest_first: Vec<EventId> = sent.iter().rev().copied().collect();

    let page = h
        .store
        .history(query(&id, bob, HistoryDirection::Before(None), 10))
        .await;
    let page = ids(&page.must("page 1"));
    assert_eq!(page, newest_first.get(..10).must("ten"));
    let anchor = page.last().copied();
    let page = h
        .store
        .history(query(&id, bob, HistoryDirection::Before(anchor), 10))
        .await;
    assert_eq!(
        ids(&page.must("page 2")),
        newest_first.get(10..20).must("ten")
    );
    let oldest = *sent.first().must("first");
    let page = h
        .store
        .history(query(&id, bob, HistoryDirection::After(oldest), 3))
        .await;
    assert_eq!(ids(&page.must("after")), sent.get(1..4).must("three"));

    // A viewer's window: after one event, up to another.
    let mut windowed = query(&id, bob, HistoryDirection::Before(None), 50);
    windowed.visible_after = sent.get(4).copied();
    windowed.visible_until = sent.get(9).copied();
    let window = ids(&h.store.history(windowed).await.must("window"));
    let expected: Vec<EventId> = sent.get(5..10).must("five").iter().rev().copied().collect();
    assert_eq!(window, expected);

    // Deleted for bob only.
    let hidden = *sent.get(24).must("last");
    h.store
        .delete_for_me(&id, hidden, bob, Fanout::default())
        .await
        .must("delete for me");
    let bobs = ids(&h
        .store
        .history(query(&id, bob, HistoryDirection::Before(None), 1))
        .await
        .must("bob"));
    assert_eq!(bobs, [*sent.get(23).must("24th")]);
    let alices = ids(&h
        .store
        .history(query(&id, alice, HistoryDirection::Before(None), 1))
        .await
        .must("alice"));
    assert_eq!(alices, [hidden]);
    let entry = h
        .store
        .inbox_entry(&id, bob)
        .await
        .must("entry")
        .must("found");
    assert_eq!(entry.last_event.map(|e| e.id()), sent.get(23).copied());
    let missing = h
        .store
        .delete_for_me(&id, EventId(1), bob, Fanout::default())
        .await;
    assert!(
        matches!(missing, Err(Error::NotFound(Thing::Message))),
        "{missing:?}"
    );
}

async fn edits_deletes_reactions_and_read_marks(h: &Harness) {
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    let id = ConversationId::one_to_one(alice, bob);
    let first = h.send(h.dm(alice, bob, "one", None)).await.message.id;
    let second = h.send(h.dm(alice, bob, "two", None)).await.message.id;

    let (edited, deliveries) = h
        .store
        .edit_message(
            &id,
            first,
            "uno".to_owned(),
            Default::default(),
            2,
            vec![alice, bob],
        )
        .await
        .must("edit");
    assert_eq!((edited.text.as_str(), edited.edit_count), ("uno", 1));
    assert_eq!(deliveries.len(), 2);
    let (edited, _) = h
        .store
        .edit_message(&id, first, "eins".to_owned(), Default::default(), 2, vec![])
        .await
        .must("edit again");
    let history: Vec<&str> = edited
        .edit_history
        .iter()
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(history, ["one", "uno"]);
    assert!(edited.edited_at.is_some());
    let over = h
        .store
        .edit_message(&id, first, "x".to_owned(), Default::default(), 2, vec![])
        .await;
    assert!(matches!(over, Err(Error::EditLimit(_))), "{over:?}");

    let react = |user: UserId, emoji: Option<&str>| {
        let fanout = Fanout::default().to(
            vec![alice],
            StreamEvent::ConversationUpdated {
                conversation_id: id.clone(),
            },
        );
        h.store
            .set_reaction(&id, first, user, emoji.map(str::to_owned), fanout)
    };
    let (changed, deliveries) = react(bob, Some("👍")).await.must("react");
    assert!(changed && deliveries.len() == 1);
    let (changed, deliveries) = react(bob, Some("👍")).await.must("same again");
    assert!(!changed && deliveries.is_empty());
    assert!(react(alice, Some("👍")).await.must("react").0);
    assert!(react(bob, Some("❤️")).await.must("replace").0);
    let message = h.store.event(&id, first).await.must("event").must("found");
    let ConversationEvent::Message(message) = message else {
        panic!("not a message: {message:?}");
    };
    let groups: Vec<(&str, usize)> = message
        .reactions
        .iter()
        .map(|g| (g.emoji.as_str(), g.count))
        .collect();
    assert_eq!(groups, [("👍", 1), ("❤️", 1)]);
    assert!(react(bob, None).await.must("remove").0);
    assert!(!react(bob, None).await.must("remove nothing").0);

    // Bob has read nothing: two unread; marking moves forward only.
    let unread = |p: Option<postern_store::ParticipantRecord>| p.must("participant").unread_count;
    assert_eq!(unread(h.store.participant(&id, bob).await.must("p")), 2);
    let (moved, _) = h
        .store
        .mark_read(&id, bob, first, Fanout::default())
        .await
        .must("read");
    assert!(moved);
    assert_eq!(unread(h.store.participant(&id, bob).await.must("p")), 1);
    let (moved, _) = h
        .store
        .mark_read(&id, bob, first, Fanout::default())
        .await
        .must("again");
    assert!(!moved, "never back or in place");

    h.store
        .delete_for_everyone(&id, second, Fanout::default())
        .await
        .must("delete");
    assert_eq!(
        unread(h.store.participant(&id, bob).await.must("p")),
        0,
        "tombstones are not unread"
    );
    let tomb = h.store.event(&id, second).await.must("event").must("found");
    let ConversationEvent::Message(tomb) = tomb else {
        panic!("not a message: {tomb:?}");
    };
    assert!(tomb.deleted && tomb.text.is_empty() && tomb.reactions.is_empty());
    let again = h
        .store
        .delete_for_everyone(&id, second, Fanout::default())
        .await;
    assert!(
        matches!(again, Err(Error::Conflict("the message was deleted"))),
        "{again:?}"
    );
    let edit = h
        .store
        .edit_message(&id, second, "x".to_owned(), Default::default(), 5, vec![])
        .await;
    assert!(
        matches!(edit, Err(Error::Conflict("the message was deleted"))),
        "{edit:?}"
    );
    let react = h
        .store
        .set_reaction(&id, second, bob, Some("👍".to_owned()), Fanout::default())
        .await;
    assert!(matches!(react, Err(Error::Conflict(_))), "{react:?}");
    let missing = h
        .store
        .set_reaction(&id, EventId(1), bob, None, Fanout::default())
        .await;
    assert!(
        matches!(missing, Err(Error::NotFound(Thing::Message))),
        "{missing:?}"
    );

    // Deleting the first (edited, reacted) message drops its history and reactions.
    h.store
        .delete_for_everyone(&id, first, Fanout::default())
        .await
        .must("delete first");
    let tomb = h.store.event(&id, first).await.must("event").must("found");
    let ConversationEvent::Message(tomb) = tomb else {
        panic!("not a message: {tomb:?}");
    };
    assert!(tomb.edit_history.is_empty() && tomb.reactions.is_empty());
}
