//! Cold tables through `ColdSql`: the portable subset's rules, and full-text search.

use postern_store::cold::{Cell, Statement, int, kinds, text};

use crate::harness::{Harness, Must, conformance};

conformance!(
    a_null_and_a_number_take_turns_in_one_statement,
    search_finds_indexed_text_as_message_search_does,
);

async fn a_null_and_a_number_take_turns_in_one_statement(h: &Harness) {
    let alice = h.user("alice").await;
    // The same SQL with NULL, then a number, then NULL again at one place: PostgreSQL types a
    // NULL parameter as text, and a statement cached from one call must not misread the next.
    for i in 0..60_i64 {
        // (Every third: idle connections are reused in turn, so each sees both.)
        let reply_to = if i % 3 == 0 {
            Cell::Null
        } else {
            int(h.ids.next_id())
        };
        h.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO posts (id, author_id, text, entities, reply_to_id, created_at)
                 VALUES (?1, ?2, ?3, '{}', CAST(?4 AS BIGINT), ?5)",
                vec![
                    int(h.ids.next_id()),
                    int(alice.0),
                    text(format!("post {i}")),
                    reply_to,
                    int(i),
                ],
            )])
            .await
            .must("insert");
    }
    let rows = h
        .store
        .cold()
        .select(Statement::new(
            "SELECT count(*), count(reply_to_id) FROM posts WHERE author_id = ?1",
            vec![int(alice.0)],
        ))
        .await
        .must("count");
    let row = rows.first().must("a count");
    assert_eq!(
        (row.int(0).must("all"), row.int(1).must("with a reply")),
        (60, 40)
    );
}

async fn search_finds_indexed_text_as_message_search_does(h: &Harness) {
    let cold = h.store.cold();
    let texts = [
        (1, "The Café delivery was late"),
        (2, "Delivered on time"),
        (3, "naïve ÉCOLE"),
    ];
    let mut writes: Vec<Statement> = texts
        .iter()
        .map(|(id, t)| Statement::index(kinds::POST, *id, *t))
        .collect();
    writes.push(Statement::index("other", 4, "delivery elsewhere"));
    cold.run(writes).await.must("index");
    let found = |q: &'static str| async move {
        h.store
            .cold()
            .search(kinds::POST, q, i64::MAX, 10)
            .await
            .must("search")
    };
    assert_eq!(
        found("deliv").await,
        [2, 1],
        "prefixes, newest first, one kind"
    );
    assert_eq!(found("cafe late").await, [1], "every word, accents ignored");
    assert_eq!(found("ecole naive").await, [3]);
    assert_eq!(found("\" OR *").await, Vec::<i64>::new(), "no syntax");
    assert_eq!(found("   ").await, Vec::<i64>::new());
    let page = cold.search(kinds::POST, "deliv", 2, 10).await.must("page");
    assert_eq!(page, [1], "below the cursor");
    cold.run(vec![Statement::index(kinds::POST, 1, "")])
        .await
        .must("unindex");
    assert_eq!(found("deliv").await, [2]);
    cold.run(vec![Statement::index(kinds::POST, 2, "Arrived early")])
        .await
        .must("reindex");
    assert_eq!(found("deliv").await, Vec::<i64>::new());
    assert_eq!(found("arriv").await, [2]);
}
