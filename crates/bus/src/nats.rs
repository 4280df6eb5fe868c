//! The NATS bus, for several nodes: every delivery is published on its user's subject and
//! each node subscribes to the subjects of the users connected to it, so an event produced
//! on any node reaches that user's connections on every node.
//!
//! Core NATS is at-most-once: a slow consumer or a reconnect loses messages. Nothing here
//! tries to make it reliable. Positions come from the database; a connection that sees a
//! gap catches up from the store, and when this client reports a slow consumer or has
//! reconnected, every local connection is told it lagged and catches up too.

use std::borrow::Cow;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use postern_core::stream::{Delivery, EventBody};
use postern_core::{Error, Result, UserId};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::task::AbortHandle;

use crate::local::LocalFanout;
use crate::{Bus, Live};

/// How long a subscription may take to be confirmed before the connection is told to
/// rely on the store.
const ROUND_TRIP_TIMEOUT: Duration = Duration::from_secs(5);

/// Batches of deliveries waiting to be published. Bounded, so a stalled NATS connection
/// costs memory only up to here; beyond it deliveries are dropped and caught up from the
/// store.
const QUEUE_CAPACITY: usize = 16_384;

#[derive(Clone)]
pub struct NatsBus {
    client: async_nats::Client,
    queue: mpsc::Sender<Vec<Delivery>>,
    /// Subjects are `{prefix}.user.{id}`: nodes sharing a prefix form one installation.
    prefix: Arc<str>,
    local: LocalFanout,
    /// The NATS subscription feeding `local`, per user connected here.
    forwarders: Arc<DashMap<UserId, AbortHandle>>,
}

/// A delivery on the wire. The body is already JSON text, carried as a string.
#[derive(Serialize, Deserialize)]
struct Wire<'a> {
    #[serde(rename = "u")]
    user: i64,
    #[serde(rename = "p")]
    position: Option<i64>,
    // Borrowed when the text needs no unescaping, owned when it does (JSON in JSON does).
    #[serde(rename = "k", borrow)]
    kind: Cow<'a, str>,
    #[serde(rename = "d", borrow)]
    data: Cow<'a, str>,
}

impl NatsBus {
    /// Connects to `url` (`nats://host:port`). The client reconnects by itself; events lost
    /// meanwhile are caught up from the store.
    pub async fn connect(url: &str, prefix: &str) -> Result<NatsBus> {
        let local = LocalFanout::default();
        let on_event = local.clone();
        // `Connected` also reports the first connection; only one after a loss means that
        // messages may have been missed.
        let lost = Arc::new(AtomicBool::new(false));
        let client = async_nats::ConnectOptions::new()
            .name("postern")
            .event_callback(move |event| {
                let (local, lost) = (on_event.clone(), lost.clone());
                async move {
                    let missed = match event {
                        async_nats::Event::Disconnected => {
                            lost.store(true, Ordering::Relaxed);
                            false
                        }
                        async_nats::Event::Connected => lost.swap(false, Ordering::Relaxed),
                        async_nats::Event::SlowConsumer(_) => true,
                        _ => false,
                    };
                    if missed {
                        tracing::warn!(%event, "nats: messages may be lost; connections catch up from the store");
                        local.lag_all();
                    } else {
                        tracing::info!(%event, "nats");
                    }
                }
            })
            .connect(url)
            .await
            .map_err(|e| Error::internal(format!("cannot connect to NATS at {url}: {e}")))?;
        let prefix: Arc<str> = prefix.into();
        let (queue, queued) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(publish_loop(client.clone(), prefix.clone(), queued));
        Ok(NatsBus {
            client,
            queue,
            prefix,
            local,
            forwarders: Arc::default(),
        })
    }

    /// Users whose subject this node subscribes to (for metrics and tests).
    pub fn listening_users(&self) -> usize {
        self.forwarders.len()
    }

    fn subject(&self, user: UserId) -> String {
        subject(&self.prefix, user)
    }

    /// Makes sure this node hears `user`'s subject. The subscription is confirmed by the
    /// server before returning, so anything published after this call arrives.
    async fn listen(&self, user: UserId) -> Result<()> {
        if self.forwarders.contains_key(&user) {
            return Ok(());
        }
        let mut subscriber = self
            .client
            .subscribe(self.subject(user))
            .await
            .map_err(Error::internal)?;
        self.round_trip().await?;
        let local = self.local.clone();
        let task = tokio::spawn(async move {
            while let Some(message) = subscriber.next().await {
                match decode(&message.payload) {
                    Some(d) => local.deliver(d),
                    None => {
                        tracing::warn!(subject = %message.subject, "nats: undecodable delivery")
                    }
                }
            }
        });
        // Two connections of one user may race here; the second forwarder is not needed.
        match self.forwarders.entry(user) {
            Entry::Occupied(_) => task.abort(),
            Entry::Vacant(slot) => {
                slot.insert(task.abort_handle());
            }
        }
        Ok(())
    }

    /// Returns once the server has processed everything this client sent before. The server
    /// handles a connection's commands in order, so when a message published to a private
    /// inbox comes back, an earlier subscription is in place. (`flush` only writes the
    /// socket: a publish from another node could still overtake the subscription.)
    async fn round_trip(&self) -> Result<()> {
        let inbox = self.client.new_inbox();
        let mut echo = self
            .client
            .subscribe(inbox.clone())
            .await
            .map_err(Error::internal)?;
        self.client
            .publish(inbox, Vec::new().into())
            .await
            .map_err(Error::internal)?;
        match tokio::time::timeout(ROUND_TRIP_TIMEOUT, echo.next()).await {
            Ok(Some(_)) => Ok(()),
            _ => Err(Error::internal("NATS did not answer in time")),
        }
    }

    /// Stops hearing `user`'s subject once nobody here is connected as them.
    fn forget(&self, user: UserId) {
        let local = &self.local;
        if let Some((_, task)) = self
            .forwarders
            .remove_if(&user, |_, _| !local.has_subscribers(user))
        {
            task.abort();
        }
    }
}

fn subject(prefix: &str, user: UserId) -> String {
    format!("{prefix}.user.{}", user.0)
}

/// Publishes queued deliveries in order, for as long as any handle to the bus lives.
async fn publish_loop(
    client: async_nats::Client,
    prefix: Arc<str>,
    mut queue: mpsc::Receiver<Vec<Delivery>>,
) {
    while let Some(batch) = queue.recv().await {
        for d in batch {
            let Some(payload) = encode(&d) else { continue };
            // A failed publish is a lost message like any other: receivers catch up.
            if let Err(e) = client
                .publish(subject(&prefix, d.user_id), payload.into())
                .await
            {
                tracing::warn!(error = %e, "nats: publish failed");
            }
        }
    }
}

fn encode(d: &Delivery) -> Option<Vec<u8>> {
    serde_json::to_vec(&Wire {
        user: d.user_id.0,
        position: d.position,
        kind: Cow::Borrowed(&d.body.kind),
        data: Cow::Borrowed(&d.body.data),
    })
    .ok()
}

fn decode(payload: &[u8]) -> Option<Delivery> {
    let wire: Wire<'_> = serde_json::from_slice(payload).ok()?;
    Some(Delivery {
        user_id: UserId(wire.user),
        position: wire.position,
        body: Arc::new(EventBody {
            kind: wire.kind.into_owned(),
            data: wire.data.into_owned(),
        }),
    })
}

#[async_trait]
impl Bus for NatsBus {
    /// Queues the deliveries and returns at once: a send's answer never waits for NATS.
    async fn publish(&self, deliveries: Vec<Delivery>) {
        if let Err(e) = self.queue.try_send(deliveries) {
            let dropped = match &e {
                TrySendError::Full(d) | TrySendError::Closed(d) => d.len(),
            };
            metrics::counter!("postern_nats_deliveries_dropped_total").increment(dropped as u64);
            tracing::warn!(
                dropped,
                "nats: publish queue full; receivers catch up from the store"
            );
            // Connections here learn now; other nodes' connections at their user's next
            // event, or when their NATS client reports the loss.
            self.local.lag_all();
        }
    }

    async fn subscribe(&self, user: UserId) -> BoxStream<'static, Live> {
        let live = self.local.subscribe(user);
        if let Err(e) = self.listen(user).await {
            // Without a subscription this connection would hear nothing more: end it, so
            // the client reconnects (resuming from its position) and tries again.
            tracing::warn!(error = %e, "nats: cannot subscribe; closing the stream");
            drop(live);
            return Box::pin(futures::stream::empty());
        }
        Box::pin(Subscription {
            live: Some(live),
            bus: self.clone(),
            user,
        })
    }
}

/// A connection's live events; when it ends, the node stops hearing a user nobody here is.
struct Subscription {
    live: Option<BoxStream<'static, Live>>,
    bus: NatsBus,
    user: UserId,
}

impl Stream for Subscription {
    type Item = Live;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Live>> {
        match self.live.as_mut() {
            Some(live) => live.poll_next_unpin(cx),
            None => Poll::Ready(None),
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // The local subscription goes first, so `forget` sees whether others remain.
        self.live.take();
        self.bus.forget(self.user);
    }
}
