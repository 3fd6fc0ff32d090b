// Which buttons can act now, and why not: the core decides (GET /api/actions, then the telemetry
// stream's "actions" status whenever it changes), this page only shows it. A button that cannot act
// is disabled, its title says "Unavailable: <why>" and the panel under it says it in words.
//
// Confirmation, the same gesture as the desktop window: arm, takeoff, follow start and disarm in
// flight are sent only after the button is pressed and held (1 s, a fill grows across it); from the
// keyboard (Enter or Space on the focused button, or Enter in the altitude box) the first press arms
// the button and a second one within 2 s sends it.

import { api } from "./api.js";
import { addMessage, showResult } from "./messages.js";
import { modeNeedsConfirm, modeReason } from "./modes.js";
import { ui } from "./state.js";
import { $ } from "./util.js";

const UNKNOWN = "waiting for the program to say what is available";
const BUSY = "waiting for the answer to the last command";
const LABELS = { arm: "Arm", disarm: "Disarm", takeoff: "Take off", land: "Land", rtl: "RTL", hold: "Hold",
  follow_start: "Follow", follow_stop: "Stop following", track_stop: "Stop tracking", smart: "Smart", mode: "Set mode",
  goto: "Fly here" };
const PANELS = [["why-flight", ".controls"], ["why-track", ".track-controls"]];

/** The core action a button stands for now (the follow button is start or stop). */
export function actionOf(button) {
  if (button.id === "follow-toggle") return ui.follower?.active ? "follow_stop" : "follow_start";
  return button.dataset.action;
}

export function reasonOf(name) {
  if (!ui.actions) return UNKNOWN;
  const why = ui.actions.actions[name];
  if (name === "mode" && !why) return modeReason(); // the chosen mode: already in it, none chosen
  return why === undefined ? null : why;
}

export function needsConfirm(name) {
  if (name === "mode") return modeNeedsConfirm(); // the chosen mode's own rule (flies by itself...)
  return Boolean(ui.actions && ui.actions.confirm.includes(name));
}

/** A new availability from the program; ``seq`` keeps an older answer from overwriting a newer one. */
export function onActions(data, seq = 0) {
  if (seq && ui.actionsSeq && seq < ui.actionsSeq) return;
  if (seq) ui.actionsSeq = seq;
  ui.actions = data;
  applyActions();
  showFirstSteps(data.first_steps);
}

/** What a newcomer should do next (the core's words, gcs/core/first_steps.py), over the video; gone once
 * past it (tracking, following, a replay). */
function showFirstSteps(text) {
  const el = $("first-steps");
  if (!el) return;
  if (el.textContent !== (text || "")) el.textContent = text || "";
  el.hidden = !text;
}

/** Ask the program (after signing in, and on every (re)connection: a restarted program numbers its
 * events from 1 again, so ``reset`` forgets the old numbering). */
export async function loadActions(reset = false) {
  if (reset) ui.actionsSeq = 0;
  try {
    const seq = (ui.actionsSeq || 0) + 0.5; // older than any stream event that arrives meanwhile
    onActions(await api("GET", "/api/actions"), seq);
  } catch {
    // the stream's next "actions" status will tell
  }
}

ui.applyActions = () => applyActions(); // act() re-applies availability once a command is answered

export function applyActions() {
  const groups = new Map(PANELS.map(([id]) => [id, new Map()]));
  for (const button of document.querySelectorAll("[data-action]")) {
    const name = actionOf(button);
    const why = button.dataset.busy ? BUSY : reasonOf(name);
    const base = button.dataset.title || (button.dataset.title = button.title || LABELS[name] || name);
    const confirm = needsConfirm(name) ? " — hold to confirm (or press Enter twice)" : "";
    const title = why ? `${base}\nUnavailable: ${why}` : `${base}${confirm}`;
    if (button.disabled !== Boolean(why)) button.disabled = Boolean(why);
    if (button.title !== title) button.title = title;
    button.toggleAttribute("data-confirm", !why && Boolean(confirm));
    if (!why || button.dataset.busy) continue;
    const panel = PANELS.find(([, selector]) => button.closest(selector));
    if (!panel) continue;
    const byReason = groups.get(panel[0]);
    byReason.set(why, [...(byReason.get(why) || []), LABELS[name] || name]);
  }
  for (const [id, byReason] of groups) {
    const el = $(id);
    if (!el) continue;
    const lines = [...byReason].map(([why, names]) => `${names.join(", ")}: ${why}`);
    const text = lines.join("\n");
    if (el.textContent !== text) el.textContent = text;
    el.hidden = !text;
  }
}

/**
 * Send ``run()`` for the button only once confirmed when the core asks for it, else at once.
 * ``label`` names it in the result line ("ARM").
 */
export function bindConfirm(button, label, run) {
  if (!button) return;
  let timer = null;
  let started = 0;
  let armedUntil = 0;
  const holdMs = () => 1000 * (ui.actions?.hold_s || 1);
  const repeatMs = () => 1000 * (ui.actions?.repeat_s || 2);
  const hint = () => `hold the button ${holdMs() / 1000} s, or press Enter twice within ${repeatMs() / 1000} s`;
  const fill = (fraction) => {
    button.style.setProperty("--hold", String(fraction));
    button.toggleAttribute("data-holding", fraction > 0);
  };
  const stop = () => {
    clearInterval(timer);
    timer = null;
    started = 0;
    fill(0);
  };
  const refuse = (why) => {
    stop();
    showResult("bad", `${label} not sent: ${why} (${hint()})`);
    addMessage("warn", `you: ${label} not sent: ${why}`);
  };
  const confirming = () => !button.disabled && needsConfirm(actionOf(button));

  button.addEventListener("contextmenu", (e) => {
    if (needsConfirm(actionOf(button))) e.preventDefault(); // a long touch is a hold, not a menu
  });
  button.addEventListener("pointerdown", (e) => {
    delete button.dataset.sent;
    if (e.button !== 0 || !confirming()) return;
    e.preventDefault();
    button.setPointerCapture?.(e.pointerId);
    started = performance.now();
    armedUntil = 0;
    showResult("pending", `${label}: hold…`);
    timer = setInterval(() => {
      if (!confirming()) return refuse("no longer available");
      const done = (performance.now() - started) / holdMs();
      if (done < 1) return fill(done);
      stop();
      button.dataset.sent = "pointer";
      run();
    }, 25);
  });
  const release = (e) => {
    if (!started) return;
    if (e.type === "pointermove") {
      const r = button.getBoundingClientRect();
      if (e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom) return;
      return refuse("moved off the button");
    }
    refuse(e.type === "pointercancel" ? "the touch was cancelled" : "released too soon");
  };
  for (const type of ["pointerup", "pointercancel", "pointermove"]) button.addEventListener(type, release);
  button.addEventListener("click", (e) => {
    e.preventDefault();
    if (button.dataset.sent) {
      delete button.dataset.sent; // the click that ends a completed hold
      return;
    }
    if (!needsConfirm(actionOf(button))) return run();
    if (e.detail !== 0) return; // a pointer click: the hold decides (pointerdown/up above)
    keyPress();
  });
  function keyPress() {
    const now = performance.now();
    if (armedUntil && now < armedUntil) {
      armedUntil = 0;
      button.removeAttribute("data-armed");
      return run();
    }
    armedUntil = now + repeatMs();
    button.setAttribute("data-armed", "");
    showResult("pending", `${label}: press again within ${repeatMs() / 1000} s to confirm (or hold the button)`);
    setTimeout(() => {
      if (armedUntil && performance.now() >= armedUntil) {
        armedUntil = 0;
        button.removeAttribute("data-armed");
        showResult("bad", `${label} not sent: not confirmed (${hint()})`);
      }
    }, repeatMs() + 20);
  }
  button.confirmKeyPress = () => (needsConfirm(actionOf(button)) ? keyPress() : run());
}
