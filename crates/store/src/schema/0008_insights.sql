-- Business insights (issue 16): what an account's one-to-one conversations did, kept as each
-- message is stored, so a period's insights read its hours and its conversations' starts
-- instead of every message. Written once for both backends.

-- Each account's messages, an hour at a time (hour = Unix milliseconds / 3,600,000).
CREATE TABLE dm_hours (
    account_id  BIGINT NOT NULL,
    hour        BIGINT NOT NULL,
    -- Messages people sent the account.
    received    BIGINT NOT NULL,
    -- Messages the account sent, not automatically.
    sent        BIGINT NOT NULL,
    -- Buttons on the account's messages, and clicks on its buttons (when clicked).
    buttons     BIGINT NOT NULL,
    clicks      BIGINT NOT NULL,
    PRIMARY KEY (account_id, hour)
);

-- How each one-to-one conversation started: its first message not sent automatically.
CREATE TABLE dm_starts (
    conversation_id  TEXT NOT NULL PRIMARY KEY,
    -- Who the first message was written to, and who wrote it.
    account_id       BIGINT NOT NULL,
    starter_id       BIGINT NOT NULL,
    started_at       BIGINT NOT NULL,
    -- Where the starter came from (direct, deep_link, welcome_message, post_button, card).
    source           TEXT NOT NULL,
    -- 1: the first message moved a public post to DMs (the starter's "Switch to DM").
    from_post        BIGINT NOT NULL,
    -- When the account first wrote back, not automatically.
    answered_at      BIGINT
);
-- Covering what insights read of a period's starts, so a busy account's thousands of
-- conversations are read from the index alone.
CREATE INDEX dm_starts_by_account ON dm_starts (account_id, started_at, source, answered_at);
CREATE INDEX dm_starts_by_starter ON dm_starts (starter_id, started_at);

-- Derived data a store recomputes when it opens (and then deletes the row): here, the two
-- tables above from the messages stored before they existed.
CREATE TABLE pending_rebuilds (
    what  TEXT NOT NULL PRIMARY KEY
);
INSERT INTO pending_rebuilds (what) VALUES ('insights');
