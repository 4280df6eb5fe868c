-- Postern on PostgreSQL, version 3: media (SPEC §3.6). The same tables as SQLite's migration 3,
-- and `append_message` again, now attaching media in the same statement as the message.
--
-- An upload is a `media` row from its start: `uploading` while a chunked upload's parts arrive,
-- `ready` once its content has been checked and stored. The bytes live in object storage under
-- the media id; this row says who owns them and whether they may be attached.
CREATE TABLE media (
    id             BIGINT PRIMARY KEY,
    owner_id       BIGINT NOT NULL,
    category       TEXT NOT NULL,
    media_type     TEXT NOT NULL,
    shared         BOOLEAN NOT NULL,
    state          TEXT NOT NULL,
    total_bytes    BIGINT NOT NULL,
    size           BIGINT NOT NULL DEFAULT 0,
    width          BIGINT NOT NULL DEFAULT 0,
    height         BIGINT NOT NULL DEFAULT 0,
    duration_ms    BIGINT,
    has_thumbnail  BOOLEAN NOT NULL DEFAULT false,
    attached       BOOLEAN NOT NULL DEFAULT false,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT
);
CREATE INDEX media_expiry ON media(expires_at) WHERE expires_at IS NOT NULL;

-- Keyed by conversation, so a distributed PostgreSQL keeps it with its messages.
CREATE TABLE media_attachments (
    conversation_id  TEXT NOT NULL,
    event_id         BIGINT NOT NULL,
    media_id         BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, event_id)
);
CREATE INDEX media_attachments_by_media ON media_attachments(media_id);

ALTER TABLE events ADD COLUMN attachment TEXT;
