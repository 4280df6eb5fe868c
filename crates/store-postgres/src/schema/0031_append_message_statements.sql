-- Postern on PostgreSQL, version 31: `append_message` writes a message in fewer statements.
-- Its common case (no key, an existing conversation) takes the conversation's lock by moving
-- its last event id (was: a locking read, then the move), moves the sender's and every other
-- member's inbox row in one statement (was: the sender's, then everyone's), and learns there
-- who reported the conversation (was: one read per receiver). On a distributed PostgreSQL
-- (Citus) each statement is a round trip to a worker. Otherwise as version 30.

-- Appends a message and records its stream events. Answers with `outcome`:
--
-- - 'created': stored as `p_id`; `positions` holds each receiver's stream position, in the order
--   of `p_to_user`, NULL where a receiver was left out (see the rules below).
-- - 'duplicate': the key is still fresh; `event` and `event_conversation` are the message it
--   produced (`event_conversation` NULL if that message is gone). Nothing was written.
-- - 'retry': `p_id` is not above the conversation's last event id, returned in `event`.
--   Nothing was written; call again with a larger id (and the stream events rendered with it).
-- - 'missing': there is no such conversation (and `p_recipient` was NULL).
--
-- Stream events come as parallel arrays, one element per event (`p_event_*`), and receivers as
-- (event, user) pairs (`p_to_event` holds 1-based indexes into the events). Each event's rule
-- says who of its receivers gets it, because only this call knows:
-- - 'always': all of them;
-- - 'if_created': all of them, but only if this call created the conversation
--   (`conversation.created`);
-- - 'audible': those who have not reported the conversation: someone who reported it hears
--   nothing more from it until they write (`message.created`).
-- An event nobody receives is not stored.
CREATE OR REPLACE FUNCTION append_message(
    p_conversation  text,
    p_sender        bigint,
    p_id            bigint,     -- the event id, from the calling node's generator
    p_at            bigint,     -- created_at, Unix milliseconds
    p_text          text,
    p_entities      text,
    p_reply_to      bigint,
    p_client_key    text,       -- NULL: the send is not idempotent
    p_key_since     bigint,     -- keys claimed before this no longer deduplicate
    p_search        tsvector,   -- the text's words as the store cuts them (`search_text`)
    p_recipient     bigint,     -- first contact: the other member; NULL: the conversation must exist
    p_recipient_box text,       -- where first contact lands for the recipient
    p_seq           bigint,     -- first contact: the members' joined_seq (sender, then recipient + 1)
    p_event_ids     bigint[],
    p_event_kinds   text[],
    p_event_data    text[],
    p_event_rules   text[],
    p_to_event      bigint[],
    p_to_user       bigint[],
    -- Insights (see postern_store::tally): NULL in a group. `p_tally_source` NULL: sent
    -- automatically, so neither sent by the account nor a start or an answer.
    p_tally_recipient bigint,
    p_tally_source    text,
    p_tally_buttons   bigint,
    p_tally_from_post boolean,
    OUT outcome            text,
    OUT event              bigint,
    OUT event_conversation text,
    OUT positions          bigint[]
)
LANGUAGE plpgsql AS $$
DECLARE
    last_id  bigint;             -- the conversation's last event id
    created  boolean := false;   -- this call created the conversation
    r        record;             -- a receiver: (event index, user id, index in p_to_user)
    stored   bigint[] := '{}';   -- indexes of the events stored so far
    placed   bigint;             -- the receiver's new position
    by_hand    bigint;           -- insights: 1 if the sender wrote the message by hand
    first_row  bigint[];         -- insights: (account, received, sent, buttons), lower account first
    second_row bigint[];
    member     record;           -- a member whose inbox moved: (user id, reported)
    reporters  bigint[] := '{}'; -- members who reported the conversation
BEGIN
    -- A retry whose key is still fresh is answered from the first send, with no write.
    IF p_client_key IS NOT NULL THEN
        SELECT i.event_id INTO event FROM idempotency i
         WHERE i.sender_id = p_sender AND i.client_key = p_client_key
           AND i.created_at >= p_key_since;
        IF FOUND THEN
            event_conversation := key_conversation(p_sender, p_client_key, event);
            outcome := 'duplicate';
            RETURN;
        END IF;
    END IF;

    -- The common case locks the conversation as it moves its last event id (at the end of
    -- the loop). A keyed send, first contact, and a send whose id is not above the last
    -- event's take the lock first, as other writes in a conversation do, then move it.
    FOR attempt IN 1..2 LOOP
        IF p_client_key IS NOT NULL OR attempt = 2 THEN
            -- Every write in a conversation locks its row first, so event ids follow commit
            -- order: history pages by id and must never gain an event behind a cursor.
            SELECT c.last_event_id INTO last_id FROM conversations c
             WHERE c.id = p_conversation FOR UPDATE;
            IF NOT FOUND AND p_recipient IS NOT NULL THEN
                -- First contact creates the one-to-one conversation: the sender in primary,
                -- the recipient in the box admission chose. Two first messages racing both
                -- get here; the second waits on the first's row, then finds it and creates
                -- nothing.
                INSERT INTO conversations (id, kind, created_by, created_at, member_count)
                VALUES (p_conversation, 'one_to_one', p_sender, p_at, 2)
                ON CONFLICT (id) DO NOTHING;
                created := FOUND;
                IF created THEN
                    -- Landing in primary (the recipient follows the sender) counts as
                    -- accepting; a request does not.
                    INSERT INTO participants (conversation_id, user_id, box, accepted, activity,
                                              joined_seq)
                    VALUES (p_conversation, p_sender, 'primary', true, p_seq, p_seq),
                           (p_conversation, p_recipient, p_recipient_box,
                            p_recipient_box = 'primary', p_seq + 1, p_seq + 1);
                END IF;
                SELECT c.last_event_id INTO last_id FROM conversations c
                 WHERE c.id = p_conversation FOR UPDATE;
            END IF;
            IF NOT FOUND THEN  -- (the last lock taken found no row)
                outcome := 'missing';
                RETURN;
            END IF;
            -- The id came from the caller's clock, which may be behind the node that wrote the
            -- last event (or another send on the same node took a later id and committed
            -- first). Nothing has been written yet: a conversation this call created has no
            -- last event.
            IF last_id >= p_id THEN
                outcome := 'retry';
                event := last_id;
                RETURN;
            END IF;

            -- Take the key. A concurrent send with the same key waits here on the other's
            -- uncommitted row and then sees it, so exactly one of them stores a message.
            IF p_client_key IS NOT NULL THEN
                INSERT INTO idempotency AS i (sender_id, client_key, event_id, created_at)
                VALUES (p_sender, p_client_key, p_id, p_at)
                ON CONFLICT (sender_id, client_key)
                    DO UPDATE SET event_id = excluded.event_id, created_at = excluded.created_at
                    WHERE i.created_at < p_key_since;
                IF NOT FOUND THEN
                    -- The same send committed meanwhile: answer with it. If it went to another
                    -- conversation and this call created one, take that back, as a rollback
                    -- would.
                    IF created THEN
                        DELETE FROM participants WHERE conversation_id = p_conversation;
                        DELETE FROM conversations WHERE id = p_conversation;
                    END IF;
                    SELECT i.event_id INTO event FROM idempotency i
                     WHERE i.sender_id = p_sender AND i.client_key = p_client_key;
                    event_conversation := key_conversation(p_sender, p_client_key, event);
                    outcome := 'duplicate';
                    RETURN;
                END IF;
            END IF;
        END IF;

        -- The common case's lock: the last event id moves, only if this id is above it.
        UPDATE conversations c SET last_event_id = p_id
         WHERE c.id = p_conversation AND (c.last_event_id IS NULL OR c.last_event_id < p_id);
        EXIT WHEN FOUND;
        IF p_client_key IS NOT NULL OR attempt = 2 THEN
            RAISE EXCEPTION 'append_message: % did not move under its own lock', p_conversation;
        END IF;
    END LOOP;

    INSERT INTO events (id, conversation_id, kind, sender_id, text, entities, reply_to_id, client_key,
                        created_at, search)
    VALUES (p_id, p_conversation, 0, p_sender, p_text, p_entities, p_reply_to, p_client_key,
            p_at, p_search);

    -- Every active member's inbox moves to the message, in one statement: unread for everyone
    -- but the sender (and those who reported the conversation), read for the sender, whose
    -- writing also accepts the conversation and ends a report's silence. It answers who
    -- reported the conversation: they hear nothing more from it until they write.
    FOR member IN
        UPDATE participants p SET
            accepted = p.accepted OR p.user_id = p_sender,
            box = CASE WHEN p.user_id = p_sender THEN 'primary' ELSE p.box END,
            reported = p.reported AND p.user_id <> p_sender,
            activity = CASE WHEN p.active THEN p_id ELSE p.activity END,
            unread_count = CASE WHEN NOT p.active THEN p.unread_count
                                WHEN p.user_id = p_sender THEN 0
                                WHEN p.reported THEN p.unread_count
                                ELSE p.unread_count + 1 END,
            last_read_event_id = CASE WHEN p.active AND p.user_id = p_sender THEN p_id
                                      ELSE p.last_read_event_id END
         WHERE p.conversation_id = p_conversation
           AND (p.active OR p.user_id = p_sender OR p.reported)
        RETURNING p.user_id, p.reported
    LOOP
        IF member.reported THEN
            reporters := reporters || member.user_id;
        END IF;
    END LOOP;

    -- Insights: the conversation's start, or the account's first answer to it (the
    -- conversation's lock covers its row), then both members' hours, in ascending account order
    -- and before the stream heads, so concurrent sends lock them in one order.
    IF p_tally_recipient IS NOT NULL THEN
        IF p_tally_source IS NOT NULL THEN
            INSERT INTO dm_starts AS s (conversation_id, account_id, starter_id, started_at, source,
                                        from_post, answered_at)
            VALUES (p_conversation, p_tally_recipient, p_sender, p_at, p_tally_source,
                    CASE WHEN p_tally_from_post THEN 1 ELSE 0 END, NULL)
            ON CONFLICT (conversation_id) DO UPDATE SET answered_at = excluded.started_at
            WHERE s.answered_at IS NULL AND s.account_id = excluded.starter_id;
        END IF;
        by_hand := CASE WHEN p_tally_source IS NULL THEN 0 ELSE 1 END;
        IF p_sender < p_tally_recipient THEN
            first_row := ARRAY[p_sender, 0, by_hand, p_tally_buttons];
            second_row := ARRAY[p_tally_recipient, 1, 0, 0];
        ELSE
            first_row := ARRAY[p_tally_recipient, 1, 0, 0];
            second_row := ARRAY[p_sender, 0, by_hand, p_tally_buttons];
        END IF;
        INSERT INTO dm_hours AS h (account_id, hour, received, sent, buttons, clicks)
        VALUES (first_row[1], p_at / 3600000, first_row[2], first_row[3], first_row[4], 0),
               (second_row[1], p_at / 3600000, second_row[2], second_row[3], second_row[4], 0)
        ON CONFLICT (account_id, hour) DO UPDATE SET
            received = h.received + excluded.received, sent = h.sent + excluded.sent,
            buttons = h.buttons + excluded.buttons;
    END IF;

    -- Stream events (see the store's `fanout`): each receiver's rows take the next dense
    -- positions from their stream head, in the order given. Receivers are visited in ascending
    -- user id, so the heads, locked by the upsert until commit, are locked in that order and
    -- after every other lock: writers cannot deadlock.
    positions := array_fill(NULL::bigint, ARRAY[coalesce(array_length(p_to_user, 1), 0)]);
    FOR r IN SELECT t.ev, t.user_id, t.n
               FROM unnest(p_to_event, p_to_user) WITH ORDINALITY AS t(ev, user_id, n)
              ORDER BY t.user_id, t.n LOOP
        CONTINUE WHEN p_event_rules[r.ev] = 'if_created' AND NOT created;
        -- Someone who reported the conversation hears nothing more from it until they write.
        CONTINUE WHEN p_event_rules[r.ev] = 'audible' AND r.user_id = ANY (reporters);
        -- An event nobody receives is not stored.
        IF NOT r.ev = ANY (stored) THEN
            INSERT INTO stream_events (id, kind, data, created_at)
            VALUES (p_event_ids[r.ev], p_event_kinds[r.ev], p_event_data[r.ev], p_at);
            stored := stored || r.ev;
        END IF;
        INSERT INTO stream_heads AS h (user_id, position) VALUES (r.user_id, 1)
        ON CONFLICT (user_id) DO UPDATE SET position = h.position + 1
        RETURNING h.position INTO placed;
        INSERT INTO user_stream (user_id, position, stream_event_id)
        VALUES (r.user_id, placed, p_event_ids[r.ev]);
        positions[r.n] := placed;
    END LOOP;

    outcome := 'created';
    event := p_id;
END
$$;
