// The message log and the action result line: every action the user takes goes through act(), so
// the page always says what became of it.

import { api } from "./api.js";
import { ui } from "./state.js";
import { $, clock } from "./util.js";

export const MAX_MESSAGES = 200;

export function addMessage(level, text, timeS = Date.now() / 1000) {
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

export function showResult(kind, text) {
  const el = $("action-result");
  el.hidden = false;
  el.dataset.kind = kind;
  el.textContent = text;
}

export function replyText(label, reply) {
  if (reply && typeof reply === "object" && "success" in reply) {
    const result = String(reply.result || "").toLowerCase();
    return `${label}: ${result || "done"}${reply.message ? ` — ${reply.message}` : ""}`;
  }
  return `${label}: done`;
}

/** Run one action; the page always says what became of it (result, or refusal with the reason). */
export async function act(label, method, path, body, { button, describe } = {}) {
  showResult("pending", `${label}: sending…`);
  if (button) {
    button.dataset.busy = "true"; // the availability shown again once answered (actions.js)
    button.disabled = true;
  }
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
    if (button) {
      delete button.dataset.busy;
      button.disabled = false;
      ui.applyActions?.();
    }
  }
}
