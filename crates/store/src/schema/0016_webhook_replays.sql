-- Webhook replays (issue 18): a time range of a webhook's events delivered again, once each,
-- with their original ids. `state` is 'running', 'complete' (every event delivered) or
-- 'incomplete' (some were refused; replay again). One runs per webhook at a time.
CREATE TABLE webhook_replays (
    id           BIGINT NOT NULL PRIMARY KEY,
    webhook_id   BIGINT NOT NULL,
    from_at      BIGINT NOT NULL,
    to_at        BIGINT NOT NULL,
    state        TEXT NOT NULL,
    delivered    BIGINT NOT NULL,
    failed       BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX webhook_replays_by_hook ON webhook_replays (webhook_id, id);
