-- The webhook delivery log is swept by id (ids start with their time), so the index by time
-- only cost an update per delivery.
DROP INDEX webhook_deliveries_by_time;
