-- Support accounts (issue 15). Written once in the SQL both backends speak (docs/storage.md).

-- A user's support settings as JSON ({"enabled","hours","away_message"}); NULL until set.
-- Read with the user (a user object says whether they are open now), so it lives beside them.
ALTER TABLE users ADD COLUMN support TEXT;

-- Who was sent a support account's away message, and when: it goes again only after the
-- account has been open since.
CREATE TABLE away_notices (
    account_id  BIGINT NOT NULL REFERENCES users(id),
    person_id   BIGINT NOT NULL REFERENCES users(id),
    sent_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, person_id)
);
