// Connection state said on screen: the top-bar chip, the banner, stale cards, transport fallbacks,
// what happens on reconnect (the program's metadata is read again) and a refused token.

import { loadActions } from "./actions.js";
import { loadAlerts } from "./alerts.js";
import { clearToken } from "./api.js";
import { addMessage } from "./messages.js";
import { loadLinks } from "./replay.js";
import { loadSessions } from "./sessions.js";
import { ui } from "./state.js";
import { loadProfiles, loadTrackers } from "./tracking.js";
import { $, clock, setText } from "./util.js";

export const LOGIN_MESSAGE_KEY = "kestrel.loginMessage";

let bannerTimer = null;

export function banner(kind, text, holdMs = 0) {
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

export function updateConn() {
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
export function markStale(stale) {
  const cards = $("cards");
  if (stale === cards.hasAttribute("data-stale")) return;
  cards.toggleAttribute("data-stale", stale);
  if (stale && ui.lastTelemetryAt) setText("vehicle-age", `last data ${clock(ui.lastTelemetryAt / 1000)}`);
}

/** Say once, in the message log, that a stream had to take its fallback route (and why). */
export function noteFallback(key, text) {
  if (ui.transportNotes.has(key)) return;
  ui.transportNotes.add(key);
  addMessage("warn", text);
  banner("warn", text, 8000);
}

export function onTelemetryState(s) {
  const offline = s.state === "reconnecting" && s.reachable === false;
  ui.conn.telemetry = offline ? "offline" : s.state;
  updateConn();
  if (s.fellBack) {
    noteFallback("telemetry", "Telemetry: WebSocket unavailable (blocked on the way?) — using server-sent events (/sse/telemetry) instead.");
  }
  markStale(s.state === "reconnecting");
  if (s.state === "live") {
    loadActions(true);
    loadAlerts(true); // alerts raised while we were away
  }
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

export function onAuthFailed(reason) {
  sessionStorage.setItem(LOGIN_MESSAGE_KEY, `Signed out: ${reason}`);
  clearToken();
  location.reload();
}

export function onVideoTransport(mode, state, retryInS, fellBack, note) {
  ui.conn.video = state;
  setText("video-transport", { webrtc: "WebRTC", mjpeg: "MJPEG" }[mode] || "WebSocket");
  updateConn();
  if (fellBack && note) noteFallback(`video-${mode}`, note);
}

export async function loadMeta() {
  await Promise.allSettled([loadTrackers(), loadProfiles(), loadLinks(), loadSessions()]);
}
