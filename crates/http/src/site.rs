//! Where the site is as its visitors see it: its origin (scheme, host and port). From
//! `server.public_url` when that is set; otherwise from the request: `Host` over plain HTTP,
//! or what a proxy says in `X-Forwarded-Host` and `X-Forwarded-Proto` — believed only from the
//! addresses in `server.trusted_proxies`, since anyone else could name any host or scheme.
//!
//! Two rules use it: a cookie-authenticated request whose `Origin` is not the site's is
//! refused (scheme included: `https://host` and `http://host` are different sites), and the
//! session cookie is `Secure` when the site is served over HTTPS.

use std::net::IpAddr;

use axum::http::{HeaderMap, header};
use ipnet::IpNet;

#[derive(Debug, Clone, Default)]
pub struct Site {
    /// `scheme://host[:port]`, lowercased, default port left out.
    public_origin: Option<String>,
    trusted_proxies: Vec<IpNet>,
    /// This server speaks HTTPS itself: a request not through a proxy came over it.
    serves_tls: bool,
}

impl Site {
    /// From the configuration; an error names the setting and what is wrong with it.
    pub fn new(public_url: &str, trusted_proxies: &[String]) -> Result<Site, String> {
        let public_origin = match public_url.trim() {
            "" => None,
            url => Some(public_origin(url).ok_or_else(|| {
                format!(
                    "server.public_url: '{url}' must be http:// or https:// and a host, with \
                     an optional port and nothing after it"
                )
            })?),
        };
        let trusted_proxies = trusted_proxies
            .iter()
            .map(|p| {
                p.parse::<IpNet>()
                    .or_else(|_| p.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("server.trusted_proxies: '{p}' is not an address or a CIDR range")
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Site {
            public_origin,
            trusted_proxies,
            serves_tls: false,
        })
    }

    /// `server.public_url`'s origin, when configured (links in what is sent outward, where
    /// no request says where the site is).
    pub fn public_origin(&self) -> Option<&str> {
        self.public_origin.as_deref()
    }

    /// The same site, served over HTTPS directly when `tls` (`server.tls_cert`).
    #[must_use]
    pub fn serving_tls(self, tls: bool) -> Site {
        Site {
            serves_tls: tls,
            ..self
        }
    }

    /// The origin the browser used for this request, if it can be told.
    pub fn origin(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<String> {
        if let Some(origin) = &self.public_origin {
            return Some(origin.clone());
        }
        let proxied = peer.is_some_and(|ip| self.trusted_proxies.iter().any(|n| n.contains(&ip)));
        let forwarded = |name: &str| {
            proxied
                .then(|| headers.get(name)?.to_str().ok())
                .flatten()
                // A chain of proxies lists the first (the browser's) first.
                .and_then(|v| v.split(',').next())
                .map(str::trim)
        };
        let served = if self.serves_tls { "https" } else { "http" };
        let scheme = forwarded("x-forwarded-proto").unwrap_or(served);
        let host =
            forwarded("x-forwarded-host").or_else(|| headers.get(header::HOST)?.to_str().ok())?;
        public_origin(&format!("{scheme}://{host}"))
    }

    /// Whether the browser reached the site over HTTPS.
    pub fn is_https(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> bool {
        self.origin(headers, peer)
            .is_some_and(|o| o.starts_with("https://"))
    }

    /// Whether a browser's `Origin` header (if it sent one) names this site.
    pub fn same_origin(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let sent = origin.to_str().ok().and_then(public_origin);
        sent.is_some() && sent == self.origin(headers, peer)
    }
}

/// `scheme://host[:port]` in one spelling: lowercased, without a default port; `None` for
/// anything else (a path, another scheme, no host).
fn public_origin(url: &str) -> Option<String> {
    let url = url.trim().to_ascii_lowercase();
    let (scheme, rest) = url.split_once("://")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let default_port = match scheme {
        "http" => ":80",
        "https" => ":443",
        _ => return None,
    };
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    let host = rest.strip_suffix(default_port).unwrap_or(rest);
    Some(format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            if let Ok(v) = v.parse() {
                h.insert(*k, v);
            }
        }
        h
    }

    #[test]
    fn origins_have_one_spelling() {
        assert_eq!(
            public_origin("HTTPS://Example.com:443/").as_deref(),
            Some("https://example.com")
        );
        assert_eq!(
            public_origin("http://h:8080").as_deref(),
            Some("http://h:8080")
        );
        for bad in ["ftp://h", "https://", "https://h/path", "h", "https://u@h"] {
            assert_eq!(public_origin(bad), None, "{bad}");
        }
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let site = Site::new("", &["10.0.0.0/8".into()]).unwrap_or_default();
        let h = headers(&[
            ("host", "internal:8080"),
            ("x-forwarded-host", "dm.example.com"),
            ("x-forwarded-proto", "https"),
        ]);
        let proxy = Some(IpAddr::from([10, 1, 2, 3]));
        let stranger = Some(IpAddr::from([192, 0, 2, 1]));
        assert_eq!(
            site.origin(&h, proxy).as_deref(),
            Some("https://dm.example.com")
        );
        assert_eq!(
            site.origin(&h, stranger).as_deref(),
            Some("http://internal:8080")
        );
        assert!(site.is_https(&h, proxy) && !site.is_https(&h, stranger));
    }

    #[test]
    fn the_scheme_is_part_of_the_origin() {
        let site = Site::default();
        let h = headers(&[("host", "h:8080"), ("origin", "https://h:8080")]);
        assert!(!site.same_origin(&h, None));
        let h = headers(&[("host", "h:8080"), ("origin", "http://h:8080")]);
        assert!(site.same_origin(&h, None));
    }

    #[test]
    fn settings_that_do_not_parse_are_named() {
        let bad_url = Site::new("dm.example.com", &[]).err().unwrap_or_default();
        assert!(bad_url.starts_with("server.public_url"), "{bad_url}");
        let bad_proxy = Site::new("", &["proxy".into()]).err().unwrap_or_default();
        assert!(
            bad_proxy.starts_with("server.trusted_proxies"),
            "{bad_proxy}"
        );
    }
}
