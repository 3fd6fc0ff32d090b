// Tracking and follow: the tracker and follower chips, the tracker/profile selects, and the
// click/box track requests with their "locked or not" result.

import { applyActions } from "./actions.js";
import { api } from "./api.js";
import { act, addMessage, showResult } from "./messages.js";
import { ui } from "./state.js";
import { $ } from "./util.js";

export function onTracker(t) {
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

export function setSmart(onOff) {
  ui.smart = onOff;
  const b = $("smart-toggle");
  if (b) b.setAttribute("aria-pressed", String(onOff));
}

export function onFollower(f) {
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
    const label = f.active ? "Stop following" : "Follow";
    if (b.textContent !== label) b.textContent = label;
    applyActions(); // the button now stands for the other action
  }
  const select = $("profile-select");
  if (select && document.activeElement !== select) select.value = f.profile;
}

export async function requestTrack(label, path, body) {
  if (ui.pendingTrack) clearTimeout(ui.pendingTrack.timer);
  ui.pendingTrack = null;
  // a smart click answers with its outcome (locked, or refused with the reason, shown by act);
  // a classic start answers at once and the lock is reported by the tracker's next message
  const describe = (r) =>
    r.outcome === "locked"
      ? `${label}: locked (${r.target?.tracker ?? "tracker"})`
      : `${label}: sent — waiting for the tracker`;
  const reply = await act(label, "POST", path, body, { describe });
  if (!reply || reply.outcome === "locked") return;
  const pending = { label, afterSeq: reply.target?.frame_seq ?? -1 };
  pending.timer = setTimeout(() => {
    if (ui.pendingTrack !== pending) return;
    ui.pendingTrack = null;
    const state = ui.tracker ? `${ui.tracker.state}${ui.tracker.reason ? ` (${ui.tracker.reason})` : ""}` : "unknown";
    showResult("bad", `${label}: no lock after 4 s — tracker ${state}`);
  }, 4000);
  ui.pendingTrack = pending;
}

export function trackClick(x, y) {
  if (ui.smart) requestTrack("SMART TRACK", "/commands/smart_click", { x, y, normalised: true });
  else requestTrack("TRACK", "/commands/start_tracking", { x, y, normalised: true });
}

export function trackBox(x, y, width, height) {
  requestTrack("TRACK BOX", "/commands/start_tracking", { x, y, width, height, normalised: true });
}

export async function loadTrackers() {
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

export async function loadProfiles() {
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
