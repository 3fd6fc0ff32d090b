// The vehicle's parameters panel: download progress, search, and for operators edit (with the core's
// checks: 422 not of the type, 409 outside the documented range until "Set anyway", the vehicle's own
// refusal) and a file's diff before applying it. Viewers see the list and can export it.

import { ROLE_RANK, api, loadToken } from "./api.js";
import { addMessage, showResult } from "./messages.js";
import { ui } from "./state.js";
import { $, setText } from "./util.js";

const MAX_ROWS = 200; // rows drawn at once; the search narrows the rest
let rows = [];
let pending = null; // {name, value} waiting for "Set anyway"
let diffFile = ""; // the text of the file last compared
let timer = null;

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function build(panel) {
  const operator = ui.rank >= ROLE_RANK.operator;
  panel.replaceChildren(
    el("h2", {}, "Parameters ", el("span", { id: "params-progress-text", className: "muted" })),
    el("progress", { id: "params-progress", max: 1, value: 0 }),
    el("div", { className: "params-tools" },
      el("input", { id: "params-search", type: "search", placeholder: "Search names or descriptions…",
                    ariaLabel: "Search parameters" }),
      el("a", { id: "params-export-qgc", className: "btn small ghost", href: "#", textContent: ".params" }),
      el("a", { id: "params-export-parm", className: "btn small ghost", href: "#", textContent: ".parm" })),
    el("div", { className: "params-table" },
      el("table", {}, el("thead", {}, el("tr", {}, ...["Name", "Value", "Units", "Range", "Description"]
        .map((t) => el("th", { textContent: t })))), el("tbody", { id: "params-body" }))),
  );
  if (operator) {
    panel.append(
      el("form", { id: "params-edit", className: "params-edit", hidden: true },
        el("label", { id: "params-edit-name", htmlFor: "params-value" }),
        el("input", { id: "params-value", type: "text", autocomplete: "off", spellcheck: false }),
        el("button", { id: "params-set", className: "btn small primary", type: "submit", textContent: "Set" }),
        el("button", { id: "params-anyway", className: "btn small", type: "button", textContent: "Set anyway",
                       hidden: true })),
      el("div", { id: "params-note", className: "muted", role: "status" }),
      el("div", { className: "params-file" },
        el("label", { htmlFor: "params-file", textContent: "Compare a file: " }),
        el("input", { id: "params-file", type: "file", accept: ".params,.parm,.param,.txt" }),
        el("button", { id: "params-apply", className: "btn small", type: "button", textContent: "Apply changes",
                       hidden: true })),
      el("ol", { id: "params-diff", className: "params-diff" }),
    );
    $("params-edit").addEventListener("submit", (e) => {
      e.preventDefault();
      setParam(false);
    });
    $("params-anyway").addEventListener("click", () => setParam(true));
    $("params-file").addEventListener("change", compareFile);
    $("params-apply").addEventListener("click", applyFile);
  }
  $("params-search").addEventListener("input", draw);
  $("params-export-qgc").addEventListener("click", (e) => exportFile(e, "qgc"));
  $("params-export-parm").addEventListener("click", (e) => exportFile(e, "mavproxy"));
}

function range(meta) {
  if (!meta || (meta.min === null && meta.max === null)) return "";
  return `${meta.min ?? ""} .. ${meta.max ?? ""}`;
}

function draw() {
  const needle = $("params-search").value.trim().toUpperCase();
  const shown = rows.filter((p) => !needle || p.name.includes(needle)
    || (p.meta && p.meta.description.toUpperCase().includes(needle)));
  const trs = shown.slice(0, MAX_ROWS).map((p) => {
    const tr = el("tr", { tabIndex: 0 });
    tr.dataset.name = p.name;
    for (const text of [p.name, p.text, p.meta?.units || "", range(p.meta), p.meta?.description || ""]) {
      tr.append(el("td", { textContent: text }));
    }
    tr.addEventListener("click", () => choose(p));
    return tr;
  });
  $("params-body").replaceChildren(...trs);
  if (shown.length > MAX_ROWS) setText("params-note", `${shown.length} match; the first ${MAX_ROWS} are shown`);
}

function choose(p) {
  const form = $("params-edit");
  if (!form) return;
  form.hidden = false;
  form.dataset.name = p.name;
  setText("params-edit-name", `${p.name} (${p.type}${p.meta?.units ? `, ${p.meta.units}` : ""})`);
  $("params-value").value = p.text;
  $("params-anyway").hidden = true;
  pending = null;
  setText("params-note", p.meta?.description || "");
  $("params-value").focus();
}

export async function loadParams() {
  const panel = $("params");
  if (!panel) return;
  let data;
  try {
    data = await api("GET", "/api/params");
  } catch (err) {
    clearTimeout(timer);
    if (err.status === 404) timer = setTimeout(loadParams, 3000); // no vehicle yet: ask again soon
    setText("params-progress-text", err.message);
    return;
  }
  if (!panel.dataset.built) {
    build(panel);
    panel.dataset.built = "1";
  }
  panel.hidden = false;
  const p = data.progress;
  $("params-progress").value = p.fraction;
  const state = p.state === "complete"
    ? `${data.count} loaded in ${(p.duration_s || 0).toFixed(1)} s`
    : p.state === "failed" ? `incomplete: ${p.error}` : `${p.received} / ${p.total ?? "?"}`;
  setText("params-progress-text", state);
  panel.dataset.state = p.state;
  rows = data.params;
  draw();
  clearTimeout(timer);
  timer = setTimeout(loadParams, p.state === "downloading" || p.state === "idle" ? 400 : 10000);
}

async function setParam(confirm) {
  const name = $("params-edit").dataset.name;
  const value = $("params-value").value.trim();
  $("params-set").disabled = true;
  try {
    const p = await api("POST", "/api/params/set", { name, value, confirm });
    const i = rows.findIndex((r) => r.name === name);
    if (i >= 0) rows[i] = p;
    draw();
    $("params-anyway").hidden = true;
    setText("params-note", `${name} = ${p.text} (confirmed by the vehicle)`, "ok");
    showResult("ok", `PARAM ${name} = ${p.text}`);
    addMessage("ok", `you: ${name} = ${p.text}`);
  } catch (err) {
    const needsConfirm = err.status === 409 && /documented range/.test(err.message);
    $("params-anyway").hidden = !needsConfirm;
    pending = needsConfirm ? { name, value } : null;
    setText("params-note", `${name} not set: ${err.message}`, "bad");
  } finally {
    $("params-set").disabled = false;
  }
}

async function sendFile(path) {
  const response = await fetch(path, {
    method: "POST",
    headers: { Authorization: `Bearer ${loadToken()}`, "Content-Type": "text/plain" },
    body: diffFile,
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(typeof body.detail === "string" ? body.detail : `HTTP ${response.status}`);
  return body;
}

async function compareFile() {
  const file = $("params-file").files[0];
  if (!file) return;
  diffFile = await file.text();
  try {
    const delta = await sendFile("/api/params/diff");
    const items = delta.changed.map((c) => el("li", { textContent: c.error ? `${c.name}: ${c.error}` : c.text }));
    if (delta.unknown.length) items.push(el("li", { className: "muted", textContent: `not on this vehicle: ${delta.unknown.join(", ")}` }));
    $("params-diff").replaceChildren(...items);
    $("params-apply").hidden = !delta.changed.some((c) => !c.error);
    setText("params-note", `${file.name}: ${delta.changed.length} change(s), ${delta.unchanged} already equal`);
  } catch (err) {
    $("params-diff").replaceChildren();
    $("params-apply").hidden = true;
    setText("params-note", `${file.name}: ${err.message}`, "bad");
  }
}

async function applyFile() {
  try {
    const result = await sendFile("/api/params/apply?confirm=true");
    const failed = result.failed.map((f) => `${f.name}: ${f.detail}`).join("; ");
    setText("params-note", `applied ${result.applied.length}${failed ? `; failed: ${failed}` : ""}`,
      failed ? "bad" : "ok");
    $("params-apply").hidden = true;
    $("params-diff").replaceChildren();
    loadParams();
  } catch (err) {
    setText("params-note", `not applied: ${err.message}`, "bad");
  }
}

async function exportFile(e, format) {
  e.preventDefault();
  try {
    const response = await api("GET", `/api/params/export?format=${format}`, undefined, { raw: true });
    const blob = await response.blob();
    const a = el("a", { href: URL.createObjectURL(blob), download: format === "qgc" ? "vehicle.params" : "vehicle.parm" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  } catch (err) {
    setText("params-progress-text", `export refused: ${err.message}`);
  }
}

export const paramsPending = () => pending;
