// The replay panel, shown only when the program plays a recorded log: position, speed and the
// play/pause/step/seek commands.

import { api } from "./api.js";
import { act } from "./messages.js";
import { ui } from "./state.js";
import { $, duration, setText } from "./util.js";

export async function loadLinks() {
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

export function replayField(r, ...names) {
  for (const n of names) if (r && r[n] !== undefined && r[n] !== null) return r[n];
  return null;
}

export async function pollReplay() {
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

export function replayCommand(label, cmd, value, extra = {}) {
  const body = value === undefined ? { cmd, ...extra } : { cmd, value, ...extra };
  return act(label, "POST", "/api/control", body, { describe: () => `${label}: done` }).then(pollReplay);
}
