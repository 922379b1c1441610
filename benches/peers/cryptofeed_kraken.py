"""cryptofeed's Kraken feed (WebSocket v2, TICKER channel) pointed at `pricewire sim`.

Started by `peers.py` with the cryptofeed venv's Python; not meant to be run alone.

cryptofeed takes its endpoints from class attributes and refuses any WebSocket address
that is not `wss://`. The simulator speaks plain `ws://` and `http://` on 127.0.0.1, so
this script, before building the feed:

* replaces `Kraken.websocket_endpoints` with `ws://127.0.0.1:PORT/v2` (same 20-symbol
  connection limit as the real one) and `Kraken.rest_endpoints` with
  `http://127.0.0.1:PORT` (same routes: `/0/public/AssetPairs` for the pair list, which
  cryptofeed fetches before it subscribes);
* gives the feed module a WebSocket connection class that passes the `wss://` check with
  the address respelled and then dials the real `ws://` address.

Nothing else of cryptofeed is changed: its own subscribe, message handler, `Ticker`
objects and (with `--redis-port`) its own `TickerStream` backend with default settings.

Protocol on stdout, one JSON object per line, flushed:
  {"event":"first"}                      the first ticker reached the callback
  {"event":"count","tickers":N}          every 0.5 s while running (ticker mode only)
  {"event":"done","tickers":N,...}       on SIGINT/SIGTERM, after cryptofeed shut down,
                                         with the backend's own counters in redis mode
"""

import argparse
import json
import os
import resource
import sys

from cryptofeed import FeedHandler
from cryptofeed import feed as cf_feed
from cryptofeed.connection import RestEndpoint, Routes, WebsocketEndpoint, WSAsyncConn
from cryptofeed.defines import TICKER
from cryptofeed.exchanges import Kraken


def emit(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def point_at_simulator(port: int) -> None:
    base = f"127.0.0.1:{port}"
    limit = Kraken.websocket_endpoints[0].limit
    routes = Kraken.rest_endpoints[0].routes
    Kraken.websocket_endpoints = [WebsocketEndpoint(f"ws://{base}/v2", limit=limit)]
    Kraken.rest_endpoints = [RestEndpoint(f"http://{base}", routes=routes)]

    class LoopbackWebSocket(WSAsyncConn):
        """Accepted by the `wss://` check, then dials the plain `ws://` address."""

        def __init__(self, address, conn_id, subscription=None, **kwargs):
            plain = address
            if address.startswith("ws://"):
                address = "wss://" + address[len("ws://"):]
            super().__init__(address, conn_id, subscription=subscription, **kwargs)
            self.address = plain

    cf_feed.WSAsyncConn = LoopbackWebSocket


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True, help="simulator port")
    ap.add_argument("--redis-port", type=int, help="land tickers in Redis with TickerStream")
    ap.add_argument("symbols", nargs="+")
    args = ap.parse_args()

    point_at_simulator(args.port)
    counted = {"n": 0}
    loop_state = {}

    async def on_ticker(ticker, receipt_timestamp):
        counted["n"] += 1
        if counted["n"] == 1:
            emit(event="first")
            if args.redis_port is None:
                schedule_counts()

    def schedule_counts():
        import asyncio

        loop = asyncio.get_running_loop()

        def tick():
            emit(event="count", tickers=counted["n"])
            loop_state["h"] = loop.call_later(0.5, tick)

        loop_state["h"] = loop.call_later(0.5, tick)

    callbacks = [on_ticker]
    backend = None
    if args.redis_port is not None:
        from cryptofeed.backends.redis import TickerStream

        backend = TickerStream(host="127.0.0.1", port=args.redis_port)
        callbacks.append(backend)

    # Log to stderr only (the default config also writes feedhandler.log in the cwd).
    fh = FeedHandler(config={"log": {"filename": "", "level": "WARNING"}})
    # cryptofeed's normalised names are BASE-QUOTE (`BTC-USD`); the harness passes BTC/USD.
    symbols = [s.replace("/", "-") for s in args.symbols]
    fh.add_feed(Kraken(symbols=symbols, channels=[TICKER], callbacks={TICKER: callbacks}))
    fh.run()  # until SIGINT/SIGTERM: cryptofeed's own graceful shutdown flushes backends

    done = {"event": "done", "tickers": counted["n"], "cpu_s": round(cpu_seconds(), 4)}
    if backend is not None:
        s = backend.stats
        done.update(
            written=s.written,
            dropped_overflow=s.dropped_overflow,
            dropped_failed=s.dropped_failed,
            batches=s.batches,
            retries=s.retries,
            last_error=s.last_error,
        )
    emit(**done)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
