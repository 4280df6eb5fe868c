-- Welcome messages (issue 15): what a business greets people with when they open a
-- conversation, and which one is its default. Written once for both backends (docs/storage.md).
CREATE TABLE welcome_messages (
    id          BIGINT NOT NULL PRIMARY KEY,
    owner_id    BIGINT NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL,
    data        TEXT NOT NULL,          -- the message data as JSON
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX welcome_messages_by_owner ON welcome_messages (owner_id, id);

-- Each account's default welcome message (Twitter's one "rule"), if it has one.
CREATE TABLE welcome_rules (
    owner_id            BIGINT NOT NULL PRIMARY KEY REFERENCES users(id),
    welcome_message_id  BIGINT NOT NULL,
    created_at          BIGINT NOT NULL
);
