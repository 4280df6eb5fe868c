-- 4: each conversation has one spelling (ConversationId::parse). The check that none has
-- more than one runs in Rust before this is recorded (`one_spelling_per_conversation`):
-- SQLite cannot stop a migration with a report of its own.
SELECT 1;
