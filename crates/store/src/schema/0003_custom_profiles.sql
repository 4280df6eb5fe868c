-- Custom profiles (issue 15): names and pictures an account's agents or bots send as.
-- Written once for both backends (docs/storage.md).
CREATE TABLE custom_profiles (
    id          BIGINT NOT NULL PRIMARY KEY,
    owner_id    BIGINT NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL,
    avatar_key  TEXT,
    created_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX custom_profiles_by_owner ON custom_profiles (owner_id, id);
