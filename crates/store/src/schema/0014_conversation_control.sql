-- Conversation control (issue 18, hand-over): in a business account's one-to-one
-- conversation, who speaks for the account now, a bot or a person. No row: its bots do.
--
-- `controller` is 'bot' or 'human'; `app_id` names the app a bot passed to or took for, when
-- one did. `requested_by` ('bot' or 'human') is a standing request from the side not in
-- control, with its `note`. `last_human_at` is when a person last spoke or took control: an
-- account's idle time after it hands the conversation back to its bots.
CREATE TABLE conversation_control (
    account_id       BIGINT NOT NULL REFERENCES users(id),
    conversation_id  TEXT NOT NULL,
    controller       TEXT NOT NULL,
    app_id           BIGINT,
    requested_by     TEXT,
    note             TEXT,
    since            BIGINT NOT NULL,
    last_human_at    BIGINT,
    PRIMARY KEY (account_id, conversation_id)
);
