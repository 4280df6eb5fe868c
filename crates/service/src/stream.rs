//! A user's real-time events, resumable from a position.
//!
//! Subscribing to the bus happens before reading the store, so nothing committed in
//! between is missed; positions then sort out the overlap. Live events arrive with their
//! position: the next one is passed on, an old one (already replayed) is dropped, and one
//! past a gap — or a lag notice from the bus — triggers a catch-up from the store. Typing
//! events carry no position and pass straight through.

use std::collections::VecDeque;
use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use postern_bus::Live;
use postern_core::stream::EventBody;
use postern_core::{Error, Result, UserId};

use crate::Services;

/// Events replayed per store read.
const REPLAY_PAGE: usize = 500;

/// One frame for the client: the JSON text and, for stored events (and `ready`), the
/// position it carries, which SSE uses as the event id.
#[derive(Debug, Clone)]
pub struct Frame {
    pub text: String,
    pub position: Option<i64>,
}

impl Frame {
    fn new(body: &EventBody, position: Option<i64>) -> Self {
        Frame {
            text: body.frame(position),
            position,
        }
    }
}

pub struct EventStream {
    services: Arc<Services>,
    user: UserId,
    last: i64,
    live: BoxStream<'static, Live>,
    pending: VecDeque<Frame>,
}

impl Services {
    /// Opens the user's stream. With `since`, every stored event after that position is
    /// replayed first; without it, the stream starts at the current position. Either way
    /// the first frame after any replay is `{"type":"ready","position":…}`.
    pub async fn open_stream(
        self: &Arc<Self>,
        user: UserId,
        since: Option<i64>,
    ) -> Result<EventStream> {
        self.take_stream_place(user)?;
        // From here the place is given back when `stream` drops, also on an error below.
        let mut stream = EventStream {
            services: self.clone(),
            user,
            last: 0,
            live: futures::stream::empty().boxed(),
            pending: VecDeque::new(),
        };
        stream.live = self.bus.subscribe(user).await;
        stream.last = match since {
            Some(p) => p.max(0),
            None => self.store.stream_position(user).await?,
        };
        stream.catch_up().await?;
        let ready = EventBody {
            kind: "ready".into(),
            data: "{}".into(),
        };
        stream
            .pending
            .push_back(Frame::new(&ready, Some(stream.last)));
        Ok(stream)
    }

    /// Counts a stream the user opens, refusing one over `limits.streams_per_user`.
    fn take_stream_place(&self, user: UserId) -> Result<()> {
        let most = self.config.limits.streams_per_user;
        let mut open = self.open_streams.entry(user).or_insert(0);
        if *open >= most {
            return Err(Error::RateLimited {
                what: "open streams for this account (close one first)",
                retry_after: std::time::Duration::from_secs(1),
            });
        }
        *open += 1;
        metrics::gauge!("postern_stream_connections").increment(1);
        Ok(())
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        metrics::gauge!("postern_stream_connections").decrement(1);
        let services = &self.services;
        services.open_streams.remove_if_mut(&self.user, |_, open| {
            *open = open.saturating_sub(1);
            *open == 0
        });
    }
}

impl EventStream {
    /// The next frame; `None` when the bus has shut down.
    pub async fn next_frame(&mut self) -> Result<Option<Frame>> {
        loop {
            if let Some(frame) = self.pending.pop_front() {
                return Ok(Some(frame));
            }
            match self.live.next().await {
                None => return Ok(None),
                Some(Live::Lagged) => self.catch_up().await?,
                Some(Live::Event(d)) => match d.position {
                    None => return Ok(Some(Frame::new(&d.body, None))),
                    Some(p) if p <= self.last => {}
                    Some(p) if p == self.last + 1 => {
                        self.last = p;
                        return Ok(Some(Frame::new(&d.body, Some(p))));
                    }
                    Some(_) => self.catch_up().await?,
                },
            }
        }
    }

    /// Queues every stored event after the last position seen.
    async fn catch_up(&mut self) -> Result<()> {
        loop {
            let page = self
                .services
                .store
                .stream_since(self.user, self.last, REPLAY_PAGE)
                .await?;
            let full = page.len() == REPLAY_PAGE;
            for r in page {
                self.last = r.position;
                self.pending
                    .push_back(Frame::new(&r.body, Some(r.position)));
            }
            if !full {
                return Ok(());
            }
        }
    }
}
