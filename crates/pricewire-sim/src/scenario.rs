//! [`Scenario`]: the scripted behaviours the simulator can play, with their command-line
//! spelling. Owns only the names and the parameters; what each scenario does on the wire
//! lives in `session.rs` (WebSocket) and `http.rs` (handshake and REST).

use std::fmt;
use std::str::FromStr;

/// How the simulator treats new connections. Selected at start and changeable at runtime
/// ([`super::SimServer::set_scenario`]); a running session keeps the scenario it began with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scenario {
    /// Every subscribed symbol updates once per tick interval; heartbeats once a second.
    #[default]
    Steady,
    /// Pre-encoded update frames sent as fast as the socket accepts (throughput source).
    Burst,
    /// As `Burst`, until the connection has carried N ticker frames (snapshots included);
    /// then heartbeats only, the socket kept open: a burst of known size, so a client's
    /// drops can be counted.
    BurstOf(u64),
    /// After N ticker frames, close the TCP connection without a close frame.
    DropAfter(u64),
    /// After N ticker frames, a clean close with 1001 "going away".
    CloseAfter(u64),
    /// After N ticker frames, send nothing at all (no heartbeats, no pongs); socket stays open.
    SilentAfter(u64),
    /// Acks and heartbeats, never any ticker data.
    AckedButSilent,
    /// The WebSocket upgrade is answered with HTTP 503; REST still works.
    RefuseWs,
    /// Nothing listens: connections are refused, open ones are closed.
    Down,
    /// About one frame in five is malformed (not JSON, wrong schema, truncated, binary).
    Garbage,
    /// The upgrade response is held for 60 s.
    SlowConnect,
    /// Status `maintenance` for the first 5 s of a connection, no ticker data, then `online`.
    /// Venues without a status channel play a restart (notice, then 1001) or a close with
    /// 1001 at once instead (`venue::Maintenance`).
    Maintenance,
    /// After a few ticker frames, one 4 MiB text frame.
    Oversized,
    /// Application-level pings are ignored; data continues.
    PongNever,
    /// Every connection: three ticker frames, then an abrupt close.
    Flapping,
    /// REST answers 429 with `Retry-After: 2`.
    Rest429,
    /// REST answers 500.
    Rest500,
}

/// Names without a parameter, in the order `--help` and errors list them.
const SIMPLE: [(&str, Scenario); 13] = [
    ("steady", Scenario::Steady),
    ("burst", Scenario::Burst),
    ("acked-but-silent", Scenario::AckedButSilent),
    ("refuse-ws", Scenario::RefuseWs),
    ("down", Scenario::Down),
    ("garbage", Scenario::Garbage),
    ("slow-connect", Scenario::SlowConnect),
    ("maintenance", Scenario::Maintenance),
    ("oversized", Scenario::Oversized),
    ("pong-never", Scenario::PongNever),
    ("flapping", Scenario::Flapping),
    ("rest-429", Scenario::Rest429),
    ("rest-500", Scenario::Rest500),
];

/// Names that take a frame count: `drop-after:N`.
const COUNTED: [&str; 4] = ["burst", "drop-after", "close-after", "silent-after"];

impl Scenario {
    /// Every accepted spelling, for help texts and error messages.
    pub fn names() -> String {
        let mut names: Vec<String> = SIMPLE.iter().map(|(n, _)| (*n).to_string()).collect();
        names.extend(COUNTED.iter().map(|n| format!("{n}:N")));
        names.join(", ")
    }

    /// Whether the scenario streams bursts instead of steady ticks.
    pub(crate) fn bursts(self) -> bool {
        matches!(self, Scenario::Burst | Scenario::BurstOf(_))
    }

    /// The ticker-frame budget after which the session changes behaviour, if any.
    pub(crate) fn frame_limit(self) -> Option<u64> {
        match self {
            Scenario::BurstOf(n)
            | Scenario::DropAfter(n)
            | Scenario::CloseAfter(n)
            | Scenario::SilentAfter(n) => Some(n),
            Scenario::Flapping => Some(3),
            _ => None,
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scenario::BurstOf(n) => write!(f, "burst:{n}"),
            Scenario::DropAfter(n) => write!(f, "drop-after:{n}"),
            Scenario::CloseAfter(n) => write!(f, "close-after:{n}"),
            Scenario::SilentAfter(n) => write!(f, "silent-after:{n}"),
            other => {
                let name = SIMPLE
                    .iter()
                    .find(|(_, s)| s == other)
                    .map_or("?", |(n, _)| *n);
                f.write_str(name)
            }
        }
    }
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim().to_ascii_lowercase();
        if let Some((_, scenario)) = SIMPLE.iter().find(|(n, _)| *n == text) {
            return Ok(*scenario);
        }
        let unknown = || format!("unknown scenario '{s}' (known: {})", Scenario::names());
        let (name, count) = text.split_once(':').ok_or_else(unknown)?;
        if !COUNTED.contains(&name) {
            return Err(unknown());
        }
        let n: u64 = count
            .parse()
            .map_err(|_| format!("scenario '{s}': '{count}' is not a frame count"))?;
        Ok(match name {
            "burst" => Scenario::BurstOf(n),
            "drop-after" => Scenario::DropAfter(n),
            "close-after" => Scenario::CloseAfter(n),
            _ => Scenario::SilentAfter(n),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_round_trips() {
        let all = [
            Scenario::Steady,
            Scenario::Burst,
            Scenario::BurstOf(100_000),
            Scenario::DropAfter(5),
            Scenario::CloseAfter(0),
            Scenario::SilentAfter(12),
            Scenario::AckedButSilent,
            Scenario::RefuseWs,
            Scenario::Down,
            Scenario::Garbage,
            Scenario::SlowConnect,
            Scenario::Maintenance,
            Scenario::Oversized,
            Scenario::PongNever,
            Scenario::Flapping,
            Scenario::Rest429,
            Scenario::Rest500,
        ];
        for s in all {
            assert_eq!(s.to_string().parse::<Scenario>(), Ok(s), "{s}");
        }
    }

    #[test]
    fn parse_cases() {
        assert_eq!("drop-after:3".parse(), Ok(Scenario::DropAfter(3)));
        assert_eq!(" Burst ".parse(), Ok(Scenario::Burst));
        assert_eq!("burst:7".parse(), Ok(Scenario::BurstOf(7)));
        assert_eq!("rest-429".parse(), Ok(Scenario::Rest429));
        let err = "stedy".parse::<Scenario>().unwrap_err();
        assert!(
            err.contains("stedy") && err.contains("pong-never") && err.contains("drop-after:N")
        );
        assert!("drop-after".parse::<Scenario>().is_err());
        assert!(
            "drop-after:x"
                .parse::<Scenario>()
                .unwrap_err()
                .contains("frame count")
        );
        assert!("steady:3".parse::<Scenario>().is_err());
        assert!("drop-after:-1".parse::<Scenario>().is_err());
    }
}
