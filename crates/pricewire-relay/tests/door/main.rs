//! The relay's front door end to end: real relays with their front doors on 127.0.0.1,
//! a real redis-server (started by the relay's test helper) and the simulator; WebSocket
//! and SSE clients over real sockets; the web page in a real headless Chromium.

#[path = "../common/mod.rs"]
mod common;

mod cdp;
mod http;
mod limits;
mod page;
mod slow;
mod stream;
mod support;
