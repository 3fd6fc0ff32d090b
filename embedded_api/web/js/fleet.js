// The fleet list: every vehicle this instance knows (its own, or on a relay every GCS's through the
// broker), from the stream's `status` events of kind `fleet` (twice a second at most; no polling).

import { $, num } from "./util.js";

function cell(text, level) {
  const td = document.createElement("td");
  td.textContent = text;
  if (level) td.dataset.level = level;
  return td;
}

export function onFleet(d) {
  const panel = $("fleet");
  const rows = $("fleet-rows");
  if (!panel || !rows) return;
  const vehicles = d.vehicles || [];
  panel.hidden = vehicles.length === 0;
  const gcsCount = new Set(vehicles.map((v) => v.gcs ?? "here")).size;
  $("fleet-note").textContent = `${vehicles.length} vehicle${vehicles.length === 1 ? "" : "s"}, ${gcsCount} GCS`;
  const lines = vehicles.map((v) => {
    const tr = document.createElement("tr");
    tr.dataset.sysid = String(v.system_id);
    const pos = v.lat_deg === null || v.lat_deg === undefined ? "–" : `${v.lat_deg.toFixed(6)}, ${v.lon_deg.toFixed(6)}`;
    tr.append(
      cell(`#${v.system_id} ${String(v.autopilot).toUpperCase()}`),
      cell(v.gcs ?? "this GCS"),
      cell(v.mode || "–"),
      cell(v.armed ? "ARMED" : "disarmed", v.armed ? "warn" : undefined),
      cell(`${num(v.alt_rel_m)} m`),
      cell(pos),
      cell(v.link, v.link === "ok" ? "ok" : v.link === "lost" ? "bad" : "warn"),
    );
    tr.children[4].className = "alt";
    tr.children[5].className = "pos";
    tr.children[6].className = "link";
    return tr;
  });
  rows.replaceChildren(...lines);
}
