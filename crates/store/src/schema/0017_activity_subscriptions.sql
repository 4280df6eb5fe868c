-- The X Activity API (issue 18): an app's subscriptions to one person's events of one type
-- (`dm.received`, `follow.follow`, …), with an optional direction and tag, delivered on the
-- app's activity stream and, with `webhook_id`, to one of its v2 webhooks. Webhook deliveries
-- go through a `webhooks` row of kind 'x_activity' per v2 webhook (its `env_name` holds the
-- v2 webhook's id) and the usual per-person subscriptions, so they keep each person's order,
-- retries and replay.
CREATE TABLE activity_subscriptions (
    id           BIGINT NOT NULL PRIMARY KEY,
    app_id       BIGINT NOT NULL,
    event_type   TEXT NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users(id),
    direction    TEXT,
    tag          TEXT,
    webhook_id   BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX activity_subscriptions_by_app ON activity_subscriptions (app_id, id);
CREATE INDEX activity_subscriptions_by_user ON activity_subscriptions (user_id, app_id);
