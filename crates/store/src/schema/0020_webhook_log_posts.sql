-- A delivery log row is one POST (issue 18): an Account Activity POST carries several events
-- of one kind, and its row says how many, from `position` on. Native and X Activity POSTs
-- carry one.
ALTER TABLE webhook_deliveries ADD COLUMN events BIGINT NOT NULL DEFAULT 1;
