//! What goes wrong around Redis, on a real redis-server: refused credentials (fatal at
//! start, typed), Redis not there yet, a key holding what the relay did not write, a
//! reader's ACL (read-only except its wants), and TLS with a private CA.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use pricewire_core::{ExchangeId, FeedStatus, Store, StoreLimits};
use pricewire_relay::consumer::{self, ConsumerSettings, VenueWatch};
use pricewire_relay::testkit::{Options, RedisServer, TlsFiles};
use pricewire_relay::{Keys, LinkError, RedisTarget, relay, wants};
use tokio_util::sync::CancellationToken;

fn reader_settings(target: RedisTarget) -> ConsumerSettings {
    ConsumerSettings {
        target,
        id: consumer::new_id(),
        venues: vec![VenueWatch {
            exchange: ExchangeId::Kraken,
            symbols: vec!["BTC/USD".into()],
            quote_aliases: Vec::new(),
        }],
        connect_timeout: Duration::from_secs(1),
    }
}

#[tokio::test]
async fn a_wrong_password_is_a_typed_error_at_start() {
    let server = RedisServer::start_with(Options {
        password: Some("right-one".into()),
        ..Options::default()
    });
    let wrong =
        RedisTarget::parse(&server.url_without_password(), Some("wrong-one".into())).unwrap();
    let store = Store::new(StoreLimits::default());
    let err = consumer::start(
        reader_settings(wrong.clone()),
        store,
        CancellationToken::new(),
    )
    .await
    .expect_err("refused");
    assert!(matches!(err, LinkError::Auth(_)), "{err:?}");
    assert!(!err.to_string().contains("wrong-one"), "{err}");
    let sim = sim().await;
    let settings = relay_settings("relay-a", wrong, &sim);
    assert!(matches!(
        relay::check(&settings).await,
        Err(LinkError::Auth(_))
    ));
    // The right one works.
    let right = RedisTarget::parse(&server.url(), None).unwrap();
    relay::check(&relay_settings("relay-a", right, &sim))
        .await
        .unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_unreachable_at_start_is_a_state_then_the_reader_connects() {
    let mut server = RedisServer::start();
    server.kill();
    let stop = CancellationToken::new();
    let store = Store::new(StoreLimits::default());
    consumer::start(
        reader_settings(target(&server)),
        store.clone(),
        stop.clone(),
    )
    .await
    .expect("an unreachable Redis is not fatal");
    let snap = until(&store, 5, "the lost link is shown", |s| {
        matches!(status(s), Some(FeedStatus::LinkLost { .. }))
    })
    .await;
    assert_eq!(
        snap.feed(ExchangeId::Kraken).unwrap().reason,
        "relay link lost: connection refused"
    );
    server.restart();
    let sim = sim().await;
    let a = tokio::spawn(relay::run(
        relay_settings("relay-a", target(&server), &sim),
        stop.clone(),
    ));
    until(&store, 20, "tickers once Redis is there", |s| {
        updates(s) > 0
    })
    .await;
    stop.cancel();
    a.await.unwrap();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_of_the_wrong_type_is_an_error_state_not_a_hot_loop() {
    let server = RedisServer::start();
    let sim = sim().await;
    let stop = CancellationToken::new();
    let a = tokio::spawn(relay::run(
        relay_settings("relay-a", target(&server), &sim),
        stop.clone(),
    ));
    let store = common::reader(target(&server), &stop).await;
    until(&store, 10, "tickers", |s| updates(s) > 0).await;
    let keys = Keys::new(ExchangeId::Kraken);
    assert_eq!(server.cli(&["DEL", &keys.heartbeat]), "1");
    assert_eq!(server.cli(&["SET", &keys.heartbeat, "garbage"]), "OK");
    let snap = until(&store, 10, "the reader says the data is unreadable", |s| {
        s.feed(ExchangeId::Kraken).is_some_and(|f| {
            f.reason
                .starts_with("relay data unreadable: unexpected data in Redis")
        })
    })
    .await;
    assert!(matches!(status(&snap), Some(FeedStatus::LinkLost { .. })));
    // The relay gives its lease up and waits before trying again: few terms, not hundreds.
    let term_before: u64 = server.cli(&["GET", &keys.term]).parse().unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let term_after: u64 = server.cli(&["GET", &keys.term]).parse().unwrap();
    assert!(
        term_after - term_before <= 4,
        "terms {term_before} → {term_after}"
    );
    // Put right by hand, everything comes back.
    server.cli(&["DEL", &keys.heartbeat]);
    let before = updates(&store.snapshot());
    until(&store, 40, "tickers again", |s| {
        updates(s) > before && status(s) == Some(FeedStatus::Connected)
    })
    .await;
    stop.cancel();
    a.await.unwrap();
    sim.shutdown().await;
}

/// The reader's ACL documented in docs/RELAY.md.
const READER_ACL: &[&str] = &[
    "ACL",
    "SETUSER",
    "desk",
    "on",
    ">desk-pw",
    "resetkeys",
    "resetchannels",
    "%R~pricewire:*",
    "%RW~pricewire:*:wants",
    "&pricewire:*:wants-changed",
    "-@all",
    "+@connection",
    "+ping",
    "+time",
    "+get",
    "+hget",
    "+hgetall",
    "+xread",
    "+xrange",
    "+xrevrange",
    "+eval_ro",
    "+evalsha_ro",
    "+eval",
    "+evalsha",
    "+zadd",
    "+zrem",
    "+publish",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_with_the_documented_acl_reads_and_leases_but_writes_nothing_else() {
    let server = RedisServer::start();
    assert_eq!(server.cli(READER_ACL), "OK");
    let sim = sim().await;
    let stop = CancellationToken::new();
    let a = tokio::spawn(relay::run(
        relay_settings("relay-a", target(&server), &sim),
        stop.clone(),
    ));
    let desk = RedisTarget::parse(
        &format!("redis://desk:desk-pw@127.0.0.1:{}", server.port()),
        None,
    )
    .unwrap();
    let store = common::reader(desk.clone(), &stop).await;
    until(&store, 10, "the reader reads with its ACL", |s| {
        updates(s) > 0 && status(s) == Some(FeedStatus::Connected)
    })
    .await;
    let keys = Keys::new(ExchangeId::Kraken);
    let mut con = desk
        .connect(Duration::from_secs(1), Some(Duration::from_secs(1)))
        .await
        .unwrap();
    assert_eq!(
        wants::lease(&mut con, &keys, "desk-1", ["SOL/USD"])
            .await
            .unwrap(),
        1
    );
    for (name, cmd) in [
        (
            "XADD",
            redis::cmd("XADD")
                .arg(&keys.ticks)
                .arg("*")
                .arg("line")
                .arg("x")
                .clone(),
        ),
        (
            "HSET",
            redis::cmd("HSET")
                .arg(&keys.latest)
                .arg("BTC/USD")
                .arg("x")
                .clone(),
        ),
        (
            "SET lease",
            redis::cmd("SET").arg(&keys.lease).arg("me").clone(),
        ),
        (
            "EVAL",
            redis::cmd("EVAL")
                .arg("return redis.call('DEL', KEYS[1])")
                .arg(1)
                .arg(&keys.ticks)
                .clone(),
        ),
    ] {
        let err = cmd
            .query_async::<redis::Value>(&mut con)
            .await
            .expect_err(name);
        assert!(
            matches!(LinkError::from(err.clone()), LinkError::NoPerm(_)),
            "{name}: {err}"
        );
    }
    stop.cancel();
    a.await.unwrap();
    sim.shutdown().await;
}

/// A CA and a server certificate for 127.0.0.1 signed by it, made here.
fn tls_files() -> TlsFiles {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "pricewire test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    TlsFiles {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        ca_pem: ca.as_ref().pem(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_with_a_private_ca_carries_the_feed() {
    let files = tls_files();
    let server = RedisServer::start_with(Options {
        tls: Some(files.clone()),
        ..Options::default()
    });
    assert!(server.url().starts_with("rediss://"));
    let trusted = RedisTarget::parse(&server.url(), None)
        .unwrap()
        .with_ca(files.ca_pem.clone().into_bytes());
    let sim = sim().await;
    let stop = CancellationToken::new();
    let a = tokio::spawn(relay::run(
        relay_settings("relay-a", trusted.clone(), &sim),
        stop.clone(),
    ));
    let store = common::reader(trusted, &stop).await;
    until(&store, 15, "tickers over TLS", |s| updates(s) > 0).await;
    // Without the CA the server's certificate is not trusted.
    let untrusted = RedisTarget::parse(&server.url(), None).unwrap();
    let err = untrusted
        .connect(Duration::from_secs(1), Some(Duration::from_secs(1)))
        .await
        .expect_err("an unknown CA is refused");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
    stop.cancel();
    a.await.unwrap();
    sim.shutdown().await;
}

#[test]
fn refused_credentials_wait_long_from_the_first_retry_and_the_rest_short() {
    let auth = LinkError::Auth("WRONGPASS".into());
    for attempt in 1..=3 {
        let wait = relay::retry_wait(&auth, attempt, Duration::from_secs(5));
        assert!(wait >= Duration::from_secs(3), "try {attempt}: {wait:?}");
    }
    let late = relay::retry_wait(&auth, 20, Duration::from_secs(5));
    assert!(
        late <= relay::LONG_WAIT && late >= Duration::from_secs(45),
        "{late:?}"
    );
    let refused = relay::retry_wait(&LinkError::Refused, 1, Duration::from_secs(5));
    assert!(refused < Duration::from_secs(1), "{refused:?}");
}

/// Refused logins so far, as Redis's ACL log counts them (similar entries are merged,
/// each with its count).
async fn refused_logins(con: &mut redis::aio::MultiplexedConnection) -> u64 {
    let log: Vec<Vec<redis::Value>> = redis::cmd("ACL").arg("LOG").query_async(con).await.unwrap();
    let text = |v: &redis::Value| match v {
        redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        redis::Value::SimpleString(s) => s.clone(),
        _ => String::new(),
    };
    log.iter()
        .filter_map(|entry| {
            let field = |name: &str| {
                entry
                    .chunks(2)
                    .find(|kv| text(&kv[0]) == name)
                    .map(|kv| kv[1].clone())
            };
            let auth = field("reason").is_some_and(|r| text(&r) == "auth");
            match field("count") {
                Some(redis::Value::Int(n)) if auth => u64::try_from(n).ok(),
                _ => None,
            }
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_changed_later_is_shown_and_retried_slowly() {
    let server = RedisServer::start_with(Options {
        password: Some("first".into()),
        ..Options::default()
    });
    let first = RedisTarget::parse(&server.url_without_password(), Some("first".into())).unwrap();
    let sim = sim().await;
    let stop = CancellationToken::new();
    let relay_task = tokio::spawn(relay::run(
        relay_settings("relay-a", first.clone(), &sim),
        stop.clone(),
    ));
    let store = Store::new(StoreLimits::default());
    consumer::start(
        reader_settings(first.clone()),
        Arc::clone(&store),
        stop.clone(),
    )
    .await
    .unwrap();
    until(&store, 10, "tickers through the relay", |s| updates(s) > 0).await;

    // The password is rotated and every connection dropped: the old one is refused now.
    let mut admin = first
        .connect(Duration::from_secs(2), Some(Duration::from_secs(2)))
        .await
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("second")
        .query_async(&mut admin)
        .await
        .unwrap();
    let _: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("normal")
        .arg("SKIPME")
        .arg("yes")
        .query_async(&mut admin)
        .await
        .unwrap();
    let snap = until(&store, 10, "the refused login shown", |s| {
        matches!(status(s), Some(FeedStatus::LinkLost { .. }))
            && s.feed(ExchangeId::Kraken)
                .is_some_and(|f| f.reason.contains("Redis refused the credentials"))
    })
    .await;
    let feed = snap.feed(ExchangeId::Kraken).unwrap();
    assert!(!feed.reason.contains("first"), "{}", feed.reason);
    let Some(FeedStatus::LinkLost { next_try, .. }) = status(&snap) else {
        unreachable!()
    };
    let wait = next_try - chrono::Utc::now();
    assert!(
        wait > chrono::TimeDelta::seconds(2),
        "the next try in {wait}"
    );

    // Everyone has tried and waits seconds: a few more refused logins in 3 s (each of
    // the relay's and the reader's connections tries at most once or twice), where a
    // retry loop (0.2 s, or the 0.4 s of a first quick backoff) would make a dozen.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let settled = refused_logins(&mut admin).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let later = refused_logins(&mut admin).await;
    assert!(
        later <= settled + 5,
        "refused logins went from {settled} to {later} in 3 s: a retry loop"
    );
    let snap = store.snapshot();
    let history = &snap.feed(ExchangeId::Kraken).unwrap().history;
    // The dropped connection, then the refusal: a line each, not one per try.
    let refused = history
        .iter()
        .filter(|t| t.reason.contains("refused the credentials"))
        .count();
    assert_eq!(refused, 1, "one history line for the refusal: {history:#?}");
    stop.cancel();
    relay_task.await.unwrap();
    sim.shutdown().await;
}
