//! Who may use the front door. Browser origins: an exact scheme + host + port match
//! against the allow-list, or the page's own origin (the `Host` the request came to);
//! `null` and every other origin are refused. Requests without an `Origin` (curl, bots)
//! are not browsers and pass this check. Tokens are compared in constant time and never
//! logged. Browsers cannot put a token in a header of a WebSocket or an EventSource, so
//! streams take a first `auth` op (WebSocket) or a short-lived single-use ticket from
//! `POST /v1/sse/ticket` (SSE).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// An origin: scheme, host (lower case) and port (the scheme's default when not given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// Read `scheme://host[:port]` (nothing after it but an optional `/`).
    pub fn parse(text: &str) -> Option<Origin> {
        let url = url::Url::parse(text.trim()).ok()?;
        if !matches!(url.scheme(), "http" | "https")
            || !url.username().is_empty()
            || url.password().is_some()
            || url.path() != "/"
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return None;
        }
        Some(Origin {
            scheme: url.scheme().to_string(),
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port_or_known_default()?,
        })
    }

    /// `https://example.com:8443`.
    pub fn text(&self) -> String {
        format!("{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// Whether a request with these headers may stream: no `Origin`, an allowed one, or the
/// page's own (same host and port as `Host`, over http or https: TLS may end at a proxy).
pub fn origin_allowed(origin: Option<&str>, host: Option<&str>, allowed: &[Origin]) -> bool {
    let Some(origin) = origin else { return true };
    let Some(o) = Origin::parse(origin) else {
        return false;
    };
    if allowed.contains(&o) {
        return true;
    }
    let Some(host) = host else { return false };
    // The Host header: `name[:port]` (or `[v6]:port`); without a port, the origin's default.
    let Ok(authority) = host.trim().parse::<axum::http::uri::Authority>() else {
        return false;
    };
    authority.host().eq_ignore_ascii_case(&o.host)
        && authority.port_u16().unwrap_or(o.port) == o.port
}

/// Compare two secrets without an early exit.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

/// A random hex string of `bytes` bytes from the OS.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    if getrandom::fill(&mut buf).is_err() {
        // No OS randomness: still unguessable enough for a 30 s single-use ticket is not
        // a promise to make; fall back loudly.
        tracing::error!("no OS randomness; SSE tickets use a weaker generator");
        fastrand::fill(&mut buf);
    }
    buf.iter()
        .fold(String::with_capacity(bytes * 2), |mut s, b| {
            use std::fmt::Write;
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Single-use tickets for SSE, each valid for `ttl`.
pub struct Tickets {
    ttl: Duration,
    live: Mutex<HashMap<String, Instant>>,
}

impl Tickets {
    /// Tickets valid for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Tickets {
            ttl,
            live: Mutex::new(HashMap::new()),
        }
    }

    /// How long a ticket is valid.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A new ticket.
    pub fn issue(&self) -> String {
        let t = random_hex(24);
        let now = Instant::now();
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        live.retain(|_, until| *until > now);
        live.insert(t.clone(), now + self.ttl);
        t
    }

    /// Use a ticket up: true when it was issued, unused and in time.
    pub fn redeem(&self, ticket: &str) -> bool {
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        let found = live.keys().find(|k| same_secret(k, ticket)).cloned();
        match found.and_then(|k| live.remove(&k)) {
            Some(until) => until > Instant::now(),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_match_exactly() {
        let allowed = vec![Origin::parse("https://example.com").unwrap()];
        let ok = |o: &str, host: &str| origin_allowed(Some(o), Some(host), &allowed);
        assert!(ok("https://example.com", "relay:8080"));
        assert!(ok("https://example.com:443", "relay:8080"));
        assert!(ok("https://EXAMPLE.com", "relay:8080"));
        assert!(!ok("http://example.com", "relay:8080"));
        assert!(!ok("https://evil-example.com", "relay:8080"));
        assert!(!ok("https://example.com.evil.net", "relay:8080"));
        assert!(!ok("https://example.com:8443", "relay:8080"));
        assert!(!ok("null", "relay:8080"));
        assert!(!ok("https://user@example.com", "relay:8080"));
        // The page's own origin.
        assert!(ok("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(!ok("http://127.0.0.1:8081", "127.0.0.1:8080"));
        assert!(ok("https://relay.example", "relay.example"));
        assert!(!ok("http://127.0.0.1:8080", "garbage host!"));
        // No Origin: not a browser.
        assert!(origin_allowed(None, None, &allowed));
    }

    #[test]
    fn secrets_and_tickets() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        assert!(!same_secret("", "a"));
        let t = Tickets::new(Duration::from_secs(30));
        let ticket = t.issue();
        assert_eq!(ticket.len(), 48);
        assert!(!t.redeem("nope"));
        assert!(t.redeem(&ticket));
        assert!(!t.redeem(&ticket), "single use");
    }
}
