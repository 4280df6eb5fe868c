//! Full-text search: words, prefixes, diacritics, visibility, edits and deletes.

use postern_core::{ConversationId, Error, UserId};
use postern_store::Fanout;

use crate::harness::{Harness, Must, conformance};

conformance!(
    search_matches_words_like_fts5,
    search_follows_edits_and_deletes,
    search_sees_only_what_the_user_may_see,
);

async fn hits(h: &Harness, user: UserId, query: &str) -> Vec<String> {
    h.store
        .search_messages(user, query, None, 50)
        .await
        .unwrap_or_else(|e| panic!("search {query:?}: {e:?}"))
        .items
        .into_iter()
        .map(|m| m.text)
        .collect()
}

async fn search_matches_words_like_fts5(h: &Harness) {
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    let texts = [
        "lunch at noon",
        "e-mail me",
        "Café crème brûlée",
        "don't stop",
        "naïve ÉCOLE",
        "foo_bar baz",
        "日本語テキスト",
        "x1 2y",
        "emoji 😀 fun",
        "İstanbul Straße ÅNGSTRÖM",
        "ØRE æble",
        "Ελληνικά Ёлка",
    ];
    for text in texts {
        h.send(h.dm(alice, bob, text, None)).await;
    }
    // Expectations taken from SQLite FTS5 (unicode61, remove_diacritics 2).
    let cases: &[(&str, &[&str])] = &[
        ("lunch", &["lunch at noon"]),
        ("LUN", &["lunch at noon"]),
        ("noon lunch", &["lunch at noon"]),
        ("lunch noon zzz", &[]),
        ("lunch !!!", &["lunch at noon"]),
        ("!!!", &[]),
        ("e-mail", &["e-mail me"]),
        ("e-ma", &["e-mail me"]),
        ("mail", &["e-mail me"]),
        ("email", &[]),
        ("cafe-cr", &["Café crème brûlée"]),
        ("caf-creme", &[]),
        ("cafe-brulee", &[]),
        ("CAFÉ", &["Café crème brûlée"]),
        ("creme", &["Café crème brûlée"]),
        ("don't", &["don't stop"]),
        ("dont", &[]),
        ("naive ecole", &["naïve ÉCOLE"]),
        ("foo_bar", &["foo_bar baz"]),
        ("bar", &["foo_bar baz"]),
        ("日本", &["日本語テキスト"]),
        ("テキスト", &[]),
        ("fun 😀", &["emoji 😀 fun"]),
        ("2", &["x1 2y"]),
        ("istanbul strasse", &[]),
        ("istanbul straße angstrom", &["İstanbul Straße ÅNGSTRÖM"]),
        ("ore", &[]),
        ("øre æble", &["ØRE æble"]),
        ("ελληνικά ёлка", &["Ελληνικά Ёлка"]),
        ("\"lunch", &["lunch at noon"]),
        ("at*", &["lunch at noon"]),
        // Query syntax of either engine is just text here.
        ("' \\ & | ! : * ( ) <->", &[]),
        ("lunch & | (noon", &["lunch at noon"]),
        ("NEAR(lunch) OR noon", &[]),
    ];
    for (query, expected) in cases {
        assert_eq!(hits(h, bob, query).await, *expected, "query {query:?}");
    }
    assert!(hits(h, bob, "   ").await.is_empty());
}

async fn search_follows_edits_and_deletes(h: &Harness) {
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    let id = ConversationId::one_to_one(alice, bob);
    let m = h
        .send(h.dm(alice, bob, "lunch at noon", None))
        .await
        .message
        .id;
    assert_eq!(hits(h, bob, "lunch").await.len(), 1);
    h.store
        .edit_message(
            &id,
            m,
            "dinner at eight".to_owned(),
            Default::default(),
            5,
            vec![],
        )
        .await
        .must("edit");
    assert!(
        hits(h, bob, "lunch").await.is_empty(),
        "the old text is no longer indexed"
    );
    assert_eq!(hits(h, bob, "dinner").await, ["dinner at eight"]);
    h.store
        .delete_for_everyone(&id, m, Fanout::default())
        .await
        .must("delete");
    assert!(
        hits(h, bob, "dinner").await.is_empty(),
        "deleted messages are not found"
    );

    // Pages run newest first, with the last id as the cursor.
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(
            h.send(h.dm(alice, bob, &format!("page {i}"), None))
                .await
                .message
                .id,
        );
    }
    let page = h
        .store
        .search_messages(bob, "page", None, 2)
        .await
        .must("page 1");
    let texts: Vec<&str> = page.items.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["page 4", "page 3"]);
    assert_eq!(page.next_cursor, sent.get(3).map(|e| e.0.to_string()));
    let page = h
        .store
        .search_messages(bob, "page", page.next_cursor, 10)
        .await
        .must("page 2");
    assert_eq!((page.items.len(), page.next_cursor), (3, None));
    let bad = h
        .store
        .search_messages(bob, "page", Some("x".to_owned()), 2)
        .await;
    assert!(
        matches!(&bad, Err(Error::Invalid(i)) if i.field == "cursor"),
        "{bad:?}"
    );
    let bad = h
        .store
        .search_messages(bob, "!!!", Some("x".to_owned()), 2)
        .await;
    assert!(
        matches!(&bad, Err(Error::Invalid(_))),
        "cursor checked first: {bad:?}"
    );
    let blank = h
        .store
        .search_messages(bob, " ", Some("x".to_owned()), 2)
        .await;
    assert!(
        blank.must("blank").items.is_empty(),
        "a blank query ends before the cursor"
    );
}

async fn search_sees_only_what_the_user_may_see(h: &Harness) {
    let (alice, bob, eve) = (
        h.user("alice").await,
        h.user("bob").await,
        h.user("eve").await,
    );
    let id = ConversationId::one_to_one(alice, bob);
    let secret = h
        .send(h.dm(alice, bob, "secret plans", None))
        .await
        .message
        .id;
    h.send(h.dm(alice, bob, "secret recipe", None)).await;
    assert!(hits(h, eve, "secret").await.is_empty(), "not a participant");
    assert_eq!(hits(h, alice, "secret").await.len(), 2);
    h.store
        .delete_for_me(&id, secret, bob, Fanout::default())
        .await
        .must("hide");
    assert_eq!(hits(h, bob, "secret").await, ["secret recipe"]);
    assert_eq!(hits(h, alice, "secret").await.len(), 2);
}
