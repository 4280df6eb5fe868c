-- Twitter-compatible webhooks answer the CRC again every day (issue 18): when one last
-- answered (`validated_at`) and when it was last asked (`crc_checked_at`), so a webhook that
-- has not answered for a day is asked every 30 minutes, and one silent for 28 hours goes
-- invalid.
ALTER TABLE webhooks ADD COLUMN validated_at BIGINT;
ALTER TABLE webhooks ADD COLUMN crc_checked_at BIGINT;
