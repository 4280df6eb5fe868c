-- Postern on PostgreSQL, version 31: `dm_starts.conversation_id` sorts by bytes ("C") like
-- every other conversation id, so a distributed PostgreSQL (Citus) can keep a conversation's
-- start beside its messages: `append_message` writes it in the send's own statement.
ALTER TABLE dm_starts ALTER COLUMN conversation_id TYPE TEXT COLLATE "C";
