-- Version 2: message edits carry their conversation's id, like every other per-conversation
-- table. PostgreSQL keys them by conversation (so a distributed PostgreSQL can shard them with
-- their messages), and both backends keep one logical schema so data copies table to table.
CREATE TABLE message_edits_v2 (
    conversation_id  TEXT NOT NULL,
    message_id       INTEGER NOT NULL,
    seq              INTEGER NOT NULL,
    text             TEXT NOT NULL,                 -- the text before this edit
    edited_at        INTEGER NOT NULL,
    PRIMARY KEY (message_id, seq)
) WITHOUT ROWID;
INSERT INTO message_edits_v2 (conversation_id, message_id, seq, text, edited_at)
    SELECT e.conversation_id, m.message_id, m.seq, m.text, m.edited_at
    FROM message_edits m JOIN events e ON e.id = m.message_id;
DROP TABLE message_edits;
ALTER TABLE message_edits_v2 RENAME TO message_edits;
