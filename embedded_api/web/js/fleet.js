// The fleet list: every vehicle this instance knows (its own, or on a relay every GCS's through the
// broker), from the stream's `status` events of kind `fleet` (twice a second at most; no polling);
// and, when this GCS compresses its fleet link (fleet.mqtt_compression), the link's statistics per
// vehicle from the stream's `compression_stats` messages (once a second).

import { $, num } from "./util.js";

let listed = false; // the fleet list has vehicles
let compressing = false; // compression statistics arrived

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
  listed = vehicles.length > 0;
  panel.hidden = !listed && !compressing;
  $("fleet-list").hidden = !listed;
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

// The field whose largest reconstruction error is the greatest share of its tolerance: what a pilot
// wants to know is "is what the far end sees still within tolerance", and which field is closest.
export function worstField(s) {
  let worst = null;
  for (const [name, err] of Object.entries(s.max_error || {})) {
    const tol = (s.tolerance || {})[name];
    const share = tol > 0 ? err / tol : err > 0 ? Infinity : 0;
    if (worst === null || share > worst.share) worst = { name, err, tol, share };
  }
  return worst;
}

export function onCompression(d) {
  const panel = $("fleet");
  const rows = $("fleet-compression-rows");
  if (!panel || !rows) return;
  const entries = Object.entries(d.vehicles || {});
  compressing = entries.length > 0;
  $("fleet-compression").hidden = !compressing;
  panel.hidden = !listed && !compressing;
  const lines = entries.map(([sysid, s]) => {
    const tr = document.createElement("tr");
    tr.dataset.sysid = sysid;
    const w = worstField(s);
    const within = w === null || w.share <= 1 + 1e-9;
    tr.append(
      cell(`#${sysid}`),
      cell(num(s.ratio, 2)),
      cell(`${num(s.skipped_pct, 0)} %`),
      cell(String(s.readings)),
      cell(`${s.bytes_sent} / ${s.bytes_uncompressed} B`),
      cell(w === null ? "–" : `${w.name} ${w.err.toPrecision(2)} (tol ${w.tol})`, within ? "ok" : "bad"),
    );
    ["vehicle", "ratio", "skipped", "readings", "bytes", "error"].forEach((c, i) => { tr.children[i].className = c; });
    const errors = Object.entries(s.max_error || {}).map(([k, v]) => `${k} ${v}`).join(", ");
    tr.title = `${s.transmitted} fields sent, ${s.skipped} skipped, ${s.keyframes} keyframes; max error: ${errors}`;
    return tr;
  });
  rows.replaceChildren(...lines);
}
