//! Who a call acts for, and who or what is acting. A person in the web app, a bot with the
//! account's token, and (to come) a team member or an app with scopes all act for an account;
//! an agent may speak as one of its custom profiles. Every writing call in a conversation
//! takes an [`Actor`], so each new kind of actor is one more [`Agent`], not a new parameter
//! threaded through the service.

use postern_core::{ObjectId, UserId};

use crate::auth::{Caller, Credential};

/// Who a call acts for and who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account acted for: whose conversations, messages and settings these are, and
    /// whom the other side sees as the sender.
    pub account: UserId,
    /// Who or what is acting for it.
    pub agent: Agent,
    /// The custom profile the agent speaks as ("Maria from Support"), if any. It must be one
    /// of the account's: a send naming another is refused, naming `custom_profile_id`.
    pub profile: Option<ObjectId>,
}

/// Who or what acts for an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    /// The account's own person, signed in to the web app.
    Session,
    /// A program holding one of the account's access tokens: a bot, a script, a client.
    Token,
    /// A developer app the account authorized, through the Twitter-compatible APIs.
    App(ObjectId),
    /// One of the account's bot builder flows, answering a customer.
    Flow(ObjectId),
}

impl Actor {
    /// The account acting through one of its access tokens (a bot, a script, a test).
    pub fn token(account: UserId) -> Actor {
        Actor {
            account,
            agent: Agent::Token,
            profile: None,
        }
    }

    /// The same actor, speaking as `profile` (or as the account itself, for `None`).
    #[must_use]
    pub fn speaking_as(self, profile: Option<ObjectId>) -> Actor {
        Actor { profile, ..self }
    }
}

impl Caller {
    /// The actor an authenticated request is: the caller's account, acting through the
    /// credential it presented.
    pub fn actor(&self) -> Actor {
        Actor {
            account: self.user_id,
            agent: match self.credential {
                Credential::Cookie { .. } => Agent::Session,
                Credential::Bearer => Agent::Token,
                Credential::App { app, .. } => Agent::App(app),
            },
            profile: None,
        }
    }
}
