//! The social graph (SPEC §3.2) and who may message whom (SPEC §3.3).

use postern_core::error::Thing;

use chrono::{DateTime, Utc};
use postern_core::admission::{self, AdmissionFacts, Decision};
use postern_core::limits::REPORT_REASON_MAX;
use postern_core::model::{Relationship, ReportTarget, User};
use postern_core::stream::{RelationshipAction, RelationshipChange, StreamEvent};
use postern_core::{ConversationId, Error, EventId, ObjectId, Result, UserId, text};
use postern_store::{AdmissionInputs, Fanout, NewReport, Page, ParticipantPatch};

use crate::Services;

/// An admission decision and the facts it was made from, which the send path reuses
/// rather than reading them again.
pub(crate) struct Admission {
    pub decision: Decision,
    pub inputs: AdmissionInputs,
}

/// Which list of a user's edges to page through.
#[derive(Debug, Clone, Copy)]
pub enum EdgeList {
    Followers,
    Following,
    Blocked,
    Muted,
}

impl Services {
    async fn require_other_user(&self, me: UserId, other: UserId) -> Result<()> {
        if me == other {
            return Err(Error::own_account("user_id"));
        }
        self.store
            .user(other)
            .await?
            .ok_or(Error::NotFound(Thing::User))?;
        Ok(())
    }

    pub async fn follow(&self, me: UserId, other: UserId) -> Result<()> {
        self.require_other_user(me, other).await?;
        let rel = self.relationship(me, other).await?;
        if rel.blocking || rel.blocked_by {
            // The blocked party is not told why; following simply is not possible.
            return Err(Error::Forbidden("you cannot follow this user"));
        }
        let fanout = told(me, other, RelationshipAction::Follow);
        let (_, deliveries) = self.store.follow(me, other, fanout).await?;
        self.publish(deliveries).await;
        Ok(())
    }

    pub async fn unfollow(&self, me: UserId, other: UserId) -> Result<()> {
        let fanout = told(me, other, RelationshipAction::Unfollow);
        let (_, deliveries) = self.store.unfollow(me, other, fanout).await?;
        self.publish(deliveries).await;
        Ok(())
    }

    pub async fn block(&self, me: UserId, other: UserId) -> Result<()> {
        self.require_other_user(me, other).await?;
        let fanout = told(me, other, RelationshipAction::Block);
        let (_, deliveries) = self.store.block(me, other, fanout).await?;
        self.publish(deliveries).await;
        Ok(())
    }

    pub async fn unblock(&self, me: UserId, other: UserId) -> Result<()> {
        let fanout = told(me, other, RelationshipAction::Unblock);
        let (_, deliveries) = self.store.unblock(me, other, fanout).await?;
        self.publish(deliveries).await;
        Ok(())
    }

    pub async fn mute(&self, me: UserId, other: UserId) -> Result<()> {
        self.require_other_user(me, other).await?;
        let fanout = told(me, other, RelationshipAction::Mute);
        let (_, deliveries) = self.store.mute(me, other, fanout).await?;
        self.publish(deliveries).await;
        Ok(())
    }

    pub async fn unmute(&self, me: UserId, other: UserId) -> Result<()> {
        let fanout = told(me, other, RelationshipAction::Unmute);
        let (_, deliveries) = self.store.unmute(me, other, fanout).await?;
        self.publish(deliveries).await;
        Ok(())
    }

    pub async fn relationship(&self, me: UserId, other: UserId) -> Result<Relationship> {
        let rels = self.store.relationships(me, &[other]).await?;
        Ok(rels.into_iter().next().unwrap_or_default())
    }

    /// Whether a block, either way, stands between the two people of a one-to-one
    /// conversation (never for a group, where members who block each other may both stay).
    pub(crate) async fn blocked_between(&self, me: UserId, id: &ConversationId) -> Result<bool> {
        let Some(other) = id.partner_of(me) else {
            return Ok(false);
        };
        let rel = self.relationship(me, other).await?;
        Ok(rel.blocking || rel.blocked_by)
    }

    /// A block stops every kind of contact in a one-to-one conversation, both ways:
    /// messages (admission), and also edits of old messages, reactions and typing.
    pub(crate) async fn no_block_between(&self, me: UserId, id: &ConversationId) -> Result<()> {
        if self.blocked_between(me, id).await? {
            return Err(Error::CannotMessageUser);
        }
        Ok(())
    }

    /// Pages through a user's followers or followings (anyone's), or the caller's own blocks
    /// and mutes.
    pub async fn edges(
        &self,
        user: UserId,
        list: EdgeList,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<User>> {
        let page = match list {
            EdgeList::Followers => self.store.followers(user, cursor, limit).await,
            EdgeList::Following => self.store.following(user, cursor, limit).await,
            EdgeList::Blocked => self.store.blocked(user, cursor, limit).await,
            EdgeList::Muted => self.store.muted(user, cursor, limit).await,
        };
        Ok(self.present_page(page?))
    }

    /// Reports a user, message or conversation. Reporting a conversation also hides it and
    /// silences it until the reporter writes there again.
    pub async fn report(
        &self,
        me: UserId,
        target: ReportTarget,
        target_id: &str,
        reason: &str,
    ) -> Result<ObjectId> {
        let reason = text::free_text("reason", reason, REPORT_REASON_MAX)?;
        if reason.is_empty() {
            return Err(Error::invalid("reason", "must not be empty"));
        }
        match target {
            ReportTarget::User => {
                let id: UserId = target_id
                    .parse()
                    .map_err(|_| Error::invalid("target_id", "must be a user id"))?;
                if id == me {
                    return Err(Error::own_account("target_id"));
                }
                self.require_other_user(me, id).await?;
            }
            ReportTarget::Message => {
                let (conversation, message) = target_id
                    .rsplit_once(':')
                    .and_then(|(c, m)| Some((c, m.parse::<EventId>().ok()?)))
                    .ok_or_else(|| {
                        Error::invalid("target_id", "must be CONVERSATION_ID:MESSAGE_ID")
                    })?;
                let conversation = ConversationId::read("target_id", conversation)?;
                self.visible_event(me, &conversation, message).await?;
            }
            ReportTarget::Conversation => {
                let conversation = ConversationId::read("target_id", target_id)?;
                self.member(me, &conversation).await?;
                let patch = ParticipantPatch {
                    reported: Some(true),
                    ..Default::default()
                };
                self.store
                    .update_participant(&conversation, me, patch, Fanout::default())
                    .await?;
            }
        }
        let id = ObjectId(self.ids.next_id());
        let stored_id = match target {
            ReportTarget::Message => target_id
                .rsplit_once(':')
                .map(|(_, m)| m.to_owned())
                .unwrap_or_default(),
            _ => target_id.to_owned(),
        };
        self.store
            .insert_report(NewReport {
                id,
                reporter: me,
                target,
                target_id: stored_id,
                reason,
            })
            .await?;
        Ok(id)
    }

    /// The admission decision for `sender` writing to `recipient` (SPEC §3.3).
    pub async fn dm_permission(&self, sender: UserId, recipient: UserId) -> Result<Decision> {
        self.require_other_user(sender, recipient).await?;
        Ok(self.admission(sender, recipient).await?.decision)
    }

    /// Whether an account created at `created_at` is still young (SPEC §6).
    pub(crate) fn is_young(&self, created_at: Option<DateTime<Utc>>) -> bool {
        let days = chrono::Duration::days(self.config.limits.young_account_days);
        created_at.is_some_and(|at| Utc::now() - at < days)
    }

    pub(crate) async fn admission(&self, sender: UserId, recipient: UserId) -> Result<Admission> {
        let i = self.store.admission_inputs(sender, recipient).await?;
        let limits = &self.config.limits;
        let young = self.is_young(i.sender_created_at);
        // A young account alone is not spam; a young account whose requests go unanswered
        // reaches the threshold four times sooner.
        let unanswered_threshold = if young {
            limits.spam_unanswered_requests.div_ceil(4)
        } else {
            limits.spam_unanswered_requests
        };
        let decide = |looks_like_spam| {
            admission::decide(&AdmissionFacts {
                either_blocks: i.either_blocks,
                recipient_follows_sender: i.recipient_follows_sender,
                recipient_accepted_sender: i.recipient_accepted_sender,
                recipient_allows: i.recipient_allows,
                recipient_support: i.recipient_support,
                recipient_quality_filter: i.recipient_quality_filter,
                sender_verified: i.sender_verified,
                sender_looks_like_spam: looks_like_spam,
            })
        };
        let reported = i.sender_reports_against >= limits.spam_reports;
        let mut decision = decide(reported);
        // The unanswered requests are counted only when they would change the decision (a
        // request to someone filtering for quality): most sends go to people who follow
        // the sender or answered them, and the count reads every conversation the sender
        // started.
        if !reported && decide(true) != decision {
            let unanswered = self.store.unanswered_requests(sender).await?;
            if unanswered >= unanswered_threshold {
                decision = decide(true);
            }
        }
        Ok(Admission {
            decision,
            inputs: i,
        })
    }

    /// The decision, or the refusal error it implies.
    pub(crate) async fn admit(&self, sender: UserId, recipient: UserId) -> Result<Admission> {
        let a = self.admission(sender, recipient).await?;
        match a.decision.rule {
            _ if a.decision.allowed => Ok(a),
            admission::Rule::Blocked => Err(Error::CannotMessageUser),
            _ => Err(Error::RecipientNotAccepting(a.inputs.recipient_allows)),
        }
    }
}

/// The stored events of `me` doing `action` to `other`: the actor's devices hear of it, and
/// for a follow or unfollow the other person too. A block or mute is never told to the other
/// side (SPEC §3.2: the blocked party is not told), nor is the unfollow a block causes.
fn told(me: UserId, other: UserId, action: RelationshipAction) -> Fanout {
    let change = |about: UserId| {
        StreamEvent::RelationshipChanged(RelationshipChange {
            user_id: about,
            action,
            source_id: me,
            target_id: other,
        })
    };
    let fanout = Fanout::default().to(vec![me], change(other));
    match action {
        RelationshipAction::Follow | RelationshipAction::Unfollow => {
            fanout.to(vec![other], change(me))
        }
        RelationshipAction::Block
        | RelationshipAction::Unblock
        | RelationshipAction::Mute
        | RelationshipAction::Unmute => fanout,
    }
}
