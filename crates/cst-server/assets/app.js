// CryptoSmartTrader dashboard: reads /api/v1 with a bearer token taken from the URL fragment
// (#token=...) or typed in, then follows the SSE stream of snapshots. No framework, no build.
"use strict";

const TOKEN_KEY = "cst-api-token";
let chart = null;

function takeToken() {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname); // keep the token out of the address bar
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function authHeaders(extra) {
  return Object.assign({ Authorization: "Bearer " + sessionStorage.getItem(TOKEN_KEY) }, extra || {});
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function fillRows(id, rows) {
  const body = document.getElementById(id);
  if (rows.length === 0) {
    const td = el("td", "none", "muted");
    td.colSpan = body.parentElement.querySelectorAll("th").length;
    const tr = el("tr");
    tr.appendChild(td);
    return body.replaceChildren(tr);
  }
  body.replaceChildren(...rows.map((cells) => {
    const tr = el("tr");
    for (const c of cells) tr.appendChild(c instanceof Node ? c : el("td", c ?? "–"));
    return tr;
  }));
}

function num(x, digits) {
  const v = Number(x);
  return Number.isFinite(v) ? v.toLocaleString("en-US", { maximumFractionDigits: digits ?? 2 }) : "–";
}

function signed(x, cur) {
  const v = Number(x);
  const td = el("td", (v > 0 ? "+" : "") + num(v) + (cur ? " " + cur : ""), v > 0 ? "good" : v < 0 ? "bad" : "");
  return td;
}

function renderOverview(s) {
  const o = s.overview, cur = s.quote_currency || "";
  document.getElementById("ov-equity").textContent = num(o.equity) + " " + cur;
  const p = document.getElementById("ov-pnl-today");
  p.textContent = num(o.pnl_today) + " " + cur;
  p.className = "value " + (Number(o.pnl_today) < 0 ? "bad" : "good");
  document.getElementById("ov-drawdown").textContent = num(o.drawdown_ratio * 100, 2) + " %";
  document.getElementById("ov-exposure").textContent = num(o.exposure) + " " + cur;
  document.getElementById("ov-pnl").textContent = num(o.realized_pnl) + " / " + num(o.unrealized_pnl);
  document.getElementById("mode").textContent = s.mode;
  document.getElementById("as-of").textContent = s.as_of ? "as of " + s.as_of : "";
}

function renderEquity(s) {
  const xs = s.equity.map((p) => Date.parse(p.time) / 1000);
  const ys = s.equity.map((p) => Number(p.equity));
  const box = document.getElementById("equity-chart");
  const width = Math.max(box.clientWidth, 400);
  if (!chart) {
    chart = new uPlot({
      width, height: 240,
      series: [{}, { label: "equity " + (s.quote_currency || ""), stroke: "#4cc38a", width: 2 }],
      axes: [{ stroke: "#8a96a3" }, { stroke: "#8a96a3", size: 80 }],
    }, [xs, ys], box);
  } else {
    chart.setData([xs, ys]);
  }
}

function renderRisk(r) {
  const k = document.getElementById("kill-level");
  k.textContent = r.kill_level;
  k.className = "badge level-" + r.kill_level;
  document.getElementById("paused").hidden = !r.paused;
  const t = r.last_transition;
  document.getElementById("risk-detail").textContent =
    "daily loss " + num(r.daily_loss) + " / limit " + num(r.daily_loss_limit) +
    " · max drawdown " + num(r.max_drawdown_ratio * 100) + " %" +
    (t ? " · last: " + t.from + " → " + t.to + " (" + t.trigger + ": " + t.reason + ") at " + t.at : "");
  fillRows("refusals", r.refusals.map((x) => [x.reason, x.count]));
  const limits = Object.entries(r.limits || {}).map(([k, v]) => [k, v === null ? "off" : v]);
  fillRows("limits", limits);
}

function renderTables(s) {
  const cur = s.quote_currency;
  fillRows("positions", s.positions.map((p) => [p.pair, p.qty, p.avg_price, p.mark_price, num(p.notional),
    signed(p.unrealized_pnl, cur), signed(p.realized_pnl, cur)]));
  fillRows("orders", s.open_orders.map((o) => [o.client_order_id, o.pair, o.side, o.kind, o.qty, o.price,
    o.filled_qty, o.status, o.placed_at, o.age_secs === null || o.age_secs === undefined ? "–" : o.age_secs + " s"]));
  // Rule strategies have no confidence: shown as a dash, never as 0 %.
  fillRows("signals", s.signals.slice(-50).reverse().map((x) => [x.time, x.pair, x.direction,
    x.confidence === null || x.confidence === undefined ? "–" : num(x.confidence * 100, 1) + " %", x.source,
    el("td", x.outcome, x.outcome === "accepted" ? "good" : "warnc"), x.reason]));
  fillRows("quality", s.quality.map((q) => [q.pair, q.interval,
    el("td", q.tradable ? "open" : "blocked", q.tradable ? "good" : "bad"), q.verdict, q.rows,
    num(q.completeness_ratio * 100, 2) + " %", (q.gap_count ?? 0) + " (" + (q.missing ?? 0) + " missing)", q.last,
    q.age_secs === null || q.age_secs === undefined ? "–" : num(q.age_secs / 86400, 1) + " d" + (q.stale ? " (stale)" : ""),
    q.reasons.join("; ")]));
  fillRows("models", s.models.map((m) => [m.name, m.version, m.pairs.join(", "), m.status]));
  fillRows("agents", s.agents.map((a) => [a.name,
    el("td", a.health, a.health === "healthy" ? "good" : a.health === "failed" ? "bad" : "warnc"),
    a.restarts, a.since, a.last_error]));
}

function render(s) {
  renderOverview(s);
  renderRisk(s.risk);
  renderTables(s);
  renderEquity(s);
  document.body.dataset.loaded = "true";
}

function setConn(text, ok) {
  const c = document.getElementById("conn");
  c.textContent = text;
  c.className = "badge " + (ok ? "level-normal" : "level-halt");
}

// SSE over fetch (EventSource cannot send an Authorization header).
async function follow() {
  for (;;) {
    try {
      const resp = await fetch("/api/v1/stream", { headers: authHeaders() });
      if (resp.status === 401) return showLogin("token refused");
      setConn("live", true);
      const reader = resp.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = frame.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5)).join("\n");
          if (frame.includes("event: snapshot") && data) render(JSON.parse(data));
        }
      }
    } catch (e) {
      console.error(e);
    }
    setConn("reconnecting", false);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function sendControl(name) {
  const out = document.getElementById("control-result");
  const resp = await fetch("/api/v1/controls/" + name, {
    method: "POST",
    headers: authHeaders({ "Content-Type": "application/json" }),
    body: JSON.stringify({ reason: "dashboard operator" }),
  });
  const body = await resp.json();
  out.textContent = resp.ok ? name + " sent" : name + " failed: " + body.error.message;
  out.className = resp.ok ? "good" : "bad";
}

function showLogin(msg) {
  document.getElementById("login").hidden = false;
  document.getElementById("login-error").textContent = msg || "";
  setConn("no token", false);
}

function start() {
  document.querySelectorAll("button[data-control]").forEach((b) =>
    b.addEventListener("click", () => sendControl(b.dataset.control)));
  document.getElementById("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, document.getElementById("token-input").value.trim());
    document.getElementById("login").hidden = true;
    follow();
  });
  if (takeToken()) follow(); else showLogin();
}

start();
