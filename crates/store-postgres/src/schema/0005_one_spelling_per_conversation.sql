-- Each conversation has one spelling (ConversationId::parse). An earlier version accepted
-- client ids with leading zeros or a sign ('0123-456', '+123-456'), each a second
-- conversation between the same two people. Rather than merge or drop them silently, this
-- migration stops with a report naming them; nothing is changed. docs/scale-out.md,
-- "Conversations with more than one spelling", says what to do.
DO $$
DECLARE
    found text;
BEGIN
    SELECT string_agg(
               c.id || ' (' || (SELECT count(*) FROM events e WHERE e.conversation_id = c.id)
                   || ' events)',
               ', ' ORDER BY c.id)
      INTO found
      FROM conversations c
     WHERE c.id ~ '^(\+|0[0-9])|-(\+|0)';
    IF found IS NOT NULL THEN
        RAISE EXCEPTION 'conversations with more than one spelling: %; nothing was changed (see docs/scale-out.md, "Conversations with more than one spelling")', found;
    END IF;
END
$$;
