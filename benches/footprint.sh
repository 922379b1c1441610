#!/usr/bin/env bash
# Dashboard footprint in a pseudo-terminal (tmux, 200x60), release build:
#
#   cargo build --release && benches/footprint.sh
#
# The simulator runs as its own process (`pricewire sim`), so the numbers are the
# dashboard's alone. Measures, each from /proc/PID of the dashboard:
#   1. time from launch to the first price drawn (tmux capture-pane polled every 5 ms);
#   2. CPU % of one core over SECS s idle (a quiet market: steady with one update an hour,
#      so after the first prices only heartbeats arrive and the connection stays as it is;
#      the dashboard still redraws ages once a second);
#   3. CPU % of one core over SECS s at 1,000 updates/s (steady, 100 pairs every 100 ms);
#   4. RSS every 5 s while the simulator bursts as fast as the dashboard reads, with the
#      updates received summed from the dashboard's own msg/s header, read every second.
# Env: BIN (default target/release/pricewire), SECS (default 60), BURST_SECS (default 60).
set -euo pipefail

BIN=${BIN:-target/release/pricewire}
SECS=${SECS:-60}
BURST_SECS=${BURST_SECS:-60}
SESSION=pricewire-footprint
# 100 of the pairs the simulator lists.
SYMBOLS="AAVE/EUR AAVE/USD AAVE/USDT ADA/USD ALGO/EUR ALGO/USD ALGO/USDT APE/EUR APE/USD APE/USDT ARB/EUR ARB/USD ARB/USDT ATOM/USD AVAX/USD BAT/EUR BAT/USD BAT/USDT BCH/EUR BCH/USD BCH/USDT BTC/EUR BTC/GBP BTC/USD BTC/USDT COMP/EUR COMP/USD COMP/USDT CRV/EUR CRV/USD CRV/USDT DOGE/USD DOT/USD ENJ/EUR ENJ/USD ENJ/USDT ETC/EUR ETC/USD ETC/USDT ETH/BTC ETH/EUR ETH/USD FET/EUR FET/USD FET/USDT FIL/EUR FIL/USD FIL/USDT GRT/EUR GRT/USD GRT/USDT ICP/EUR ICP/USD ICP/USDT INJ/EUR INJ/USD INJ/USDT KSM/EUR KSM/USD KSM/USDT LDO/EUR LDO/USD LDO/USDT LINK/USD LTC/USD MANA/EUR MANA/USD MANA/USDT MATIC/USD MKR/EUR MKR/USD MKR/USDT NEAR/EUR NEAR/USD NEAR/USDT OP/EUR OP/USD OP/USDT SAND/EUR SAND/USD SAND/USDT SNX/EUR SNX/USD SNX/USDT SOL/EUR SOL/USD SUSHI/EUR SUSHI/USD SUSHI/USDT TRX/EUR TRX/USD TRX/USDT UNI/EUR UNI/USD UNI/USDT USDT/USD XLM/EUR XLM/USD XLM/USDT XMR/EUR"
CLK_TCK=$(getconf CLK_TCK)
WORK=$(mktemp -d)
CONFIG="$WORK/config.toml"
: >"$CONFIG"
SIM_PID=""

cleanup() {
    tmux kill-session -t "$SESSION" 2>/dev/null || true
    if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

start_sim() { # scenario tick_ms
    if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; fi
    "$BIN" sim --scenario "$1" --tick-ms "$2" >"$WORK/sim.out" 2>/dev/null &
    SIM_PID=$!
    for _ in $(seq 200); do
        ADDR=$(sed -n 's/^listening on //p' "$WORK/sim.out")
        [ -n "$ADDR" ] && return
        sleep 0.02
    done
    echo "simulator did not start" >&2
    exit 1
}

start_dashboard() {
    tmux kill-session -t "$SESSION" 2>/dev/null || true
    # shellcheck disable=SC2086
    tmux new-session -d -s "$SESSION" -x 200 -y 60 \
        "exec $BIN --config $CONFIG --log-file $WORK/pricewire.log --ws-url ws://$ADDR/v2 --rest-url http://$ADDR $SYMBOLS"
    PID=$(tmux list-panes -t "$SESSION" -F '#{pane_pid}')
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
rchar() { awk '/^rchar/ { print $2 }' "/proc/$1/io"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

cpu_pct_over() { # pid secs
    local t0 c0 c1 t1
    t0=$(date +%s.%N); c0=$(cpu_ticks "$1")
    sleep "$2"
    c1=$(cpu_ticks "$1"); t1=$(date +%s.%N)
    awk -v c="$((c1 - c0))" -v hz="$CLK_TCK" -v a="$t0" -v b="$t1" \
        'BEGIN { printf "%.2f %% of a core (%.2f s CPU in %.1f s)", 100 * c / hz / (b - a), c / hz, b - a }'
}

echo "footprint: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), 100 symbols"

# 1. Launch to first price drawn.
start_sim steady 200
start=$(date +%s%N)
start_dashboard
while ! tmux capture-pane -p -t "$SESSION" 2>/dev/null | grep -qE 'BTC/USD +[0-9]'; do
    sleep 0.005
    if [ $(( ($(date +%s%N) - start) / 1000000 )) -gt 10000 ]; then echo "no price after 10 s" >&2; exit 1; fi
done
echo "first price drawn: $(( ($(date +%s%N) - start) / 1000000 )) ms after launch   [load $(load)]"

# 2. Idle.
start_sim steady 3600000
start_dashboard
sleep 3
echo "idle:              $(cpu_pct_over "$PID" "$SECS")   RSS $(rss_kb "$PID") kB   [load $(load)]"

# 3. 1,000 updates/s.
start_sim steady 100
start_dashboard
sleep 3
echo "1,000 updates/s:   $(cpu_pct_over "$PID" "$SECS")   RSS $(rss_kb "$PID") kB   [load $(load)]"

# 4. RSS under a burst.
start_sim burst 200
start_dashboard
sleep 2
echo "burst: RSS every 5 s; updates = the dashboard's own msg/s header, sampled each second:"
total=0
for i in $(seq 1 "$BURST_SECS"); do
    sleep 1
    rate=$(tmux capture-pane -p -t "$SESSION" | sed -n 's/.* \([0-9.]*\) msg\/s.*/\1/p' | head -1)
    total=$(awk -v t="$total" -v r="${rate:-0}" 'BEGIN { printf "%d", t + r }')
    if [ $((i % 5)) -eq 0 ]; then
        echo "  ${i}s: RSS $(rss_kb "$PID") kB after ~${total} updates (${rate:-?} msg/s)   [load $(load)]"
    fi
done
