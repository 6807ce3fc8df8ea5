// crashdb fleet dashboard: plain JavaScript, no build step, no third-party code.
// The viewer token lives in sessionStorage and travels only in the Authorization header.
// Every value from the server is written with textContent (never parsed as HTML).
"use strict";

const API = "/api/v1";
const KEY = "crashdb.viewer-token";
const state = { bots: new Map(), equity: {}, alerts: [], abort: null };

const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function token() { return sessionStorage.getItem(KEY); }

async function api(path) {
  const res = await fetch(API + path, { headers: { Authorization: "Bearer " + token() }, cache: "no-store" });
  if (res.status === 401) { signOut("Token refused: unknown or revoked."); throw new Error("401"); }
  if (res.status === 403) { signOut("This token may not read (use a viewer token)."); throw new Error("403"); }
  if (!res.ok) throw new Error("HTTP " + res.status);
  return res.json();
}

function money(v) {
  if (v === null || v === undefined) return "–";
  const n = Number(v);
  return n.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

function ago(iso) {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 90) return s + " s ago";
  if (s < 5400) return Math.round(s / 60) + " min ago";
  return Math.round(s / 3600) + " h ago";
}

function sparkline(values) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", "0 0 120 24");
  if (!values || values.length < 2) return svg;
  const lo = Math.min(...values), hi = Math.max(...values), span = hi - lo || 1;
  const pts = values.map((v, i) => `${(i / (values.length - 1)) * 118 + 1},${23 - ((v - lo) / span) * 22}`);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", pts.join(" "));
  svg.appendChild(line);
  return svg;
}

function renderSummary() {
  const bots = [...state.bots.values()];
  const box = $("summary");
  box.replaceChildren();
  const count = (s) => bots.filter((b) => b.state === s).length;
  const profit = bots.reduce((a, b) => a + Number(b.session_profit || 0), 0);
  const firing = state.alerts.filter((a) => a.state === "firing").length;
  for (const [label, value] of [["bots", bots.length], ["live", count("live")], ["stale", count("stale")],
    ["offline", count("offline")], ["session profit", money(profit)], ["alerts firing", firing]]) {
    const d = el("div"); d.appendChild(el("b", value)); d.appendChild(el("span", label, "muted")); box.appendChild(d);
  }
}

function renderBots() {
  const body = $("bots").querySelector("tbody");
  body.replaceChildren();
  for (const b of [...state.bots.values()].sort((x, y) => x.bot_id.localeCompare(y.bot_id))) {
    const tr = el("tr");
    tr.dataset.bot = b.bot_id;
    tr.appendChild(el("td", b.bot_id));
    const st = el("td"); st.appendChild(el("span", b.state, "state " + b.state)); tr.appendChild(st);
    const p = Number(b.session_profit || 0);
    const ci = b.session_profit_ci95 ? ` (${money(b.session_profit_ci95[0])} … ${money(b.session_profit_ci95[1])})` : "";
    tr.appendChild(el("td", money(b.session_profit) + ci, "num " + (p < 0 ? "neg" : p > 0 ? "pos" : "")));
    const sp = el("td"); sp.appendChild(sparkline(state.equity[b.bot_id])); tr.appendChild(sp);
    tr.appendChild(el("td", money(b.balance), "num"));
    tr.appendChild(el("td", b.rounds_per_minute, "num"));
    tr.appendChild(el("td", b.ocr_rejection_rate === null ? "–" : (b.ocr_rejection_rate * 100).toFixed(1) + "%", "num"));
    tr.appendChild(el("td", b.error_count, "num"));
    tr.appendChild(el("td", ago(b.last_seen_at), "muted"));
    tr.addEventListener("click", () => showBot(b.bot_id));
    body.appendChild(tr);
  }
  renderSummary();
}

function renderAlerts() {
  const list = $("alerts");
  list.replaceChildren();
  const shown = state.alerts.slice(0, 50);
  if (!shown.length) list.appendChild(el("li", "No alerts.", "resolved"));
  for (const a of shown) {
    const li = el("li", null, a.state === "resolved" ? "resolved" : a.severity);
    li.appendChild(el("strong", `${a.state === "resolved" ? "resolved" : a.severity}: ${a.rule}`));
    li.appendChild(el("div", a.message));
    li.appendChild(el("small", ago(a.updated_at), "muted"));
    list.appendChild(li);
  }
  renderSummary();
}

function setBots(list) {
  state.bots = new Map(list.map((b) => [b.bot_id, b]));
  renderBots();
}

function onRound(r) {
  const b = state.bots.get(r.bot_id);
  const curve = state.equity[r.bot_id] || (state.equity[r.bot_id] = []);
  const prev = curve.length ? curve[curve.length - 1] : 0;
  curve.push(prev + Number(r.profit_loss || 0));
  if (curve.length > 60) curve.shift();
  if (b) {
    if (r.session_id === b.session_id) b.session_profit = String(Number(b.session_profit || 0) + Number(r.profit_loss || 0));
    if (r.balance !== null) b.balance = r.balance;
    b.last_seen_at = new Date().toISOString();
    b.state = "live";
  } else {
    state.bots.set(r.bot_id, { bot_id: r.bot_id, state: "live", session_profit: r.profit_loss, session_profit_ci95: null,
      balance: r.balance, rounds_per_minute: 1, ocr_rejection_rate: null, error_count: 0, last_seen_at: new Date().toISOString(),
      session_id: r.session_id });
  }
  renderBots();
}

async function showBot(botId) {
  const s = await api("/bots/" + encodeURIComponent(botId) + "/statistics");
  $("detail").hidden = false;
  $("detail-title").textContent = "Bot " + botId;
  const dl = $("detail-stats");
  dl.replaceChildren();
  const num = (v) => (typeof v === "number" && !Number.isInteger(v) ? String(Number(v.toPrecision(5))) : String(v));
  const ci = (v) => (Array.isArray(v) ? ` (95% CI ${v.map(num).join(" … ")})` : "");
  const rows = [];
  for (const [k, v] of Object.entries(s)) {
    if (k.endsWith("_ci95") || k === "verdict" || v === null || typeof v === "object") continue;
    rows.push([k.replaceAll("_", " "), num(v) + ci(s[k + "_ci95"])]);
  }
  for (const [k, v] of rows) { dl.appendChild(el("dt", k)); dl.appendChild(el("dd", v)); }
  const edge = s.expected_roi_percent_at_published_rtp;
  const roi = s.roi_percent_ci95;
  $("detail-note").textContent = (s.verdict ? s.verdict + " " : "") + (edge !== undefined && edge !== null
    ? "House-edge reference: at the published RTP a bettor expects an ROI of " + Number(edge).toFixed(2) + "%" +
      (Array.isArray(roi) ? (roi[0] <= edge && edge <= roi[1] ? "; the interval covers it: no evidence of an edge." :
        "; the interval excludes it.") : ".")
    : "");
}

async function stream() {
  if (state.abort) state.abort.abort();
  const ctl = new AbortController();
  state.abort = ctl;
  while (!ctl.signal.aborted) {
    try {
      const res = await fetch(API + "/stream", { headers: { Authorization: "Bearer " + token() }, signal: ctl.signal });
      if (res.status === 401 || res.status === 403) { signOut("Token refused."); return; }
      $("connection").textContent = "live";
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, cut); buf = buf.slice(cut + 2);
          let event = "message", data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (!data) continue;
          const payload = JSON.parse(data);
          if (event === "bots") setBots(payload);
          else if (event === "round") onRound(payload);
          else if (event === "alerts") { state.alerts = payload; renderAlerts(); }
        }
      }
    } catch (e) {
      if (ctl.signal.aborted) return;
    }
    $("connection").textContent = "reconnecting…";
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function start() {
  $("login").hidden = true;
  $("dashboard").hidden = false;
  $("logout").hidden = false;
  try {
    const [bots, equity, alerts] = await Promise.all([api("/bots"), api("/equity"), api("/alerts")]);
    state.equity = equity; state.alerts = alerts;
    setBots(bots); renderAlerts();
    stream();
    setInterval(async () => { try { state.equity = await api("/equity"); renderBots(); } catch (e) { /* next time */ } }, 30000);
  } catch (e) { /* signOut already shown the reason */ }
}

function signOut(message) {
  sessionStorage.removeItem(KEY);
  if (state.abort) state.abort.abort();
  $("dashboard").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("connection").textContent = "not connected";
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const value = $("token").value.trim();
    $("token").value = "";
    if (!value) return;
    sessionStorage.setItem(KEY, value);
    start();
  });
  $("logout").addEventListener("click", () => signOut(""));
  $("detail-close").addEventListener("click", () => { $("detail").hidden = true; });
  if (token()) start();
});
