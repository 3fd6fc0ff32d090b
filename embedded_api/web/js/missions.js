// The Missions panel over /api/missions: everyone sees the vehicle's mission (as the vehicle numbers
// it: ArduPilot's home is item 0), its progress (current item, reached items) and can download it
// again or save it as a .plan / .waypoints file; operators also upload a file, clear, start (a second
// click confirms) and generate an orbit or a survey, shown as a draft until "Upload". Refusals show
// the program's words (the line of a bad file, the vehicle's STATUSTEXT). "Edit on map" (operators)
// makes the list a draft (js/mission_draft.js) the map edits too: a click adds a waypoint, a drag moves
// one, and this table follows at once. A selector shows the mission, the geofence or the rally points
// (each downloaded, uploaded and cleared as its own list, kind=fence/rally); operators add fence
// vertices and rally points on the map, a fence circle with a radius here, and delete rows of a draft.

import { ROLE_RANK, api, describeError, loadToken } from "./api.js";
import { addMessage, showResult } from "./messages.js";
import { CIRCLES, VERTICES, addCircle, choosePolygon, deleteItem, newPolygon, onDraft, setDraft, setEditing, setRadius,
  shared } from "./mission_draft.js";
import { ui } from "./state.js";
import { $, setText } from "./util.js";

const POLL_MS = 1500;
const CONFIRM_MS = 4000;
let mission = { kind: "mission", items: [], seq_offset: 0 }; // the shown list as the program last saw it
let lists = {}; // mission, fence and rally, as GET /api/missions gives them
let kind = "mission"; // the list shown
const kept = {}; // a draft of another list, kept while this one is shown
let progress = {};
let timer = null;
let startArmedUntil = 0;

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

const button = (id, text, title, cls = "btn small") => el("button", { id, className: cls, type: "button",
                                                                     textContent: text, title });

function build(panel) {
  panel.replaceChildren(
    el("h2", {}, "Missions ", el("span", { id: "missions-progress", className: "muted" })),
    el("div", { className: "missions-tools" },
      button("missions-refresh", "Download", "Read the mission, fence and rally lists from the vehicle"),
      el("select", { id: "missions-kind", ariaLabel: "Which list", title: "Which of the vehicle's lists to show" },
        el("option", { value: "mission", textContent: "Mission" }),
        el("option", { value: "fence", textContent: "Geofence" }),
        el("option", { value: "rally", textContent: "Rally points" })),
      el("a", { id: "missions-export-plan", className: "btn small ghost", href: "#", textContent: ".plan" }),
      el("a", { id: "missions-export-wp", className: "btn small ghost", href: "#", textContent: ".waypoints" }),
      el("span", { id: "missions-count", className: "muted" })),
    el("div", { className: "missions-table" },
      el("table", {}, el("thead", {}, el("tr", {}, ...["#", "Command", "Latitude", "Longitude", "Alt", ""]
        .map((t) => el("th", { textContent: t })))), el("tbody", { id: "missions-body" }))),
  );
  if (ui.rank >= ROLE_RANK.operator) {
    panel.append(
      el("div", { className: "missions-ops" },
        el("label", { className: "btn small", htmlFor: "missions-file", textContent: "Upload file…",
                      title: "Send a QGC .plan or Mission Planner/MAVProxy .waypoints file to the vehicle" }),
        el("input", { id: "missions-file", type: "file", accept: ".plan,.waypoints,.txt", hidden: true }),
        button("missions-upload", "Upload", "Send the generated list to the vehicle", "btn small primary"),
        button("missions-clear", "Clear", "Remove the mission from the vehicle"),
        button("missions-start", "Start", "Fly the mission (ArduPilot AUTO, PX4 Mission)"),
        button("missions-map-edit", "Edit on map", "A click on the map adds a waypoint there, a waypoint dragged "
               + "moves; nothing flies and nothing is sent until Upload"),
        el("label", {}, "at ", el("input", { id: "missions-map-alt", type: "number", min: 1, max: 500, value: 15,
                                             step: 1, title: "Altitude of a waypoint added on the map" }), " m")),
      el("form", { id: "missions-generate", className: "missions-generate" },
        el("select", { id: "missions-gen-kind", ariaLabel: "What to generate" },
          el("option", { value: "orbit", textContent: "Orbit the vehicle's position" }),
          el("option", { value: "orbit-target", textContent: "Orbit the tracked target" }),
          el("option", { value: "survey", textContent: "Survey round the vehicle" })),
        el("label", {}, "size ", el("input", { id: "missions-gen-size", type: "number", min: 2, max: 2000,
                                               value: 30, step: 1 }), " m"),
        el("label", {}, "alt ", el("input", { id: "missions-gen-alt", type: "number", min: 1, max: 500,
                                              value: 20, step: 1 }), " m"),
        el("button", { id: "missions-gen", className: "btn small", type: "submit", textContent: "Generate" })),
      el("form", { id: "missions-circle", className: "missions-generate", hidden: true },
        el("select", { id: "missions-circle-kind", ariaLabel: "Which circle" },
          el("option", { value: "in", textContent: "Fence circle: stay inside" }),
          el("option", { value: "out", textContent: "Fence circle: keep out" })),
        el("label", {}, "r ", el("input", { id: "missions-circle-r", type: "number", min: 5, max: 10000, value: 50,
                                            step: 1 }), " m"),
        el("button", { id: "missions-circle-add", className: "btn small", type: "submit", textContent: "Add circle",
                       title: "A circle round the vehicle, in the draft (move its centre on the map)" })),
      el("form", { id: "missions-polygon", className: "missions-generate", hidden: true },
        el("select", { id: "missions-polygon-kind", ariaLabel: "Which polygon the map's clicks add to" },
          el("option", { value: "in", textContent: "Clicks add: stay-inside polygon" }),
          el("option", { value: "out", textContent: "Clicks add: keep-out polygon" })),
        el("button", { id: "missions-polygon-new", className: "btn small", type: "submit", textContent: "New polygon",
                       title: "The next click on the map starts another polygon of the chosen kind" })),
    );
    $("missions-upload").hidden = true;
    $("missions-file").addEventListener("change", uploadFile);
    $("missions-upload").addEventListener("click", uploadDraft);
    $("missions-clear").addEventListener("click", clearMission);
    $("missions-start").addEventListener("click", startMission);
    $("missions-map-edit").setAttribute("aria-pressed", "false");
    $("missions-map-edit").addEventListener("click", () => editOnMap(!shared.editing));
    $("missions-map-alt").addEventListener("change", (e) => { shared.alt = Number(e.target.value) || 15; });
    onDraft(() => draw());
    $("missions-generate").addEventListener("submit", (e) => {
      e.preventDefault();
      generate();
    });
    $("missions-polygon-kind").addEventListener("change", (e) => choosePolygon(e.target.value === "in"));
    $("missions-polygon").addEventListener("submit", (e) => {
      e.preventDefault();
      newPolygon();
    });
    $("missions-body").addEventListener("change", (e) => {
      const input = e.target.closest?.(".missions-radius");
      if (!input || !shared.mission) return;
      try {
        setRadius(Number(input.dataset.index), Number(input.value === "" ? NaN : input.value));
        setText("missions-note", `Radius ${input.value} m: Upload to send it`);
      } catch (err) {
        setText("missions-note", `Radius refused: ${err.message}`);
        draw();
      }
    });
    $("missions-circle").addEventListener("submit", (e) => {
      e.preventDefault();
      addFenceCircle();
    });
    $("missions-body").addEventListener("click", (e) => {
      const del = e.target.closest?.(".missions-del");
      if (del && shared.mission) deleteItem(Number(del.dataset.index));
    });
  }
  panel.append(el("div", { id: "missions-note", className: "muted", role: "status" }));
  $("missions-refresh").addEventListener("click", () => loadMissions(true));
  $("missions-kind").addEventListener("change", (e) => showKind(e.target.value));
  $("missions-export-plan").addEventListener("click", (e) => exportFile(e, "plan"));
  $("missions-export-wp").addEventListener("click", (e) => exportFile(e, "waypoints"));
}

const title = (name) => {
  const words = name.replace(/^NAV_/, "").replace(/_/g, " ").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** The list as it is on the vehicle, as a draft to edit (the map's toggle and the generators start from it). */
const copyOf = (m) => ({ ...m, items: m.items.map((item) => ({ ...item })), fresh: true });

function editOnMap(on) {
  if (on && !shared.mission) setDraft(copyOf(mission), "set");
  setEditing(on);
  $("missions-map-edit").setAttribute("aria-pressed", String(on));
  if (on) document.getElementById("map-panel")?.scrollIntoView({ block: "nearest" });
}

function showKind(next) {
  if (next === kind) return;
  kept[kind] = shared.mission;
  kind = next;
  mission = lists[kind] || { kind, items: [], seq_offset: 0 };
  const draft = kept[kind] || (shared.editing ? copyOf(mission) : null);
  delete kept[kind];
  setText("missions-note", "");  // a note about the other list (as the desktop's status line is cleared)
  for (const [id, shown] of [["missions-generate", kind === "mission"], ["missions-start", kind === "mission"],
                             ["missions-circle", kind === "fence"], ["missions-polygon", kind === "fence"]]) {
    if ($(id)) $(id).hidden = !shown;
  }
  setDraft(draft, "set");
}

async function addFenceCircle() {
  await run("Adding a circle…", async () => {
    const s = await api("GET", "/api/telemetry");
    const gp = s.global_position || {};
    const at = gp.lat_deg || gp.lon_deg ? gp : s.home;
    if (!at) throw new Error("the vehicle has no position yet (waiting for GPS)");
    if (!shared.mission) setDraft(copyOf(mission), "set");
    addCircle(at.lat_deg, at.lon_deg, Number($("missions-circle-r").value) || 50,
              $("missions-circle-kind").value === "in");
  }, () => "Circle added round the vehicle: Upload to send it", "Not added");
}

function altText(item, placed) {
  if (item.command in CIRCLES) return `r ${+item.param1.toFixed(1)}`;
  if (VERTICES.includes(item.command)) return "";
  return placed(item) || item.z ? `${+item.z.toFixed(2)} m` : "";
}

function draw() {
  const draft = shared.mission;
  const shown = draft || mission;
  const placed = (item) => item.x !== 0 || item.y !== 0;
  const reached = new Set(progress.reached || []);
  const rows = shown.items.map((item, n) => {
    const seq = shown.seq_offset + n;
    const state = draft ? "" : seq === progress.seq ? "current" : reached.has(seq) ? "reached" : "";
    const tr = el("tr");
    tr.dataset.seq = String(seq);
    if (state) tr.dataset.state = state;
    const alt = altText(item, placed);
    for (const text of [seq, title(item.name), placed(item) ? item.x.toFixed(7) : "",
                        placed(item) ? item.y.toFixed(7) : "", alt]) {
      tr.append(el("td", { textContent: String(text) }));
    }
    if (draft && ui.rank >= ROLE_RANK.operator && item.command in CIRCLES) { // the radius typed anew
      const input = el("input", { className: "missions-radius", type: "number", min: 0, step: 1,
                                  value: String(+item.param1.toFixed(1)), ariaLabel: `Radius of item ${seq} (m)` });
      input.dataset.index = String(n);
      tr.lastChild.replaceChildren("r ", input);
    }
    const last = el("td", { textContent: state });
    if (draft && ui.rank >= ROLE_RANK.operator) {
      const del = button("", "×", "Delete this item from the draft", "btn small ghost missions-del");
      del.removeAttribute("id");
      del.dataset.index = String(n);
      last.append(del);
    }
    tr.append(last);
    return tr;
  });
  $("missions-body").replaceChildren(...rows);
  setText("missions-count", draft?.fresh ? `${draft.items.length} item(s) as on the vehicle, editing`
    : draft ? `${draft.items.length} item(s) ${draft.generated ? "generated" : "edited"}, not uploaded`
    : shown.items.length ? `${shown.items.length} item(s) on the vehicle` : "no mission");
  const upload = $("missions-upload");
  if (upload) upload.hidden = !draft;
  const reachedText = progress.reached?.length ? ` · reached ${progress.reached.join(", ")}` : "";
  const stateText = progress.state && progress.state !== "UNKNOWN" ? ` · ${progress.state.toLowerCase()}` : "";
  setText("missions-progress", progress.seq === null || progress.seq === undefined ? ""
    : `current item ${progress.seq}${stateText}${reachedText}`);
}

export async function loadMissions(refresh = false) {
  const panel = $("missions");
  if (!panel) return;
  clearTimeout(timer);
  if (refresh && panel.dataset.built) setText("missions-note", "Downloading from the vehicle…");
  try {
    const data = await api("GET", `/api/missions${refresh ? "?refresh=true" : ""}`, undefined,
                           { timeoutMs: refresh ? 60000 : 15000 });
    if (!panel.dataset.built) {
      build(panel);
      panel.dataset.built = "1";
    }
    panel.hidden = false;
    lists = { mission: data.mission, fence: data.fence, rally: data.rally };
    mission = lists[kind];
    progress = data.progress || {};
    if (refresh) {
      for (const k of Object.keys(kept)) delete kept[k];
      setDraft(null);
      setText("missions-note", `Downloaded ${mission.count} item(s) from the vehicle`, "ok");
    }
    if (shared.editing && !shared.mission) setDraft(copyOf(mission), "set"); // editing goes on from the vehicle's
    draw();
  } catch (err) {
    if (panel.dataset.built) setText("missions-note", `Download failed: ${err.message}`, "bad");
  }
  timer = setTimeout(loadMissions, POLL_MS);
}

async function run(busy, fn, done, failed) {
  setText("missions-note", busy);
  try {
    const result = await fn();
    setText("missions-note", done(result), "ok");
    return result;
  } catch (err) {
    setText("missions-note", `${failed}: ${err.message}`, "bad");
    addMessage("warn", `you: ${failed.toLowerCase()}: ${err.message}`);
    return null;
  }
}

async function uploadFile() {
  const file = $("missions-file").files[0];
  if (!file) return;
  const text = await file.text();
  $("missions-file").value = "";
  await run(`Uploading ${file.name}…`, async () => {
    const response = await fetch(`/api/missions/upload-file?name=${encodeURIComponent(file.name)}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${loadToken()}`, "Content-Type": "text/plain" },
      body: text,
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(describeError(response.status, body));
    return body;
  }, (body) => {
    setDraft(null);
    const m = body.uploaded[0];
    return `${file.name}: uploaded ${m.count} item(s)${body.uploaded.length > 1 ? ` (and ${body.uploaded.slice(1)
      .map((x) => `${x.count} ${x.kind}`).join(", ")})` : ""}`;
  }, `${file.name} not uploaded`);
  loadMissions();
}

async function uploadDraft() {
  const draft = shared.mission;
  if (!draft) return;
  const items = draft.items.map(({ seq, name, ...item }) => item);
  const done = await run("Uploading…", () => api("POST", "/api/missions/upload",
                                                 { kind: draft.kind || "mission", items }, { timeoutMs: 60000 }),
                         (m) => `Uploaded ${m.count} item(s): the vehicle has this ${m.kind}`, "Upload refused");
  if (done) setDraft(null);
  loadMissions();
}

async function clearMission() {
  const which = kind;
  const done = await run("Clearing…", () => api("POST", `/api/missions/clear?kind=${which}`, undefined,
                                                { timeoutMs: 60000 }),
                         () => `The vehicle's ${which} is cleared`, "Clear refused");
  if (done) setDraft(null);
  loadMissions();
}

async function startMission() {
  const btn = $("missions-start");
  if (performance.now() > startArmedUntil) { // the first click asks, the second within 4 s sends
    startArmedUntil = performance.now() + CONFIRM_MS;
    btn.textContent = "Confirm start";
    setText("missions-note", "Click again within 4 s to start: the vehicle flies the uploaded mission on its own",
            "warn");
    setTimeout(() => {
      if (performance.now() > startArmedUntil) btn.textContent = "Start";
    }, CONFIRM_MS + 50);
    return;
  }
  startArmedUntil = 0;
  btn.textContent = "Start";
  const result = await run("Starting…", () => api("POST", "/api/missions/start", undefined, { timeoutMs: 30000 }),
                           (r) => r.message || "Mission started", "The vehicle did not start the mission");
  if (result) showResult("ok", `MISSION_START: ${result.message}`);
}

async function generate() {
  const kind = $("missions-gen-kind").value;
  const size = Number($("missions-gen-size").value);
  const alt = Number($("missions-gen-alt").value);
  const body = { alt_m: alt, takeoff_alt_m: Math.min(10, alt) };
  await run("Generating…", async () => {
    if (kind !== "orbit-target") {
      const s = await api("GET", "/api/telemetry");
      const gp = s.global_position || {};
      const at = gp.lat_deg || gp.lon_deg ? gp : s.home;
      if (!at) throw new Error("the vehicle has no position yet (waiting for GPS)");
      Object.assign(body, { lat_deg: at.lat_deg, lon_deg: at.lon_deg });
    }
    if (kind === "survey") Object.assign(body, { length_m: size, width_m: size, spacing_m: Math.max(5, size / 4) });
    else body.radius_m = size;
    return api("POST", `/api/missions/generate/${kind === "survey" ? "survey" : "orbit"}`, body);
  }, (m) => {
    setDraft({ ...m, seq_offset: mission.seq_offset, generated: true });
    return `Generated ${m.count} item(s): Upload to send them`;
  }, "Not generated");
}

async function exportFile(e, format) {
  e.preventDefault();
  try {
    const response = await api("GET", `/api/missions/export?format=${format}`, undefined, { raw: true });
    const blob = await response.blob();
    const name = format === "plan" ? "mission.plan" : "mission.waypoints";
    const a = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  } catch (err) {
    setText("missions-note", `export refused: ${err.message}`, "bad");
  }
}
