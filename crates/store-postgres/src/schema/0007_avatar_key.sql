-- A user's avatar is a reference to the square renditions the server made (their key),
-- rendered as a URL by each API surface; no URL is stored.
ALTER TABLE users RENAME COLUMN avatar_url TO avatar_key;
UPDATE users SET avatar_key = NULL;
