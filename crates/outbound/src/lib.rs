//! The one HTTP client for every call Postern makes outward (webhook deliveries, CRC checks).
//! Its addresses come from people, so it guards against being pointed inward:
//!
//! - A host's addresses are checked after DNS resolution, on every connection (a redirect's
//!   new host included), and an address written in a URL before anything is sent: loopback,
//!   private, carrier-grade NAT, link-local (cloud metadata at 169.254.169.254 among them),
//!   unique-local, multicast, reserved and unspecified addresses are refused, IPv4 inside IPv6
//!   included, unless the operator allows a range (`outbound.allow`; the tests allow
//!   127.0.0.1).
//! - At most [`REDIRECTS_MAX`] redirects, each to http or https.
//! - Timeouts on connecting and on the whole exchange, and at most [`Limits::body_bytes`] of
//!   an answer kept (the rest is not read).
//! - A delivery is `Content-Type: application/json`, exactly (some receivers take nothing
//!   else).

use std::error::Error as StdError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::CONTENT_TYPE;
use reqwest::{Url, redirect};

pub use bytes::Bytes;
pub use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// Redirects followed, at most.
pub const REDIRECTS_MAX: usize = 3;

/// How long a call may take, and how much of an answer is kept.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub connect: Duration,
    pub total: Duration,
    pub body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect: Duration::from_secs(5),
            total: Duration::from_secs(10),
            body_bytes: 64 * 1024,
        }
    }
}

/// Which addresses calls may reach: every public one, and the ranges the operator allows.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    allow: Vec<IpNet>,
}

impl Policy {
    /// A policy allowing `ranges` too (`10.0.0.0/8`, `127.0.0.1`: an address is its own
    /// range). A range that does not parse is named in the error.
    pub fn allowing(ranges: &[String]) -> Result<Policy, String> {
        let allow = ranges
            .iter()
            .map(|r| {
                r.parse::<IpNet>()
                    .or_else(|_| r.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("outbound.allow: '{r}' is not an address or CIDR range"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Policy { allow })
    }

    /// Whether a call may connect to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.allow.iter().any(|net| net.contains(&ip))
    }
}

/// Whether `ip` is an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Carrier-grade NAT, 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // Benchmarking, 198.18.0.0/15.
        || (a == 198 && (b == 18 || b == 19))
        // IETF protocol assignments, 192.0.0.0/24.
        || (a == 192 && b == 0 && ip.octets().get(2) == Some(&0))
        // Reserved, 240.0.0.0/4.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments().first().copied().unwrap_or_default();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if ip.segments().get(..6) == Some(&[0x64, 0xff9b, 0, 0, 0, 0]) {
        let [.., a, b, c, d] = ip.octets();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        // Documentation, 2001:db8::/32.
        || (first == 0x2001 && ip.segments().get(1) == Some(&0x0db8))
        // IPv4-compatible and other reserved addresses in ::/8.
        || first <= 0x00ff)
}

/// Why a call went nowhere, or got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The URL is not one Postern calls (says why).
    BadUrl(String),
    /// The host resolves only to addresses the policy refuses (names one).
    Refused(String),
    /// Could not connect, or the exchange broke (says why).
    Unreachable(String),
    /// No answer in time.
    Timeout,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::BadUrl(why) => write!(f, "{why}"),
            Failure::Refused(address) => write!(
                f,
                "resolves to {address}, a private or reserved address (outbound calls reach \
                 public addresses only, unless the operator allows a range in outbound.allow)"
            ),
            Failure::Unreachable(why) => write!(f, "could not be reached: {why}"),
            Failure::Timeout => write!(f, "did not answer in time"),
        }
    }
}

/// What a call got back.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body's first [`Limits::body_bytes`].
    pub body: Bytes,
    /// Whether the body went on past what was kept.
    pub truncated: bool,
    pub elapsed: Duration,
}

/// The outward HTTP client (cheap to clone).
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    policy: Arc<Policy>,
    limits: Limits,
}

/// Resolves names as the system does, keeping only the addresses the policy permits.
struct Guarded(Arc<Policy>);

/// A refusal from the resolver, told apart from other errors by its type.
#[derive(Debug)]
struct RefusedAddress(IpAddr);

impl std::fmt::Display for RefusedAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused address {}", self.0)
    }
}

impl StdError for RefusedAddress {}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let permitted: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| policy.permits(a.ip()))
                .collect();
            match (permitted.is_empty(), found.first()) {
                (false, _) => Ok(Box::new(permitted.into_iter()) as Addrs),
                (true, Some(refused)) => {
                    Err(Box::new(RefusedAddress(refused.ip())) as Box<dyn StdError + Send + Sync>)
                }
                (true, None) => Err(format!("{} has no addresses", name.as_str()).into()),
            }
        })
    }
}

/// Checks a URL before it is called: http or https, and an address in it permitted.
fn check_url(url: &Url, policy: &Policy) -> Result<(), Failure> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Failure::BadUrl("must be an http:// or https:// URL".into()));
    }
    match url.host() {
        Some(url::Host::Ipv4(ip)) if !policy.permits(IpAddr::V4(ip)) => {
            Err(Failure::Refused(ip.to_string()))
        }
        Some(url::Host::Ipv6(ip)) if !policy.permits(IpAddr::V6(ip)) => {
            Err(Failure::Refused(ip.to_string()))
        }
        Some(_) => Ok(()),
        None => Err(Failure::BadUrl("must name a host".into())),
    }
}

impl Outbound {
    pub fn new(policy: Policy, limits: Limits) -> Result<Outbound, String> {
        let policy = Arc::new(policy);
        let for_redirects = policy.clone();
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(Guarded(policy.clone())))
            .redirect(redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= REDIRECTS_MAX {
                    return attempt.error(format!("more than {REDIRECTS_MAX} redirects"));
                }
                match check_url(attempt.url(), &for_redirects) {
                    Ok(()) => attempt.follow(),
                    Err(failure) => attempt.error(failure.to_string()),
                }
            }))
            .connect_timeout(limits.connect)
            .timeout(limits.total)
            .user_agent(concat!("Postern/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("the outbound HTTP client: {e}"))?;
        Ok(Outbound {
            client,
            policy,
            limits,
        })
    }

    /// Whether `url` may be called: its scheme, and where its host resolves now (a webhook's
    /// URL is checked when it is registered, and again at every call).
    pub async fn check(&self, url: &str) -> Result<Url, Failure> {
        let parsed = Url::parse(url).map_err(|e| Failure::BadUrl(format!("is not a URL: {e}")))?;
        check_url(&parsed, &self.policy)?;
        if let Some(url::Host::Domain(host)) = parsed.host() {
            let found: Vec<SocketAddr> =
                tokio::time::timeout(self.limits.connect, tokio::net::lookup_host((host, 0)))
                    .await
                    .map_err(|_| Failure::Timeout)?
                    .map_err(|e| Failure::Unreachable(format!("{host} does not resolve: {e}")))?
                    .collect();
            if let Some(refused) = found.iter().find(|a| !self.policy.permits(a.ip())) {
                return Err(Failure::Refused(refused.ip().to_string()));
            }
        }
        Ok(parsed)
    }

    /// POSTs `body` as `Content-Type: application/json` with `headers`.
    pub async fn post_json(
        &self,
        url: &str,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<Answer, Failure> {
        let url = self.check(url).await?;
        let request = self
            .client
            .post(url)
            .headers(headers)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body);
        self.send(request).await
    }

    /// GETs `url` (a CRC challenge's query in it).
    pub async fn get(&self, url: &str, headers: HeaderMap) -> Result<Answer, Failure> {
        let url = self.check(url).await?;
        self.send(self.client.get(url).headers(headers)).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, Failure> {
        let started = Instant::now();
        let response = request.send().await.map_err(failure)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut kept = Vec::new();
        let mut truncated = false;
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(failure)?;
            let room = self.limits.body_bytes.saturating_sub(kept.len());
            if chunk.len() > room {
                kept.extend_from_slice(chunk.get(..room).unwrap_or_default());
                truncated = true;
                break;
            }
            kept.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            headers,
            body: Bytes::from(kept),
            truncated,
            elapsed: started.elapsed(),
        })
    }
}

/// What a reqwest error was, as a [`Failure`].
fn failure(e: reqwest::Error) -> Failure {
    if e.is_timeout() {
        return Failure::Timeout;
    }
    let mut source: Option<&(dyn StdError + 'static)> = Some(&e);
    while let Some(s) = source {
        if let Some(RefusedAddress(ip)) = s.downcast_ref::<RefusedAddress>() {
            return Failure::Refused(ip.to_string());
        }
        source = s.source();
    }
    let mut why = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        why = format!("{why}: {s}");
        source = s.source();
    }
    if e.is_redirect() {
        return Failure::Refused(why);
    }
    Failure::Unreachable(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn inward_addresses_are_not_public() {
        for inward in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "::127.0.0.1",
        ] {
            assert!(!is_public(ip(inward)), "{inward} counted as public");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "64:ff9b::101:101",
        ] {
            assert!(is_public(ip(public)), "{public} counted as inward");
        }
    }

    #[test]
    fn the_operator_allows_ranges() {
        let policy =
            Policy::allowing(&["127.0.0.1".into(), "10.0.0.0/8".into()]).unwrap_or_default();
        assert!(policy.permits(ip("127.0.0.1")));
        assert!(policy.permits(ip("10.200.0.1")));
        assert!(!policy.permits(ip("127.0.0.2")));
        assert!(!policy.permits(ip("192.168.0.1")));
        assert!(Policy::allowing(&["not a range".into()]).is_err());
    }
}
