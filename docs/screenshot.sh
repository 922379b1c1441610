#!/usr/bin/env bash
# The relay's web page as a PNG for the docs (a command, not a test):
#
#   cargo build && docs/screenshot.sh [OUT.png]      (default docs/web-page.png)
#
# Starts a redis-server (temp dir, no persistence), the Kraken simulator and
# `pricewire relay --http` on free ports on 127.0.0.1, lets prices flow for a few seconds,
# then has a headless Chromium (temp profile) load the page and write the screenshot.
# Needs redis-server and chromium (`apt-get install -y redis-server chromium`).
# PRICEWIRE_BIN picks another binary.
set -euo pipefail
BIN=${PRICEWIRE_BIN:-target/debug/pricewire}
OUT=${1:-docs/web-page.png}
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  echo "Chromium is not installed: apt-get install -y chromium" >&2
  exit 1
fi
command -v redis-server >/dev/null || { echo "redis-server is not installed: apt-get install -y redis-server" >&2; exit 1; }
DIR=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
REDIS_PORT=$(free_port)
HTTP_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" > "$DIR/redis.log" 2>&1 &
PIDS+=($!)
"$BIN" sim --listen 127.0.0.1:0 > "$DIR/sim.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do grep -q "listening on" "$DIR/sim.out" && break; sleep 0.1; done
SIM=$(sed -n 's/^listening on //p' "$DIR/sim.out" | head -1)
HOME="$DIR" XDG_DATA_HOME="$DIR/data" PRICEWIRE_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" \
  "$BIN" relay --id relay-a -e kraken --ws-url "ws://$SIM/v2" --rest-url "http://$SIM" \
  --http "127.0.0.1:$HTTP_PORT" BTC/USD ETH/USD SOL/USD XRP/USD ADA/USD DOT/USD \
  > /dev/null 2> "$DIR/relay.log" &
PIDS+=($!)
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$HTTP_PORT/health" > /dev/null && break
  sleep 0.2
done
sleep 3
"$CHROMIUM" --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$DIR/profile" --window-size=1000,420 --virtual-time-budget=2000 \
  --screenshot="$OUT" "http://127.0.0.1:$HTTP_PORT/" 2> "$DIR/chromium.log"
echo "wrote $OUT"
