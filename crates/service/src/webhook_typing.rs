//! Typing for Account Activity webhooks (`direct_message_indicate_typing_events`). Typing is
//! not stored, so it cannot wait in a stream for a receiver that is down: it goes out once,
//! from the delivery task (never on the request), to each subscribed person's webhook, and a
//! refusal is logged, not retried. A full queue drops typing rather than growing; the
//! delivery task stops taking it when the node stops.

use chrono::Utc;
use postern_core::{ObjectId, Result, UserId};
use postern_store::cold::{Statement, int, text};

use crate::Services;
use crate::account_activity::KIND_ACCOUNT_ACTIVITY;

/// Typing events waiting for the delivery task, at most.
pub const QUEUE: usize = 1_024;
/// Typing deliveries in flight at once, on a node; more wait in the queue.
pub(crate) const CONCURRENT: usize = 8;

/// Someone typing to someone, in their one-to-one conversation.
#[derive(Debug, Clone)]
pub struct Typed {
    pub typer: UserId,
    pub to: UserId,
}

impl Services {
    /// Queues typing for the webhooks of `typed.to` (dropped if the queue is full).
    pub(crate) fn typing_for_webhooks(&self, typed: Typed) {
        if self.typing_out.try_send(typed).is_err() {
            metrics::counter!("postern_webhook_typing_dropped").increment(1);
        }
    }

    /// Takes the queue (once, for this node's delivery task).
    pub(crate) fn take_typing_queue(&self) -> Option<tokio::sync::mpsc::Receiver<Typed>> {
        self.typing_in.lock().ok().and_then(|mut q| q.take())
    }

    /// Delivers one typing event to the webhooks subscribed for whom it is typed to.
    pub(crate) async fn deliver_typing(&self, typed: &Typed) -> Result<()> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT w.id FROM webhook_subscriptions s JOIN webhooks w ON w.id = s.webhook_id
                 WHERE s.user_id = ?1 AND w.kind = ?2 AND w.active = 1",
                vec![int(typed.to.0), text(KIND_ACCOUNT_ACTIVITY)],
            ))
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let Some(format) = self.twitter_format.get().cloned() else {
            return Ok(());
        };
        let mut users = serde_json::Map::new();
        for id in [typed.typer, typed.to] {
            if let Some(u) = self.store.user(id).await? {
                users.insert(id.to_string(), format.v1_user(&u.user));
            }
        }
        let body = serde_json::json!({
            "for_user_id": typed.to.to_string(),
            "direct_message_indicate_typing_events": [{
                "created_timestamp": Utc::now().timestamp_millis().to_string(),
                "sender_id": typed.typer.to_string(),
                "target": {"recipient_id": typed.to.to_string()},
            }],
            "users": users,
        })
        .to_string();
        for row in &rows {
            let webhook = ObjectId(row.int(0)?);
            let target = self.delivery_target(webhook, typed.to).await?;
            // Typing has no place in the stream: logged at the position it came after.
            self.deliver(&target, target.position, "typing", &body, 1)
                .await?;
        }
        Ok(())
    }
}
