//! Where Redis is and how to reach it: the URL (`redis://` or `rediss://`), credentials
//! kept apart from it (so no message, log line or screen ever shows them), an optional CA
//! for TLS, and the typed errors every part of the relay reports. Connections are plain
//! multiplexed ones: nothing here retries a command on its own (a retried write that had
//! landed would land twice); callers reconnect with their own backoff.

use std::fmt;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, IntoConnectionInfo, RedisError};

/// Where Redis is, with what to present. `Debug` and `Display` never show the password.
#[derive(Clone)]
pub struct RedisTarget {
    /// The URL without credentials: `redis://host:port/db`.
    url: url::Url,
    username: Option<String>,
    password: Option<String>,
    /// PEM of the CA that signs the server's certificate (`rediss://` only); without it
    /// the system's roots are used.
    ca_pem: Option<Vec<u8>>,
}

impl fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisTarget({self})")
    }
}

impl fmt::Display for RedisTarget {
    /// The URL as it can be shown: no password, and a user name only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.url.clone();
        if let Some(user) = &self.username {
            let _ = shown.set_username(user);
        }
        f.write_str(shown.as_str())
    }
}

impl RedisTarget {
    /// Read `redis://[user[:password]@]host:port[/db]` (or `rediss://`). A password in the
    /// URL is taken out of it and kept apart; `password` (from the config or the
    /// environment) wins over it.
    pub fn parse(text: &str, password: Option<String>) -> Result<RedisTarget, LinkError> {
        let mut url = url::Url::parse(text.trim())
            .map_err(|e| LinkError::BadUrl(format!("{}: {e}", redact(text))))?;
        if !matches!(url.scheme(), "redis" | "rediss") {
            return Err(LinkError::BadUrl(format!(
                "{}: the scheme must be redis:// or rediss://",
                redact(text)
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(LinkError::BadUrl(format!("{}: no host", redact(text))));
        }
        let path = url.path().trim_start_matches('/');
        if !path.is_empty() && path.parse::<u16>().is_err() {
            return Err(LinkError::BadUrl(format!(
                "{}: the path must be a database number",
                redact(text)
            )));
        }
        let decode = |s: &str| percent_decode(s);
        let in_url = url.password().map(decode).filter(|p| !p.is_empty());
        let username = Some(decode(url.username())).filter(|u| !u.is_empty());
        let _ = url.set_password(None);
        let _ = url.set_username("");
        Ok(RedisTarget {
            url,
            username,
            password: password.filter(|p| !p.is_empty()).or(in_url),
            ca_pem: None,
        })
    }

    /// Whether the URL (as given) carried a password: `ps` shows a command line.
    pub fn url_has_password(text: &str) -> bool {
        url::Url::parse(text.trim()).is_ok_and(|u| u.password().is_some_and(|p| !p.is_empty()))
    }

    /// Trust `pem` (one or more CA certificates) for `rediss://`.
    #[must_use]
    pub fn with_ca(mut self, pem: Vec<u8>) -> Self {
        self.ca_pem = Some(pem);
        self
    }

    /// Connect as this user instead of the URL's.
    #[must_use]
    pub fn with_username(mut self, user: Option<String>) -> Self {
        if user.is_some() {
            self.username = user;
        }
        self
    }

    /// Whether it is `rediss://`.
    pub fn is_tls(&self) -> bool {
        self.url.scheme() == "rediss"
    }

    /// A client for it (nothing is dialled yet).
    pub fn client(&self) -> Result<Client, LinkError> {
        let info = self
            .url
            .as_str()
            .into_connection_info()
            .map_err(|e| LinkError::BadUrl(format!("{self}: {e}")))?;
        let mut settings = info.redis_settings().clone().set_skip_set_lib_name();
        if let Some(user) = &self.username {
            settings = settings.set_username(user);
        }
        if let Some(password) = &self.password {
            settings = settings.set_password(password);
        }
        let info = info.set_redis_settings(settings);
        match &self.ca_pem {
            Some(ca) if self.is_tls() => Client::build_with_tls(
                info,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(ca.clone()),
                },
            ),
            _ => Client::open(info),
        }
        .map_err(|e| LinkError::BadUrl(format!("{self}: {e}")))
    }

    /// Open one multiplexed connection: dial and handshake within `connect_timeout`, each
    /// reply within `response_timeout` (`None`: no limit, for blocking reads).
    pub async fn connect(
        &self,
        connect_timeout: Duration,
        response_timeout: Option<Duration>,
    ) -> Result<MultiplexedConnection, LinkError> {
        let client = self.client()?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(connect_timeout))
            .set_response_timeout(response_timeout);
        client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(LinkError::from)
    }
}

/// `%21` → `!`: URL user names and passwords arrive percent-encoded.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A URL with any password replaced by `***`, for error messages about the URL itself.
pub fn redact(text: &str) -> String {
    match url::Url::parse(text.trim()) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        // Unparseable: say nothing of what it held past the scheme.
        Err(_) => text
            .split_once("://")
            .map_or_else(|| "(unreadable URL)".into(), |(s, _)| format!("{s}://…")),
    }
}

/// What went wrong talking to Redis, in words a user acts on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The URL cannot be used; not retried.
    #[error("bad Redis URL {0}")]
    BadUrl(String),
    /// Redis refused the credentials (WRONGPASS, NOAUTH): fatal at start, retried with a
    /// long backoff later (a password may be rotated under a running program).
    #[error("Redis refused the credentials: {0}")]
    Auth(String),
    /// Nothing listens there.
    #[error("connection refused")]
    Refused,
    /// No answer within the time allowed.
    #[error("timed out")]
    Timeout,
    /// The connection dropped or could not be made.
    #[error("{0}")]
    Io(String),
    /// The user may not run a command or touch a key (an ACL).
    #[error("not permitted: {0}")]
    NoPerm(String),
    /// A key holds something the relay did not write there (wrong type, garbage).
    #[error("unexpected data in Redis: {0}")]
    Data(String),
    /// Any other error reply.
    #[error("{0}")]
    Server(String),
}

impl LinkError {
    /// Errors no retry fixes soon: a bad URL, refused credentials, a missing permission.
    pub fn is_fatal_at_start(&self) -> bool {
        matches!(
            self,
            LinkError::BadUrl(_) | LinkError::Auth(_) | LinkError::NoPerm(_)
        )
    }

    /// Errors that mean the link is gone (reconnect), as opposed to a reply that says no.
    pub fn is_link(&self) -> bool {
        matches!(
            self,
            LinkError::Refused | LinkError::Timeout | LinkError::Io(_)
        )
    }
}

impl From<RedisError> for LinkError {
    fn from(e: RedisError) -> Self {
        let code = e.code().unwrap_or_default().to_string();
        let detail = e.detail().unwrap_or_default().to_string();
        if e.kind() == redis::ErrorKind::AuthenticationFailed
            || matches!(code.as_str(), "WRONGPASS" | "NOAUTH")
        {
            return LinkError::Auth(if detail.is_empty() {
                e.to_string()
            } else {
                detail
            });
        }
        if code == "NOPERM" {
            return LinkError::NoPerm(detail);
        }
        if code == "WRONGTYPE" || detail.contains("WRONGTYPE") {
            return LinkError::Data(format!("a key holds the wrong kind of value ({detail})"));
        }
        if e.is_connection_refusal() {
            return LinkError::Refused;
        }
        if e.is_timeout() {
            return LinkError::Timeout;
        }
        if e.is_io_error() || e.is_connection_dropped() || e.is_unrecoverable_error() {
            return LinkError::Io(plain_io(&e));
        }
        if !code.is_empty() {
            // Script errors carry the inner error's words.
            if detail.contains("NOPERM") || detail.contains("No permissions") {
                return LinkError::NoPerm(detail);
            }
            return LinkError::Server(format!("{code} {detail}"));
        }
        LinkError::Io(plain_io(&e))
    }
}

/// An I/O error's words without the library's prefixes.
fn plain_io(e: &RedisError) -> String {
    let text = e.to_string();
    if text.contains("Connection refused") {
        "connection refused".into()
    } else if text.contains("Connection reset") {
        "connection reset".into()
    } else if text.contains("broken pipe") || text.contains("Broken pipe") {
        "connection lost".into()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_every_rendering() {
        let t = RedisTarget::parse("redis://desk:s3cr%21t@10.0.0.1:6380/2", None).unwrap();
        assert_eq!(t.password.as_deref(), Some("s3cr!t"));
        assert_eq!(t.username.as_deref(), Some("desk"));
        assert_eq!(t.to_string(), "redis://desk@10.0.0.1:6380/2");
        assert!(!format!("{t:?}").contains("s3cr"));
        assert!(RedisTarget::url_has_password("redis://:x@h:1"));
        assert!(!RedisTarget::url_has_password("redis://h:1"));
        assert_eq!(redact("redis://:hunter2@h:1"), "redis://:***@h:1");
        let env = RedisTarget::parse("redis://:inurl@h:1", Some("fromenv".into())).unwrap();
        assert_eq!(env.password.as_deref(), Some("fromenv"));
    }

    #[test]
    fn malformed_urls_are_refused_without_echoing_secrets() {
        for bad in [
            "http://h:1",
            "redis://",
            "redis://:pw@h:1/notadb",
            "nonsense",
        ] {
            let e = RedisTarget::parse(bad, None).unwrap_err();
            assert!(matches!(e, LinkError::BadUrl(_)), "{bad}: {e}");
            assert!(!e.to_string().contains("pw@"), "{e}");
            assert!(e.is_fatal_at_start());
        }
    }
}
