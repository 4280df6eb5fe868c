-- Postern on PostgreSQL, version 1: the same tables and columns as SQLite's schema (times are
-- Unix milliseconds in BIGINT, ids are the server's 64-bit time-ordered integers, JSON is TEXT),
-- so data can be copied table to table. Flags are BOOLEAN where SQLite stores 0/1
-- (`schema::BOOLEAN_COLUMNS` lists them for a copy). Tables and columns only one backend has
-- are listed in `schema::BACKEND_ONLY`.
--
-- Keying: everything that belongs to one conversation (conversations, participants, events,
-- reactions, message_edits, hidden_events) leads its primary key with the conversation id, so a
-- distributed PostgreSQL (Citus) can shard those tables by conversation and keep each
-- conversation's writes on one node. Per-user tables (the social graph, tokens, streams) are
-- keyed by user. Text keys use the "C" collation so they sort by bytes, as SQLite's do, whatever
-- the database's locale: inbox cursors and prefix searches depend on that order.

CREATE TABLE users (
    id               BIGINT PRIMARY KEY,
    screen_name      TEXT NOT NULL,
    screen_name_key  TEXT COLLATE "C" NOT NULL UNIQUE,  -- lower-cased: unique ignoring case
    name             TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    avatar_url       TEXT,
    verified         BOOLEAN NOT NULL DEFAULT false,
    password_hash    TEXT NOT NULL,
    allow_dms_from   TEXT NOT NULL DEFAULT 'following',
    read_receipts    BOOLEAN NOT NULL DEFAULT true,
    quality_filter   BOOLEAN NOT NULL DEFAULT true,
    created_at       BIGINT NOT NULL
);

CREATE TABLE tokens (
    id          BIGINT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    kind        TEXT NOT NULL,                          -- session | personal
    hash        BYTEA NOT NULL UNIQUE,                  -- SHA-256 of the secret
    name        TEXT,
    csrf        TEXT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT
);
CREATE INDEX tokens_by_user ON tokens (user_id, kind);

-- Directed edges. `seq` orders lists newest first and is their cursor.
CREATE TABLE follows (
    follower_id  BIGINT NOT NULL,
    followee_id  BIGINT NOT NULL,
    seq          BIGINT NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
);
CREATE INDEX follows_by_followee ON follows (followee_id, seq);
CREATE INDEX follows_by_follower ON follows (follower_id, seq);

CREATE TABLE blocks (
    blocker_id  BIGINT NOT NULL,
    blocked_id  BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_by_blocker ON blocks (blocker_id, seq);

CREATE TABLE mutes (
    muter_id  BIGINT NOT NULL,
    muted_id  BIGINT NOT NULL,
    seq       BIGINT NOT NULL,
    PRIMARY KEY (muter_id, muted_id)
);
CREATE INDEX mutes_by_muter ON mutes (muter_id, seq);

CREATE TABLE reports (
    id              BIGINT PRIMARY KEY,
    reporter_id     BIGINT NOT NULL,
    target_type     TEXT NOT NULL,                      -- user | message | conversation
    target_id       TEXT NOT NULL,
    target_user_id  BIGINT,                             -- whose behaviour is reported
    reason          TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX reports_by_target_user ON reports (target_user_id);

-- The conversation row is also the lock that orders a conversation's writes: every write in a
-- conversation locks it first, so event ids follow commit order (see `conversations::lock`).
CREATE TABLE conversations (
    id             TEXT COLLATE "C" PRIMARY KEY,        -- `low-high` one-to-one, a number for groups
    kind           TEXT NOT NULL,                       -- one_to_one | group
    name           TEXT,
    created_by     BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    last_event_id  BIGINT,
    member_count   BIGINT NOT NULL
);
CREATE INDEX conversations_by_creator ON conversations (created_by, kind);

-- Membership and each member's private state. `activity` copies the conversation's last
-- event id so the inbox is one index range per user.
CREATE TABLE participants (
    conversation_id     TEXT COLLATE "C" NOT NULL,
    user_id             BIGINT NOT NULL,
    active              BOOLEAN NOT NULL DEFAULT true,
    box                 TEXT NOT NULL,                  -- primary | requests | filtered
    visible_after       BIGINT,
    left_at_event       BIGINT,
    last_read_event_id  BIGINT,
    unread_count        BIGINT NOT NULL DEFAULT 0,
    muted               BOOLEAN NOT NULL DEFAULT false,
    pinned_at           BIGINT,
    archived            BOOLEAN NOT NULL DEFAULT false,
    accepted            BOOLEAN NOT NULL DEFAULT false,
    reported            BOOLEAN NOT NULL DEFAULT false,
    activity            BIGINT NOT NULL,
    joined_seq          BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX participants_inbox ON participants (user_id, box, archived, activity);

-- Conversation history: messages and membership changes. `search` (PostgreSQL only) is the
-- message's words as the store tokenizes them (see `search_text`), NULL when not searchable.
CREATE TABLE events (
    conversation_id  TEXT COLLATE "C" NOT NULL,
    id               BIGINT NOT NULL,
    kind             BIGINT NOT NULL,                   -- 0 message, 1 participants_join, 2 participants_leave
    sender_id        BIGINT NOT NULL,
    text             TEXT NOT NULL DEFAULT '',
    entities         TEXT,
    reply_to_id      BIGINT,
    client_key       TEXT,
    edit_count       BIGINT NOT NULL DEFAULT 0,
    edited_at        BIGINT,
    deleted          BOOLEAN NOT NULL DEFAULT false,
    user_ids         TEXT,                              -- JSON array, for membership changes
    created_at       BIGINT NOT NULL,
    search           TSVECTOR,
    PRIMARY KEY (conversation_id, id)
);
-- Lookups by id alone (an idempotent retry, a reported message, the id generator's seed).
CREATE INDEX events_by_id ON events (id);
CREATE INDEX events_search ON events USING GIN (search);

CREATE TABLE idempotency (
    sender_id   BIGINT NOT NULL,
    client_key  TEXT NOT NULL,
    event_id    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (sender_id, client_key)
);

CREATE TABLE message_edits (
    conversation_id  TEXT COLLATE "C" NOT NULL,
    message_id       BIGINT NOT NULL,
    seq              BIGINT NOT NULL,
    text             TEXT NOT NULL,                     -- the text before this edit
    edited_at        BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, message_id, seq)
);

CREATE TABLE reactions (
    conversation_id  TEXT COLLATE "C" NOT NULL,
    message_id       BIGINT NOT NULL,
    user_id          BIGINT NOT NULL,
    emoji            TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, message_id, user_id)
);

-- Delete-for-me of single messages.
CREATE TABLE hidden_events (
    conversation_id  TEXT COLLATE "C" NOT NULL,
    user_id          BIGINT NOT NULL,
    event_id         BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id, event_id)
);

-- Stream events are rendered once and shared; each receiver gets the next dense position.
CREATE TABLE stream_events (
    id          BIGINT PRIMARY KEY,
    kind        TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE TABLE user_stream (
    user_id          BIGINT NOT NULL,
    position         BIGINT NOT NULL,
    stream_event_id  BIGINT NOT NULL,
    PRIMARY KEY (user_id, position)
);

-- PostgreSQL only: each user's newest stream position. Several nodes append at once, so the
-- next position is taken by updating this row, whose lock orders that user's writers until
-- commit (SQLite has one writer and reads max(position) instead).
CREATE TABLE stream_heads (
    user_id   BIGINT PRIMARY KEY,
    position  BIGINT NOT NULL
);

-- PostgreSQL only: node ids for servers started without one (see `PostgresStore::connect`).
CREATE SEQUENCE postern_node_ids;
