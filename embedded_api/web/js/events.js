// Routes what the telemetry stream says: state to the cards and the status strip, alerts to the
// strip, vehicle and program log events to the message log (once each, even when a reconnect repeats history).

import { onActions } from "./actions.js";
import { onAlertEvent, showStripState } from "./alerts.js";
import { showState } from "./cards.js";
import { onCompression, onFleet } from "./fleet.js";
import { onMapSnapshot } from "./map.js";
import { addMessage } from "./messages.js";
import { loadModes, onModeState } from "./modes.js";
import { showRecording } from "./recording.js";
import { ui } from "./state.js";

export function onEvent(ev) {
  if (ev.type === "telemetry") {
    ui.telemetryCount += 1;
    showState(ev.data, ev.time);
    showStripState(ev.data);
    if (ui.rank >= 2) onModeState(ev.data);
  }
  else if (ev.type === "map") {
    onMapSnapshot(ev.data); // the map's layers (no trails: the page extends them)
  }
  else if (ev.type === "alert") {
    onAlertEvent(ev); // the status strip, and one line in the message log
  }
  else if (ev.type === "status" && ev.data?.kind === "fleet") {
    onFleet(ev.data); // every vehicle's line: the fleet list, not the message log
  }
  else if (ev.type === "compression_stats") {
    onCompression(ev.data); // the fleet link's statistics per vehicle, in the fleet panel
  }
  else if (ev.type === "status" && ev.data?.kind === "actions") {
    onActions(ev.data, ev.id); // what can be done now: the buttons, not the message log
    if (ui.rank >= 2) loadModes(); // armed / flying / replay change which modes need confirming
  }
  else if (ev.type === "log" || ev.type === "status") {
    const key = `${ev.id}:${ev.time}`;
    if (ui.seen.has(key)) return; // a reconnect's history repeats what we have shown
    ui.seen.add(key);
    if (ui.seen.size > 2000) ui.seen = new Set([...ui.seen].slice(-1000));
    showLogEvent(ev);
  }
}

// Setpoints arriving before OFFBOARD/GUIDED is how PX4 starts offboard: for a few seconds after the
// stream starts such a STATUSTEXT (severity WARNING or milder) is information, not an alarm. The same
// rule as gcs/core/vehicle/sequencing.py (the window's message log).
const OFFBOARD_START_WINDOW_MS = 5000;
const SEQUENCING = /setpoints? ignored|not in (offboard|guided)\b/i;

export function routineAtOffboardStart(text, severity, nowMs = Date.now()) {
  const started = ui.offboardStartedMs;
  return started != null && severity > 3 && SEQUENCING.test(text || "") && nowMs - started <= OFFBOARD_START_WINDOW_MS;
}

export function severityLevel(sev) {
  if (sev <= 3) return "bad";
  if (sev === 4) return "warn";
  return "info";
}

export function showLogEvent(ev) {
  const d = ev.data || {};
  if (d.kind === "statustext") {
    if (routineAtOffboardStart(d.text, d.severity)) {
      addMessage("info", `vehicle ${d.system_id}: ${d.text} (normal while the setpoint stream starts)`, d.time_s || ev.time);
      return;
    }
    addMessage(severityLevel(d.severity), `vehicle ${d.system_id}: ${d.text}`, d.time_s || ev.time);
  } else if (d.kind === "command") {
    const text = `${d.command}: ${String(d.result).toLowerCase()}${d.message ? ` — ${d.message}` : ""}`;
    addMessage(d.success ? "info" : "bad", text, ev.time);
  } else if (d.kind === "link") {
    const state = d.state || d.link_state || "";
    addMessage(state === "lost" ? "bad" : "info", `link ${d.system_id ?? ""} ${state}${d.reason ? `: ${d.reason}` : ""}`, ev.time);
  } else if (d.kind === "commander") {
    if (d.engaged && !ui.streamEngaged) ui.offboardStartedMs = Date.now();
    ui.streamEngaged = Boolean(d.engaged);
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
