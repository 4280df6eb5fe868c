//! OAuth 1.0a (HMAC-SHA1) signatures as Twitter's v1.1 API checks them (reference
//! `twitter-dm-api.md` §14.1; what tweepy and twitter-api-v2 send, `twitter-clients.md`).
//!
//! The signed parameters are the query's, a form body's (never a JSON or multipart body's)
//! and the header's `oauth_*` but the signature; the base URL is the scheme served and the
//! `Host` exactly as the client sent it (a non-default port included), so a server behind a
//! proxy checks against its configured public URL instead. Here only the arithmetic and the
//! header's syntax: which keys, timestamps and nonces are acceptable is the caller's to say.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha1::Sha1;

/// RFC 3986 unreserved characters stay; everything else is `%XX`, uppercase.
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why a request's OAuth header cannot be checked at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// Not `OAuth …`.
    NotOAuth,
    /// A part that is not `key="value"`.
    Malformed,
    /// A parameter given twice.
    Repeated(String),
    /// A required parameter missing.
    Missing(&'static str),
    /// A method other than HMAC-SHA1, or a version other than 1.0.
    Unsupported(&'static str),
}

/// The `oauth_*` parameters of an `Authorization: OAuth …` header, percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Every `oauth_*` parameter but the signature, as signed.
    pub params: Vec<(String, String)>,
    pub signature: String,
}

impl Header {
    /// Parses the header, with or without spaces after the commas (clients differ).
    pub fn parse(value: &str) -> Result<Header, HeaderError> {
        let rest = value
            .trim()
            .strip_prefix("OAuth")
            .filter(|r| r.is_empty() || r.starts_with(char::is_whitespace))
            .ok_or(HeaderError::NotOAuth)?;
        let mut params: Vec<(String, String)> = Vec::new();
        let mut signature = None;
        for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, quoted) = part.split_once('=').ok_or(HeaderError::Malformed)?;
            let raw = quoted
                .trim()
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .ok_or(HeaderError::Malformed)?;
            let key = decode(key.trim()).ok_or(HeaderError::Malformed)?;
            let value = decode(raw).ok_or(HeaderError::Malformed)?;
            if key == "realm" {
                continue; // Never signed.
            }
            if params.iter().any(|(k, _)| *k == key)
                || (key == "oauth_signature" && signature.is_some())
            {
                return Err(HeaderError::Repeated(key));
            }
            if key == "oauth_signature" {
                signature = Some(value);
            } else {
                params.push((key, value));
            }
        }
        let header = Header {
            params,
            signature: signature.ok_or(HeaderError::Missing("oauth_signature"))?,
        };
        for required in [
            "oauth_consumer_key",
            "oauth_nonce",
            "oauth_timestamp",
            "oauth_signature_method",
        ] {
            header.get(required).ok_or(HeaderError::Missing(required))?;
        }
        if header.get("oauth_signature_method") != Some("HMAC-SHA1") {
            return Err(HeaderError::Unsupported("oauth_signature_method"));
        }
        if header.get("oauth_version").is_some_and(|v| v != "1.0") {
            return Err(HeaderError::Unsupported("oauth_version"));
        }
        Ok(header)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The signature base string: the method, the base URL (no query) and every signed parameter
/// (`params`: the query's and a form body's, decoded, and the header's), each encoded, sorted by
/// key then value, joined.
pub fn base_string(method: &str, base_url: &str, params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> =
        params.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    encoded.sort();
    let joined = encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode(base_url),
        encode(&joined)
    )
}

/// The signature of `base` with the consumer's and the token's secrets, base64.
pub fn sign(base: &str, consumer_secret: &str, token_secret: &str) -> String {
    STANDARD.encode(
        mac(base, consumer_secret, token_secret)
            .finalize()
            .into_bytes(),
    )
}

/// Whether `signature` (base64, as the header carries it decoded) signs `base`, compared in
/// constant time.
pub fn verify(base: &str, consumer_secret: &str, token_secret: &str, signature: &str) -> bool {
    let Ok(given) = STANDARD.decode(signature) else {
        return false;
    };
    mac(base, consumer_secret, token_secret)
        .verify_slice(&given)
        .is_ok()
}

fn mac(base: &str, consumer_secret: &str, token_secret: &str) -> Hmac<Sha1> {
    let key = format!("{}&{}", encode(consumer_secret), encode(token_secret));
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(base.as_bytes());
    mac
}

/// Percent-encoding as OAuth 1.0a spells it (space is `%20`, never `+`).
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, RESERVED).to_string()
}

fn decode(s: &str) -> Option<String> {
    percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in X's "Creating a signature" (reference §14.1).
    fn example() -> (Vec<(String, String)>, Header) {
        let header = Header::parse(
            r#"OAuth oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog", oauth_nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", oauth_signature="tnnArxj06cWHq44gCs1OSKk%2FjLY%3D", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1318622958", oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", oauth_version="1.0""#,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        let mut params = vec![
            ("include_entities".to_owned(), "true".to_owned()),
            (
                "status".to_owned(),
                "Hello Ladies + Gentlemen, a signed OAuth request!".to_owned(),
            ),
        ];
        params.extend(header.params.iter().cloned());
        (params, header)
    }

    const CONSUMER_SECRET: &str = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
    const TOKEN_SECRET: &str = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";

    #[test]
    fn signs_as_the_reference_does_for_each_base_url() {
        let (params, header) = example();
        for (url, expected) in [
            (
                "https://api.twitter.com/1/statuses/update.json",
                "tnnArxj06cWHq44gCs1OSKk/jLY=",
            ),
            (
                "https://api.x.com/1.1/statuses/update.json",
                "Ls93hJiZbQ3akF3HF3x1Bz8/zU4=",
            ),
            (
                "https://api.twitter.com/1.1/statuses/update.json",
                "hCtSmYh+iHYCEqBWrE7C7hYmtUk=",
            ),
        ] {
            let base = base_string("post", url, &params);
            assert_eq!(
                sign(&base, CONSUMER_SECRET, TOKEN_SECRET),
                expected,
                "{url}"
            );
        }
        let base = base_string(
            "POST",
            "https://api.twitter.com/1/statuses/update.json",
            &params,
        );
        assert!(verify(
            &base,
            CONSUMER_SECRET,
            TOKEN_SECRET,
            &header.signature
        ));
        assert!(!verify(&base, CONSUMER_SECRET, "other", &header.signature));
        // The same request signed for one host does not pass for another, nor on another port.
        for other in [
            "https://api.x.com/1/statuses/update.json",
            "https://api.twitter.com:8443/1/statuses/update.json",
            "http://api.twitter.com/1/statuses/update.json",
        ] {
            let base = base_string("POST", other, &params);
            assert!(
                !verify(&base, CONSUMER_SECRET, TOKEN_SECRET, &header.signature),
                "{other}"
            );
        }
    }

    #[test]
    fn encodes_spaces_and_unicode_as_rfc_3986_says() {
        assert_eq!(encode("Ladies + Gentlemen"), "Ladies%20%2B%20Gentlemen");
        assert_eq!(encode("a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(encode("☃!*'()"), "%E2%98%83%21%2A%27%28%29");
    }

    #[test]
    fn parses_headers_with_or_without_spaces_and_refuses_what_cannot_be_checked() {
        let tight = r#"OAuth oauth_consumer_key="k",oauth_nonce="n",oauth_signature="s%3D",oauth_signature_method="HMAC-SHA1",oauth_timestamp="1",realm="x""#;
        let header = Header::parse(tight).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(header.signature, "s=");
        assert_eq!(header.get("oauth_nonce"), Some("n"));
        assert_eq!(header.get("realm"), None, "realm is never signed");
        let cases = [
            ("Bearer abc", HeaderError::NotOAuth),
            ("OAuthx a=\"b\"", HeaderError::NotOAuth),
            (r#"OAuth oauth_nonce=n"#, HeaderError::Malformed),
            (
                r#"OAuth oauth_nonce="a", oauth_nonce="b""#,
                HeaderError::Repeated("oauth_nonce".into()),
            ),
            (
                r#"OAuth oauth_consumer_key="k", oauth_nonce="n", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1""#,
                HeaderError::Missing("oauth_signature"),
            ),
            (
                r#"OAuth oauth_consumer_key="k", oauth_nonce="n", oauth_signature="s", oauth_signature_method="PLAINTEXT", oauth_timestamp="1""#,
                HeaderError::Unsupported("oauth_signature_method"),
            ),
            (
                r#"OAuth oauth_consumer_key="k", oauth_nonce="n", oauth_signature="s", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1", oauth_version="2.0""#,
                HeaderError::Unsupported("oauth_version"),
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(Header::parse(value), Err(expected), "{value}");
        }
    }
}
