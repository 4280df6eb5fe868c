-- DM cards (issue 16, SPEC §4.5): a card on a post whose buttons each open a DM with its
-- owner on one of its welcome messages, and what it measures. Written once for both backends.
CREATE TABLE dm_cards (
    id          BIGINT NOT NULL PRIMARY KEY,
    owner_id    BIGINT NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL,
    media_id    BIGINT NOT NULL,
    headline    TEXT NOT NULL,
    buttons     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX dm_cards_by_owner ON dm_cards (owner_id, id);
-- One row per person who saw the card, per day (UTC): its impressions.
CREATE TABLE card_impressions (
    card_id    BIGINT NOT NULL,
    viewer_id  BIGINT NOT NULL,
    day        BIGINT NOT NULL,
    PRIMARY KEY (card_id, viewer_id, day)
);
-- Clicks per button.
CREATE TABLE card_clicks (
    card_id   BIGINT NOT NULL,
    position  BIGINT NOT NULL,
    clicks    BIGINT NOT NULL,
    PRIMARY KEY (card_id, position)
);
-- The people who started a conversation from the card (their first message initiated_via it).
CREATE TABLE card_conversations (
    card_id    BIGINT NOT NULL,
    person_id  BIGINT NOT NULL,
    position   BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    PRIMARY KEY (card_id, person_id)
);
