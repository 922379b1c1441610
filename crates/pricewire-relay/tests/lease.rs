//! Leases and fenced writes on a real redis-server (started by the test, on 127.0.0.1).

use std::sync::Arc;
use std::time::Duration;

use pricewire_core::ExchangeId;
use pricewire_relay::publish::{Batch, Outcome, Stats, Writer};
use pricewire_relay::testkit::RedisServer;
use pricewire_relay::{Elector, Keys, LeaseTiming, RedisTarget, reader};
use redis::aio::MultiplexedConnection;
use tokio::time::Instant;

async fn connect(server: &RedisServer) -> MultiplexedConnection {
    RedisTarget::parse(&server.url(), None)
        .unwrap()
        .connect(Duration::from_secs(2), Some(Duration::from_secs(2)))
        .await
        .unwrap()
}

fn batch(lines: &[&str]) -> Batch {
    Batch {
        ticks: lines
            .iter()
            .map(|l| ("BTC/USD".to_string(), (*l).to_string()))
            .collect(),
        heartbeat: true,
        ..Batch::default()
    }
}

fn timing() -> LeaseTiming {
    LeaseTiming::new(Duration::from_secs(1))
}

#[tokio::test]
async fn exactly_one_of_two_electors_started_together_leads_in_50_races() {
    let server = RedisServer::start();
    let keys = Keys::new(ExchangeId::Kraken);
    for race in 0..50 {
        let (mut ca, mut cb) = (connect(&server).await, connect(&server).await);
        let mut a = Elector::new(keys.clone(), "relay-a", timing());
        let mut b = Elector::new(keys.clone(), "relay-b", timing());
        let (ra, rb) = tokio::join!(a.try_acquire(&mut ca), b.try_acquire(&mut cb));
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        assert!(
            ra.is_some() != rb.is_some(),
            "race {race}: exactly one leads (a: {}, b: {})",
            ra.is_some(),
            rb.is_some()
        );
        let (winner, loser_con, mut winner_con, winner_id) = match (&ra, &rb) {
            (Some(h), None) => (h, &mut cb, ca.clone(), "relay-a"),
            (None, Some(h)) => (h, &mut ca, cb.clone(), "relay-b"),
            _ => unreachable!(),
        };
        // Every accepted write comes from the holder: the other's lease value is refused.
        let stats = Arc::new(Stats::default());
        let w = Writer::new(keys.clone(), winner_id, 1000, 1000, Arc::clone(&stats));
        assert!(matches!(
            w.write(&mut winner_con, winner, &batch(&["{}"]))
                .await
                .unwrap(),
            Outcome::Written(_)
        ));
        let mut other = Elector::new(keys.clone(), "relay-x", timing());
        assert!(other.try_acquire(loser_con).await.unwrap().is_none());
        let released = match winner_id {
            "relay-a" => a.release(&mut winner_con, winner).await.unwrap(),
            _ => b.release(&mut winner_con, winner).await.unwrap(),
        };
        assert!(released);
        // Released: the written-off holder's writes are refused from now on.
        assert!(matches!(
            w.write(&mut winner_con, winner, &batch(&["{}"]))
                .await
                .unwrap(),
            Outcome::Fenced(_)
        ));
    }
    // Terms went up by one per race; the sequence never broke.
    let mut con = connect(&server).await;
    let snap = reader::snapshot(&mut con, &keys).await.unwrap();
    assert_eq!(snap.leader.get("term").map(String::as_str), Some("50"));
    assert_eq!(snap.seq, 50);
    assert_eq!(snap.leader.get("released").map(String::as_str), Some("1"));
    let fenced: u64 = redis::cmd("HGET")
        .arg(&keys.stats)
        .arg("fenced")
        .query_async(&mut con)
        .await
        .unwrap();
    assert_eq!(fenced, 50);
}

#[tokio::test]
async fn an_expired_lease_is_never_extended_back_and_the_next_term_is_higher() {
    let server = RedisServer::start();
    let keys = Keys::new(ExchangeId::Okx);
    let mut con = connect(&server).await;
    let mut a = Elector::new(keys.clone(), "relay-a", timing());
    let held = a.try_acquire(&mut con).await.unwrap().expect("free lease");
    assert_eq!(held.term, 1);
    assert!(held.previous.is_none());
    let until = held.until();
    assert!(until <= Instant::now() + Duration::from_millis(500));
    assert!(a.extend(&mut con, &held).await.unwrap());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Expired in Redis: extending must not bring it back.
    assert!(!a.extend(&mut con, &held).await.unwrap());
    assert!(!held.may_publish(Instant::now()));
    let exists: bool = redis::cmd("EXISTS")
        .arg(&keys.lease)
        .query_async(&mut con)
        .await
        .unwrap();
    assert!(!exists);
    let mut b = Elector::new(keys.clone(), "relay-b", timing());
    let next = b
        .try_acquire(&mut con)
        .await
        .unwrap()
        .expect("expired lease is free");
    assert_eq!(next.term, 2);
    let prev = next.previous.clone().unwrap();
    assert_eq!(
        (prev.id.as_str(), prev.term, prev.released),
        ("relay-a", 1, false)
    );
    assert_eq!(next.epoch, held.epoch);
}

#[tokio::test]
async fn after_redis_loses_its_data_the_epoch_changes_and_terms_never_go_back() {
    let mut server = RedisServer::start();
    let keys = Keys::new(ExchangeId::Kraken);
    let mut con = connect(&server).await;
    let mut a = Elector::new(keys.clone(), "relay-a", timing());
    let mut held = None;
    for _ in 0..3 {
        let h = a.try_acquire(&mut con).await.unwrap().unwrap();
        a.release(&mut con, &h).await.unwrap();
        held = Some(h);
    }
    let before = held.unwrap();
    assert_eq!(before.term, 3);
    server.restart();
    let mut con = connect(&server).await;
    let after = a.try_acquire(&mut con).await.unwrap().unwrap();
    assert_ne!(after.epoch, before.epoch);
    assert_eq!(after.term, 4, "never below the highest term seen");
}
