-- Authorizations under way (issue 17): an OAuth 1.0a request token between
-- `/oauth/request_token` and `/oauth/access_token`, or an OAuth 2.0 authorization code
-- between the consent page and `/2/oauth2/token`. Written once for both backends.
--
-- Found by the SHA-256 (hex) of the token or code, so a leaked table names none; a request
-- token's secret, which the access-token signature needs, is sealed. Each is used once and
-- expires soon; the sweeper removes the rest.
CREATE TABLE oauth_pending (
    key               TEXT NOT NULL PRIMARY KEY,
    kind              TEXT NOT NULL,
    app_id            BIGINT NOT NULL REFERENCES apps(id),
    secret            TEXT,
    callback          TEXT NOT NULL,
    scopes            TEXT NOT NULL,
    challenge         TEXT,
    challenge_method  TEXT,
    user_id           BIGINT REFERENCES users(id),
    verifier          TEXT,
    expires_at        BIGINT NOT NULL
);
CREATE INDEX oauth_pending_by_app ON oauth_pending (app_id);
CREATE INDEX oauth_pending_by_expiry ON oauth_pending (expires_at);
