-- Native webhooks (issue 18): an account's events, delivered to a URL of its choosing in the
-- order its stream stored them. Written once for both backends.
--
-- A webhook keeps its place in its owner's stream (`position`: the last event delivered or
-- passed over), so nothing is copied on the send path and nothing is lost while a receiver
-- is down: the stream holds the events until they are delivered. One node delivers a
-- webhook at a time: it takes a lease (`lease_node`, `lease_until`) and gives it back with
-- the new position. The signing secret is sealed.
CREATE TABLE webhooks (
    id               BIGINT NOT NULL PRIMARY KEY,
    owner_id         BIGINT NOT NULL REFERENCES users(id),
    url              TEXT NOT NULL,
    events           TEXT NOT NULL,
    secret           TEXT NOT NULL,
    position         BIGINT NOT NULL,
    active           BIGINT NOT NULL,
    failures         BIGINT NOT NULL,
    failing_since    BIGINT,
    next_attempt_at  BIGINT NOT NULL,
    lease_node       TEXT,
    lease_until      BIGINT,
    created_at       BIGINT NOT NULL
);
CREATE INDEX webhooks_by_owner ON webhooks (owner_id, id);
CREATE INDEX webhooks_due ON webhooks (next_attempt_at);

-- Each attempt to deliver, for its owner to see: what, when, how it went and how long it
-- took. Kept for a week.
CREATE TABLE webhook_deliveries (
    id           BIGINT NOT NULL PRIMARY KEY,
    webhook_id   BIGINT NOT NULL,
    position     BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    status       BIGINT,
    error        TEXT,
    latency_ms   BIGINT NOT NULL,
    attempt      BIGINT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (at);
