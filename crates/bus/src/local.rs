//! Fan-out to the connections on this node: one broadcast channel per connected user,
//! created on first subscription and removed when the last one ends. Both buses deliver
//! through it; they differ in how events reach it.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use dashmap::DashMap;
use futures::Stream;
use futures::stream::BoxStream;
use postern_core::UserId;
use postern_core::stream::Delivery;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use crate::Live;

/// Events a user's connections may fall behind by before they are told to catch up from
/// the store. Small on purpose: the channel is allocated per connected user up front, and
/// catching up is cheap and exact.
pub(crate) const CHANNEL_CAPACITY: usize = 64;

type Channels = Arc<DashMap<UserId, broadcast::Sender<Live>>>;

#[derive(Default, Clone)]
pub struct LocalFanout {
    users: Channels,
}

impl LocalFanout {
    /// Passes a delivery to its user's connections here, if any.
    pub fn deliver(&self, d: Delivery) {
        if let Some(tx) = self.users.get(&d.user_id) {
            // No receivers means the user just disconnected: nothing to do.
            let _ = tx.send(Live::Event(d));
        }
    }

    /// Tells every connection here that events may have been lost, so each catches up from
    /// the store.
    pub fn lag_all(&self) {
        for tx in self.users.iter() {
            let _ = tx.send(Live::Lagged);
        }
    }

    pub fn subscribe(&self, user: UserId) -> BoxStream<'static, Live> {
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

    pub fn has_subscribers(&self, user: UserId) -> bool {
        self.users.contains_key(&user)
    }

    /// Users with at least one live subscription (for metrics and tests).
    pub fn connected_users(&self) -> usize {
        self.users.len()
    }
}

struct Subscription {
    inner: Option<BroadcastStream<Live>>,
    user: UserId,
    users: Channels,
}

impl Stream for Subscription {
    type Item = Live;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Live>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        Pin::new(inner).poll_next(cx).map(|item| {
            item.map(|r| match r {
                Ok(live) => live,
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
