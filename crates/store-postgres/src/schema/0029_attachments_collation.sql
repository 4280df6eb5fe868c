-- Postern on PostgreSQL, version 29: `media_attachments.conversation_id` sorts by bytes ("C"),
-- as every other conversation id does (version 1). Migration 3 left it in the database's
-- collation, which changed no result (ids are digits and a dash), but a distributed
-- PostgreSQL (Citus) keeps tables together only when their keys' collations are equal, so it
-- could not place attachments beside their conversation's messages.
ALTER TABLE media_attachments ALTER COLUMN conversation_id TYPE TEXT COLLATE "C";
