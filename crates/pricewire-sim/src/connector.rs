//! Dials the simulator over an in-memory pipe, for tests on tokio's paused time (real
//! sockets would let paused time race ahead while they wait). The feed speaks to it with
//! exactly the code it uses over TCP, and the simulator answers with its TCP code too, so
//! its replies announce it (`X-Pricewire-Simulator`) here as well.

use std::sync::Arc;

use super::server::SimServer;
use pricewire_core::feed::net::{BoxFuture, BoxIo, Connector, NetError};

pub struct SimConnector {
    sim: Arc<SimServer>,
}

impl SimConnector {
    pub fn new(sim: Arc<SimServer>) -> Self {
        SimConnector { sim }
    }
}

impl Connector for SimConnector {
    fn dial<'a>(&'a self, _host: &'a str, _port: u16) -> BoxFuture<'a, Result<BoxIo, NetError>> {
        Box::pin(async move {
            self.sim
                .connect_in_memory()
                .map(|pipe| Box::new(pipe) as BoxIo)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::ConnectionRefused => NetError::Refused,
                    _ => NetError::Io(e.to_string()),
                })
        })
    }
}
