//! A request body that must keep arriving: after a grace period, at least a minimum rate on
//! average. A client trickling a byte every few seconds would otherwise hold its connection
//! (and a file handle) for as long as it likes.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// How slow a body may be.
#[derive(Debug, Clone, Copy)]
pub struct BodyRate {
    /// Bytes a second on average, counted after `grace`.
    pub min_bytes_per_sec: u64,
    /// Time every body has before the rate applies (a small body at any speed fits in it).
    pub grace: Duration,
}

/// The error a too-slow body ends with; handlers that read the body refuse the request
/// with it, and the connection is closed.
#[derive(Debug)]
pub struct TooSlow(BodyRate);

impl fmt::Display for TooSlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the request body arrived slower than {} bytes a second (after {} s)",
            self.0.min_bytes_per_sec,
            self.0.grace.as_secs()
        )
    }
}

impl std::error::Error for TooSlow {}

pin_project_lite::pin_project! {
    pub struct RateLimited<B> {
        #[pin]
        inner: B,
        rate: BodyRate,
        started: Instant,
        received: u64,
        // Made the first time the body has to wait: most bodies arrive with their headers
        // and never need a timer.
        deadline: Option<Pin<Box<Sleep>>>,
    }
}

impl<B> RateLimited<B> {
    fn new(inner: B, rate: BodyRate) -> Self {
        RateLimited {
            inner,
            rate,
            started: Instant::now(),
            received: 0,
            deadline: None,
        }
    }
}

/// Wraps `body` so that it fails once it falls behind `rate`.
pub fn limit(body: Body, rate: BodyRate) -> Body {
    Body::new(RateLimited::new(body, rate))
}

impl<B> HttpBody for RateLimited<B>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.project();
        match this.inner.poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    *this.received += data.len() as u64;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                // The body is on time while what it sent covers the time since the grace
                // ended, at the minimum rate.
                let covered = Duration::from_secs_f64(
                    *this.received as f64 / this.rate.min_bytes_per_sec.max(1) as f64,
                );
                let due = *this.started + this.rate.grace + covered;
                let deadline = this
                    .deadline
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(due)));
                if deadline.deadline() != due {
                    deadline.as_mut().reset(due);
                }
                match deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(TooSlow(*this.rate))))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
