//! Who may message whom (SPEC §3.3). One pure function decides; storage gathers the facts.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::{AllowDmsFrom, InboxBox};

/// Everything the decision depends on, for sender A writing to recipient B.
#[derive(Debug, Clone, Default)]
pub struct AdmissionFacts {
    pub either_blocks: bool,
    pub recipient_follows_sender: bool,
    /// B has written to A before, or accepted A's request.
    pub recipient_accepted_sender: bool,
    pub recipient_allows: AllowDmsFrom,
    pub recipient_support: bool,
    pub recipient_quality_filter: bool,
    pub sender_verified: bool,
    pub sender_looks_like_spam: bool,
}

/// The rule that decided, named so a client can explain it before anyone types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Blocked,
    RecipientFollowsSender,
    PriorConversation,
    AllowsEveryone,
    AllowsVerified,
    SupportAccount,
    NotAccepting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Decision {
    pub allowed: bool,
    /// Where the message lands in the recipient's inbox; absent when refused.
    #[serde(rename = "box")]
    pub inbox: Option<InboxBox>,
    pub rule: Rule,
}

impl Decision {
    fn allow(inbox: InboxBox, rule: Rule) -> Self {
        Decision {
            allowed: true,
            inbox: Some(inbox),
            rule,
        }
    }

    fn refuse(rule: Rule) -> Self {
        Decision {
            allowed: false,
            inbox: None,
            rule,
        }
    }
}

/// Applies the rules in order; the first that matches decides.
pub fn decide(f: &AdmissionFacts) -> Decision {
    if f.either_blocks {
        return Decision::refuse(Rule::Blocked);
    }
    if f.recipient_follows_sender {
        return Decision::allow(InboxBox::Primary, Rule::RecipientFollowsSender);
    }
    if f.recipient_accepted_sender {
        return Decision::allow(InboxBox::Primary, Rule::PriorConversation);
    }
    let rule = match f.recipient_allows {
        AllowDmsFrom::Everyone => Rule::AllowsEveryone,
        AllowDmsFrom::Verified if f.sender_verified => Rule::AllowsVerified,
        _ => return Decision::refuse(Rule::NotAccepting),
    };
    if f.recipient_support {
        return Decision::allow(InboxBox::Primary, Rule::SupportAccount);
    }
    if f.recipient_quality_filter && f.sender_looks_like_spam {
        return Decision::allow(InboxBox::Filtered, rule);
    }
    Decision::allow(InboxBox::Requests, rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> AdmissionFacts {
        AdmissionFacts {
            recipient_allows: AllowDmsFrom::Everyone,
            ..Default::default()
        }
    }

    #[test]
    fn blocks_win_over_everything() {
        let f = AdmissionFacts {
            either_blocks: true,
            recipient_follows_sender: true,
            ..open()
        };
        assert_eq!(decide(&f), Decision::refuse(Rule::Blocked));
    }

    #[test]
    fn followers_and_prior_conversations_land_in_primary() {
        let f = AdmissionFacts {
            recipient_follows_sender: true,
            ..Default::default()
        };
        assert_eq!(decide(&f).inbox, Some(InboxBox::Primary));
        let f = AdmissionFacts {
            recipient_accepted_sender: true,
            ..Default::default()
        };
        assert_eq!(decide(&f).rule, Rule::PriorConversation);
    }

    #[test]
    fn open_accounts_get_requests_support_accounts_primary_spam_filtered() {
        assert_eq!(decide(&open()).inbox, Some(InboxBox::Requests));
        let support = AdmissionFacts {
            recipient_support: true,
            ..open()
        };
        assert_eq!(
            decide(&support),
            Decision::allow(InboxBox::Primary, Rule::SupportAccount)
        );
        let spam = AdmissionFacts {
            recipient_quality_filter: true,
            sender_looks_like_spam: true,
            ..open()
        };
        assert_eq!(decide(&spam).inbox, Some(InboxBox::Filtered));
        let unfiltered = AdmissionFacts {
            sender_looks_like_spam: true,
            ..open()
        };
        assert_eq!(decide(&unfiltered).inbox, Some(InboxBox::Requests));
    }

    #[test]
    fn verified_only_and_default_following() {
        let f = AdmissionFacts {
            recipient_allows: AllowDmsFrom::Verified,
            ..Default::default()
        };
        assert_eq!(decide(&f), Decision::refuse(Rule::NotAccepting));
        let f = AdmissionFacts {
            sender_verified: true,
            ..f
        };
        assert_eq!(decide(&f).rule, Rule::AllowsVerified);
        assert_eq!(
            decide(&AdmissionFacts::default()),
            Decision::refuse(Rule::NotAccepting)
        );
    }
}
