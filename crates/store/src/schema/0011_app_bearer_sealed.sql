-- An app's bearer token, sealed (issue 17): `POST /oauth2/token` hands an app its existing
-- token, as Twitter does, so it must be read back; `bearer_hash` still finds the app by it.
-- Written once for both backends. Apps made before have none until they next ask.
ALTER TABLE apps ADD COLUMN bearer_sealed TEXT;
