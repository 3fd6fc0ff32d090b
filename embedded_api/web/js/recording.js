// Recording status (video MP4 and telemetry log): the REC chip, the record button and one message
// per change, whether a status event or the poll of GET /api/video/recording tells us first.

import { api } from "./api.js";
import { addMessage } from "./messages.js";
import { ui } from "./state.js";
import { $, duration } from "./util.js";

export const fileName = (p) => String(p || "").split(/[\\/]/).pop();

/**
 * Recording status: the video (MP4) and the link's telemetry log (tlog); errors stand out. Fed by
 * status events from the telemetry stream and by polling GET /api/video/recording, so each change
 * is said once whichever path tells us first.
 */
export function showRecording(d, timeS, { quiet = false } = {}) {
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

export function showRecordingChip(d, file) {
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

export async function pollRecording() {
  const epoch = ui.recEpoch || 0;
  try {
    const d = await api("GET", "/api/video/recording");
    if ((ui.recEpoch || 0) !== epoch) return; // asked before a newer answer arrived: it may be stale
    showRecording({ kind: "video_recording", ...d }, Date.now() / 1000, { quiet: true });
  } catch (err) {
    if (err.status === 404) clearInterval(ui.recTimer); // a program without recording over the web
  }
}
