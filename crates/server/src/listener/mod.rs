//! Accepting connections and serving HTTP on them, with the limits that keep slow, idle or
//! numerous clients from holding the server (each costs a file handle; without limits,
//! about a thousand idle sockets, no login needed, made `accept` fail and `/healthz` stop
//! answering):
//!
//! - a request's headers must arrive within `header_timeout`. hyper's timer for this starts
//!   whenever a connection waits for a request, so it is also how long a kept-alive
//!   connection may sit idle;
//! - a request body must keep arriving at a minimum rate after a grace period
//!   ([`body_rate`]);
//! - at most `max_connections` at once, and `max_connections_per_ip` from one address: a
//!   connection over either is answered 503 and closed;
//! - `accept` failing (out of file handles) is retried after a pause instead of spinning.
//!
//! Each request carries the peer's address (`ConnectInfo<SocketAddr>`) for limits by address.
//! With a [`tls::acceptor`], every connection is HTTPS ([`tls`]).

pub mod body_rate;
pub mod tls;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

pub use body_rate::BodyRate;

/// How much of the server one client, or all of them, may hold.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub header_timeout: Duration,
    pub body_rate: BodyRate,
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
}

/// Serves `app` on `listener` (over TLS with `tls`) until `shutdown` completes, then stops
/// accepting and waits for the open connections to finish (the caller bounds that wait).
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = auto::Builder::new(TokioExecutor::new());
    http.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    http.http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.header_timeout)
        .keep_alive_timeout(limits.header_timeout);
    let counts = Counts::new(limits);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file handles, most likely: existing connections must close first.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(held) = counts.admit(peer.ip()) else {
            refuse(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let rate = limits.body_rate;
        let service = app.clone().map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.map(|body| body_rate::limit(axum::body::Body::new(body), rate))
            },
        );
        let http = http.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        let handshake_timeout = limits.header_timeout;
        tokio::spawn(async move {
            // Errors here are the client's (a reset, a timeout, a failed handshake): nothing
            // to report.
            match tls {
                None => serve_on(&http, watcher, stream, service).await,
                Some(tls) => {
                    let handshake = tokio::time::timeout(handshake_timeout, tls.accept(stream));
                    if let Ok(Ok(stream)) = handshake.await {
                        serve_on(&http, watcher, stream, service).await;
                    }
                }
            }
            drop(held);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Serves one connection over any transport (the TLS stream's type differs from TCP's).
async fn serve_on<S, Io>(
    http: &auto::Builder<TokioExecutor>,
    watcher: hyper_util::server::graceful::Watcher,
    io: Io,
    service: S,
) where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: tower::Service<
            axum::http::Request<hyper::body::Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let connection = http
        .serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(service))
        .into_owned();
    let _ = watcher.watch(connection).await;
}

/// Answers a connection over a limit with 503 and closes it, without waiting on the client.
fn refuse(stream: TcpStream) {
    let _ = stream.try_write(
        b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\nRetry-After: 1\r\n\r\n",
    );
    metrics::counter!("postern_connections_refused_total").increment(1);
}

/// Open connections, in all and by address.
struct Counts {
    total: Arc<Semaphore>,
    by_ip: Arc<Mutex<HashMap<IpAddr, usize>>>,
    per_ip: usize,
}

/// One admitted connection's place in [`Counts`], given back when dropped.
struct Held {
    _total: OwnedSemaphorePermit,
    by_ip: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl Counts {
    fn new(limits: ConnectionLimits) -> Self {
        Counts {
            total: Arc::new(Semaphore::new(limits.max_connections)),
            by_ip: Arc::default(),
            per_ip: limits.max_connections_per_ip,
        }
    }

    fn admit(&self, ip: IpAddr) -> Option<Held> {
        let total = self.total.clone().try_acquire_owned().ok()?;
        let mut by_ip = self.by_ip.lock();
        let open = by_ip.entry(ip).or_insert(0);
        if *open >= self.per_ip {
            return None;
        }
        *open += 1;
        Some(Held {
            _total: total,
            by_ip: self.by_ip.clone(),
            ip,
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut by_ip = self.by_ip.lock();
        if let Some(open) = by_ip.get_mut(&self.ip) {
            *open -= 1;
            if *open == 0 {
                by_ip.remove(&self.ip);
            }
        }
    }
}

/// Connections at once allowed by a file-handle limit of `nofile`: what is left after the
/// handles the server keeps for itself (database files and connections, logs, the bus).
pub fn connections_for(nofile: u64) -> usize {
    usize::try_from(nofile.saturating_sub(256).max(64)).unwrap_or(usize::MAX)
}
