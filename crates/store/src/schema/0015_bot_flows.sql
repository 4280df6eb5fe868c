-- The bot builder (issue 18): a support account's flows, each a trigger and steps kept as
-- JSON (`postern_core::flows`), tried in `position` order; and where each conversation is in
-- them. A `bot_sessions` row says the account's flows have met the customer (so the
-- first-contact trigger fires once), which flow is waiting for an answer at which step
-- (`waiting_flow`, `next_step`, `save_as`), and the answers kept so far (JSON).
CREATE TABLE bot_flows (
    id                 BIGINT NOT NULL PRIMARY KEY,
    account_id         BIGINT NOT NULL REFERENCES users(id),
    position           BIGINT NOT NULL,
    name               TEXT NOT NULL,
    enabled            BIGINT NOT NULL,
    definition         TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX bot_flows_by_account ON bot_flows (account_id, position);

CREATE TABLE bot_sessions (
    account_id       BIGINT NOT NULL REFERENCES users(id),
    conversation_id  TEXT NOT NULL,
    waiting_flow     BIGINT,
    next_step        BIGINT,
    save_as          TEXT,
    answers          TEXT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (account_id, conversation_id)
);
