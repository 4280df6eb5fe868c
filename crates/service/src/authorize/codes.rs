//! OAuth 2.0's authorization code with PKCE: the consent page checks the app's request
//! (client, exact redirect URI, scopes, PKCE challenge); allowing it sends the person back
//! with a code, which the app trades with its verifier for a token that lasts two hours (and,
//! with `offline.access`, a refresh token, replaced at each refresh). An app revokes its own
//! tokens.

use chrono::Utc;
use postern_core::auth::{AuthFailure, Scope, Scopes};
use postern_core::error::Thing;
use postern_core::{Error, ObjectId, Result, UserId};
use postern_store::cold::{Statement, int, text as text_cell};

use super::{
    ACCESS_TTL, CHALLENGE_MAX, CHALLENGE_MIN, CODE_TTL, ClientAuth, CodeRequest, Consent,
    KIND_CODE, STATE_MAX, TokenSet, first_text, is_unreserved, with_query,
};
use crate::Services;
use crate::apps::{could_be_issued, hex_hash, prefixes, random};
use crate::auth::hash_secret;

/// A checked [`CodeRequest`].
struct CheckedCode {
    app: ObjectId,
    scopes: Scopes,
}

impl Services {
    /// The consent page for an OAuth 2.0 request: which app asks, for what. Anything wrong
    /// with the request is refused here, naming the parameter, and never sent back to a
    /// redirect URI the app did not register.
    pub async fn code_consent(&self, request: &CodeRequest) -> Result<Consent> {
        let checked = self.checked_code_request(request).await?;
        self.consent(checked.app, checked.scopes, false).await
    }

    /// The person's answer to an OAuth 2.0 consent page: where to send them.
    pub async fn decide_code(
        &self,
        user: UserId,
        request: &CodeRequest,
        allow: bool,
    ) -> Result<String> {
        let checked = self.checked_code_request(request).await?;
        let state = request.state.as_str();
        if !allow {
            return Ok(with_query(
                &request.redirect_uri,
                &[("error", "access_denied"), ("state", state)],
            ));
        }
        let code = random("", 32);
        self.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO oauth_pending (key, kind, app_id, callback, scopes, challenge,
                     challenge_method, user_id, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                vec![
                    text_cell(hex_hash(&code)),
                    text_cell(KIND_CODE),
                    int(checked.app.0),
                    text_cell(request.redirect_uri.clone()),
                    text_cell(checked.scopes.to_string()),
                    text_cell(request.code_challenge.clone()),
                    text_cell(request.code_challenge_method.to_ascii_lowercase()),
                    int(user.0),
                    int((Utc::now() + CODE_TTL).timestamp_millis()),
                ],
            )])
            .await?;
        Ok(with_query(
            &request.redirect_uri,
            &[("state", state), ("code", &code)],
        ))
    }

    /// `POST /2/oauth2/token` with `grant_type=authorization_code`. The code is the app's
    /// own, and used up whatever the outcome: it is tried once.
    pub async fn exchange_code(
        &self,
        app: ObjectId,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<TokenSet> {
        let rows = self
            .store
            .cold()
            .run(vec![Statement::new(
                "DELETE FROM oauth_pending WHERE key = ?1 AND kind = ?2 AND app_id = ?3
                 RETURNING callback, scopes, challenge, challenge_method, user_id, expires_at",
                vec![text_cell(hex_hash(code)), text_cell(KIND_CODE), int(app.0)],
            )])
            .await?;
        let bad_code = || {
            Error::invalid(
                "code",
                "Value passed for the authorization code was invalid.",
            )
        };
        let row = rows.first().and_then(|r| r.first()).ok_or_else(bad_code)?;
        if row.int(5)? <= Utc::now().timestamp_millis() {
            return Err(bad_code());
        }
        if row.text(0)? != redirect_uri {
            return Err(Error::invalid(
                "redirect_uri",
                "must be the redirect_uri the code was issued for",
            ));
        }
        let challenge = row.opt_text(2)?.unwrap_or_default();
        let method = row.opt_text(3)?.unwrap_or_default();
        if !pkce_matches(&method, &challenge, verifier) {
            return Err(Error::invalid(
                "code_verifier",
                "Value passed for the code verifier was invalid.",
            ));
        }
        let user = UserId(row.int(4)?);
        let scopes = Scopes::parse_stored(&row.text(1)?);
        let refreshable = scopes.contains(Scope::OfflineAccess);
        let expires = Some(Utc::now() + ACCESS_TTL);
        let credentials = self
            .grant(app, user, scopes, expires, false, refreshable)
            .await?;
        Ok(TokenSet {
            access_token: credentials.oauth2_access_token,
            expires_in: ACCESS_TTL.num_seconds(),
            scopes,
            refresh_token: credentials.refresh_token,
        })
    }

    /// `POST /2/oauth2/token` with `grant_type=refresh_token`: a new access token and a new
    /// refresh token; the old ones stop working. (Expiring tokens are never cached, so no
    /// cache needs emptying.)
    pub async fn refresh_token(&self, app: ObjectId, refresh: &str) -> Result<TokenSet> {
        let access = random(prefixes::OAUTH2, 32);
        let next = random(prefixes::REFRESH, 32);
        let rows = self
            .store
            .cold()
            .run(vec![Statement::new(
                "UPDATE app_grants SET oauth2_hash = ?3, oauth2_expires_at = ?4, refresh_hash = ?5
                 WHERE refresh_hash = ?1 AND app_id = ?2 RETURNING scopes",
                vec![
                    text_cell(hex_hash(refresh)),
                    int(app.0),
                    text_cell(hex_hash(&access)),
                    int((Utc::now() + ACCESS_TTL).timestamp_millis()),
                    text_cell(hex_hash(&next)),
                ],
            )])
            .await?;
        let scopes = first_text(&rows)?.ok_or_else(|| {
            Error::invalid("refresh_token", "Value passed for the token was invalid.")
        })?;
        Ok(TokenSet {
            access_token: access,
            expires_in: ACCESS_TTL.num_seconds(),
            scopes: Scopes::parse_stored(&scopes),
            refresh_token: Some(next),
        })
    }

    /// `POST /2/oauth2/revoke`: the grant an access or refresh token belongs to ends (both
    /// tokens stop working). A token that is not the app's changes nothing, as RFC 7009 asks.
    pub async fn revoke_oauth2_token(&self, app: ObjectId, token: &str) -> Result<()> {
        let hash = hex_hash(token);
        let rows = self
            .store
            .cold()
            .run(vec![Statement::new(
                "DELETE FROM app_grants
                 WHERE app_id = ?1 AND (oauth2_hash = ?2 OR refresh_hash = ?2)
                 RETURNING id",
                vec![int(app.0), text_cell(hash)],
            )])
            .await?;
        if rows.first().is_some_and(|r| !r.is_empty()) {
            self.app_cache.clear();
        }
        Ok(())
    }

    async fn checked_code_request(&self, r: &CodeRequest) -> Result<CheckedCode> {
        if r.response_type != "code" {
            return Err(Error::invalid("response_type", "must be code"));
        }
        if !could_be_issued(&r.client_id) {
            return Err(Error::NotFound(Thing::App));
        }
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT id FROM apps WHERE client_id = ?1",
                vec![text_cell(r.client_id.clone())],
            ))
            .await?;
        let app = ObjectId(rows.first().ok_or(Error::NotFound(Thing::App))?.int(0)?);
        if !self
            .registered_callback(app, &r.redirect_uri, false)
            .await?
        {
            return Err(Error::invalid(
                "redirect_uri",
                "must be exactly one of the app's callback URLs",
            ));
        }
        let scopes = Scopes::parse("scope", &r.scope)?;
        if scopes == Scopes::NONE {
            return Err(Error::invalid("scope", "must name at least one scope"));
        }
        if r.state.is_empty() || r.state.chars().count() > STATE_MAX {
            return Err(Error::invalid(
                "state",
                format!("must be 1 to {STATE_MAX} characters"),
            ));
        }
        let method = r.code_challenge_method.to_ascii_lowercase();
        if method != "s256" && method != "plain" {
            return Err(Error::invalid(
                "code_challenge_method",
                "must be S256 or plain",
            ));
        }
        if !is_pkce_text(&r.code_challenge) {
            return Err(Error::invalid(
                "code_challenge",
                format!(
                    "must be {CHALLENGE_MIN} to {CHALLENGE_MAX} characters of A-Z a-z 0-9 - . _ ~"
                ),
            ));
        }
        Ok(CheckedCode { app, scopes })
    }

    /// The app a token or revocation request comes from: its client id, and its secret if it
    /// sent one (a public client sends none; PKCE still binds its codes to it).
    pub async fn oauth2_client(&self, client: &ClientAuth) -> Result<ObjectId> {
        if !could_be_issued(&client.client_id) {
            return Err(Error::Unauthorized(AuthFailure::UnknownConsumer));
        }
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT id, client_secret FROM apps WHERE client_id = ?1",
                vec![text_cell(client.client_id.clone())],
            ))
            .await?;
        let row = rows
            .first()
            .ok_or(Error::Unauthorized(AuthFailure::UnknownConsumer))?;
        if let Some(secret) = &client.client_secret {
            // Compared as hashes of hashes: equal lengths, no early exit.
            if hash_secret(&row.text(1)?) != hash_secret(&hex_hash(secret)) {
                return Err(Error::Unauthorized(AuthFailure::UnknownConsumer));
            }
        }
        Ok(ObjectId(row.int(0)?))
    }
}

/// A PKCE challenge or verifier: 43 to 128 unreserved characters (RFC 7636 §4.1).
fn is_pkce_text(s: &str) -> bool {
    (CHALLENGE_MIN..=CHALLENGE_MAX).contains(&s.len()) && s.bytes().all(is_unreserved)
}

/// Whether `verifier` answers `challenge` (RFC 7636: S256 is base64url(SHA-256(verifier))).
fn pkce_matches(method: &str, challenge: &str, verifier: &str) -> bool {
    use base64::Engine;
    use sha2::Digest;
    if !is_pkce_text(verifier) {
        return false;
    }
    let expected = if method == "plain" {
        verifier.to_owned()
    } else {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    hash_secret(&expected) == hash_secret(challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_is_base64url_of_the_verifiers_sha256() {
        // The challenge as Python's hashlib and base64 work it out for this verifier.
        let verifier = "postern-pkce-verifier-of-forty-three-characters";
        let challenge = "ECY-8oS0u1zN7XSHy64tX8xx8iREk1ElY0rqxnoFuj8";
        assert!(pkce_matches("s256", challenge, verifier));
        assert!(!pkce_matches(
            "s256",
            challenge,
            "postern-pkce-verifier-of-forty-three-characterz"
        ));
        assert!(pkce_matches("plain", verifier, verifier));
        assert!(!pkce_matches("plain", challenge, verifier));
        assert!(
            !pkce_matches("plain", "short", "short"),
            "under 43 characters"
        );
        assert!(!pkce_matches("s256", challenge, "has space"));
    }
}
