-- Feedback surveys (issue 16, SPEC §4.7): a CSAT or NPS question sent in a DM, answered once.
-- Written once for both backends.
CREATE TABLE feedback_requests (
    id               BIGINT NOT NULL PRIMARY KEY,
    account_id       BIGINT NOT NULL REFERENCES users(id),
    recipient_id     BIGINT NOT NULL,
    conversation_id  TEXT NOT NULL,
    message_id       BIGINT NOT NULL,
    kind             TEXT NOT NULL,
    question         TEXT NOT NULL,
    display          TEXT NOT NULL,
    privacy_url      TEXT NOT NULL,
    external_id      TEXT,
    agent_id         BIGINT,
    created_at       BIGINT NOT NULL,
    score            BIGINT,
    comment          TEXT,
    answered_at      BIGINT
);
-- The 24-hour rule, and an account's results by time.
CREATE INDEX feedback_by_account ON feedback_requests (account_id, recipient_id, created_at);
CREATE INDEX feedback_by_time ON feedback_requests (account_id, created_at);
-- A plain-number reply finds the survey it answers.
CREATE INDEX feedback_open ON feedback_requests (conversation_id, recipient_id, answered_at);
