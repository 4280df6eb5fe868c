-- Full-text search over cold tables' text (posts first), as ColdSql::search reads it: rows
-- are keyed by the indexed object's id (ids are unique across kinds) and tokenized as the
-- message index is, so both backends find the same things.
CREATE VIRTUAL TABLE cold_text USING fts5(
    kind UNINDEXED, text, tokenize='unicode61 remove_diacritics 2'
);
