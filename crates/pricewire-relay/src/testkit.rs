//! A real `redis-server` for tests: started on 127.0.0.1 on a free port in a fresh temp
//! directory, without persistence (`--save '' --appendonly no`), ready once it logs that it
//! accepts connections, and killed (its directory removed) when dropped. A machine without
//! `redis-server` fails the test with an install hint: a test never skips silently.
//!
//! Behind the `test-util` feature; only tests use it.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What the install hint says when the binary is missing.
pub const INSTALL_HINT: &str = "redis-server is not installed: `apt-get install -y redis-server` (Debian/Ubuntu); the relay tests need a real Redis";

/// TLS files for a `rediss://` server, PEM text.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The server's certificate chain.
    pub cert_pem: String,
    /// The server's private key.
    pub key_pem: String,
    /// The CA that signed it (clients trust this).
    pub ca_pem: String,
}

/// How to start the server.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `requirepass`: the default user's password.
    pub password: Option<String>,
    /// Serve TLS only (`--tls-port`, plain port off).
    pub tls: Option<TlsFiles>,
    /// `maxmemory-policy` (the relay warns about evicting ones).
    pub maxmemory_policy: Option<String>,
}

/// A running `redis-server`; killed on drop.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    options: Options,
}

impl RedisServer {
    /// A plain server with no password.
    pub fn start() -> RedisServer {
        RedisServer::start_with(Options::default())
    }

    /// A server started with `options`. Panics (with [`INSTALL_HINT`] when the binary is
    /// missing) if it cannot be started.
    pub fn start_with(options: Options) -> RedisServer {
        let dir = std::env::temp_dir().join(format!(
            "pricewire-redis-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).expect("a temp dir for redis-server");
        let mut server = RedisServer {
            child: None,
            port: 0,
            dir,
            options,
        };
        // Another process may take the free port between our check and the server's bind:
        // try again on a new one.
        for _ in 0..10 {
            server.port = free_port();
            if server.spawn() {
                return server;
            }
        }
        panic!(
            "redis-server did not start on 127.0.0.1 after 10 tries; see its log in {}",
            server.dir.display()
        );
    }

    /// The port it listens on (plain or TLS).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT` (`rediss://` for a TLS server), with the password if one
    /// is set.
    pub fn url(&self) -> String {
        let scheme = if self.options.tls.is_some() {
            "rediss"
        } else {
            "redis"
        };
        match &self.options.password {
            Some(p) => format!("{scheme}://:{p}@127.0.0.1:{}", self.port),
            None => format!("{scheme}://127.0.0.1:{}", self.port),
        }
    }

    /// The same URL without the password.
    pub fn url_without_password(&self) -> String {
        let scheme = if self.options.tls.is_some() {
            "rediss"
        } else {
            "redis"
        };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The directory it runs in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kill it (SIGKILL): every connection drops, and, without persistence, every key is
    /// gone when it starts again.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start it again on the same port, empty (after [`RedisServer::kill`]).
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.spawn() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start again on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Run `redis-cli` against it with `args`; its stdout, trimmed.
    pub fn cli(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("redis-cli");
        cmd.arg("-p").arg(self.port.to_string());
        if let Some(p) = &self.options.password {
            cmd.env("REDISCLI_AUTH", p);
        }
        if self.options.tls.is_some() {
            cmd.arg("--tls")
                .arg("--cacert")
                .arg(self.dir.join("ca.pem"));
        }
        let out = cmd
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("redis-cli: {e}; {INSTALL_HINT}"));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Start the process and wait until it accepts connections; false when it exited
    /// first (the port was taken).
    fn spawn(&mut self) -> bool {
        let log = self.dir.join("redis.log");
        let _ = std::fs::remove_file(&log);
        let mut cmd = Command::new("redis-server");
        cmd.current_dir(&self.dir)
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--save")
            .arg("")
            .arg("--appendonly")
            .arg("no")
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(&log)
            .arg("--daemonize")
            .arg("no");
        if let Some(tls) = &self.options.tls {
            for (name, text) in [
                ("cert.pem", &tls.cert_pem),
                ("key.pem", &tls.key_pem),
                ("ca.pem", &tls.ca_pem),
            ] {
                let mut f = std::fs::File::create(self.dir.join(name)).expect("tls file");
                f.write_all(text.as_bytes()).expect("tls file");
            }
            cmd.arg("--port")
                .arg("0")
                .arg("--tls-port")
                .arg(self.port.to_string())
                .arg("--tls-cert-file")
                .arg(self.dir.join("cert.pem"))
                .arg("--tls-key-file")
                .arg(self.dir.join("key.pem"))
                .arg("--tls-ca-cert-file")
                .arg(self.dir.join("ca.pem"))
                .arg("--tls-auth-clients")
                .arg("no");
        } else {
            cmd.arg("--port").arg(self.port.to_string());
        }
        if let Some(p) = &self.options.password {
            cmd.arg("--requirepass").arg(p);
        }
        if let Some(policy) = &self.options.maxmemory_policy {
            cmd.arg("--maxmemory-policy").arg(policy);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!("{INSTALL_HINT}"),
            Err(e) => panic!("cannot start redis-server: {e}"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                return false;
            }
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains("Ready to accept connections") {
                self.child = Some(child);
                return true;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}
