// Kestrel GCS dashboard: sign-in, live telemetry and video, controls by role, results of every action.

import { ROLE_RANK, api, clearToken, decodeToken, describeError, loadToken, saveToken, setUnauthorizedHandler } from "./api.js";
import { StripChart } from "./plot.js";
import { SettingsEditor } from "./settings.js";
import { TelemetryStream } from "./telemetry.js";
import { VideoView } from "./video.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const LOGIN_MESSAGE_KEY = "kestrel.loginMessage";
const LOGIN_TAB_KEY = "kestrel.loginTab";
const MAX_MESSAGES = 200;
const GPS_FIX = ["no GPS", "no fix", "2D", "3D", "DGPS", "RTK float", "RTK fixed", "static", "PPP"];

const ui = {
  role: "viewer",
  rank: 1,
  telemetry: null,
  video: null,
  plot: null,
  conn: { telemetry: "connecting", video: "connecting" },
  lastTelemetryAt: 0,
  tracker: null,
  follower: null,
  smart: false,
  seen: new Set(),
  replayTimer: null,
  telemetryCount: 0,
  settings: null,
  transportNotes: new Set(),
  offlineSince: 0,
};
window.kestrel = ui; // read-only handle for people debugging in the console (and the browser tests)

// ---- small helpers ---------------------------------------------------------------------------

function on(id, event, fn) {
  const el = $(id);
  if (el) el.addEventListener(event, fn);
}

function setText(id, text, level) {
  const el = $(id);
  if (!el) return;
  if (el.textContent !== text) el.textContent = text;
  if (level === undefined) delete el.dataset.level;
  else el.dataset.level = level;
}

function num(v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const text = v.toFixed(digits);
  return Number(text) === 0 ? (0).toFixed(digits) : text; // never "-0.0"
}
const clock = (tS) => new Date(tS * 1000).toLocaleTimeString([], { hour12: false });

function duration(seconds) {
  if (!Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

function compass(deg) {
  const names = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
  return names[Math.round((((deg % 360) + 360) % 360) / 45) % 8];
}

// ---- messages and action results -------------------------------------------------------------

function addMessage(level, text, timeS = Date.now() / 1000) {
  const list = $("messages");
  const li = document.createElement("li");
  li.dataset.level = level;
  const time = document.createElement("time");
  time.textContent = clock(timeS);
  const span = document.createElement("span");
  span.textContent = text;
  li.append(time, span);
  list.prepend(li);
  while (list.children.length > MAX_MESSAGES) list.lastChild.remove();
}

function showResult(kind, text) {
  const el = $("action-result");
  el.hidden = false;
  el.dataset.kind = kind;
  el.textContent = text;
}

function replyText(label, reply) {
  if (reply && typeof reply === "object" && "success" in reply) {
    const result = String(reply.result || "").toLowerCase();
    return `${label}: ${result || "done"}${reply.message ? ` — ${reply.message}` : ""}`;
  }
  return `${label}: done`;
}

/** Run one action; the page always says what became of it (result, or refusal with the reason). */
async function act(label, method, path, body, { button, describe } = {}) {
  showResult("pending", `${label}: sending…`);
  if (button) button.disabled = true;
  try {
    const reply = await api(method, path, body);
    const text = describe ? describe(reply) : replyText(label, reply);
    showResult("ok", text);
    addMessage("ok", `you: ${text}`);
    return reply;
  } catch (err) {
    const text = err.status === 0 ? `${label} not sent: ${err.message}` : `${label} refused: ${err.message}`;
    showResult("bad", text);
    addMessage("bad", `you: ${text}`);
    return null;
  } finally {
    if (button) button.disabled = false;
  }
}

// ---- connection state, said on screen --------------------------------------------------------

let bannerTimer = null;

function banner(kind, text, holdMs = 0) {
  const el = $("banner");
  clearTimeout(bannerTimer);
  if (!text) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  el.dataset.kind = kind;
  el.textContent = text;
  if (holdMs) bannerTimer = setTimeout(() => (el.hidden = true), holdMs);
}

function updateConn() {
  const { telemetry, video } = ui.conn;
  const el = $("conn");
  let state = "live";
  let text = `live · ${ui.telemetry?.transport === "sse" ? "SSE" : "WebSocket"}`;
  if (telemetry === "offline") {
    state = "offline";
    text = "offline";
  } else if (telemetry !== "live") {
    state = "reconnecting";
    text = telemetry === "connecting" ? "connecting…" : "reconnecting…";
  } else if (video !== "live") {
    state = "degraded";
    text = "live · video reconnecting";
  }
  el.dataset.state = state;
  setText("conn-text", text);
}

/** While the connection is down the cards keep their last values, dimmed and dated. */
function markStale(stale) {
  const cards = $("cards");
  if (stale === cards.hasAttribute("data-stale")) return;
  cards.toggleAttribute("data-stale", stale);
  if (stale && ui.lastTelemetryAt) setText("vehicle-age", `last data ${clock(ui.lastTelemetryAt / 1000)}`);
}

/** Say once, in the message log, that a stream had to take its fallback route (and why). */
function noteFallback(key, text) {
  if (ui.transportNotes.has(key)) return;
  ui.transportNotes.add(key);
  addMessage("warn", text);
  banner("warn", text, 8000);
}

function onTelemetryState(s) {
  const offline = s.state === "reconnecting" && s.reachable === false;
  ui.conn.telemetry = offline ? "offline" : s.state;
  updateConn();
  if (s.fellBack) {
    noteFallback("telemetry", "Telemetry: WebSocket unavailable (blocked on the way?) — using server-sent events (/sse/telemetry) instead.");
  }
  markStale(s.state === "reconnecting");
  if (s.state === "reconnecting") {
    if (!ui.offlineSince) ui.offlineSince = Date.now();
    const since = ui.lastTelemetryAt ? ` Values shown are from ${clock(ui.lastTelemetryAt / 1000)}.` : "";
    const when = s.retryInS ? `retrying in ${s.retryInS} s` : "retrying now";
    if (offline && s.deviceOffline) {
      banner("bad", `Offline: this device has lost its network — ${when}, attempt ${s.attempt}.${since}`);
    } else if (offline) {
      banner("bad", `Offline: the program at ${location.host} does not answer (${s.reason || "no answer"}) — ${when}, attempt ${s.attempt}.${since}`);
    } else {
      banner("warn", `Connection to the program lost (${s.reason || "no answer"}) — ${when}, attempt ${s.attempt}.${since}`);
    }
  } else if (s.state === "live" && s.reconnected) {
    const away = ui.offlineSince ? ` after ${Math.max(1, Math.round((Date.now() - ui.offlineSince) / 1000))} s` : "";
    ui.offlineSince = 0;
    ui.reconnectedAt = Date.now();
    banner("ok", `Reconnected${away} (${s.transport === "sse" ? "server-sent events" : "WebSocket"}).`, 4000);
    addMessage("ok", `reconnected to the program${away}`);
    ui.video?.wake(); // do not leave the video waiting out its backoff
    loadMeta(); // the program may have restarted: trackers, profiles, links, sessions again
    ui.settings?.onConfigChanged();
  } else if (s.state === "live") {
    ui.offlineSince = 0;
    if (!s.fellBack) banner("", ""); // else the fallback note stays up a few seconds
  }
}

function onAuthFailed(reason) {
  sessionStorage.setItem(LOGIN_MESSAGE_KEY, `Signed out: ${reason}`);
  clearToken();
  location.reload();
}

// ---- telemetry -------------------------------------------------------------------------------

function onEvent(ev) {
  if (ev.type === "telemetry") {
    ui.telemetryCount += 1;
    showState(ev.data, ev.time);
  }
  else if (ev.type === "log" || ev.type === "status") {
    const key = `${ev.id}:${ev.time}`;
    if (ui.seen.has(key)) return; // a reconnect's history repeats what we have shown
    ui.seen.add(key);
    if (ui.seen.size > 2000) ui.seen = new Set([...ui.seen].slice(-1000));
    showLogEvent(ev);
  }
}

function showState(s, timeS) {
  ui.lastTelemetryAt = Date.now();
  const gp = s.global_position || {};
  const hud = s.hud || {};
  const bat = s.battery || {};
  const gps = s.gps || {};
  const link = s.link || {};
  const landed = s.landed_state && s.landed_state !== "UNDEFINED" ? ` · ${s.landed_state.toLowerCase().replace(/_/g, " ")}` : "";
  setText("vehicle-name", `#${s.system_id} ${String(s.autopilot).toUpperCase()} ${String(s.vehicle_type).toLowerCase()}${landed}`);
  setText("t-mode", s.mode || "–");
  setText("t-armed", s.armed ? "ARMED" : "disarmed", s.armed ? "warn" : undefined);
  setText("t-alt", `${num(gp.alt_rel_m)} m`);
  setText("t-gs", `${num(hud.groundspeed_mps)} m/s`);
  setText("t-climb", `${num(hud.climb_mps)} m/s`);
  setText("t-heading", `${String(Math.round(hud.heading_deg || 0)).padStart(3, "0")}° ${compass(hud.heading_deg || 0)}`);
  const pct = bat.remaining_pct;
  const batText = pct === null || pct === undefined ? `${num(bat.voltage_v)} V` : `${Math.round(pct)}% ${num(bat.voltage_v)}V`;
  setText("t-battery", batText, pct === null || pct === undefined ? undefined : pct < 20 ? "bad" : pct < 40 ? "warn" : "ok");
  const fix = GPS_FIX[gps.fix_type] || `fix ${gps.fix_type}`;
  setText("t-gps", `${fix} · ${gps.satellites ?? 0} sat`, gps.fix_type >= 3 ? "ok" : "bad");
  const linkState = link.state || "–";
  const lossPct = link.packet_loss_pct || 0;
  const loss = lossPct >= 0.05 ? ` · ${num(lossPct, lossPct < 10 ? 1 : 0)}% loss` : "";
  setText("t-link", `${linkState}${loss}`, linkState === "ok" ? "ok" : linkState === "lost" ? "bad" : "warn");
  const age = link.last_heard_age_s;
  setText("vehicle-age", age === null || age === undefined ? "" : `heard ${num(age, 1)} s ago`);
  ui.plot.push(timeS, { alt: gp.alt_rel_m, gs: hud.groundspeed_mps, climb: hud.climb_mps });
}

function severityLevel(sev) {
  if (sev <= 3) return "bad";
  if (sev === 4) return "warn";
  return "info";
}

function showLogEvent(ev) {
  const d = ev.data || {};
  if (d.kind === "statustext") {
    addMessage(severityLevel(d.severity), `vehicle ${d.system_id}: ${d.text}`, d.time_s || ev.time);
  } else if (d.kind === "command") {
    const text = `${d.command}: ${String(d.result).toLowerCase()}${d.message ? ` — ${d.message}` : ""}`;
    addMessage(d.success ? "info" : "bad", text, ev.time);
  } else if (d.kind === "link") {
    const state = d.state || d.link_state || "";
    addMessage(state === "lost" ? "bad" : "info", `link ${d.system_id ?? ""} ${state}${d.reason ? `: ${d.reason}` : ""}`, ev.time);
  } else if (d.kind === "commander") {
    addMessage(d.stale ? "warn" : "info", `setpoint stream ${d.engaged ? "on" : "off"}${d.reason ? `: ${d.reason}` : ""}`, ev.time);
  } else if (d.kind === "active_vehicle") {
    addMessage("info", `active vehicle: ${d.system_id}`, ev.time);
  } else if (d.kind === "config") {
    addMessage("info", `settings changed: ${Object.keys(d.changed || {}).join(", ")}`, ev.time);
    ui.settings?.onConfigChanged();
  } else if (d.kind === "tracking") {
    const state = String(d.state || "").toLowerCase();
    const level = state === "lost" ? "bad" : state === "searching" ? "warn" : "info";
    addMessage(level, `tracker ${d.tracker || ""}: ${state}${d.reason ? ` (${d.reason})` : ""}`, ev.time);
  } else if (d.kind === "video_recording" || d.kind === "recording") {
    if (d.kind === "video_recording") ui.recEpoch = (ui.recEpoch || 0) + 1;
    showRecording(d, ev.time);
  } else if (d.text || d.message) {
    // a kind this page does not know yet: still show what it says rather than drop it
    addMessage(d.level || (d.error ? "bad" : "info"), `${d.kind ? `${d.kind}: ` : ""}${d.text || d.message}`, ev.time);
  } else if (d.kind) {
    addMessage("info", `${d.kind}${d.state ? ` ${d.state}` : ""}`, ev.time);
  }
}

const fileName = (p) => String(p || "").split(/[\\/]/).pop();

/**
 * Recording status: the video (MP4) and the link's telemetry log (tlog); errors stand out. Fed by
 * status events from the telemetry stream and by polling GET /api/video/recording, so each change
 * is said once whichever path tells us first.
 */
function showRecording(d, timeS, { quiet = false } = {}) {
  const video = d.kind !== "recording";
  const what = video ? "video recording" : "telemetry log";
  const file = fileName(d.path || d.tlog_path);
  if (video) showRecordingChip(d, file);
  const key = `${what}|${file}|${!!d.recording}|${d.error || ""}`;
  const seenKey = video ? "videoRecKey" : `tlogKey:${d.link_id || ""}`;
  if (ui[seenKey] === key) return;
  const first = ui[seenKey] === undefined;
  ui[seenKey] = key;
  if (quiet && first && !d.recording && !d.error) return; // the state at page load: nothing happened
  let text;
  let level = "info";
  if (d.error) {
    text = `${what} stopped: ${d.error}`;
    level = "bad";
  } else if (d.recording) {
    text = `${what} ${first && quiet ? "in progress" : "started"}${file ? `: ${file}` : ""}`;
  } else {
    const frames = d.frames_written ?? d.frames;
    const length = d.duration_s ? `, ${duration(d.duration_s)}` : "";
    text = `${what} finished${file ? `: ${file}` : ""}${frames !== undefined ? ` (${frames} frames${length})` : ""}`;
  }
  addMessage(level, text, timeS);
}

function showRecordingChip(d, file) {
  const chip = $("rec-state");
  chip.hidden = !d.recording && !d.error;
  chip.dataset.state = d.error ? "lost" : "rec";
  chip.textContent = d.error ? "REC error" : `● REC ${duration(d.duration_s || 0)}`;
  chip.title = d.error || file;
  const b = $("rec-toggle");
  if (b) {
    b.setAttribute("aria-pressed", String(!!d.recording));
    b.textContent = d.recording ? "Stop recording" : "Record";
  }
}

async function pollRecording() {
  const epoch = ui.recEpoch || 0;
  try {
    const d = await api("GET", "/api/video/recording");
    if ((ui.recEpoch || 0) !== epoch) return; // asked before a newer answer arrived: it may be stale
    showRecording({ kind: "video_recording", ...d }, Date.now() / 1000, { quiet: true });
  } catch (err) {
    if (err.status === 404) clearInterval(ui.recTimer); // a program without recording over the web
  }
}

// ---- video, tracking and follow --------------------------------------------------------------

function onTracker(t) {
  ui.tracker = t;
  const pending = ui.pendingTrack;
  if (pending && t.frame_seq > pending.afterSeq && t.state === "locked") {
    // the tracker's first answer after the request (older results carry older frame numbers)
    ui.pendingTrack = null;
    clearTimeout(pending.timer);
    const text = `${pending.label}: locked (${t.tracker}${t.reason ? `, ${t.reason}` : ""})`;
    showResult("ok", text);
    addMessage("ok", `you: ${text}`);
  }
  const chip = $("track-state");
  chip.dataset.state = t.state;
  const text = t.state === "idle" ? `tracker idle · ${t.tracker}` : `${t.state} · ${t.tracker}${t.reason && t.state !== "locked" ? ` (${t.reason})` : ""}`;
  if (chip.textContent !== text) chip.textContent = text;
  const select = $("tracker-select");
  if (select && document.activeElement !== select && [...select.options].some((o) => o.value === t.tracker)) {
    select.value = t.tracker;
  }
  setSmart(String(t.tracker).toLowerCase() === "smart");
}

function setSmart(onOff) {
  ui.smart = onOff;
  const b = $("smart-toggle");
  if (b) b.setAttribute("aria-pressed", String(onOff));
}

function onFollower(f) {
  ui.follower = f;
  const chip = $("follow-state");
  const state = f.active ? (f.held ? "held" : "on") : "off";
  chip.dataset.state = state;
  const why = f.held && f.reasons?.length ? ` (${f.reasons.join(", ")})` : "";
  const text = f.active ? `following · ${f.profile}${why}` : `follow off · ${f.profile}`;
  if (chip.textContent !== text) chip.textContent = text;
  const b = $("follow-toggle");
  if (b) {
    b.setAttribute("aria-pressed", String(!!f.active));
    b.textContent = f.active ? "Stop following" : "Follow";
  }
  const select = $("profile-select");
  if (select && document.activeElement !== select) select.value = f.profile;
}

function onVideoTransport(mode, state, retryInS, fellBack) {
  ui.conn.video = state;
  setText("video-transport", mode === "mjpeg" ? "MJPEG" : "WebSocket");
  updateConn();
  if (fellBack) noteFallback("video", "Video: WebSocket unavailable — showing the MJPEG stream (/video_feed) instead.");
}

async function requestTrack(label, path, body) {
  if (ui.pendingTrack) clearTimeout(ui.pendingTrack.timer);
  ui.pendingTrack = null;
  const reply = await act(label, "POST", path, body, { describe: () => `${label}: sent — waiting for the tracker` });
  if (!reply) return;
  const pending = { label, afterSeq: reply.target?.frame_seq ?? -1 };
  pending.timer = setTimeout(() => {
    if (ui.pendingTrack !== pending) return;
    ui.pendingTrack = null;
    const state = ui.tracker ? `${ui.tracker.state}${ui.tracker.reason ? ` (${ui.tracker.reason})` : ""}` : "unknown";
    showResult("bad", `${label}: no lock after 4 s — tracker ${state}`);
  }, 4000);
  ui.pendingTrack = pending;
}

function trackClick(x, y) {
  if (ui.smart) requestTrack("SMART TRACK", "/commands/smart_click", { x, y, normalised: true });
  else requestTrack("TRACK", "/commands/start_tracking", { x, y, normalised: true });
}

function trackBox(x, y, width, height) {
  requestTrack("TRACK BOX", "/commands/start_tracking", { x, y, width, height, normalised: true });
}

// ---- metadata: trackers, profiles, links (replay), sessions -----------------------------------

async function loadMeta() {
  await Promise.allSettled([loadTrackers(), loadProfiles(), loadLinks(), loadSessions()]);
}

async function loadTrackers() {
  const select = $("tracker-select");
  if (!select) return;
  try {
    const schema = await api("GET", "/api/tracker/schema");
    select.replaceChildren(
      ...schema.trackers.map((t) => {
        const o = new Option(t.name, t.name);
        o.title = t.description;
        return o;
      }),
    );
    if (![...select.options].some((o) => o.value === schema.current)) select.append(new Option(schema.current, schema.current));
    select.value = schema.current;
    setSmart(schema.smart_mode);
    select.disabled = false;
  } catch (err) {
    select.replaceChildren(new Option("no tracker", ""));
    select.disabled = true;
    select.title = err.message;
  }
}

async function loadProfiles() {
  const select = $("profile-select");
  if (!select) return;
  try {
    const data = await api("GET", "/api/follower/profiles");
    select.replaceChildren(
      ...data.profiles.map((p) => {
        const o = new Option(p.name, p.name);
        o.title = p.description;
        return o;
      }),
    );
    select.value = data.current;
  } catch (err) {
    select.replaceChildren(new Option("–", ""));
    select.title = err.message;
  }
}

async function loadLinks() {
  let status;
  try {
    status = await api("GET", "/status");
  } catch {
    return;
  }
  const replay = (status.links || []).find((l) => l.kind === "replay");
  const panel = $("replay");
  clearInterval(ui.replayTimer);
  if (!replay) {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  setText("replay-file", String(replay.url).replace(/^replay:/, "").split("/").pop());
  ui.replayTimer = setInterval(pollReplay, 1000);
  pollReplay();
}

function replayField(r, ...names) {
  for (const n of names) if (r && r[n] !== undefined && r[n] !== null) return r[n];
  return null;
}

async function pollReplay() {
  try {
    const r = await api("GET", "/api/control");
    $("replay-note").hidden = true;
    $("replay-body").hidden = false;
    const pos = replayField(r, "position_s", "position");
    const dur = replayField(r, "duration_s", "duration");
    const speed = replayField(r, "speed");
    setText("replay-pos", duration(pos));
    setText("replay-dur", duration(dur));
    setText("replay-speed-now", `${r.playing ? "playing" : "paused"}${r.ended ? " · ended" : ""} · ${speed === null ? "max" : `${speed}×`}`);
    const seek = $("replay-seek");
    if (dur && document.activeElement !== seek) seek.value = String(Math.round((pos / dur) * 1000));
    const speedSelect = $("replay-speed");
    const wanted = speed === null ? "max" : String(speed);
    if (speedSelect && document.activeElement !== speedSelect && [...speedSelect.options].some((o) => o.value === wanted)) {
      speedSelect.value = wanted;
    }
  } catch (err) {
    $("replay-note").hidden = false;
    $("replay-body").hidden = err.status === 404;
    setText("replay-note", err.status === 404 ? "This program does not offer replay control over the web (no /api/control)." : `Replay: ${err.message}`);
  }
}

function replayCommand(label, cmd, value, extra = {}) {
  const body = value === undefined ? { cmd, ...extra } : { cmd, value, ...extra };
  return act(label, "POST", "/api/control", body, { describe: () => `${label}: done` }).then(pollReplay);
}

async function loadSessions() {
  const panel = $("sessions");
  let data;
  try {
    data = await api("GET", "/api/sessions");
  } catch (err) {
    panel.hidden = err.status === 404 || err.status === 0;
    setText("sessions-note", err.message);
    return;
  }
  panel.hidden = false;
  const sessions = Array.isArray(data) ? data : data.sessions || [];
  setText("sessions-note", sessions.length ? "" : "No flight sessions recorded yet.");
  $("sessions").querySelector("table").hidden = !sessions.length;
  const rows = sessions.slice(0, 50).map((s) => {
    const tr = document.createElement("tr");
    const length = s.duration_s ?? (s.ended_s ?? s.updated_s ?? s.started_s) - s.started_s;
    const cells = [
      new Date(s.started_s * 1000).toLocaleString([], { hour12: false }),
      s.ended_s === null ? `${duration(length)} (open)` : duration(length),
      `${s.autopilot || ""} ${String(s.vehicle_type || "").toLowerCase()}`.trim() || "–",
      s.max_alt_m === null || s.max_alt_m === undefined ? "–" : `${num(s.max_alt_m, 0)} m`,
    ];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    const td = document.createElement("td");
    const b = document.createElement("button");
    b.className = "btn small";
    b.type = "button";
    b.textContent = "tlog";
    b.title = "Download this session's telemetry log";
    b.addEventListener("click", () => downloadTlog(s, b));
    td.append(b);
    tr.append(td);
    return tr;
  });
  $("sessions-body").replaceChildren(...rows);
}

async function downloadTlog(session, button) {
  button.disabled = true;
  try {
    const response = await api("GET", `/api/sessions/${session.id}/tlog`, undefined, { raw: true, timeoutMs: 120000 });
    const blob = await response.blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = String(session.tlog_path || `session-${session.id}.tlog`).split("/").pop();
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    showResult("ok", `TLOG: downloaded ${a.download} (${Math.round(blob.size / 1024)} kB)`);
  } catch (err) {
    showResult("bad", `TLOG download refused: ${err.message}`);
  } finally {
    button.disabled = false;
  }
}

// ---- controls --------------------------------------------------------------------------------

function bindControls() {
  const cmd = (id, label, path, body) => on(id, "click", (e) => act(label, "POST", path, body, { button: e.currentTarget }));
  cmd("btn-arm", "ARM", "/api/vehicle/arm");
  cmd("btn-disarm", "DISARM", "/api/vehicle/disarm", { force: false });
  cmd("btn-land", "LAND", "/api/vehicle/land");
  cmd("btn-rtl", "RTL", "/api/vehicle/rtl");
  cmd("btn-hold", "HOLD", "/api/vehicle/hold");
  cmd("abort", "ABORT", "/commands/abort");
  on("takeoff-form", "submit", (e) => {
    e.preventDefault();
    const altitude = Number($("takeoff-alt").value);
    act("TAKEOFF", "POST", "/api/vehicle/takeoff", { altitude_m: altitude }, { button: $("btn-takeoff") });
  });
  on("track-stop", "click", (e) => act("STOP TRACK", "POST", "/commands/stop_tracking", undefined, { button: e.currentTarget }));
  on("smart-toggle", "click", async (e) => {
    const r = await act("SMART", "POST", "/commands/toggle_smart_mode", undefined, {
      button: e.currentTarget,
      describe: (r) => `SMART: ${r.smart_mode ? "on" : "off"} (tracker ${r.tracker})`,
    });
    if (r) {
      setSmart(r.smart_mode);
      $("tracker-select").value = r.tracker;
    }
  });
  on("tracker-select", "change", async (e) => {
    const name = e.currentTarget.value;
    const r = await act("TRACKER", "POST", "/api/tracker/switch", { name }, { describe: (r) => `TRACKER: ${r.tracker}` });
    if (!r && ui.tracker) e.target.value = ui.tracker.tracker; // refused: show the one still in use
  });
  on("profile-select", "change", async (e) => {
    const name = e.currentTarget.value;
    const r = await act("PROFILE", "POST", "/api/follower/switch-profile", { name }, { describe: (r) => `PROFILE: ${r.profile}` });
    if (!r && ui.follower) e.target.value = ui.follower.profile;
  });
  on("follow-toggle", "click", (e) => {
    if (ui.follower?.active) act("STOP FOLLOW", "POST", "/commands/stop_following", undefined, { button: e.currentTarget });
    else act("FOLLOW", "POST", "/commands/start_following", undefined, { button: e.currentTarget });
  });
  on("replay-play", "click", () => replayCommand("PLAY", "play"));
  on("replay-pause", "click", () => replayCommand("PAUSE", "pause"));
  on("replay-step", "click", () => replayCommand("STEP", "step", 1));
  on("replay-speed", "change", (e) => {
    const v = e.currentTarget.value;
    replayCommand("SPEED", "speed", v === "max" ? null : Number(v)); // null: as fast as possible
  });
  on("replay-seek", "change", (e) => replayCommand("SEEK", "seek", Number(e.currentTarget.value) / 1000, { fraction: true }));
  on("sessions-refresh", "click", loadSessions);
  on("rec-toggle", "click", async (e) => {
    const recording = e.currentTarget.getAttribute("aria-pressed") === "true";
    const label = recording ? "STOP RECORDING" : "RECORD";
    const r = await act(label, "POST", `/api/video/recording/${recording ? "stop" : "start"}`, recording ? undefined : {}, {
      button: e.currentTarget,
      describe: (r) => `${label}: ${r.recording ? "recording to" : "saved"} ${r.file}${r.recording ? "" : ` (${r.frames_written} frames)`}`,
    });
    if (r) {
      ui.recEpoch = (ui.recEpoch || 0) + 1;
      showRecording({ kind: "video_recording", ...r }, Date.now() / 1000);
    }
  });
  on("settings-open", "click", () => ui.settings?.open());
  for (const id of ["logout", "logout-footer"]) {
    on(id, "click", () => {
      clearToken();
      location.reload();
    });
  }
}

/** Remove every control the role may not use: absent, not merely disabled. */
function applyRole(role) {
  ui.role = role;
  ui.rank = ROLE_RANK[role] || 1;
  for (const el of document.querySelectorAll("[data-role]")) {
    if ((ROLE_RANK[el.dataset.role] || 99) > ui.rank) el.remove();
    else el.hidden = false;
  }
  const seek = $("replay-seek");
  if (seek && ui.rank < ROLE_RANK.operator) seek.disabled = true; // shows the position; moving it needs an operator
}

// ---- sign-in ---------------------------------------------------------------------------------

function showLogin(message = "", tab) {
  $("app").hidden = true;
  $("who").hidden = true;
  $("footer").hidden = true;
  const abort = $("abort");
  if (abort) abort.hidden = true;
  $("login").hidden = false;
  setText("login-error", message);
  let wanted = tab;
  if (!wanted) {
    try {
      wanted = localStorage.getItem(LOGIN_TAB_KEY) || "password";
    } catch {
      wanted = "password";
    }
  }
  selectLoginTab(wanted);
}

function selectLoginTab(tab) {
  const password = tab !== "token";
  $("tab-password").setAttribute("aria-selected", String(password));
  $("tab-token").setAttribute("aria-selected", String(!password));
  $("password-form").hidden = !password;
  $("login-form").hidden = password;
  try {
    localStorage.setItem(LOGIN_TAB_KEY, password ? "password" : "token");
  } catch {
    /* private mode: fine */
  }
  (password ? $("login-user") : $("token-input")).focus();
}

/** User name and password -> a token from POST /api/auth/login, then the same path as a pasted token. */
async function passwordSignIn() {
  const username = $("login-user").value.trim();
  const password = $("login-password").value;
  if (!username || !password) {
    setText("login-error", !username ? "Enter your user name." : "Enter your password.");
    return;
  }
  const button = $("password-button");
  button.disabled = true;
  setText("login-error", "");
  let response;
  let body = null;
  try {
    response = await fetch("/api/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password }),
      cache: "no-store",
    });
    body = await response.json().catch(() => null);
  } catch {
    setText("login-error", "Cannot reach the program: is it running, and is this its address?");
    return;
  } finally {
    button.disabled = false;
  }
  $("login-password").value = "";
  if (response.ok && body?.token) {
    signIn(body.token);
  } else if (response.status === 404) {
    showLogin("This program does not offer password sign-in: paste a token instead.", "token");
  } else if (response.status === 429) {
    const wait = response.headers.get("Retry-After");
    setText("login-error", `Too many attempts: wait ${wait || "a minute"} s and try again.`);
  } else {
    const text = describeError(response.status, body);
    if (/no user accounts/.test(text)) showLogin(text, "token");
    else setText("login-error", text);
    $("login-password").focus();
  }
}

async function signIn(token) {
  token = token.trim();
  let claims;
  try {
    claims = decodeToken(token);
  } catch (err) {
    showLogin(err.message);
    return;
  }
  if (claims.exp && claims.exp * 1000 < Date.now()) {
    clearToken();
    showLogin("This token has expired: ask for a new one.");
    return;
  }
  let reachable = true;
  try {
    await api("GET", "/status", undefined, { token });
  } catch (err) {
    if (err.status === 401 || err.status === 403) {
      clearToken();
      showLogin(`The program refused this token: ${err.message}`);
      return;
    }
    reachable = err.status !== 0;
  }
  saveToken(token);
  start(token, claims, reachable);
}

function start(token, claims, reachable) {
  $("login").hidden = true;
  $("conn").hidden = false; // no connection to speak of before signing in
  $("login-password").value = "";
  $("app").hidden = false;
  $("who").hidden = false;
  $("footer").hidden = false;
  applyRole(claims.role);
  const badge = $("role-badge");
  badge.dataset.role = claims.role;
  const days = claims.exp ? (claims.exp * 1000 - Date.now()) / 86400000 : null;
  badge.textContent = claims.role;
  const expires = days === null ? "" : `, expires in ${days >= 1 ? `${Math.floor(days)} d` : `${Math.max(0, Math.round(days * 24))} h`}`;
  badge.title = `${claims.sub || "token"}${expires}`;
  setText("signed-in", `Signed in as ${claims.role} (${claims.sub || "token"}${expires}).`);
  if (!reachable) banner("warn", "The program does not answer yet — retrying.");
  if (ui.rank >= ROLE_RANK.admin) {
    ui.settings = new SettingsEditor({
      onResult: (kind, text) => {
        showResult(kind, text);
        addMessage(kind, `you: ${text}`);
      },
      onOpen: (open) => {
        $("app").hidden = open;
        $("settings-open").setAttribute("aria-pressed", String(open));
      },
    });
  }

  ui.plot = new StripChart($("plot"), [
    { key: "alt", label: "alt", unit: "m", colour: "#f0a030", axis: "left" },
    { key: "gs", label: "speed", unit: "m/s", colour: "#58a6ff", axis: "right" },
    { key: "climb", label: "climb", unit: "m/s", colour: "#a371f7", axis: "right" },
  ]);
  bindControls();
  ui.telemetry = new TelemetryStream({
    token,
    onEvent,
    onState: onTelemetryState,
    onAuthFailed,
    transport: params.get("transport") === "sse" ? "sse" : "ws",
  });
  ui.telemetry.start();
  ui.video = new VideoView({
    wrap: $("video-wrap"),
    canvas: $("video"),
    img: $("mjpeg"),
    statusEl: $("video-status"),
    warningEl: $("video-warning"),
    token,
    interactive: ui.rank >= ROLE_RANK.operator,
    mode: params.get("video") === "mjpeg" ? "mjpeg" : "ws",
    callbacks: {
      onClick: trackClick,
      onBox: trackBox,
      onTracker,
      onFollower,
      onVideoState: () => {},
      onTransport: onVideoTransport,
      onAuthFailed,
    },
  });
  ui.video.start();
  setInterval(() => {
    $("video-fps").hidden = ui.video.mode === "mjpeg"; // an <img> does not tell us its frame rate
    setText("video-fps", `${num(ui.video.fps, 0)} fps`);
  }, 1000);
  const topbar = document.querySelector(".topbar");
  new ResizeObserver(() => document.documentElement.style.setProperty("--topbar-h", `${topbar.offsetHeight}px`)).observe(topbar);
  loadMeta();
  setInterval(loadSessions, 30000);
  pollRecording();
  ui.recTimer = setInterval(pollRecording, 2000);
}

function boot() {
  setUnauthorizedHandler((reason) => {
    // a REST call says the token is no longer good (expired, or the program got a new secret)
    if (/expired|invalid|missing/i.test(reason)) onAuthFailed(reason);
  });
  on("login-form", "submit", (e) => {
    e.preventDefault();
    signIn($("token-input").value);
  });
  on("password-form", "submit", (e) => {
    e.preventDefault();
    passwordSignIn();
  });
  on("tab-password", "click", () => selectLoginTab("password"));
  on("tab-token", "click", () => selectLoginTab("token"));
  let token = loadToken();
  if (location.hash.startsWith("#token=")) {
    token = decodeURIComponent(location.hash.slice(7));
    history.replaceState(null, "", location.pathname + location.search);
  }
  const message = sessionStorage.getItem(LOGIN_MESSAGE_KEY);
  sessionStorage.removeItem(LOGIN_MESSAGE_KEY);
  if (token) signIn(token);
  else showLogin(message || "");
}

boot();
