// pricewire's web page: the relay's stream (docs/PROTOCOL.md) drawn as a table. Text is
// only ever written with textContent. The page never says LIVE unless the link is open,
// the venue's connection is live and its leader's heartbeat is fresh.
"use strict";

const $ = (id) => document.getElementById(id);
const rows = new Map();      // "venue:symbol" -> { tr, cells, ticker, stale }
const venues = new Map();    // venue -> state message
const cursors = {};          // venue -> { epoch, seq }
let ws = null;
let hello = null;
let attempt = 0;
let openedAt = 0;
let lostAt = Date.now();
let retryAt = 0;
let lastHeard = 0;
let wanted = null;           // symbols asked for, once chosen

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function history(ts, message) {
  const li = el("li", "", "");
  const t = ts ? new Date(ts) : new Date();
  li.textContent = t.toLocaleTimeString() + "  " + message;
  const list = $("history");
  list.insertBefore(li, list.firstChild);
  while (list.children.length > 50) list.removeChild(list.lastChild);
}

function live(venue) {
  const v = venues.get(venue);
  return ws !== null && ws.readyState === 1 && v && (v.state === "connected" || v.state === "quiet");
}

function showLink() {
  const link = $("link");
  if (ws && ws.readyState === 1) {
    const anyLive = [...venues.keys()].some(live);
    link.className = "link " + (anyLive ? "live" : "lost");
    link.dataset.state = anyLive ? "live" : "open";
    link.textContent = anyLive ? "LIVE" : "connected, no live venue";
  } else {
    const secs = Math.max(0, Math.round((retryAt - Date.now()) / 1000));
    const down = Math.round((Date.now() - lostAt) / 1000);
    link.className = "link lost";
    link.dataset.state = "lost";
    link.textContent = "RELAY LINK LOST " + down + "s · retry in " + secs + "s";
  }
}

function showVenue(v) {
  const old = venues.get(v.exchange);
  venues.set(v.exchange, v);
  let li = document.querySelector('#venues li[data-venue="' + CSS.escape(v.exchange) + '"]');
  if (!li) {
    li = el("li");
    li.dataset.venue = v.exchange;
    li.append(el("span", "name", v.exchange), " ", el("span", "state"), " ", el("span", "reason muted"), " ", el("span", "leader muted"));
    $("venues").append(li);
  }
  const state = li.querySelector(".state");
  state.className = "state " + v.state;
  let word = v.state.replace("_", " ");
  if (v.state === "reconnecting" && v.attempt) word += " " + v.attempt;
  state.textContent = word.toUpperCase();
  li.querySelector(".reason").textContent = v.reason || "";
  li.querySelector(".leader").textContent = v.leader ? "· leader " + v.leader + " · term " + v.term : "";
  if (v.simulated) $("simulated").hidden = false;
  if (old && (old.state !== v.state || old.reason !== v.reason)) {
    history(null, v.exchange + ": " + word + (v.reason ? " · " + v.reason : ""));
  }
  for (const r of rows.values()) paintStale(r);
  showLink();
}

function row(key) {
  let r = rows.get(key);
  if (r) return r;
  const [venue, symbol] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
  const tr = el("tr");
  tr.dataset.key = key;
  const cells = {};
  for (const [name, cls] of [["venue", ""], ["symbol", ""], ["last", "num"], ["bid", "num"], ["ask", "num"], ["change", "num"], ["age", "num"], ["note", "note"]]) {
    cells[name] = el("td", (cls + " " + name).trim());
    tr.append(cells[name]);
  }
  cells.venue.textContent = venue;
  cells.symbol.textContent = symbol;
  r = { tr, cells, ticker: null, venue, received: 0 };
  rows.set(key, r);
  const body = $("rows");
  const after = [...rows.keys()].sort().indexOf(key);
  body.insertBefore(tr, body.children[after] || null);
  $("empty").hidden = true;
  return r;
}

function flash(td, up) {
  td.classList.remove("flash-up", "flash-down");
  void td.offsetWidth; // restart the animation
  td.classList.add(up ? "flash-up" : "flash-down");
}

function cmp(a, b) {
  // Decimal strings compared exactly: no floats.
  const [ai, af = ""] = a.replace("-", "").split(".");
  const [bi, bf = ""] = b.replace("-", "").split(".");
  const neg = a.startsWith("-"), bneg = b.startsWith("-");
  if (neg !== bneg) return neg ? -1 : 1;
  const n = Math.max(af.length, bf.length);
  const x = ai.padStart(40, "0") + af.padEnd(n, "0");
  const y = bi.padStart(40, "0") + bf.padEnd(n, "0");
  const c = x < y ? -1 : x > y ? 1 : 0;
  return neg ? -c : c;
}

function ticker(t) {
  const r = row(t.exchange + ":" + t.symbol);
  const prev = r.ticker;
  if (prev && t.seq && prev.seq && t.seq <= prev.seq) return;
  r.ticker = t;
  r.received = Date.now();
  r.cells.note.textContent = "";
  for (const f of ["last", "bid", "ask"]) {
    const td = r.cells[f];
    const v = t[f];
    td.textContent = v === null || v === undefined ? "—" : v;
    if (prev && v && prev[f] && v !== prev[f]) flash(td, cmp(v, prev[f]) > 0);
  }
  const pct = t.change_pct_24h;
  r.cells.change.textContent = pct === null || pct === undefined ? "—" : (pct.startsWith("-") ? "" : "+") + pct + "%";
  r.cells.change.className = "num change " + (pct && pct.startsWith("-") ? "down" : pct && pct !== "0" ? "up" : "");
  if (t.simulated) $("simulated").hidden = false;
  paintStale(r);
}

function paintStale(r) {
  const isLive = live(r.venue);
  r.tr.classList.toggle("stale", !isLive);
  const v = venues.get(r.venue);
  let note = r.ticker && r.ticker.simulated ? "SIM" : "";
  if (!isLive) note = (note ? note + " · " : "") + "STALE" + (v ? " (" + v.state.replace("_", " ") + ")" : "");
  if (r.error) note = r.error;
  r.cells.note.textContent = note;
}

function tick() {
  const now = Date.now();
  for (const r of rows.values()) {
    if (!r.ticker) continue;
    const at = Date.parse(r.ticker.received_ts);
    const age = Math.max(0, Math.round((now - (isNaN(at) ? r.received : at)) / 1000));
    r.cells.age.textContent = age + "s";
  }
  if (ws && ws.readyState === 1 && hello && now - lastHeard > 3 * hello.heartbeat_ms) {
    ws.close(4000, "no heartbeat");
  }
  showLink();
}

function send(obj) {
  if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj));
}

function subscribe() {
  if (!wanted) {
    const q = new URLSearchParams(location.search).get("symbols");
    wanted = q ? q.split(",").map((s) => s.trim()).filter(Boolean)
      : hello.venues.flatMap((v) => (v.watched || []).map((s) => v.exchange + ":" + s));
    wanted = wanted.slice(0, hello.limits.max_subscriptions);
  }
  if (wanted.length === 0) {
    history(null, "the relay watches no symbols yet: waiting for some (or name them: ?symbols=venue:BASE/QUOTE)");
    return;
  }
  const resume = {};
  for (const [v, c] of Object.entries(cursors)) if (c.epoch) resume[v] = c;
  send({ op: "subscribe", id: 1, symbols: wanted, resume });
}

function onMessage(e) {
  lastHeard = Date.now();
  let m;
  try { m = JSON.parse(e.data); } catch (_) { return; }
  if (m.epoch !== undefined && m.seq !== undefined && m.exchange) {
    const c = cursors[m.exchange];
    if (!c || c.epoch !== m.epoch || m.seq > c.seq) cursors[m.exchange] = { epoch: m.epoch, seq: m.seq };
  }
  switch (m.type) {
    case "hello":
      hello = m;
      $("relay").textContent = "relay " + m.relay;
      for (const v of m.venues) {
        showVenue(v);
        if (attempt === 0 && v.history) for (const h of v.history) history(h.ts, v.exchange + ": " + h.message);
      }
      attempt = 0;
      if (m.auth_required) {
        const saved = sessionStorage.getItem("pricewire-token");
        if (saved) send({ op: "auth", id: 0, token: saved });
        else { $("auth").hidden = false; return; }
      }
      subscribe();
      break;
    case "ack":
      if (m.op === "auth") { $("auth").hidden = true; subscribe(); }
      for (const r of m.rejected || []) history(null, r.symbol + ": " + r.error);
      break;
    case "snapshot":
      if (!m.recovered) for (const s of m.symbols) row(m.exchange + ":" + s);
      break;
    case "ticker": ticker(m); break;
    case "error":
      if (m.symbol) { const r = row(m.exchange + ":" + m.symbol); r.error = m.message; paintStale(r); }
      else history(null, "relay: " + m.message);
      break;
    case "gap": history(null, m.exchange + ": " + m.skipped + " updates lost: " + m.reason); break;
    case "state": showVenue(m); break;
    case "watched":
      // Following everything the relay watches: take up what it watches now.
      if (!new URLSearchParams(location.search).get("symbols") && hello && wanted) {
        const fresh = m.symbols.map((s) => m.exchange + ":" + s).filter((s) => !wanted.includes(s));
        if (fresh.length) {
          wanted = wanted.concat(fresh).slice(0, hello.limits.max_subscriptions);
          send({ op: "subscribe", id: 2, symbols: fresh });
        }
      }
      break;
    default: break;
  }
}

function connect() {
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1/stream";
  ws = new WebSocket(url, ["pricewire.v1"]);
  ws.onopen = () => { openedAt = Date.now(); lastHeard = openedAt; showLink(); };
  ws.onmessage = onMessage;
  ws.onclose = (e) => {
    if (openedAt) { lostAt = Date.now(); history(null, "relay link lost" + (e.reason ? ": " + e.reason : "")); }
    openedAt = 0;
    ws = null;
    attempt += 1;
    const wait = Math.min(30000, 500 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2);
    retryAt = Date.now() + wait;
    for (const r of rows.values()) paintStale(r);
    showLink();
    setTimeout(connect, wait);
  };
}

$("auth").addEventListener("submit", (e) => {
  e.preventDefault();
  const token = $("token").value;
  sessionStorage.setItem("pricewire-token", token);
  send({ op: "auth", id: 0, token });
});

setInterval(tick, 1000);
connect();
