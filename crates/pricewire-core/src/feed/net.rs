//! Dialling: one [`Connector`] yields a byte stream (TCP, or an in-memory pipe in tests),
//! over which the WebSocket handshake and REST requests run. Both share one TLS setup
//! (rustls, `ring`, bundled web-pki roots; verification is never disabled) and one error
//! type whose text is the reason shown in the state history.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http_body_util::{BodyExt, Either, Empty, Full, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The header the built-in simulator puts on every reply, the WebSocket upgrade included,
/// so that a client learns on every connection, without asking, that the market behind it
/// is made up. A real venue never sends it.
pub const SIMULATOR_HEADER: &str = "x-pricewire-simulator";

/// Whether a reply's headers announce the simulator ([`SIMULATOR_HEADER`] with any value).
pub fn announces_simulator(headers: &hyper::HeaderMap) -> bool {
    headers.contains_key(SIMULATOR_HEADER)
}

/// The upgrade response a WebSocket handshake ended with (status 101 and its headers).
pub type Upgrade = tokio_tungstenite::tungstenite::handshake::client::Response;

/// Any bidirectional byte stream.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// A dialled byte stream, as a [`Connector`] yields it.
pub type BoxIo = Box<dyn Io>;
/// A WebSocket over a dialled stream, inside TLS for `wss://`.
pub type Ws = WebSocketStream<MaybeTlsStream<BoxIo>>;
/// A boxed future that can move between threads: what [`Connector::dial`] and a
/// [`Resolver`] return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a connection or request failed. `Display` is the history's reason text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// The address cannot be used: malformed, not `ws(s)://` / `http(s)://`, or without a
    /// host. Waiting cannot fix it, so a feed stops on it rather than retry its WebSocket.
    #[error("bad URL {0}")]
    Url(String),
    /// The host name did not resolve, or resolved to no address; the text names the host.
    #[error("DNS: {0}")]
    Dns(String),
    /// The host refused the connection (for a name with several addresses, the last
    /// one tried did).
    #[error("connection refused")]
    Refused,
    /// The whole attempt (dial, TLS, then the handshake or the request and its body)
    /// took longer than its timeout.
    #[error("connect timeout")]
    Timeout,
    /// TLS failed: certificate, server name or handshake; the text says which.
    #[error("TLS: {0}")]
    Tls(String),
    /// The server answered with an HTTP error: a refused WebSocket upgrade, or a REST
    /// status other than 200.
    #[error("HTTP {status}{}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The wait the reply's `Retry-After` asks for, when given in seconds.
        retry_after: Option<Duration>,
    },
    /// Any other I/O or protocol failure; the text says what.
    #[error("{0}")]
    Io(String),
    /// The reply body could not be read within this many bytes (any failure reading the
    /// body is reported so).
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
}

/// Opens byte streams to `host:port`.
pub trait Connector: Send + Sync + 'static {
    /// Open a byte stream to `host:port`; TLS, if any, comes on top of it.
    fn dial<'a>(&'a self, host: &'a str, port: u16) -> BoxFuture<'a, Result<BoxIo, NetError>>;
}

/// Turns a host name and port into addresses. Production has one, [`system_resolver`];
/// tests pass their own so that a DNS failure is shown without asking the network.
pub type Resolver =
    Arc<dyn Fn(String, u16) -> BoxFuture<'static, std::io::Result<Vec<SocketAddr>>> + Send + Sync>;

/// The system resolver (`getaddrinfo`, through tokio); IP literals are returned as they are.
pub fn system_resolver() -> Resolver {
    Arc::new(|host, port| {
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host.as_str(), port))
                .await?
                .collect())
        })
    })
}

/// Real TCP, resolving names first so a DNS failure is told apart from a refusal.
#[derive(Clone)]
pub struct TcpConnector {
    resolve: Resolver,
}

impl Default for TcpConnector {
    /// Names resolved by the system resolver.
    fn default() -> Self {
        TcpConnector::with_resolver(system_resolver())
    }
}

impl TcpConnector {
    /// TCP with names resolved by `resolve`.
    pub fn with_resolver(resolve: Resolver) -> Self {
        TcpConnector { resolve }
    }
}

impl Connector for TcpConnector {
    fn dial<'a>(&'a self, host: &'a str, port: u16) -> BoxFuture<'a, Result<BoxIo, NetError>> {
        Box::pin(async move {
            let addrs = (self.resolve)(host.to_string(), port)
                .await
                .map_err(|e| NetError::Dns(format!("{host}: {e}")))?;
            if addrs.is_empty() {
                return Err(NetError::Dns(format!("{host}: no addresses")));
            }
            let mut last = NetError::Refused;
            for addr in addrs {
                match TcpStream::connect(addr).await {
                    Ok(stream) => {
                        // Tickers are small and latency matters more than packet count.
                        let _ = stream.set_nodelay(true);
                        return Ok(Box::new(stream) as BoxIo);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                        last = NetError::Refused;
                    }
                    Err(e) => last = NetError::Io(e.to_string()),
                }
            }
            Err(last)
        })
    }
}

/// Scheme, host and port of a `ws(s)://` or `http(s)://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `wss://` or `https://`: the stream is wrapped in TLS.
    pub secure: bool,
    /// Host name or IP address, without an IPv6 address's brackets.
    pub host: String,
    /// The URL's port, else 443 when secure and 80 when not.
    pub port: u16,
    /// The whole URL, parsed.
    pub uri: hyper::Uri,
}

/// Split a `ws(s)://` or `http(s)://` URL into a [`Target`]; anything else, or no host,
/// is [`NetError::Url`].
pub fn target(url: &str) -> Result<Target, NetError> {
    let uri: hyper::Uri = url.parse().map_err(|_| NetError::Url(url.to_string()))?;
    let secure = match uri.scheme_str() {
        Some("wss" | "https") => true,
        Some("ws" | "http") => false,
        _ => return Err(NetError::Url(url.to_string())),
    };
    let host = uri
        .host()
        .ok_or_else(|| NetError::Url(url.to_string()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    Ok(Target {
        secure,
        host,
        port,
        uri,
    })
}

/// The one TLS client configuration: `ring`, web-pki roots, full verification.
pub fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            // The ring provider supports the safe default versions; should that ever fail,
            // a config that trusts nothing is the safe fallback (every TLS connect fails
            // with a clear reason rather than being accepted unverified).
            let config = match rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
            {
                Ok(b) => b.with_root_certificates(roots).with_no_client_auth(),
                Err(e) => {
                    tracing::error!(error = %e, "TLS setup failed; TLS connections will fail");
                    rustls::ClientConfig::builder()
                        .with_root_certificates(rustls::RootCertStore::empty())
                        .with_no_client_auth()
                }
            };
            Arc::new(config)
        })
        .clone()
}

fn io_error(e: &std::io::Error) -> NetError {
    // rustls reports certificate problems as InvalidData io errors.
    if e.kind() == std::io::ErrorKind::InvalidData
        && let Some(inner) = e.get_ref()
    {
        return NetError::Tls(inner.to_string());
    }
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => NetError::Refused,
        _ => NetError::Io(e.to_string()),
    }
}

fn ws_error(e: tokio_tungstenite::tungstenite::Error) -> NetError {
    use tokio_tungstenite::tungstenite::Error as E;
    match e {
        E::Io(io) => io_error(&io),
        E::Tls(t) => NetError::Tls(t.to_string()),
        E::Http(resp) => NetError::Status {
            status: resp.status().as_u16(),
            retry_after: retry_after(resp.headers()),
        },
        E::Url(u) => NetError::Url(u.to_string()),
        other => NetError::Io(format!("WebSocket handshake: {other}")),
    }
}

fn retry_after(headers: &hyper::HeaderMap) -> Option<Duration> {
    headers
        .get(hyper::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Dial and complete the WebSocket handshake (TLS included for `wss://`), all within
/// `timeout`. Frames and messages above `max_frame` bytes are refused by the reader.
/// Returns the upgrade response too: its headers say who answered
/// ([`announces_simulator`]).
pub async fn connect_ws(
    connector: &dyn Connector,
    url: &str,
    max_frame: usize,
    timeout: Duration,
) -> Result<(Ws, Upgrade), NetError> {
    let t = target(url)?;
    let config = WebSocketConfig::default()
        .max_frame_size(Some(max_frame))
        .max_message_size(Some(max_frame));
    let attempt = async {
        let io = connector.dial(&t.host, t.port).await?;
        let tls = tokio_tungstenite::Connector::Rustls(tls_config());
        tokio_tungstenite::client_async_tls_with_config(url, io, Some(config), Some(tls))
            .await
            .map_err(ws_error)
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| NetError::Timeout)?
}

/// A REST reply that arrived (any status).
#[derive(Debug, Clone)]
pub struct HttpReply {
    /// The HTTP status code.
    pub status: u16,
    /// The wait the `Retry-After` header asks for, when given in seconds.
    pub retry_after: Option<Duration>,
    /// The body as text (invalid UTF-8 replaced, never rejected).
    pub body: String,
    /// The reply carried [`SIMULATOR_HEADER`].
    pub simulated: bool,
}

/// One HTTP/1.1 request over a fresh connection, bounded in time and size. It goes
/// straight to the URL's host through the feed's connector: no proxy variable is read, so
/// a request to the simulator on 127.0.0.1 can never be sent to an `HTTP_PROXY`.
pub async fn http(
    connector: &dyn Connector,
    method: hyper::Method,
    url: &str,
    max_body: usize,
    timeout: Duration,
) -> Result<HttpReply, NetError> {
    http_with_body(connector, method, url, None, max_body, timeout).await
}

/// POST a JSON body (an alert to a webhook); the reply as [`http`] gives it.
pub async fn post_json(
    connector: &dyn Connector,
    url: &str,
    json: String,
    max_body: usize,
    timeout: Duration,
) -> Result<HttpReply, NetError> {
    let body = Some(("application/json", Bytes::from(json)));
    http_with_body(connector, hyper::Method::POST, url, body, max_body, timeout).await
}

/// [`http`] with a request body: `(content type, bytes)` (a webhook's JSON POST).
pub async fn http_with_body(
    connector: &dyn Connector,
    method: hyper::Method,
    url: &str,
    body: Option<(&str, Bytes)>,
    max_body: usize,
    timeout: Duration,
) -> Result<HttpReply, NetError> {
    let t = target(url)?;
    let attempt = async {
        let io = connector.dial(&t.host, t.port).await?;
        let io: BoxIo = if t.secure {
            let name = rustls::pki_types::ServerName::try_from(t.host.clone())
                .map_err(|e| NetError::Tls(e.to_string()))?;
            let tls = tokio_rustls::TlsConnector::from(tls_config())
                .connect(name, io)
                .await
                .map_err(|e| io_error(&e))?;
            Box::new(tls)
        } else {
            io
        };
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| NetError::Io(e.to_string()))?;
        let driver = tokio::spawn(conn);
        let path = t.uri.path_and_query().map_or("/", |p| p.as_str());
        let authority = t.uri.authority().map_or(t.host.as_str(), |a| a.as_str());
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, authority)
            .header(
                hyper::header::USER_AGENT,
                concat!("pricewire/", env!("CARGO_PKG_VERSION")),
            )
            .header(hyper::header::ACCEPT, "application/json");
        let payload = match body {
            Some((content_type, bytes)) => {
                req = req.header(hyper::header::CONTENT_TYPE, content_type);
                Either::Right(Full::new(bytes))
            }
            None => Either::Left(Empty::<Bytes>::new()),
        };
        let req = req
            .body(payload)
            .map_err(|e| NetError::Url(e.to_string()))?;
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| NetError::Io(e.to_string()))?;
        let status = resp.status().as_u16();
        let retry_after = retry_after(resp.headers());
        let simulated = announces_simulator(resp.headers());
        let body = Limited::new(resp.into_body(), max_body)
            .collect()
            .await
            .map_err(|_| NetError::TooLarge(max_body))?
            .to_bytes();
        driver.abort();
        Ok(HttpReply {
            status,
            retry_after,
            body: String::from_utf8_lossy(&body).into_owned(),
            simulated,
        })
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| NetError::Timeout)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = target("wss://ws.kraken.com/v2").unwrap();
        assert_eq!(
            (t.secure, t.host.as_str(), t.port),
            (true, "ws.kraken.com", 443)
        );
        let t = target("http://127.0.0.1:8080/0/public/Ticker?pair=XBTUSD").unwrap();
        assert_eq!(
            (t.secure, t.host.as_str(), t.port),
            (false, "127.0.0.1", 8080)
        );
        assert!(target("ftp://x").is_err());
        assert!(target("not a url").is_err());
    }

    #[test]
    fn reasons_read_well() {
        assert_eq!(NetError::Refused.to_string(), "connection refused");
        assert_eq!(NetError::Timeout.to_string(), "connect timeout");
        assert_eq!(
            NetError::Status {
                status: 429,
                retry_after: Some(Duration::from_secs(2))
            }
            .to_string(),
            "HTTP 429 (retry after 2s)"
        );
    }

    /// A resolver that answers as DNS does for an `.invalid` name (RFC 6761: never
    /// resolves) without asking the network, and records each question.
    fn nxdomain(asked: Arc<std::sync::Mutex<Vec<(String, u16)>>>) -> Resolver {
        Arc::new(move |host, port| {
            asked.lock().unwrap().push((host, port));
            Box::pin(async {
                Err(std::io::Error::other(
                    "failed to lookup address information: Name or service not known",
                ))
            })
        })
    }

    #[tokio::test]
    async fn unresolvable_host_is_a_dns_error() {
        let asked = Arc::default();
        let err = TcpConnector::with_resolver(nxdomain(Arc::clone(&asked)))
            .dial("nonexistent.invalid", 443)
            .await
            .err()
            .unwrap();
        assert!(matches!(err, NetError::Dns(_)), "{err}");
        assert_eq!(
            err.to_string(),
            "DNS: nonexistent.invalid: failed to lookup address information: Name or service not known"
        );
        assert_eq!(
            *asked.lock().unwrap(),
            [("nonexistent.invalid".to_string(), 443)]
        );
    }

    #[tokio::test]
    async fn a_name_with_no_addresses_is_a_dns_error() {
        let none: Resolver = Arc::new(|_, _| Box::pin(async { Ok(Vec::new()) }));
        let err = TcpConnector::with_resolver(none)
            .dial("empty.invalid", 80)
            .await
            .err()
            .unwrap();
        assert_eq!(err, NetError::Dns("empty.invalid: no addresses".into()));
    }

    #[tokio::test]
    async fn the_system_resolver_takes_ip_literals_without_dns() {
        let addrs = system_resolver()("127.0.0.1".into(), 8080).await.unwrap();
        assert_eq!(addrs, ["127.0.0.1:8080".parse::<SocketAddr>().unwrap()]);
    }

    #[tokio::test]
    async fn closed_port_is_refused() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let err = TcpConnector::default()
            .dial("127.0.0.1", port)
            .await
            .err()
            .unwrap();
        assert_eq!(err, NetError::Refused);
    }
}
