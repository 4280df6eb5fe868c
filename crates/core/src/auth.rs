//! What an app may do for a person (OAuth 2.0 scopes, as X names them), and why a presented
//! credential was not accepted.

use std::fmt;

/// One OAuth 2.0 scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    TweetRead,
    TweetWrite,
    UsersRead,
    DmRead,
    DmWrite,
    MediaWrite,
    OfflineAccess,
}

impl Scope {
    pub const ALL: [Scope; 7] = [
        Scope::TweetRead,
        Scope::TweetWrite,
        Scope::UsersRead,
        Scope::DmRead,
        Scope::DmWrite,
        Scope::MediaWrite,
        Scope::OfflineAccess,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scope::TweetRead => "tweet.read",
            Scope::TweetWrite => "tweet.write",
            Scope::UsersRead => "users.read",
            Scope::DmRead => "dm.read",
            Scope::DmWrite => "dm.write",
            Scope::MediaWrite => "media.write",
            Scope::OfflineAccess => "offline.access",
        }
    }

    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What a consent page says it allows.
    pub fn description(self) -> &'static str {
        match self {
            Scope::TweetRead => "Read posts you can see",
            Scope::TweetWrite => "Post and delete posts for you",
            Scope::UsersRead => "Read profiles you can see",
            Scope::DmRead => "Read all your Direct Messages",
            Scope::DmWrite => "Send and manage your Direct Messages",
            Scope::MediaWrite => "Upload media for you",
            Scope::OfflineAccess => "Stay connected until you revoke access",
        }
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// A set of scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u16);

impl Scopes {
    pub const NONE: Scopes = Scopes(0);
    pub const ALL: Scopes = Scopes((1 << Scope::ALL.len()) - 1);

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    #[must_use]
    pub fn with(self, scope: Scope) -> Scopes {
        Scopes(self.0 | scope.bit())
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// Space-separated names, as a request asks for them; an unknown name is named back.
    pub fn parse(field: &str, raw: &str) -> crate::Result<Scopes> {
        raw.split(' ')
            .filter(|s| !s.is_empty())
            .try_fold(Scopes::NONE, |all, name| match Scope::parse(name) {
                Some(scope) => Ok(all.with(scope)),
                None => Err(crate::Error::invalid(
                    field,
                    format!("'{name}' is not a scope; known: {}", Scopes::ALL),
                )),
            })
    }

    /// What [`Scopes::parse`] takes, as a JSON Schema pattern: known names, space-separated.
    pub fn pattern() -> String {
        let one = Scope::ALL
            .iter()
            .map(|s| s.name().replace('.', "\\."))
            .collect::<Vec<_>>()
            .join("|");
        format!("^ *({one})( +({one}))* *$")
    }

    /// As stored (written by [`fmt::Display`]); names this version does not know are dropped.
    pub fn parse_stored(raw: &str) -> Scopes {
        raw.split(' ')
            .filter_map(Scope::parse)
            .fold(Scopes::NONE, Scopes::with)
    }
}

impl std::ops::BitOr for Scopes {
    type Output = Scopes;
    fn bitor(self, other: Scopes) -> Scopes {
        Scopes(self.0 | other.0)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Scope::name).collect();
        f.write_str(&names.join(" "))
    }
}

impl serde::Serialize for Scopes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(Scope::name))
    }
}

/// Why a credential presented to a Twitter-compatible API authenticates no one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// The `Authorization` header (or a parameter it needs) is missing or malformed; says
    /// what (v1.1 code 215).
    Malformed(&'static str),
    /// No app has this consumer key (v1.1 code 32).
    UnknownConsumer,
    /// The signature does not match the request as received (v1.1 code 32).
    BadSignature,
    /// `oauth_timestamp` too far from the server's clock (v1.1 code 135).
    StaleTimestamp,
    /// `oauth_nonce` already used within the window: a replay (v1.1 code 32).
    ReplayedNonce,
    /// The access or bearer token is unknown, revoked or expired (v1.1 code 89).
    UnknownToken,
    /// App-only authentication where the route acts for a person (v2 "unsupported
    /// authentication"; v1.1 code 220).
    NeedsUserContext,
    /// An OAuth 2.0 user token on the v1.1 API, which takes OAuth 1.0a (v1.1 code 220, as
    /// on X).
    V2Only,
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthFailure::Malformed(what) => what,
            AuthFailure::UnknownConsumer => "unknown consumer key",
            AuthFailure::BadSignature => "the OAuth signature does not match this request",
            AuthFailure::StaleTimestamp => {
                "oauth_timestamp is more than 5 minutes from the server's clock"
            }
            AuthFailure::ReplayedNonce => "oauth_nonce was already used",
            AuthFailure::UnknownToken => "invalid or expired token",
            AuthFailure::NeedsUserContext => {
                "this route acts for a person: app-only authentication cannot use it"
            }
            AuthFailure::V2Only => {
                "OAuth 2.0 user tokens are for the v2 API; v1.1 takes OAuth 1.0a"
            }
        })
    }
}
