//! Feed tasks: one per exchange connection. Owns sockets and HTTP; writes only to the store.

pub mod command;
