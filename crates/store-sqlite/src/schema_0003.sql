-- Version 3: media (SPEC §3.6).
--
-- An upload is a `media` row from its start: `uploading` while a chunked upload's parts arrive,
-- `ready` once its content has been checked and stored. The bytes live in object storage under
-- the media id; this row says who owns them and whether they may be attached.
CREATE TABLE media (
    id             INTEGER PRIMARY KEY,
    owner_id       INTEGER NOT NULL,
    category       TEXT NOT NULL,                   -- dm_image | dm_gif | dm_video
    media_type     TEXT NOT NULL,                   -- the MIME type, checked against the content
    shared         INTEGER NOT NULL,                -- reusable by its owner; otherwise attaches once
    state          TEXT NOT NULL,                   -- uploading | ready
    total_bytes    INTEGER NOT NULL,                -- declared at init (chunked) or received (simple)
    size           INTEGER NOT NULL DEFAULT 0,      -- stored bytes, once ready
    width          INTEGER NOT NULL DEFAULT 0,
    height         INTEGER NOT NULL DEFAULT 0,
    duration_ms    INTEGER,
    has_thumbnail  INTEGER NOT NULL DEFAULT 0,
    attached       INTEGER NOT NULL DEFAULT 0,      -- ever attached: unshared media cannot attach again
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER                          -- removed after this unless attached; NULL once attached
);
CREATE INDEX media_expiry ON media(expires_at) WHERE expires_at IS NOT NULL;

-- Which messages carry which media: who may fetch it follows from who may see them. Keyed by
-- conversation like every per-conversation table; one attachment per message.
CREATE TABLE media_attachments (
    conversation_id  TEXT NOT NULL,
    event_id         INTEGER NOT NULL,
    media_id         INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, event_id)
) WITHOUT ROWID;
CREATE INDEX media_attachments_by_media ON media_attachments(media_id);

-- A message's attachment as clients see it (JSON): media never changes once ready, so the
-- message keeps a copy and history needs no join.
ALTER TABLE events ADD COLUMN attachment TEXT;
