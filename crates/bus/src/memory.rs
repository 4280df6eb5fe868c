//! The in-process bus, for a single node: publishing is delivering locally.

use async_trait::async_trait;
use futures::stream::BoxStream;
use postern_core::UserId;
use postern_core::stream::Delivery;

use crate::local::LocalFanout;
use crate::{Bus, Live};

#[derive(Default, Clone)]
pub struct MemoryBus {
    local: LocalFanout,
}

impl MemoryBus {
    pub fn new() -> Self {
        Self::default()
    }

    /// Users with at least one live subscription (for metrics and tests).
    pub fn connected_users(&self) -> usize {
        self.local.connected_users()
    }
}

#[async_trait]
impl Bus for MemoryBus {
    async fn publish(&self, deliveries: Vec<Delivery>) {
        deliveries.into_iter().for_each(|d| self.local.deliver(d));
    }

    async fn subscribe(&self, user: UserId) -> BoxStream<'static, Live> {
        self.local.subscribe(user)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::local::CHANNEL_CAPACITY;
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
