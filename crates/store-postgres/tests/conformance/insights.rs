//! Insights kept as messages are stored (`postern_store::tally`): what each send adds, the
//! same on both backends, and the same as a rebuild from the stored messages (which a store
//! opened on data from before insights were kept runs by itself).

use postern_core::ids::ObjectId;
use postern_core::parts::{Cta, InitiatedVia, StoredCta};
use postern_core::{ConversationId, UserId};
use postern_store::Store;
use postern_store::cold::{ColdRow, Statement};
use postern_store::tally;

use crate::harness::{Harness, Must, conformance};

conformance!(
    each_send_keeps_what_a_rebuild_from_the_messages_finds,
    a_store_opened_on_uncounted_messages_counts_them,
);

/// Three conversations with a brand: Ann from a card (greeted automatically first), answered;
/// Bob's post moved to DMs by the brand, answered by Bob; Cy directly, never answered.
async fn converse(h: &Harness) -> People {
    let brand = h.user("brand").await;
    let ann = h.user("ann").await;
    let bob = h.user("bob").await;
    let cy = h.user("cy").await;
    let mut welcome = h.dm(brand, ann, "Welcome!", None);
    welcome.parts.automatic = true;
    welcome.parts.ctas = vec![StoredCta {
        cta: Cta::Url {
            label: "FAQ".into(),
            url: "https://brand.example/faq".into(),
        },
        token: "t".into(),
    }];
    h.send(welcome).await;
    let mut first = h.dm(ann, brand, "hi", None);
    first.parts.initiated_via = Some(InitiatedVia {
        welcome_message_id: Some(ObjectId(3)),
        card_id: Some(ObjectId(7)),
        ..InitiatedVia::default()
    });
    let started = h.send(first).await.message.created_at;
    h.send(h.dm(ann, brand, "hello?", None)).await;
    let answered = h
        .send(h.dm(brand, ann, "Hi Ann", None))
        .await
        .message
        .created_at;
    h.send(h.dm(brand, ann, "Anything else?", None)).await;
    let mut switch = h.dm(brand, bob, "Sorry! DM us the order.", None);
    switch.parts.initiated_via = Some(InitiatedVia {
        post_id: Some(ObjectId(9)),
        ..InitiatedVia::default()
    });
    h.send(switch).await;
    h.send(h.dm(bob, brand, "thanks", None)).await;
    h.send(h.dm(cy, brand, "yo", None)).await;
    People {
        brand,
        ann,
        bob,
        cy,
        ann_started: started.timestamp_millis(),
        ann_answered: answered.timestamp_millis(),
    }
}

struct People {
    brand: UserId,
    ann: UserId,
    bob: UserId,
    cy: UserId,
    ann_started: i64,
    ann_answered: i64,
}

/// Both tables, in a fixed order.
async fn kept(store: &dyn Store) -> (Vec<ColdRow>, Vec<ColdRow>) {
    let cold = store.cold();
    let hours = cold
        .select(Statement::new(
            "SELECT account_id, hour, received, sent, buttons, clicks FROM dm_hours ORDER BY account_id, hour",
            Vec::new(),
        ))
        .await
        .must("hours");
    let starts = cold
        .select(Statement::new(
            "SELECT conversation_id, account_id, starter_id, started_at, source, from_post, answered_at
             FROM dm_starts ORDER BY conversation_id",
            Vec::new(),
        ))
        .await
        .must("starts");
    (hours, starts)
}

/// An account's (received, sent, buttons) over all its hours.
fn totals(hours: &[ColdRow], account: UserId) -> (i64, i64, i64) {
    hours
        .iter()
        .filter(|r| r.int(0).must("account") == account.0)
        .fold((0, 0, 0), |(r, s, b), row| {
            (
                r + row.int(2).must("received"),
                s + row.int(3).must("sent"),
                b + row.int(4).must("buttons"),
            )
        })
}

async fn each_send_keeps_what_a_rebuild_from_the_messages_finds(h: &Harness) {
    let p = converse(h).await;
    let (hours, starts) = kept(h.store.as_ref()).await;
    // The automatic welcome is received by Ann but not sent by the brand; its button counts.
    assert_eq!(totals(&hours, p.brand), (4, 3, 1));
    assert_eq!(totals(&hours, p.ann), (3, 2, 0));
    assert_eq!(totals(&hours, p.bob), (1, 1, 0));
    assert_eq!(totals(&hours, p.cy), (0, 1, 0));
    let start = |a: UserId, b: UserId| {
        let id = ConversationId::one_to_one(a, b);
        starts
            .iter()
            .find(|r| r.text(0).must("conversation") == id.as_str())
            .map(|r| {
                (
                    UserId(r.int(1).must("account")),
                    UserId(r.int(2).must("starter")),
                    r.text(4).must("source"),
                    r.int(5).must("from post"),
                    r.opt_int(6).must("answered"),
                )
            })
            .must("a start")
    };
    assert_eq!(starts.len(), 3);
    assert_eq!(
        start(p.ann, p.brand),
        (p.brand, p.ann, "card".into(), 0, Some(p.ann_answered))
    );
    assert!(starts.iter().any(|r| r.int(3).must("at") == p.ann_started));
    let (account, starter, source, from_post, answered) = start(p.bob, p.brand);
    assert_eq!(
        (
            account,
            starter,
            source.as_str(),
            from_post,
            answered.is_some()
        ),
        (p.bob, p.brand, "direct", 1, true)
    );
    assert_eq!(start(p.cy, p.brand).4, None);

    tally::rebuild(h.store.cold()).await.must("rebuild");
    assert_eq!(kept(h.store.as_ref()).await, (hours, starts));
}

async fn a_store_opened_on_uncounted_messages_counts_them(h: &Harness) {
    converse(h).await;
    let counted = kept(h.store.as_ref()).await;
    // As a store from before insights were kept looks once migrated.
    h.store
        .cold()
        .run(vec![
            Statement::new("DELETE FROM dm_hours", Vec::new()),
            Statement::new("DELETE FROM dm_starts", Vec::new()),
            Statement::new(
                "INSERT INTO pending_rebuilds (what) VALUES ('insights')",
                Vec::new(),
            ),
        ])
        .await
        .must("forget");
    let again = h.open_again().await;
    assert_eq!(kept(again.as_ref()).await, counted);
    let pending = again.cold().select(tally::pending()).await.must("pending");
    assert!(pending.is_empty(), "the rebuild is done once");
}
