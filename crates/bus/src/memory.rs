//! The in-process bus: one broadcast channel per connected user, created on first
//! subscription and removed when the last one ends.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_trait::async_trait;
use dashmap::DashMap;
use futures::Stream;
use futures::stream::BoxStream;
use postern_core::UserId;
use postern_core::stream::Delivery;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use crate::{Bus, Live};

/// Events a user's connections may fall behind by before they are told to catch up from
/// the store. Small on purpose: the channel is allocated per connected user up front, and
/// catching up is cheap and exact.
const CHANNEL_CAPACITY: usize = 64;

#[derive(Default, Clone)]
pub struct MemoryBus {
    users: Arc<DashMap<UserId, broadcast::Sender<Delivery>>>,
}

impl MemoryBus {
    pub fn new() -> Self {
        Self::default()
    }

    /// Users with at least one live subscription (for metrics and tests).
    pub fn connected_users(&self) -> usize {
        self.users.len()
    }
}

#[async_trait]
impl Bus for MemoryBus {
    async fn publish(&self, deliveries: Vec<Delivery>) {
        for d in deliveries {
            if let Some(tx) = self.users.get(&d.user_id) {
                // No receivers means the user just disconnected: nothing to do.
                let _ = tx.send(d);
            }
        }
    }

    async fn subscribe(&self, user: UserId) -> BoxStream<'static, Live> {
        let rx = self
            .users
            .entry(user)
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe();
        Box::pin(Subscription {
            inner: Some(BroadcastStream::new(rx)),
            user,
            users: self.users.clone(),
        })
    }
}

struct Subscription {
    inner: Option<BroadcastStream<Delivery>>,
    user: UserId,
    users: Arc<DashMap<UserId, broadcast::Sender<Delivery>>>,
}

impl Stream for Subscription {
    type Item = Live;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Live>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        Pin::new(inner).poll_next(cx).map(|item| {
            item.map(|r| match r {
                Ok(d) => Live::Event(d),
                Err(BroadcastStreamRecvError::Lagged(_)) => Live::Lagged,
            })
        })
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // Drop our receiver first so the count below no longer includes it.
        self.inner.take();
        self.users
            .remove_if(&self.user, |_, tx| tx.receiver_count() == 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use postern_core::stream::EventBody;

    fn delivery(user: i64, position: i64) -> Delivery {
        let body = Arc::new(EventBody {
            kind: "t".into(),
            data: "{}".into(),
        });
        Delivery {
            user_id: UserId(user),
            position: Some(position),
            body,
        }
    }

    #[tokio::test]
    async fn delivers_to_every_subscription_of_a_user_only() {
        let bus = MemoryBus::new();
        let mut a1 = bus.subscribe(UserId(1)).await;
        let mut a2 = bus.subscribe(UserId(1)).await;
        let mut b = bus.subscribe(UserId(2)).await;
        bus.publish(vec![delivery(1, 1)]).await;
        assert!(matches!(a1.next().await, Some(Live::Event(d)) if d.position == Some(1)));
        assert!(matches!(a2.next().await, Some(Live::Event(d)) if d.position == Some(1)));
        bus.publish(vec![delivery(2, 1)]).await;
        assert!(matches!(b.next().await, Some(Live::Event(d)) if d.user_id == UserId(2)));
        drop((a1, a2, b));
        assert_eq!(bus.connected_users(), 0);
    }

    #[tokio::test]
    async fn a_slow_subscriber_is_told_it_lagged() {
        let bus = MemoryBus::new();
        let mut slow = bus.subscribe(UserId(1)).await;
        bus.publish(
            (1..=(CHANNEL_CAPACITY as i64 + 10))
                .map(|p| delivery(1, p))
                .collect(),
        )
        .await;
        assert!(matches!(slow.next().await, Some(Live::Lagged)));
    }
}
