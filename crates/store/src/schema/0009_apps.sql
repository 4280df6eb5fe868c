-- Developer apps and what people allowed them (issue 17): the OAuth 1.0a and 2.0 clients the
-- Twitter-compatible APIs authenticate. Written once for both backends.
--
-- Secrets a signature is computed with (the consumer secret, a token secret) must be read
-- back, so they are sealed (encrypted; `secrets` in the service); secrets only compared
-- (the client secret, bearer tokens) are kept as SHA-256 hashes, hex.
CREATE TABLE apps (
    id               BIGINT NOT NULL PRIMARY KEY,
    owner_id         BIGINT NOT NULL REFERENCES users(id),
    name             TEXT NOT NULL,
    website_url      TEXT,
    callback_urls    TEXT NOT NULL,
    consumer_key     TEXT NOT NULL UNIQUE,
    consumer_secret  TEXT NOT NULL,
    client_id        TEXT NOT NULL UNIQUE,
    client_secret    TEXT NOT NULL,
    bearer_hash      TEXT NOT NULL UNIQUE,
    created_at       BIGINT NOT NULL
);
CREATE INDEX apps_by_owner ON apps (owner_id, id);

-- One person's authorization of one app, and the credentials it holds: an OAuth 1.0a token
-- and secret, an OAuth 2.0 access token (and refresh token), or both.
CREATE TABLE app_grants (
    id                 BIGINT NOT NULL PRIMARY KEY,
    app_id             BIGINT NOT NULL REFERENCES apps(id),
    user_id            BIGINT NOT NULL REFERENCES users(id),
    scopes             TEXT NOT NULL,
    access_token       TEXT UNIQUE,
    token_secret       TEXT,
    oauth2_hash        TEXT UNIQUE,
    oauth2_expires_at  BIGINT,
    refresh_hash       TEXT UNIQUE,
    created_at         BIGINT NOT NULL
);
CREATE INDEX app_grants_by_user ON app_grants (user_id, app_id);
CREATE INDEX app_grants_by_app ON app_grants (app_id);

-- OAuth 1.0a nonces seen within the timestamp window: the same one again is a replay.
CREATE TABLE oauth_nonces (
    consumer_key  TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    expires_at    BIGINT NOT NULL,
    PRIMARY KEY (consumer_key, nonce)
);
CREATE INDEX oauth_nonces_by_expiry ON oauth_nonces (expires_at);

-- Keys the server makes for itself: the key that seals app secrets, when the operator has
-- not configured one (`auth.secret_key`).
CREATE TABLE server_keys (
    name   TEXT NOT NULL PRIMARY KEY,
    value  TEXT NOT NULL
);
