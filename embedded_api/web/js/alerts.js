// The status strip under the top bar: mode, battery, GPS and link from each telemetry event, and the
// alerts the program raises (GET /api/alerts, then each "alert" event of the telemetry stream, which
// carries the whole list shown after it). Each alert is a chip coloured by its level; Ack
// (operators) acknowledges them all. The battery's colour follows the program's own battery alerts,
// so the strip and the alerts never disagree about what "low" means.

import { api } from "./api.js";
import { GPS_FIX } from "./cards.js";
import { addMessage } from "./messages.js";
import { ui } from "./state.js";
import { $, num, on, setText } from "./util.js";

const LEVEL = { critical: "bad", warning: "warn", info: "info" };
const MAX_CHARS = 60; // a longer message is cut (the whole of it in the chip's title)

ui.alerts = [];
ui.alertsSeq = 0;

/** The list shown after an event numbered ``seq`` (an older answer never overwrites a newer one). */
export function setAlerts(list, seq = 0) {
  if (seq && ui.alertsSeq && seq < ui.alertsSeq) return;
  if (seq) ui.alertsSeq = seq;
  ui.alerts = list || [];
  renderAlerts();
  if (ui.lastState) showStripState(ui.lastState);
}

/** An "alert" event: the list, and one line in the message log (once, even when history repeats it). */
export function onAlertEvent(ev) {
  const d = ev.data || {};
  setAlerts(d.shown, ev.id);
  const key = `${ev.id}:${ev.time}`;
  if (ui.seen.has(key) || !d.alert) return;
  ui.seen.add(key);
  const a = d.alert;
  const level = d.action === "raised" ? LEVEL[a.level] || "info" : "info";
  const by = d.by ? ` by ${d.by}` : "";
  addMessage(level, `alert ${d.action}${by}: ${a.message}`, d.time_s || ev.time);
}

/** Ask the program (after signing in and on every reconnection: events may have been missed). */
export async function loadAlerts(reset = false) {
  if (reset) ui.alertsSeq = 0;
  try {
    const seq = (ui.alertsSeq || 0) + 0.5;
    setAlerts((await api("GET", "/api/alerts")).alerts, seq);
  } catch {
    // the stream's next alert event will tell
  }
}

function chip(alert) {
  const el = document.createElement("span");
  el.className = "alert-chip";
  el.dataset.level = LEVEL[alert.level] || "info";
  el.dataset.kind = alert.kind;
  if (alert.acknowledged) el.dataset.acked = "true";
  const message = alert.message.length > MAX_CHARS ? `${alert.message.slice(0, MAX_CHARS - 1)}…` : alert.message;
  const again = alert.count > 1 ? ` (${alert.count} times)` : "";
  el.textContent = `${alert.acknowledged ? "✓ " : ""}${message}${alert.active ? "" : " (cleared)"}${again}`;
  el.title = `${alert.message}\n${alert.kind} · vehicle ${alert.system_id} · ${alert.level}` +
    `${alert.acknowledged ? " · acknowledged" : ""}`;
  return el;
}

export function renderAlerts() {
  const box = $("alert-chips");
  if (!box) return;
  box.replaceChildren(...ui.alerts.map(chip));
  $("no-alerts").hidden = ui.alerts.length > 0;
  const pending = ui.alerts.filter((a) => !a.acknowledged).length;
  const ack = $("alerts-ack");
  if (ack) {
    ack.disabled = pending === 0;
    ack.textContent = pending ? `Ack (${pending})` : "Ack";
  }
  const worst = ui.alerts.find((a) => !a.acknowledged);
  $("status-strip").dataset.level = worst ? LEVEL[worst.level] || "info" : "none";
}

function batteryLevel(systemId) {
  const active = (kind) => ui.alerts.some((a) => a.kind === kind && a.active && a.system_id === systemId);
  if (active("battery_critical")) return "bad";
  if (active("battery_low")) return "warn";
  return undefined;
}

/** Mode, battery, GPS and link of the active vehicle (each telemetry event). */
export function showStripState(s) {
  ui.lastState = s;
  const bat = s.battery || {};
  const gps = s.gps || {};
  const link = s.link || {};
  setText("s-mode", `${s.mode || "–"} · ${s.armed ? "ARMED" : "disarmed"}`, s.armed ? "warn" : "ok");
  const pct = bat.remaining_pct;
  const percent = pct === null || pct === undefined || pct < 0 ? "–%" : `${Math.round(pct)}%`;
  setText("s-battery", `BAT ${percent} · ${num(bat.voltage_v)} V`, batteryLevel(s.system_id));
  setText("s-gps", `GPS ${GPS_FIX[gps.fix_type] || `fix ${gps.fix_type}`} · ${gps.satellites ?? 0} sat`,
    gps.fix_type >= 3 ? undefined : "bad");
  const state = link.state || "–";
  setText("s-link", `LINK ${state} · ${num(link.messages_per_s, 0)}/s · ${num(link.packet_loss_pct, 0)}%`,
    state === "ok" ? undefined : state === "lost" ? "bad" : "warn");
}

export async function acknowledgeAll() {
  const button = $("alerts-ack");
  button.disabled = true;
  try {
    const reply = await api("POST", "/api/alerts/ack");
    setAlerts(reply.alerts, (ui.alertsSeq || 0) + 0.5);
  } catch (err) {
    addMessage("bad", `you: Ack refused: ${err.message}`);
    renderAlerts();
  }
}

export function bindAlerts() {
  $("status-strip").hidden = false;
  on("alerts-ack", "click", acknowledgeAll);
  renderAlerts();
  loadAlerts();
}
