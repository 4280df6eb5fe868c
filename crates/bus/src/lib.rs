//! Fan-out of stream events to the connections of each user.
//!
//! The bus only carries events to whoever is connected now; it may drop them (a slow
//! receiver lags, a network bus drops under bursts). Stored events carry dense per-user
//! positions, so a connection that sees a gap (or is told it lagged) catches up from the
//! store: the bus is for speed, the store for completeness.

mod local;
mod memory;
mod nats;

use async_trait::async_trait;
use futures::stream::BoxStream;
use postern_core::UserId;
use postern_core::stream::Delivery;

pub use local::LocalFanout;
pub use memory::MemoryBus;
pub use nats::NatsBus;

/// What a subscription yields.
#[derive(Debug, Clone)]
pub enum Live {
    Event(Delivery),
    /// Some events were dropped; catch up from the store.
    Lagged,
}

#[async_trait]
pub trait Bus: Send + Sync {
    /// Sends each delivery to the connections of its user, on every node.
    async fn publish(&self, deliveries: Vec<Delivery>);
    /// Events for one user from now on.
    async fn subscribe(&self, user: UserId) -> BoxStream<'static, Live>;
}
