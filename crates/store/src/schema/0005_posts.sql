-- Public posts (issue 16, SPEC §3.7) and whom each one mentions or answers.
-- Written once for both backends (docs/storage.md); their words are searched through
-- ColdSql::search (each backend's own full-text index).
CREATE TABLE posts (
    id                 BIGINT NOT NULL PRIMARY KEY,
    author_id          BIGINT NOT NULL REFERENCES users(id),
    text               TEXT NOT NULL,
    entities           TEXT NOT NULL,
    reply_to_id        BIGINT,
    reply_to_author_id BIGINT,
    media_id           BIGINT,
    dm_button          TEXT,
    card_id            BIGINT,
    created_at         BIGINT NOT NULL,
    deleted_at         BIGINT
);
CREATE INDEX posts_by_author ON posts (author_id, id);
CREATE INDEX posts_by_reply ON posts (reply_to_id, id);
CREATE INDEX posts_by_media ON posts (media_id);
-- One row per account a post mentions or replies to: that account's mentions, newest first.
CREATE TABLE post_mentions (
    user_id   BIGINT NOT NULL,
    post_id   BIGINT NOT NULL,
    author_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, post_id)
);
