-- Webhooks (issue 18): accounts' events delivered to a URL, in the order each account's stream
-- stored them. Written once for both backends.
--
-- A webhook is a URL and how to sign for it: a native one (its owner's, with its own secret)
-- or, to come, an Account Activity one (an app's, signed with its consumer secret). Its
-- subscriptions are the accounts whose events it receives (a native webhook has one: its
-- owner), each keeping its place in that account's stream (`position`: the last event
-- delivered or passed over), so nothing is copied on the send path and nothing is lost while
-- a receiver is down: the stream holds the events until they are delivered. One node delivers
-- a subscription at a time: it takes a lease (`lease_node`, `lease_until`) and gives it back
-- with the new position. Secrets are sealed.
CREATE TABLE webhooks (
    id          BIGINT NOT NULL PRIMARY KEY,
    owner_id    BIGINT NOT NULL REFERENCES users(id),
    app_id      BIGINT,
    kind        TEXT NOT NULL,
    env_name    TEXT,
    url         TEXT NOT NULL,
    events      TEXT NOT NULL,
    secret      TEXT,
    active      BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX webhooks_by_owner ON webhooks (owner_id, id);
CREATE INDEX webhooks_by_app ON webhooks (app_id, env_name);

CREATE TABLE webhook_subscriptions (
    webhook_id       BIGINT NOT NULL,
    user_id          BIGINT NOT NULL REFERENCES users(id),
    position         BIGINT NOT NULL,
    failures         BIGINT NOT NULL,
    failing_since    BIGINT,
    next_attempt_at  BIGINT NOT NULL,
    lease_node       TEXT,
    lease_until      BIGINT,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (webhook_id, user_id)
);
CREATE INDEX webhook_subscriptions_due ON webhook_subscriptions (next_attempt_at);
CREATE INDEX webhook_subscriptions_by_user ON webhook_subscriptions (user_id);

-- Each attempt to deliver, for the webhook's owner to see: what, for whom, when, how it went
-- and how long it took. Kept for a week.
CREATE TABLE webhook_deliveries (
    id           BIGINT NOT NULL PRIMARY KEY,
    webhook_id   BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
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
