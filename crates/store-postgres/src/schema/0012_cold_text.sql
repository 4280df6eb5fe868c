-- Full-text search over cold tables' text (posts first), as ColdSql::search reads it. The
-- documents and queries are made in Rust (search_text.rs), cut as SQLite's FTS5 cuts them.
CREATE TABLE cold_text (
    id   BIGINT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL,
    doc  tsvector NOT NULL
);
CREATE INDEX cold_text_doc ON cold_text USING gin (doc);
