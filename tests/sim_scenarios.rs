//! Each simulator scenario's observable effect, seen by a plain WebSocket/HTTP client.
//! Timing-sensitive ones run in memory on tokio's paused clock.

mod sim_support;

use std::time::Duration;

use futures_util::StreamExt;
use pricewire_sim::{Scenario, SimConfig, SimServer};
use serde_json::json;
use sim_support::*;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

#[tokio::test]
async fn drop_after_ends_the_socket_without_a_close_frame() {
    let sim = start(Scenario::DropAfter(3), 20).await;
    let mut ws = connect(&sim).await;
    next_text(&mut ws).await;
    subscribe(&mut ws, &["BTC/USD", "ETH/USD"]).await;
    let (closed, texts) = saw_close_before_end(&mut ws).await;
    assert!(!closed, "no close frame");
    assert_eq!(texts.iter().filter(|t| is_ticker(t)).count(), 3);
    assert_eq!(sim.stats().ticker_frames, 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn close_after_sends_going_away() {
    let sim = start(Scenario::CloseAfter(2), 20).await;
    let mut ws = connect(&sim).await;
    next_text(&mut ws).await;
    subscribe(&mut ws, &["BTC/USD"]).await;
    tickers(&mut ws, 2).await;
    match next_within(&mut ws, WAIT).await {
        Some(Message::Close(Some(frame))) => {
            assert_eq!(frame.code, CloseCode::Away);
            assert_eq!(frame.reason.as_str(), "going away");
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn silent_after_sends_nothing_more_but_keeps_the_socket() {
    let sim = SimServer::in_memory(SimConfig {
        scenario: Scenario::SilentAfter(2),
        ..SimConfig::default()
    });
    let mut ws = connect_mem(&sim).await;
    next_text(&mut ws).await;
    subscribe(&mut ws, &["BTC/USD"]).await;
    tickers(&mut ws, 2).await;
    // Thirty seconds: no data, no heartbeat, no pong, and the stream has not ended.
    send_json(&mut ws, &json!({"method":"ping","req_id":1})).await;
    assert_eq!(next_within(&mut ws, Duration::from_secs(30)).await, None);
    assert_eq!(sim.stats().ticker_frames, 2);
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn acked_but_silent_acks_and_heartbeats_but_never_data() {
    let sim = SimServer::in_memory(SimConfig {
        scenario: Scenario::AckedButSilent,
        ..SimConfig::default()
    });
    let mut ws = connect_mem(&sim).await;
    next_text(&mut ws).await;
    subscribe(&mut ws, &["BTC/USD", "ETH/USD"]).await;
    let start = Instant::now();
    let mut heartbeats = 0;
    while start.elapsed() < Duration::from_secs(10) {
        let text = next_text(&mut ws).await;
        assert!(!is_ticker(&text), "{text}");
        heartbeats += usize::from(text == "{\"channel\":\"heartbeat\"}");
    }
    assert!(heartbeats >= 9, "{heartbeats}");
    assert_eq!(sim.stats().ticker_frames, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn refuse_ws_answers_503_while_rest_works() {
    let sim = start(Scenario::RefuseWs, 50).await;
    match timeout(WAIT, tokio_tungstenite::connect_async(sim.ws_url()))
        .await
        .unwrap()
    {
        Err(WsError::Http(resp)) => assert_eq!(resp.status(), 503),
        other => panic!("expected HTTP 503, got {other:?}"),
    }
    let resp = get(format!("{}/0/public/AssetPairs", sim.rest_url()))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn down_refuses_then_comes_back_on_the_same_port() {
    let sim = start(Scenario::Steady, 20).await;
    let addr = sim.addr().unwrap();
    let mut ws = connect(&sim).await;
    next_text(&mut ws).await;

    sim.set_scenario(Scenario::Down);
    timeout(WAIT, sim.settled()).await.unwrap();
    let (closed, _) = saw_close_before_end(&mut ws).await;
    assert!(!closed, "open connections end abruptly");
    let err = tokio::net::TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    assert!(
        get(format!("{}/0/public/AssetPairs", sim.rest_url()))
            .await
            .is_err()
    );

    sim.set_scenario(Scenario::Steady);
    timeout(WAIT, sim.settled()).await.unwrap();
    assert_eq!(sim.addr(), Some(addr));
    let mut ws = connect(&sim).await;
    assert_eq!(json(&next_text(&mut ws).await)["channel"], "status");
    sim.shutdown().await;
}

#[tokio::test]
async fn down_in_memory_refuses_connections() {
    let sim = SimServer::in_memory(SimConfig::default());
    sim.set_scenario(Scenario::Down);
    let err = sim.connect_in_memory().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    sim.set_scenario(Scenario::Steady);
    assert!(sim.connect_in_memory().is_ok());
    sim.shutdown().await;
}

#[tokio::test]
async fn garbage_mixes_malformed_frames_into_good_data() {
    let sim = start(Scenario::Garbage, 5).await;
    let mut ws = connect(&sim).await;
    next_text(&mut ws).await;
    subscribe(&mut ws, &["BTC/USD", "ETH/USD", "SOL/USD"]).await;
    let (mut good, mut bad) = (0, 0);
    while good < 100 {
        match next_within(&mut ws, WAIT)
            .await
            .expect("frames keep coming")
        {
            Message::Binary(_) => bad += 1,
            Message::Text(t) => {
                let parsed: Result<serde_json::Value, _> = serde_json::from_str(t.as_str());
                match parsed {
                    Ok(v) if v["channel"] == "ticker" && v["data"].is_array() => good += 1,
                    Ok(v) if v["channel"] == "ticker" => bad += 1, // wrong schema
                    Ok(_) => {}
                    Err(_) => bad += 1,
                }
            }
            _ => {}
        }
    }
    // About one in five; with a fixed seed this is deterministic, the bounds are loose.
    assert!((5..=60).contains(&bad), "{bad} bad frames per 100 good");
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn slow_connect_holds_the_handshake_for_a_minute() {
    let sim = SimServer::in_memory(SimConfig {
        scenario: Scenario::SlowConnect,
        ..SimConfig::default()
    });
    let io = sim.connect_in_memory().unwrap();
    let begin = Instant::now();
    let (mut ws, _) = tokio_tungstenite::client_async(sim.ws_url(), io)
        .await
        .unwrap();
    assert!(
        begin.elapsed() >= Duration::from_mins(1),
        "{:?}",
        begin.elapsed()
    );
    assert_eq!(json(&next_text(&mut ws).await)["channel"], "status");

    let io = sim.connect_in_memory().unwrap();
    let quick = timeout(
        Duration::from_secs(30),
        tokio_tungstenite::client_async(sim.ws_url(), io),
    );
    assert!(quick.await.is_err(), "a 30 s connect timeout fires");
    sim.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn maintenance_withholds_data_for_five_seconds() {
    let sim = SimServer::in_memory(SimConfig {
        scenario: Scenario::Maintenance,
        ..SimConfig::default()
    });
    let begin = Instant::now();
    let mut ws = connect_mem(&sim).await;
    assert_eq!(
        json(&next_text(&mut ws).await)["data"][0]["system"],
        "maintenance"
    );
    subscribe(&mut ws, &["BTC/USD"]).await;
    assert_eq!(json(&next_text(&mut ws).await)["success"], true);
    loop {
        let text = next_text(&mut ws).await;
        assert!(!is_ticker(&text), "data during maintenance: {text}");
        let v = json(&text);
        if v["channel"] == "status" {
            assert_eq!(v["data"][0]["system"], "online");
            break;
        }
    }
    assert!(begin.elapsed() >= Duration::from_secs(5));
    let first = tickers(&mut ws, 1).await;
    assert_eq!(json(&first[0])["type"], "snapshot");
    assert_eq!(json(&tickers(&mut ws, 1).await[0])["type"], "update");
    sim.shutdown().await;
}

#[tokio::test]
async fn oversized_sends_one_four_mebibyte_frame() {
    let sim = start(Scenario::Oversized, 10).await;
    let mut ws = connect(&sim).await;
    next_text(&mut ws).await;
    subscribe(&mut ws, &["BTC/USD"]).await;
    let mut seen = 0;
    let big = loop {
        let text = next_text(&mut ws).await;
        if text.len() > 1 << 20 {
            break text;
        }
        seen += usize::from(is_ticker(&text));
    };
    assert_eq!(big.len(), 4 * 1024 * 1024);
    assert_eq!(seen, 3);
    assert!(serde_json::from_str::<serde_json::Value>(&big).is_ok());
    tickers(&mut ws, 2).await;
    sim.shutdown().await;
}

/// On the paused clock: two pings, one before the data starts and one once it flows, are
/// never answered, while a ticker keeps arriving on every 200 ms tick. The subscribe sent
/// after each ping is acknowledged, so the simulator has read the ping before the test
/// counts what came back.
#[tokio::test(start_paused = true)]
async fn pong_never_ignores_pings_while_data_flows() {
    let sim = SimServer::in_memory(config(Scenario::PongNever, 200));
    let mut ws = connect_mem(&sim).await;
    next_text(&mut ws).await;
    let begin = Instant::now();
    let mut data = 0;
    for (ping, symbol) in [(5, "BTC/USD"), (6, "ETH/USD")] {
        send_json(&mut ws, &json!({"method":"ping","req_id":ping})).await;
        subscribe(&mut ws, &[symbol]).await;
        let guard = Instant::now() + Duration::from_secs(30);
        loop {
            assert!(
                Instant::now() < guard,
                "hang guard: {symbol} was never acknowledged"
            );
            let text = next_text(&mut ws).await;
            let v = json(&text);
            assert_ne!(v["method"], "pong", "{text}");
            data += usize::from(is_ticker(&text));
            if v["method"] == "subscribe" && v["result"]["symbol"] == symbol {
                break;
            }
        }
        // Five seconds of ticks after each ping, and still no pong.
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            let text = next_text(&mut ws).await;
            assert_ne!(json(&text)["method"], "pong", "{text}");
            data += usize::from(is_ticker(&text));
        }
    }
    let spanned = begin.elapsed();
    assert!(
        data >= 50,
        "{data} tickers in {spanned:?}, one a tick at least"
    );
    assert_eq!(sim.stats().pings_answered, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn flapping_drops_every_connection_after_three_frames() {
    let sim = start(Scenario::Flapping, 10).await;
    for _ in 0..2 {
        let mut ws = connect(&sim).await;
        next_text(&mut ws).await;
        subscribe(&mut ws, &["BTC/USD"]).await;
        let (closed, texts) = saw_close_before_end(&mut ws).await;
        assert!(!closed);
        assert_eq!(texts.iter().filter(|t| is_ticker(t)).count(), 3);
    }
    assert_eq!(sim.stats().ws_sessions, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn rest_429_and_500() {
    let sim = start(Scenario::Rest429, 50).await;
    let url = format!("{}/0/public/Ticker?pair=XBTUSD", sim.rest_url());
    let resp = get(&url).await.unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "2");
    // The WebSocket side is unaffected.
    let mut ws = connect(&sim).await;
    assert_eq!(json(&next_text(&mut ws).await)["channel"], "status");

    sim.set_scenario(Scenario::Rest500);
    assert_eq!(get(&url).await.unwrap().status(), 500);
    sim.set_scenario(Scenario::Steady);
    assert_eq!(get(&url).await.unwrap().status(), 200);
    sim.shutdown().await;
}

/// A burst is not paced by the tick: on the paused clock, 5,000 frames arrive before the
/// first 200 ms tick would fall due, every one a valid stamped ticker of a subscribed
/// symbol, in the order the ring is written: the two symbols take turns. How fast a burst streams is measured by `examples/bench_ingest.rs`
/// (`docs/BENCHMARKS.md`), not here.
#[tokio::test(start_paused = true)]
async fn burst_streams_valid_stamped_frames_without_waiting_for_the_tick() {
    let sim = SimServer::in_memory(config(Scenario::Burst, 200));
    let mut ws = connect_mem(&sim).await;
    next_text(&mut ws).await;
    subscribe(&mut ws, &["BTC/USD", "ETH/USD"]).await;
    let begin = Instant::now();
    let frames = tickers(&mut ws, 5_000).await;
    assert!(
        begin.elapsed() < Duration::from_millis(200),
        "the burst waited for a tick: {:?} of paused time",
        begin.elapsed()
    );
    let mut symbols = Vec::new();
    for text in &frames {
        let f = raw_fields(text);
        assert!(dec(&f["bid"]) < dec(&f["ask"]), "{text}");
        chrono::DateTime::parse_from_rfc3339(f["timestamp"].trim_matches('"')).unwrap();
        symbols.push(f["symbol"].clone());
    }
    let distinct: std::collections::HashSet<_> = symbols.iter().collect();
    assert_eq!(distinct.len(), 2);
    for (n, pair) in symbols.windows(2).enumerate() {
        assert_ne!(pair[0], pair[1], "frames {n} and {} of one symbol", n + 1);
    }
    assert!(sim.stats().ticker_frames >= 5_000);
    sim.shutdown().await;
}

/// `burst:N` is a burst of known size: N ticker frames on the connection (the snapshots
/// count), without waiting for the tick, then heartbeats only; the socket stays open and
/// answers pings, and a resubscribe after the burst brings no more ticker frames.
#[tokio::test(start_paused = true)]
async fn burst_of_n_sends_exactly_n_frames_then_only_heartbeats() {
    let sim = SimServer::in_memory(config(Scenario::BurstOf(1_000), 200));
    let mut ws = connect_mem(&sim).await;
    next_text(&mut ws).await;
    subscribe(&mut ws, &["BTC/USD", "ETH/USD"]).await;
    let begin = Instant::now();
    let frames = tickers(&mut ws, 1_000).await;
    assert!(
        begin.elapsed() < Duration::from_millis(200),
        "the burst waited for a tick: {:?} of paused time",
        begin.elapsed()
    );
    assert_eq!(
        frames
            .iter()
            .filter(|t| json(t)["type"] == "snapshot")
            .count(),
        2
    );
    // Five seconds more: heartbeats, a pong, no ticker frame; then a resubscribe.
    send_json(&mut ws, &json!({"method":"ping","req_id":7})).await;
    let mut heartbeats = 0;
    let mut pongs = 0;
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        let Some(Message::Text(text)) = next_within(&mut ws, Duration::from_secs(2)).await else {
            continue;
        };
        assert!(!is_ticker(text.as_str()), "after the burst: {text}");
        heartbeats += usize::from(text.as_str() == "{\"channel\":\"heartbeat\"}");
        pongs += usize::from(json(text.as_str())["method"] == "pong");
    }
    assert!(heartbeats >= 4, "{heartbeats} heartbeats in 5 s");
    assert_eq!(pongs, 1);
    subscribe(&mut ws, &["SOL/USD"]).await;
    let ack = json(&next_text(&mut ws).await);
    assert_eq!(ack["success"], true, "{ack}");
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        if let Some(Message::Text(text)) = next_within(&mut ws, Duration::from_secs(2)).await {
            assert!(!is_ticker(text.as_str()), "after the resubscribe: {text}");
        }
    }
    assert_eq!(sim.stats().ticker_frames, 1_000);
    sim.shutdown().await;
}

#[tokio::test]
async fn drop_connections_closes_abruptly_and_new_ones_work() {
    let sim = start(Scenario::Steady, 20).await;
    let mut ws = connect(&sim).await;
    next_text(&mut ws).await;
    subscribe(&mut ws, &["BTC/USD"]).await;
    tickers(&mut ws, 1).await;
    sim.drop_connections();
    let end = loop {
        match timeout(WAIT, ws.next()).await.unwrap() {
            Some(Ok(Message::Close(_))) => panic!("close frame sent"),
            Some(Ok(_)) => {}
            other => break other,
        }
    };
    assert!(matches!(end, None | Some(Err(_))), "{end:?}");
    let mut ws = connect(&sim).await;
    assert_eq!(json(&next_text(&mut ws).await)["channel"], "status");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_new_scenario_applies_to_new_connections_only() {
    let sim = start(Scenario::Steady, 10).await;
    let mut old = connect(&sim).await;
    next_text(&mut old).await;
    subscribe(&mut old, &["BTC/USD"]).await;
    sim.set_scenario(Scenario::DropAfter(1));
    assert_eq!(sim.scenario().to_string(), "drop-after:1");
    tickers(&mut old, 5).await;
    let mut new = connect(&sim).await;
    next_text(&mut new).await;
    subscribe(&mut new, &["BTC/USD"]).await;
    let (_, texts) = saw_close_before_end(&mut new).await;
    assert_eq!(texts.iter().filter(|t| is_ticker(t)).count(), 1);
    tickers(&mut old, 3).await;
    sim.shutdown().await;
}

/// Every venue the dashboard speaks is played: the simulator starts for it, serves its
/// pair list in the shape the venue's own adapter reads, with every pair it streams, and
/// accepts WebSocket clients on the venue's path, over TCP and in memory.
#[tokio::test]
async fn every_venue_starts_and_serves_its_pair_list() {
    for exchange in pricewire_core::model::ExchangeId::ALL {
        let cfg = SimConfig {
            exchange,
            ..SimConfig::default()
        };
        let sim = SimServer::start("127.0.0.1:0".parse().unwrap(), cfg.clone())
            .await
            .unwrap_or_else(|e| panic!("{exchange}: {e}"));
        let adapter = pricewire_core::exchange::adapter(exchange).unwrap();
        let url = format!("{}{}", sim.rest_url(), adapter.pair_list_path());
        let resp = get(&url).await.unwrap();
        assert_eq!(resp.status(), 200, "{exchange}: {url}");
        let list = adapter
            .parse_pair_list(&resp.text().await.unwrap())
            .unwrap_or_else(|e| panic!("{exchange}: {e}"));
        let streamed = sim.symbols();
        assert!(!streamed.is_empty(), "{exchange}");
        for symbol in &streamed {
            assert!(
                list.resolve(symbol).is_ok(),
                "{exchange}: {symbol} not listed"
            );
        }
        let (ws, _) = timeout(WAIT, tokio_tungstenite::connect_async(sim.ws_url()))
            .await
            .expect("connect timed out")
            .unwrap_or_else(|e| panic!("{exchange}: {e}"));
        drop(ws);
        let memory = SimServer::in_memory(cfg);
        assert!(memory.connect_in_memory().is_ok(), "{exchange}");
        memory.shutdown().await;
        sim.shutdown().await;
    }
}
