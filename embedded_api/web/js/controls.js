// The buttons and selects of the flight, tracking, replay and recording controls, and removing the
// ones the signed-in role may not use.

import { bindConfirm, needsConfirm } from "./actions.js";
import { ROLE_RANK, clearToken } from "./api.js";
import { act } from "./messages.js";
import { showRecording } from "./recording.js";
import { replayCommand } from "./replay.js";
import { loadSessions } from "./sessions.js";
import { ui } from "./state.js";
import { bindModes } from "./modes.js";
import { setSmart } from "./tracking.js";
import { $, on } from "./util.js";

export function bindControls() {
  const cmd = (id, label, path, body) => on(id, "click", (e) => act(label, "POST", path, body, { button: e.currentTarget }));
  // confirmed first when the program asks (hold, or Enter twice): arm, takeoff, follow, disarm in flight
  const confirmed = (id, label, send) => bindConfirm($(id), label, () => send($(id)));
  confirmed("btn-arm", "ARM", (button) => act("ARM", "POST", "/api/vehicle/arm", undefined, { button }));
  confirmed("btn-disarm", "DISARM", (button) => {
    // in flight (the program asked to confirm) the disarm is forced: a plain one is refused in the air
    const inFlight = needsConfirm("disarm");
    const body = inFlight ? { force: true, confirm_in_flight: true } : { force: false };
    act(inFlight ? "DISARM IN FLIGHT" : "DISARM", "POST", "/api/vehicle/disarm", body, { button });
  });
  bindModes(bindConfirm, act);
  cmd("btn-land", "LAND", "/api/vehicle/land");
  cmd("btn-rtl", "RTL", "/api/vehicle/rtl");
  cmd("btn-hold", "HOLD", "/api/vehicle/hold");
  cmd("abort", "ABORT", "/commands/abort");
  confirmed("btn-takeoff", "TAKEOFF", (button) => {
    const altitude = Number($("takeoff-alt").value);
    act("TAKEOFF", "POST", "/api/vehicle/takeoff", { altitude_m: altitude }, { button });
  });
  on("takeoff-form", "submit", (e) => {
    e.preventDefault(); // Enter in the altitude box: the keyboard's way of pressing Take off
    const button = $("btn-takeoff");
    if (!button.disabled) button.confirmKeyPress();
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
  confirmed("follow-toggle", "FOLLOW", (button) => {
    if (ui.follower?.active) act("STOP FOLLOW", "POST", "/commands/stop_following", undefined, { button });
    else act("FOLLOW", "POST", "/commands/start_following", undefined, { button });
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
export function applyRole(role) {
  ui.role = role;
  ui.rank = ROLE_RANK[role] || 1;
  for (const el of document.querySelectorAll("[data-role]")) {
    if ((ROLE_RANK[el.dataset.role] || 99) > ui.rank) el.remove();
    else el.hidden = false;
  }
  const seek = $("replay-seek");
  if (seek && ui.rank < ROLE_RANK.operator) seek.disabled = true; // shows the position; moving it needs an operator
}
