//! Conversations (SPEC §3.4): the inbox, groups, membership, per-participant state.

use postern_core::error::Thing;
use std::collections::{HashMap, HashSet};

use chrono::Utc;
use postern_core::model::{
    Conversation, ConversationEvent, ConversationKind, InboxBox, ReadMark, User,
};
use postern_core::stream::StreamEvent;
use postern_core::{ConversationId, Error, EventId, Invalid, ObjectId, Result, UserId, text};
use postern_store::{
    Fanout, InboxEntry, InboxQuery, NewGroup, Page, ParticipantPatch, ParticipantRecord,
};

use crate::Services;

const NOT_A_PARTICIPANT: &str = "you are no longer a participant of this conversation";

/// Which list the inbox shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxView {
    Box(InboxBox),
    Archived,
}

/// A participant's changes to a conversation; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ConversationPatch {
    pub name: Option<String>,
    pub muted: Option<bool>,
    pub pinned: Option<bool>,
    pub archived: Option<bool>,
}

impl Services {
    /// The caller's membership, current or former; `NotFound` for outsiders so that
    /// conversation ids reveal nothing.
    pub(crate) async fn member(
        &self,
        me: UserId,
        id: &ConversationId,
    ) -> Result<ParticipantRecord> {
        self.store
            .participant(id, me)
            .await?
            .ok_or(Error::NotFound(Thing::Conversation))
    }

    pub(crate) async fn active_member(
        &self,
        me: UserId,
        id: &ConversationId,
    ) -> Result<ParticipantRecord> {
        let p = self.member(me, id).await?;
        if !p.active {
            return Err(Error::Forbidden(NOT_A_PARTICIPANT));
        }
        Ok(p)
    }

    /// Active members of a conversation the caller is an active member of, from one read.
    pub(crate) async fn audience_as_member(
        &self,
        me: UserId,
        id: &ConversationId,
    ) -> Result<Vec<UserId>> {
        let members = self.store.participants(id).await?;
        match members.iter().find(|p| p.user_id == me) {
            None => return Err(Error::NotFound(Thing::Conversation)),
            Some(p) if !p.active => return Err(Error::Forbidden(NOT_A_PARTICIPANT)),
            Some(_) => {}
        }
        Ok(members
            .into_iter()
            .filter(|p| p.active)
            .map(|p| p.user_id)
            .collect())
    }

    /// Active members of a conversation.
    pub(crate) async fn active_ids(&self, id: &ConversationId) -> Result<Vec<UserId>> {
        Ok(self
            .store
            .participants(id)
            .await?
            .into_iter()
            .filter(|p| p.active)
            .map(|p| p.user_id)
            .collect())
    }

    /// An event the caller may see (inside their membership window, not deleted for them).
    pub(crate) async fn visible_event(
        &self,
        me: UserId,
        id: &ConversationId,
        event: EventId,
    ) -> Result<ConversationEvent> {
        let p = self.member(me, id).await?;
        let inside =
            p.visible_after.is_none_or(|a| event > a) && p.left_at_event.is_none_or(|l| event <= l);
        let found = if inside {
            self.store.event(id, event).await?
        } else {
            None
        };
        found.ok_or(Error::NotFound(Thing::Message))
    }

    pub async fn inbox(
        &self,
        me: UserId,
        view: InboxView,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<Conversation>> {
        let inbox = match view {
            InboxView::Box(b) => Some(b),
            InboxView::Archived => None,
        };
        let page = self
            .store
            .inbox(InboxQuery {
                user: me,
                inbox,
                cursor,
                limit,
            })
            .await?;
        let items = self.views(me, page.items).await?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    pub async fn conversation(&self, me: UserId, id: &ConversationId) -> Result<Conversation> {
        let entry = self
            .store
            .inbox_entry(id, me)
            .await?
            .ok_or(Error::NotFound(Thing::Conversation))?;
        self.views(me, vec![entry])
            .await?
            .into_iter()
            .next()
            .ok_or(Error::NotFound(Thing::Conversation))
    }

    /// The other people of the viewer's one-to-one conversations among `entries` whose read
    /// positions would be shown, with whom a block stands, either way. Asked only when
    /// there is a read position to hide, so most inbox pages cost no extra query.
    async fn blocked_partners(
        &self,
        me: UserId,
        entries: &[InboxEntry],
    ) -> Result<HashSet<UserId>> {
        let partners: Vec<UserId> = entries
            .iter()
            .filter(|e| !e.read_marks.is_empty())
            .filter_map(|e| e.conversation.id.partner_of(me))
            .collect();
        if partners.is_empty() {
            return Ok(HashSet::new());
        }
        let relationships = self.store.relationships(me, &partners).await?;
        Ok(partners
            .into_iter()
            .zip(relationships)
            .filter(|(_, r)| r.blocking || r.blocked_by)
            .map(|(user, _)| user)
            .collect())
    }

    /// Renders inbox entries for the viewer, applying the reciprocal read-receipt rule (and
    /// no receipts across a block).
    async fn views(&self, me: UserId, entries: Vec<InboxEntry>) -> Result<Vec<Conversation>> {
        let ids: Vec<UserId> = entries
            .iter()
            .flat_map(|e| e.member_ids.iter().copied())
            .chain([me])
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let users: HashMap<UserId, User> = self
            .store
            .users(&ids)
            .await?
            .into_iter()
            .map(|u| (u.id, self.present(u)))
            .collect();
        let receipts: HashSet<UserId> = self
            .store
            .with_read_receipts(&ids)
            .await?
            .into_iter()
            .collect();
        let blocked = if receipts.contains(&me) {
            self.blocked_partners(me, &entries).await?
        } else {
            HashSet::new()
        };
        Ok(entries
            .into_iter()
            .map(|e| {
                let across_a_block = e
                    .conversation
                    .id
                    .partner_of(me)
                    .is_some_and(|other| blocked.contains(&other));
                let sees_receipts = receipts.contains(&me) && !across_a_block;
                // Someone who left keeps their history, not a view into the group as it is
                // now: no current name, members or read positions.
                let left = !e.me.active;
                let read_by = e
                    .read_marks
                    .iter()
                    .filter(|(u, _)| !left && sees_receipts && receipts.contains(u))
                    .map(|(u, at)| ReadMark {
                        user_id: *u,
                        last_read_event_id: *at,
                    })
                    .collect();
                let participants = if left {
                    users.get(&me).cloned().into_iter().collect()
                } else {
                    e.member_ids
                        .iter()
                        .filter_map(|id| users.get(id).cloned())
                        .collect()
                };
                Conversation {
                    kind: e.conversation.kind,
                    name: e.conversation.name.filter(|_| !left),
                    participants,
                    left,
                    created_at: e.conversation.created_at,
                    last_activity_at: e
                        .last_event
                        .as_ref()
                        .map_or(e.conversation.created_at, event_time),
                    last_message: e.last_event,
                    unread_count: e.me.unread_count,
                    inbox: e.me.inbox,
                    last_read_event_id: e.me.last_read_event_id,
                    read_by,
                    muted: e.me.muted,
                    pinned: e.me.pinned,
                    archived: e.me.archived,
                    id: e.conversation.id,
                }
            })
            .collect())
    }

    /// The one-to-one conversation with `other`, as it is or as it will be once the first
    /// message is sent (it is stored with that message).
    pub async fn one_to_one(&self, me: UserId, other: UserId) -> Result<Conversation> {
        if me == other {
            return Err(Error::own_account("participant_ids"));
        }
        let id = ConversationId::one_to_one(me, other);
        if let Some(entry) = self.store.inbox_entry(&id, me).await? {
            return self
                .views(me, vec![entry])
                .await?
                .into_iter()
                .next()
                .ok_or(Error::NotFound(Thing::Conversation));
        }
        // Only a pair that may write gets a conversation to write in; a refusal names its rule.
        self.admit(me, other).await?;
        let now = Utc::now();
        Ok(Conversation {
            id,
            kind: ConversationKind::OneToOne,
            name: None,
            participants: self.present_all(self.store.users(&[me, other]).await?),
            left: false,
            created_at: now,
            last_activity_at: now,
            last_message: None,
            unread_count: 0,
            inbox: InboxBox::Primary,
            last_read_event_id: None,
            read_by: Vec::new(),
            muted: false,
            pinned: false,
            archived: false,
        })
    }

    /// Creates a group with 2–49 others (configurable), each admitted by SPEC §3.3.
    pub async fn create_group(
        &self,
        me: UserId,
        participant_ids: Vec<UserId>,
        name: Option<String>,
    ) -> Result<Conversation> {
        let limits = &self.config.limits;
        let mut others: Vec<UserId> = Vec::new();
        for id in participant_ids {
            if id != me && !others.contains(&id) {
                others.push(id);
            }
        }
        let (min, max) = (
            limits.group_create_min_others,
            limits
                .group_create_max_others
                .min(limits.group_size.saturating_sub(1)),
        );
        if !(min..=max).contains(&others.len()) {
            return Err(Error::invalid(
                "participant_ids",
                format!("must name {min} to {max} other users, got {}", others.len()),
            ));
        }
        let name = self.group_name(name)?;
        let mut members = Vec::with_capacity(others.len());
        for other in &others {
            self.store
                .user(*other)
                .await?
                .ok_or(Error::NotFound(Thing::User))?;
            members.push((
                *other,
                self.admit(me, *other)
                    .await?
                    .decision
                    .inbox
                    .unwrap_or_default(),
            ));
        }
        let id = ConversationId::group(ObjectId(self.ids.next_id()));
        let fanout = members.iter().fold(
            Fanout::default().to(
                vec![me],
                StreamEvent::ConversationCreated {
                    conversation_id: id.clone(),
                    inbox: InboxBox::Primary,
                },
            ),
            |f, (u, inbox)| {
                f.to(
                    vec![*u],
                    StreamEvent::ConversationCreated {
                        conversation_id: id.clone(),
                        inbox: *inbox,
                    },
                )
            },
        );
        let (_, deliveries) = self
            .store
            .create_group(
                NewGroup {
                    id: id.clone(),
                    creator: me,
                    name,
                    members,
                },
                fanout,
            )
            .await?;
        self.publish(deliveries).await;
        self.conversation(me, &id).await
    }

    fn group_name(&self, name: Option<String>) -> Result<Option<String>> {
        let name = name
            .map(|n| text::single_line("name", &n, self.config.limits.group_name))
            .transpose()?;
        Ok(name.filter(|n| !n.is_empty()))
    }

    /// Adds someone to a group; the adder must be admitted to them (SPEC §3.4).
    pub async fn add_participant(
        &self,
        me: UserId,
        id: &ConversationId,
        user: UserId,
    ) -> Result<ConversationEvent> {
        if !id.is_group() {
            return Err(Error::NotAGroup(Invalid {
                field: "conversation_id".into(),
                message: "people can only be added to group conversations".into(),
            }));
        }
        self.active_member(me, id).await?;
        self.store
            .user(user)
            .await?
            .ok_or(Error::NotFound(Thing::User))?;
        let active = self.active_ids(id).await?;
        if active.contains(&user) {
            return Err(Error::Conflict("already a participant"));
        }
        if active.len() >= self.config.limits.group_size {
            return Err(Error::State(Invalid {
                field: "user_id".into(),
                message: format!(
                    "the group is full: at most {} participants",
                    self.config.limits.group_size
                ),
            }));
        }
        let inbox = self
            .admit(me, user)
            .await?
            .decision
            .inbox
            .unwrap_or_default();
        let notify: Vec<UserId> = active.into_iter().chain([user]).collect();
        let fanout = Fanout::default().to(
            vec![user],
            StreamEvent::ConversationCreated {
                conversation_id: id.clone(),
                inbox,
            },
        );
        let (event, deliveries) = self
            .store
            .add_participants(id, me, vec![(user, inbox)], notify, fanout)
            .await?;
        self.publish(deliveries).await;
        Ok(event)
    }

    /// Leaves a group. Nobody can remove someone else.
    pub async fn leave(
        &self,
        me: UserId,
        id: &ConversationId,
        user: UserId,
    ) -> Result<ConversationEvent> {
        if user != me {
            return Err(Error::Forbidden(
                "you can only remove yourself from a group",
            ));
        }
        if !id.is_group() {
            return Err(Error::NotAGroup(Invalid {
                field: "conversation_id".into(),
                message: "a one-to-one conversation cannot be left; delete it instead".into(),
            }));
        }
        self.active_member(me, id).await?;
        let notify = self.active_ids(id).await?;
        let (event, deliveries) = self.store.leave(id, me, notify).await?;
        self.publish(deliveries).await;
        Ok(event)
    }

    pub async fn update_conversation(
        &self,
        me: UserId,
        id: &ConversationId,
        patch: ConversationPatch,
    ) -> Result<Conversation> {
        let p = self.active_member(me, id).await?;
        if let Some(name) = patch.name {
            if !id.is_group() {
                return Err(Error::NotAGroup(Invalid {
                    field: "name".into(),
                    message: "only group conversations have a name".into(),
                }));
            }
            let name = self.group_name(Some(name))?;
            let notify = self.active_ids(id).await?;
            let fanout = Fanout::default().to(
                notify,
                StreamEvent::ConversationUpdated {
                    conversation_id: id.clone(),
                },
            );
            let deliveries = self.store.rename(id, name, fanout).await?;
            self.publish(deliveries).await;
        }
        if patch.pinned == Some(true) && !p.pinned {
            let max = self.config.limits.pinned_conversations;
            if self.store.pinned_count(me).await? >= max {
                return Err(Error::invalid(
                    "pinned",
                    format!("at most {max} conversations can be pinned"),
                ));
            }
        }
        let state = ParticipantPatch {
            muted: patch.muted,
            pinned: patch.pinned,
            archived: patch.archived,
            ..Default::default()
        };
        if state.muted.is_some() || state.pinned.is_some() || state.archived.is_some() {
            let fanout = Fanout::default().to(
                vec![me],
                StreamEvent::ConversationUpdated {
                    conversation_id: id.clone(),
                },
            );
            let (_, deliveries) = self.store.update_participant(id, me, state, fanout).await?;
            self.publish(deliveries).await;
        }
        self.conversation(me, id).await
    }

    /// Accepts a message request: the conversation moves to primary and the sender may now
    /// see read receipts.
    pub async fn accept(&self, me: UserId, id: &ConversationId) -> Result<Conversation> {
        let p = self.active_member(me, id).await?;
        if !p.accepted {
            let notify = self.active_ids(id).await?;
            let patch = ParticipantPatch {
                inbox: Some(InboxBox::Primary),
                accepted: Some(true),
                ..Default::default()
            };
            let fanout = Fanout::default().to(
                notify,
                StreamEvent::RequestAccepted {
                    conversation_id: id.clone(),
                    user_id: me,
                },
            );
            let (_, deliveries) = self.store.update_participant(id, me, patch, fanout).await?;
            self.publish(deliveries).await;
        }
        self.conversation(me, id).await
    }

    /// Deletes the conversation for the caller: its history so far is hidden from them, and
    /// it leaves their inbox until someone writes again.
    pub async fn delete_conversation(&self, me: UserId, id: &ConversationId) -> Result<()> {
        self.member(me, id).await?;
        let patch = ParticipantPatch {
            delete_history: true,
            ..Default::default()
        };
        let fanout = Fanout::default().to(
            vec![me],
            StreamEvent::ConversationDeleted {
                conversation_id: id.clone(),
            },
        );
        let (_, deliveries) = self.store.update_participant(id, me, patch, fanout).await?;
        self.publish(deliveries).await;
        Ok(())
    }
}

pub(crate) fn event_time(e: &ConversationEvent) -> chrono::DateTime<Utc> {
    match e {
        ConversationEvent::Message(m) => m.created_at,
        ConversationEvent::ParticipantsJoin(c) | ConversationEvent::ParticipantsLeave(c) => {
            c.created_at
        }
    }
}
