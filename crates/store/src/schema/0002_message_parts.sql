-- Interactive message parts (issue 15). Written once for both backends (docs/storage.md).

-- A message's quick replies, response, buttons and origin as JSON; NULL for most messages.
ALTER TABLE events ADD COLUMN parts TEXT;

-- Each conversation's latest quick-reply prompt that may still be answered: one per
-- conversation. It closes when answered (the row is claimed) or when its sender writes again
-- (seen when it is next read, so plain sends cost nothing).
CREATE TABLE open_prompts (
    conversation_id  TEXT NOT NULL PRIMARY KEY,
    event_id         BIGINT NOT NULL,
    sender_id        BIGINT NOT NULL
);

-- Clicks on each button of a message, counted through its link.
CREATE TABLE button_clicks (
    conversation_id  TEXT NOT NULL,
    event_id         BIGINT NOT NULL,
    position         BIGINT NOT NULL,
    clicks           BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, event_id, position)
);
