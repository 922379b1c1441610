//! Why a WebSocket session ended, and the reason text each end puts in the history.

use std::time::Duration;

use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEnd {
    /// The server closed (or the connection broke); the text names the code.
    Closed(String),
    Silence(Duration),
    PongTimeout(Duration),
    /// The venue announced a restart, or a connection-age limit is near.
    Planned(String),
    /// A subscription stayed silent after a resubscribe.
    SymbolSilent(String),
    /// Wall clock moved far more than the monotonic clock (sleep/resume, clock jump).
    ClockJump(Duration),
    Manual,
    /// The last symbol was removed: the connection is closed until one is added.
    Idle,
    Shutdown,
}

impl SessionEnd {
    pub fn reason(&self) -> String {
        match self {
            SessionEnd::Closed(text) => text.clone(),
            SessionEnd::Silence(d) => format!("no data for {} s", d.as_secs()),
            SessionEnd::PongTimeout(d) => format!("pong not received within {} s", d.as_secs()),
            SessionEnd::Planned(why) => format!("planned reconnect: {why}"),
            SessionEnd::SymbolSilent(sym) => {
                format!("{sym}: subscription acked but no data; reconnecting")
            }
            SessionEnd::ClockJump(d) => {
                format!(
                    "clock jumped {} s (sleep or resume); reconnecting",
                    d.as_secs()
                )
            }
            SessionEnd::Manual => "manual reconnect".into(),
            SessionEnd::Idle => "nothing left to watch".into(),
            SessionEnd::Shutdown => "shutdown".into(),
        }
    }

    /// Ends that say nothing bad about the venue: reconnect at once, count no failure.
    pub fn is_benign(&self) -> bool {
        matches!(
            self,
            SessionEnd::Manual
                | SessionEnd::Idle
                | SessionEnd::Planned(_)
                | SessionEnd::Shutdown
                | SessionEnd::ClockJump(_)
        )
    }
}

pub(super) fn close_text(frame: Option<&CloseFrame>) -> String {
    match frame {
        Some(f) => {
            let code = u16::from(f.code);
            let name = match f.code {
                CloseCode::Normal => " normal",
                CloseCode::Away => " going away",
                CloseCode::Again => " try again later",
                CloseCode::Size => " message too big",
                _ => "",
            };
            let reason = f.reason.as_str();
            if reason.is_empty() {
                format!("closed by server ({code}{name})")
            } else {
                format!("closed by server ({code}{name}: {reason})")
            }
        }
        None => "closed by server (1005, no status)".into(),
    }
}

pub(super) fn read_error_text(
    e: &tokio_tungstenite::tungstenite::Error,
    max_frame: usize,
) -> String {
    use tokio_tungstenite::tungstenite::Error as E;
    match e {
        E::Capacity(_) => {
            format!("frame larger than the {max_frame}-byte limit; connection dropped")
        }
        E::Protocol(p) => format!("connection lost (1006): {p}"),
        E::Io(io) => format!("connection lost (1006): {io}"),
        other => format!("connection lost (1006): {other}"),
    }
}
