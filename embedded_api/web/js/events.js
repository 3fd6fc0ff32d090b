// Routes what the telemetry stream says: state to the cards, vehicle and program log events to the
// message log (once each, even when a reconnect repeats history).

import { showState } from "./cards.js";
import { addMessage } from "./messages.js";
import { showRecording } from "./recording.js";
import { ui } from "./state.js";

export function onEvent(ev) {
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

export function severityLevel(sev) {
  if (sev <= 3) return "bad";
  if (sev === 4) return "warn";
  return "info";
}

export function showLogEvent(ev) {
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
