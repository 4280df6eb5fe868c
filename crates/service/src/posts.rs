//! Public posts (SPEC §3.7): posting, replies and mentions, a profile's posts, search. Blocks
//! apply: a blocked person's mentions do not reach you, and they cannot reply to you.
//! Posts are a cold table (postern_store::cold), their words in each backend's full-text
//! index through `ColdSql::search`.

use postern_core::error::Thing;

use chrono::{DateTime, Utc};
use postern_core::entities::Entities;
use postern_core::posts::{DM_BUTTON_TEXT_MAX, DmButton, POST_TEXT_MAX, Post, ShownDmButton};
use postern_core::stream::StreamEvent;
use postern_core::{Error, Invalid, MediaId, ObjectId, Result, UserId, limits, text};
use postern_store::cold::{
    Cell, ColdRow, Statement, count, int, kinds, opt_int, opt_text, text as text_cell,
};
use postern_store::{Fanout, Page, page};

use crate::Services;
use crate::actor::Actor;

/// What a client asks to post.
#[derive(Debug, Clone, Default)]
pub struct PostDraft {
    pub text: String,
    pub reply_to_id: Option<ObjectId>,
    pub media_id: Option<MediaId>,
    pub dm_button: Option<DmButton>,
    pub card_id: Option<ObjectId>,
}

/// The columns every post query selects, in the order [`post_row`] reads them.
const POST_COLS: &str =
    "p.id, p.author_id, p.text, p.entities, p.reply_to_id, p.reply_to_author_id,
    p.media_id, p.dm_button, p.card_id, p.created_at";

/// A post as stored, before its references (media, the DM button's link) are rendered.
struct PostRow {
    post: Post,
    media_id: Option<MediaId>,
    dm_button: Option<DmButton>,
}

impl Services {
    /// `POST /posts`.
    pub async fn create_post(&self, actor: &Actor, draft: PostDraft) -> Result<Post> {
        let me = actor.account;
        let text = text::message_text("text", &draft.text, POST_TEXT_MAX)?;
        if text.trim().is_empty() && draft.media_id.is_none() {
            return Err(Error::invalid(
                "text",
                "must not be empty unless the post has media",
            ));
        }
        let entities = self.entities_of(&text).await?;
        let reply_to_author = match draft.reply_to_id {
            Some(id) => Some(self.repliable(me, id).await?),
            None => None,
        };
        if let Some(media) = draft.media_id {
            self.attachable(me, media, false).await?;
        }
        let dm_button = match draft.dm_button {
            Some(b) => Some(self.checked_dm_button(me, b).await?),
            None => None,
        };
        if let Some(card) = draft.card_id {
            self.check_post_card(me, card).await?;
        }
        let id = ObjectId(self.ids.next_id());
        let now = Utc::now().timestamp_millis();
        let mentioned = mentioned(me, &entities, reply_to_author);
        let mut writes = vec![Statement::new(
            "INSERT INTO posts (id, author_id, text, entities, reply_to_id, reply_to_author_id,
                                media_id, dm_button, card_id, created_at)
             VALUES (?1, ?2, ?3, ?4, CAST(?5 AS BIGINT), CAST(?6 AS BIGINT), CAST(?7 AS BIGINT),
                     ?8, CAST(?10 AS BIGINT), ?9)",
            vec![
                int(id.0),
                int(me.0),
                text_cell(text.clone()),
                text_cell(serde_json::to_string(&entities).map_err(Error::internal)?),
                opt_int(draft.reply_to_id.map(|r| r.0)),
                opt_int(reply_to_author.map(|u| u.0)),
                opt_int(draft.media_id.map(|m| m.0)),
                opt_text(
                    dm_button
                        .as_ref()
                        .map(serde_json::to_string)
                        .transpose()
                        .map_err(Error::internal)?,
                ),
                int(now),
                opt_int(draft.card_id.map(|c| c.0)),
            ],
        )];
        for user in &mentioned {
            writes.push(Statement::new(
                "INSERT INTO post_mentions (user_id, post_id, author_id) VALUES (?1, ?2, ?3)",
                vec![int(user.0), int(id.0), int(me.0)],
            ));
        }
        if let Some(media) = draft.media_id {
            // Public from now on, and kept for as long as the post.
            writes.push(Statement::new(
                "UPDATE media SET expires_at = NULL, attached = (?2 = 1) WHERE id = ?1",
                vec![int(media.0), int(1)],
            ));
        }
        writes.push(Statement::index(kinds::POST, id.0, text));
        self.store.cold().run(writes).await?;
        let post = self.post(me, id).await?;
        self.tell_mentioned(&post, &mentioned).await?;
        Ok(post)
    }

    /// `GET /posts/{id}`: a live post, unless its author blocks the viewer.
    pub async fn post(&self, viewer: UserId, id: ObjectId) -> Result<Post> {
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT {POST_COLS} FROM posts p WHERE p.id = ?1 AND p.deleted_at IS NULL
                       AND NOT EXISTS (SELECT 1 FROM blocks b
                                       WHERE b.blocker_id = p.author_id AND b.blocked_id = ?2)"
                ),
                vec![int(id.0), int(viewer.0)],
            ))
            .await?;
        let mut posts = self.shown(viewer, &rows).await?;
        posts.pop().ok_or(Error::NotFound(Thing::Post))
    }

    /// `DELETE /posts/{id}`: the author's own; it leaves mentions pages and search.
    pub async fn delete_post(&self, actor: &Actor, id: ObjectId) -> Result<()> {
        let done = self
            .store
            .cold()
            .run(vec![
                Statement::new(
                    "UPDATE posts SET deleted_at = ?3
                     WHERE id = ?1 AND author_id = ?2 AND deleted_at IS NULL RETURNING id",
                    vec![
                        int(id.0),
                        int(actor.account.0),
                        int(Utc::now().timestamp_millis()),
                    ],
                ),
                Statement::new(
                    "DELETE FROM post_mentions WHERE post_id = ?1 AND author_id = ?2",
                    vec![int(id.0), int(actor.account.0)],
                ),
            ])
            .await?;
        if done.first().is_none_or(Vec::is_empty) {
            return Err(Error::NotFound(Thing::Post));
        }
        // The post is gone either way; its words go from the index next.
        self.store
            .cold()
            .run(vec![Statement::index(kinds::POST, id.0, "")])
            .await?;
        Ok(())
    }

    /// `GET /users/{id}/posts`, newest first; none from an author who blocks the viewer.
    pub async fn user_posts(
        &self,
        viewer: UserId,
        author: UserId,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<Post>> {
        self.user(author).await?;
        let before = page::parse_key(cursor.as_deref(), "these posts")?;
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT {POST_COLS} FROM posts p
                     WHERE p.author_id = ?1 AND p.id < ?2 AND p.deleted_at IS NULL
                       AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ?1 AND b.blocked_id = ?3)
                     ORDER BY p.id DESC LIMIT ?4"
                ),
                vec![
                    int(author.0),
                    int(before),
                    int(viewer.0),
                    count(page::fetch_count(limit)),
                ],
            ))
            .await?;
        self.post_page(viewer, rows, limit).await
    }

    /// `GET /posts/{id}/replies`: the live replies to a post `viewer` can see, newest first,
    /// except those of accounts that block the viewer.
    pub async fn replies(
        &self,
        viewer: UserId,
        id: ObjectId,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<Post>> {
        self.post(viewer, id).await?;
        let before = page::parse_key(cursor.as_deref(), "these replies")?;
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT {POST_COLS} FROM posts p
                     WHERE p.reply_to_id = ?1 AND p.id < ?2 AND p.deleted_at IS NULL
                       AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = p.author_id AND b.blocked_id = ?3)
                     ORDER BY p.id DESC LIMIT ?4"
                ),
                vec![
                    int(id.0),
                    int(before),
                    int(viewer.0),
                    count(page::fetch_count(limit)),
                ],
            ))
            .await?;
        self.post_page(viewer, rows, limit).await
    }

    /// `GET /me/mentions`: posts that mention or answer `me`, newest first, except those of
    /// accounts `me` blocks.
    pub async fn mentions(
        &self,
        me: UserId,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<Post>> {
        let before = page::parse_key(cursor.as_deref(), "your mentions")?;
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT {POST_COLS} FROM post_mentions m JOIN posts p ON p.id = m.post_id
                     WHERE m.user_id = ?1 AND m.post_id < ?2 AND p.deleted_at IS NULL
                       AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ?1 AND b.blocked_id = m.author_id)
                     ORDER BY m.post_id DESC LIMIT ?3"
                ),
                vec![int(me.0), int(before), count(page::fetch_count(limit))],
            ))
            .await?;
        self.post_page(me, rows, limit).await
    }

    /// `GET /search/posts?q=`: posts whose words start with each of the query's, newest
    /// first, except those of accounts the viewer blocks or that block the viewer.
    pub async fn search_posts(
        &self,
        viewer: UserId,
        query: &str,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<Post>> {
        let query = text::search_query("q", query, limits::SEARCH_QUERY_MAX)?;
        let before = page::parse_key(cursor.as_deref(), "this search")?;
        let mut ids = self
            .store
            .cold()
            .search(kinds::POST, &query, before, page::fetch_count(limit))
            .await?;
        let next_cursor = page::cut(&mut ids, limit, i64::to_string);
        if ids.is_empty() {
            return Ok(Page {
                items: Vec::new(),
                next_cursor,
            });
        }
        let placeholders: Vec<String> = (0..ids.len()).map(|i| format!("?{}", i + 2)).collect();
        let mut params: Vec<Cell> = vec![int(viewer.0)];
        params.extend(ids.iter().map(|id| int(*id)));
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT {POST_COLS} FROM posts p
                     WHERE p.id IN ({}) AND p.deleted_at IS NULL
                       AND NOT EXISTS (SELECT 1 FROM blocks b
                                       WHERE (b.blocker_id = ?1 AND b.blocked_id = p.author_id)
                                          OR (b.blocker_id = p.author_id AND b.blocked_id = ?1))
                     ORDER BY p.id DESC",
                    placeholders.join(", ")
                ),
                params,
            ))
            .await?;
        Ok(Page {
            items: self.shown(viewer, &rows).await?,
            next_cursor,
        })
    }

    async fn post_page(
        &self,
        viewer: UserId,
        rows: Vec<ColdRow>,
        limit: usize,
    ) -> Result<Page<Post>> {
        let mut items = self.shown(viewer, &rows).await?;
        let next_cursor = page::cut(&mut items, limit, |p| p.id.to_string());
        Ok(Page { items, next_cursor })
    }

    /// Posts as `viewer` sees them: stored references (media, the DM button, the card)
    /// rendered, and the viewer's impression of each card counted.
    async fn shown(&self, viewer: UserId, rows: &[ColdRow]) -> Result<Vec<Post>> {
        let mut posts = Vec::with_capacity(rows.len());
        for row in rows {
            let PostRow {
                mut post,
                media_id,
                dm_button,
            } = post_row(row)?;
            if let Some(id) = media_id {
                post.media = self.store.media(id).await?.and_then(|r| r.media());
            }
            if let Some(card) = post.card_id {
                post.card = self.card_on_post(viewer, card).await?;
            }
            post.dm_button = dm_button.map(|button| ShownDmButton {
                url: button.link(post.author_id),
                button,
            });
            posts.push(post);
        }
        Ok(posts)
    }

    /// The author of live post `id`, which `me` may answer: not if its author blocks them.
    async fn repliable(&self, me: UserId, id: ObjectId) -> Result<UserId> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT author_id FROM posts WHERE id = ?1 AND deleted_at IS NULL",
                vec![int(id.0)],
            ))
            .await?;
        let author = rows.first().map(|r| r.int(0)).transpose()?.ok_or_else(|| {
            Error::Unknown(Invalid {
                field: "reply_to_id".into(),
                message: "is not a post".into(),
            })
        })?;
        let author = UserId(author);
        if author != me && self.relationship(me, author).await?.blocked_by {
            return Err(Error::CannotReply);
        }
        Ok(author)
    }

    async fn checked_dm_button(&self, me: UserId, mut button: DmButton) -> Result<DmButton> {
        if let Some(w) = button.welcome_message_id
            && self.welcome(me, w).await.is_err()
        {
            return Err(Error::Unknown(Invalid {
                field: "dm_button.welcome_message_id".into(),
                message: "is not one of your welcome messages".into(),
            }));
        }
        button.text = button
            .text
            .map(|t| text::message_text("dm_button.text", &t, DM_BUTTON_TEXT_MAX))
            .transpose()?;
        Ok(button)
    }

    /// A post a DM between `me` and `partner` may start from ("Switch to DM"): one of theirs
    /// or of `me`'s, live, that `me` can see.
    pub(crate) async fn switchable_post(
        &self,
        me: UserId,
        partner: UserId,
        id: ObjectId,
    ) -> Result<()> {
        let unknown = || {
            Error::Unknown(Invalid {
                field: "initiated_via.post_id".into(),
                message: "is not a post of either of you".into(),
            })
        };
        let post = self.post(me, id).await.map_err(|_| unknown())?;
        if post.author_id != partner && post.author_id != me {
            return Err(unknown());
        }
        Ok(())
    }

    /// Whether a live post or DM card shows media `id`: public, then.
    pub(crate) async fn is_public_media(&self, id: MediaId) -> Result<bool> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT 1 FROM posts WHERE media_id = ?1 AND deleted_at IS NULL
                 UNION ALL SELECT 1 FROM dm_cards WHERE media_id = ?1 AND deleted_at IS NULL
                 LIMIT 1",
                vec![int(id.0)],
            ))
            .await?;
        Ok(!rows.is_empty())
    }

    /// Tells each mentioned account, except those that block the author: stored, so a
    /// webhook or a reconnecting client has it.
    async fn tell_mentioned(&self, post: &Post, mentioned: &[UserId]) -> Result<()> {
        if mentioned.is_empty() {
            return Ok(());
        }
        let relationships = self.store.relationships(post.author_id, mentioned).await?;
        let receivers: Vec<UserId> = mentioned
            .iter()
            .zip(relationships)
            .filter(|(_, rel)| !rel.blocked_by)
            .map(|(user, _)| *user)
            .collect();
        // As others see it: the card's counts are its owner's alone.
        let mut shown = post.clone();
        if let Some(card) = shown.card.as_mut() {
            card.stats = None;
        }
        let fanout = Fanout::default().to(receivers, StreamEvent::PostMentioned(Box::new(shown)));
        let deliveries = self.store.record_events(fanout).await?;
        self.publish(deliveries).await;
        Ok(())
    }
}

/// Who a post reaches: the accounts it mentions and the author it answers, once each, never
/// its own author.
fn mentioned(author: UserId, entities: &Entities, reply_to: Option<UserId>) -> Vec<UserId> {
    let mut users: Vec<UserId> = entities
        .mentions
        .iter()
        .filter_map(|m| m.user_id)
        .chain(reply_to)
        .filter(|u| *u != author)
        .collect();
    users.sort_unstable();
    users.dedup();
    users
}

fn post_row(r: &ColdRow) -> Result<PostRow> {
    let json = |i: usize| -> Result<Option<String>> { r.opt_text(i) };
    Ok(PostRow {
        post: Post {
            id: ObjectId(r.int(0)?),
            author_id: UserId(r.int(1)?),
            text: r.text(2)?,
            entities: serde_json::from_str(&r.text(3)?).map_err(Error::internal)?,
            reply_to_id: r.opt_int(4)?.map(ObjectId),
            in_reply_to_user_id: r.opt_int(5)?.map(UserId),
            media: None,
            dm_button: None,
            card_id: r.opt_int(8)?.map(ObjectId),
            card: None,
            created_at: DateTime::from_timestamp_millis(r.int(9)?).unwrap_or_default(),
        },
        media_id: r.opt_int(6)?.map(MediaId),
        dm_button: json(7)?
            .map(|j| serde_json::from_str(&j))
            .transpose()
            .map_err(Error::internal)?,
    })
}
