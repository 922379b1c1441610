//! The timed parts of a WebSocket session besides data: the server's keep-alive
//! ([`Venue::keep_alive`]), the `maintenance` scenario as the venue plays it
//! ([`Maintenance`]: a status window, a restart notice then a close, or a close at once),
//! and how a session ends (close grace, silence). Timing and framing only: the session
//! loop in `session.rs` calls in and does the sending; this module knows nothing of it and
//! works on any WebSocket stream.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::time::{Instant, Interval, MissedTickBehavior, interval_at, timeout};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;

use super::venue::{Conn, KeepAlive, Maintenance, Subscriptions, Venue};

/// How long status-style maintenance withholds data after connecting, and how far apart
/// a restart's notice and close are.
const MAINTENANCE: Duration = Duration::from_secs(5);
/// How long a clean close waits for the client's close reply.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// How a session ends.
pub(super) enum End {
    /// Abrupt: drop the socket, no close frame.
    Drop,
    /// A close frame was sent; wait briefly for the reply.
    Closed,
    /// Go silent: keep the socket, send nothing.
    Silent,
}

/// The next step of a restart-style maintenance.
pub(super) enum Step {
    /// Send the venue's restart notice; the close follows [`MAINTENANCE`] later.
    Notice(String),
    /// Close with 1001.
    Close,
}

/// One session's timers besides the data tick.
pub(super) struct Upkeep {
    /// When status-style maintenance ends.
    online_at: Instant,
    /// Restart-style maintenance: when the next step is due, and whether the notice is out.
    restart: Option<(Instant, bool)>,
    keep_alive: Interval,
}

impl Upkeep {
    /// Timers from `start`; `maintenance` is how the venue plays the scenario, when the
    /// session plays it. `heartbeat` is the configured heartbeat interval.
    pub(super) fn new(
        venue: &dyn Venue,
        maintenance: Option<Maintenance>,
        start: Instant,
        heartbeat: Duration,
    ) -> Upkeep {
        let floor = Duration::from_millis(1);
        let every = venue.keep_alive_every(heartbeat.max(floor)).max(floor);
        let mut keep_alive = interval_at(start + every, every);
        keep_alive.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let online_at = start + MAINTENANCE;
        Upkeep {
            online_at,
            restart: (maintenance == Some(Maintenance::Restart)).then_some((online_at, false)),
            keep_alive,
        }
    }

    pub(super) fn online_at(&self) -> Instant {
        self.online_at
    }

    /// When the next restart step is due, if the session plays one.
    pub(super) fn restart_at(&self) -> Option<Instant> {
        self.restart.map(|(at, _)| at)
    }

    /// The restart step now due: the notice ([`Venue::status`] going offline) first,
    /// then the close; the close at once when the venue has no notice.
    pub(super) fn restart_step(&mut self, venue: &dyn Venue, connection_id: u64) -> Step {
        let noticed = self.restart.take().is_some_and(|(_, noticed)| noticed);
        match venue.status(false, connection_id) {
            Some(notice) if !noticed => {
                self.restart = Some((Instant::now() + MAINTENANCE, true));
                Step::Notice(notice)
            }
            _ => Step::Close,
        }
    }

    /// Completes when the venue's keep-alive is next due.
    pub(super) async fn keep_alive_due(&mut self) {
        self.keep_alive.tick().await;
    }
}

/// The keep-alive to send now, if the venue sends one: a text frame or a WebSocket Ping.
pub(super) fn keep_alive(
    venue: &dyn Venue,
    subs: &Subscriptions,
    conn: &mut Conn,
) -> Option<Message> {
    let frame = venue.keep_alive(subs, conn, chrono::Utc::now())?;
    conn.keep_alives += 1;
    Some(match frame {
        KeepAlive::Text(text) => Message::text(text),
        KeepAlive::Ping(payload) => Message::Ping(payload.into()),
    })
}

/// A clean close with 1001 "going away".
pub(super) async fn go_away<S>(ws: &mut WebSocketStream<S>, reason: &str) -> Result<End, WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let frame = CloseFrame {
        code: CloseCode::Away,
        reason: reason.into(),
    };
    ws.send(Message::Close(Some(frame))).await?;
    Ok(End::Closed)
}

/// Play out `end` on the socket until the client leaves or `token` is cancelled.
pub(super) async fn finish<S>(ws: &mut WebSocketStream<S>, end: End, token: &CancellationToken)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match end {
        End::Drop => {}
        End::Closed => {
            let drain = async { while let Some(Ok(_)) = ws.next().await {} };
            tokio::select! {
                _ = timeout(CLOSE_GRACE, drain) => {}
                () = token.cancelled() => {}
            }
        }
        End::Silent => {
            // Read and discard raw bytes below the WebSocket layer, so not even protocol
            // pongs go out, while still noticing when the client hangs up.
            let mut buf = vec![0u8; 4096];
            let io = ws.get_mut();
            loop {
                tokio::select! {
                    r = io.read(&mut buf) => if !matches!(r, Ok(n) if n > 0) { break },
                    () = token.cancelled() => break,
                }
            }
        }
    }
}
