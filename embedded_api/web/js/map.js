// The map: the core's map snapshot (GET /api/map once, then the stream's "map" events) drawn with
// Leaflet (vendored under /web/vendor/leaflet, no CDN). Layers as in the desktop window: geofence,
// home, trails, the goto point and a pending click, the target's estimated ground position, the
// follow setpoint arrow and every vehicle with its heading; the vehicle's mission, fence and rally
// points (js/map_mission.js). With no tile source the ground is a
// metric grid (lines every 1-2-5 step, metres from home) with Leaflet's scale bar and a north arrow;
// with one, tiles come from the program (/api/map/tiles, its disk cache) with the source's attribution.
//
// Click-to-fly (operators): a click marks the point; "Fly here" sends POST /api/vehicle/goto only once
// confirmed with the page's gesture (hold 1 s, or Enter twice), disabled with the program's reason.
// While an operator edits the mission on the map (js/map_edit.js) a click adds a waypoint instead.

import { bindConfirm } from "./actions.js";
import { api, loadToken } from "./api.js";
import { editClick, initMapEdit, mapEditing } from "./map_edit.js";
import { drawMission, missionOf } from "./map_mission.js";
import { onDraft } from "./mission_draft.js";
import { act } from "./messages.js";
import { ui } from "./state.js";
import { $, setText } from "./util.js";

/* global L */
const EARTH_R = 6378137;
const TRAIL_STEP_M = 1;
const SETPOINT_LOOKAHEAD_S = 4;
const STALE_OPACITY = 0.4; // a vehicle not heard for the watchdog's time, where it was last (as in the window)
const m = { map: null, layers: {}, trails: new Map(), snapshot: null, mission: null, centred: false, follow: true, pending: null, tiles: "" };
ui.map = m; // for the console and the browser tests

function offset(lat, lon, north, east) {
  return [lat + (north / EARTH_R) * (180 / Math.PI),
    lon + (east / (EARTH_R * Math.cos((lat * Math.PI) / 180))) * (180 / Math.PI)];
}

function distance(a, b) {
  const n = ((b[0] - a[0]) * Math.PI / 180) * EARTH_R;
  const e = ((b[1] - a[1]) * Math.PI / 180) * EARTH_R * Math.cos((a[0] * Math.PI) / 180);
  return [Math.hypot(n, e), ((Math.atan2(e, n) * 180) / Math.PI + 360) % 360];
}

function niceStep(target) {
  const base = 10 ** Math.floor(Math.log10(target));
  for (const k of [5, 2, 1]) if (k * base <= target) return k * base;
  return base;
}

export function initMap() {
  if (m.map || !window.L || !$("map")) return;
  const map = L.map("map", { zoomControl: true, attributionControl: true, minZoom: 3, maxZoom: 21 });
  map.setView([0, 0], 3);
  m.map = map;
  L.control.scale({ metric: true, imperial: false, maxWidth: 140 }).addTo(map);
  const North = L.Control.extend({
    onAdd() {
      const el = L.DomUtil.create("div", "map-north");
      el.textContent = "▲\nN";
      el.title = "North is up";
      return el;
    },
  });
  new North({ position: "topright" }).addTo(map);
  m.layers.grid = L.layerGroup().addTo(map);
  m.layers.mission = L.layerGroup().addTo(map); // rebuilt only when the mission changes (see draw)
  m.layers.shapes = L.layerGroup().addTo(map);
  initMapEdit(map);
  onDraft((how) => {
    if (how === "editing" && mapEditing()) setPending(null); // clicks edit now: nothing waits to be flown to
  });
  map.on("moveend zoomend", drawGrid);
  map.on("dragstart", () => setFollow(false));
  map.on("click", (e) => onMapClick(e.latlng));
  $("map-centre")?.addEventListener("click", () => setFollow(true));
  $("map-cancel")?.addEventListener("click", () => setPending(null));
  const fly = $("map-goto");
  if (fly) bindConfirm(fly, "GOTO", () => sendGoto(fly));
  loadMap();
}

function setFollow(follow) {
  m.follow = follow;
  $("map-centre")?.setAttribute("aria-pressed", String(follow));
  if (follow && m.snapshot) draw(m.snapshot);
}

export async function loadMap() {
  try {
    const snap = await api("GET", "/api/map");
    m.trails = new Map(Object.entries(snap.trails || {}).map(([k, v]) => [Number(k), v]));
    onMapSnapshot(snap);
  } catch {
    // the stream's next map event will draw it
  }
}

/** A map snapshot from the stream (no trails: extended here from the positions) or from GET /api/map. */
export function onMapSnapshot(snap) {
  if (!m.map) return;
  for (const v of snap.vehicles || []) {
    if (!v.has_position) continue;
    const trail = m.trails.get(v.system_id) || [];
    const last = trail[trail.length - 1];
    if (!last || distance(last, [v.lat_deg, v.lon_deg])[0] >= TRAIL_STEP_M) trail.push([v.lat_deg, v.lon_deg]);
    if (trail.length > 3000) trail.splice(0, trail.length - 3000);
    m.trails.set(v.system_id, trail);
  }
  m.snapshot = snap;
  draw(snap);
}

function setTiles(tiles) {
  const key = `${tiles.kind}|${tiles.url}|${tiles.attribution}|${tiles.max_zoom}`;
  if (key === m.tiles) return;
  m.tiles = key;
  if (m.layers.tiles) m.map.removeLayer(m.layers.tiles);
  m.layers.tiles = null;
  if (tiles.kind !== "grid") {
    const url = `${tiles.url}?token=${encodeURIComponent(loadToken())}`; // an <img> cannot send the header
    m.layers.tiles = L.tileLayer(url, { maxNativeZoom: tiles.max_zoom, maxZoom: 21, attribution: tiles.attribution || "" });
    m.layers.tiles.addTo(m.map);
    m.layers.tiles.bringToBack();
  }
  $("map").dataset.tiles = tiles.kind;
  drawGrid();
}

function drawGrid() {
  const layer = m.layers.grid;
  if (!layer) return;
  layer.clearLayers();
  if (m.layers.tiles) return;
  const map = m.map;
  const bounds = map.getBounds();
  const centre = map.getCenter();
  const size = map.getSize();
  const mpp = distance([bounds.getSouth(), centre.lng], [bounds.getNorth(), centre.lng])[0] / size.y;
  const step = niceStep(mpp * 110);
  const origin = m.snapshot?.home ? [m.snapshot.home.lat_deg, m.snapshot.home.lon_deg] : [centre.lat, centre.lng];
  const metres = (lat, lon) => {
    const [d, b] = distance(origin, [lat, lon]);
    return [d * Math.cos((b * Math.PI) / 180), d * Math.sin((b * Math.PI) / 180)];
  };
  const [n0, e0] = metres(bounds.getSouth(), bounds.getWest());
  const [n1, e1] = metres(bounds.getNorth(), bounds.getEast());
  const style = (k) => ({ color: k === 0 ? "#8fa898" : "#56665c", weight: 1, interactive: false });
  for (let k = Math.floor(e0 / step); k <= Math.ceil(e1 / step) && k - Math.floor(e0 / step) < 200; k++) {
    const a = offset(origin[0], origin[1], n0 - step, k * step);
    const b = offset(origin[0], origin[1], n1 + step, k * step);
    layer.addLayer(L.polyline([a, b], style(k)));
  }
  for (let k = Math.floor(n0 / step); k <= Math.ceil(n1 / step) && k - Math.floor(n0 / step) < 200; k++) {
    const a = offset(origin[0], origin[1], k * step, e0 - step);
    const b = offset(origin[0], origin[1], k * step, e1 + step);
    layer.addLayer(L.polyline([a, b], style(k)));
  }
  setText("map-grid", `grid ${step >= 1000 ? `${step / 1000} km` : `${step} m`}`);
}

function vehicleIcon(v) {
  return L.divIcon({
    className: `map-vehicle${v.active ? " active" : ""}${v.link === "lost" ? " stale" : ""}`,
    html: '<svg viewBox="-12 -12 24 24" width="26" height="26"><path d="M0,-11 L8,8 L0,4 L-8,8 Z"/></svg>',
    iconSize: [26, 26],
    iconAnchor: [13, 13],
  });
}

/** Its id and mode, the fleet GCS it flies from, how long unheard once stale: as the window labels it. */
function vehicleLabel(v) {
  const text = `${v.system_id} ${v.mode}${v.origin ? ` · ${v.origin}` : ""}${v.replay ? " (log)" : ""}`;
  if (v.link === "lost") return `${text} lost${v.last_heard_s != null ? ` ${v.last_heard_s.toFixed(0)} s` : ""}`;
  return `${text}${v.link === "ok" ? "" : ` ${v.link}`}`;
}

function draw(snap) {
  setTiles(snap.tiles);
  const g = m.layers.shapes;
  g.clearLayers();
  const active = (snap.vehicles || []).find((v) => v.active && v.has_position);
  if (snap.geofence) {
    const f = snap.geofence;
    g.addLayer(L.circle([f.lat_deg, f.lon_deg], { radius: f.radius_m, color: "#ff5050", weight: 2, dashArray: "8 6", fill: false, interactive: false }));
    if (f.margin_m > 0 && f.margin_m < f.radius_m) {
      g.addLayer(L.circle([f.lat_deg, f.lon_deg], { radius: f.radius_m - f.margin_m, color: "#ffaa00", weight: 1, dashArray: "2 5", fill: false, interactive: false }));
    }
  }
  const mission = missionOf(snap, () => m.snapshot && draw(m.snapshot));
  if (mission !== m.mission) { // a waypoint's marker (and its open tooltip) outlives the 4 Hz snapshots
    m.mission = mission;
    m.layers.mission.clearLayers();
    drawMission(m.layers.mission, mission);
  }
  for (const [sysid, trail] of m.trails) {
    const stale = (snap.vehicles || []).some((v) => v.system_id === sysid && v.link === "lost");
    if (trail.length > 1) g.addLayer(L.polyline(trail, { color: active && sysid === active.system_id ? "#00c8ff" : "#aab", weight: 2, opacity: stale ? 0.8 * STALE_OPACITY : 0.8, interactive: false }));
  }
  if (snap.home) {
    g.addLayer(L.circleMarker([snap.home.lat_deg, snap.home.lon_deg], { radius: 7, color: "#000", weight: 1, fillColor: "#fff", fillOpacity: 1 })
      .bindTooltip("Home", { permanent: false }));
  }
  for (const [point, dashed] of [[snap.goto, false], [m.pending, true]]) {
    if (!point) continue;
    const at = [point.lat_deg, point.lon_deg];
    if (active) g.addLayer(L.polyline([[active.lat_deg, active.lon_deg], at], { color: "#e65aff", weight: 2, dashArray: dashed ? "6 5" : null, interactive: false }));
    g.addLayer(L.circleMarker(at, { radius: 9, color: "#e65aff", weight: 2, dashArray: dashed ? "4 3" : null, fill: false, className: dashed ? "map-pending" : "map-goto" }));
  }
  if (snap.target) {
    const t = snap.target;
    const live = t.state === "locked";
    g.addLayer(L.circleMarker([t.lat_deg, t.lon_deg], { radius: 8, color: live ? "#000" : "#ff3c3c", weight: live ? 1 : 2, fillColor: "#ff3c3c", fillOpacity: live ? 1 : 0, className: "map-target" })
      .bindTooltip(live ? `target (${t.slant_range_m.toFixed(0)} m away)` : `target last seen ${t.age_s.toFixed(0)} s ago`, { permanent: true, direction: "right", className: "map-label" }));
  }
  if (snap.setpoint && active && snap.setpoint.speed_mps > 0.05) {
    const s = snap.setpoint;
    const len = Math.max(3, s.speed_mps * SETPOINT_LOOKAHEAD_S);
    const b = (s.bearing_deg * Math.PI) / 180;
    const end = offset(active.lat_deg, active.lon_deg, len * Math.cos(b), len * Math.sin(b));
    g.addLayer(L.polyline([[active.lat_deg, active.lon_deg], end], { color: "#50e66e", weight: 4, interactive: false, className: "map-setpoint" }));
  }
  const others = (snap.vehicles || []).filter((v) => v.has_position && !v.active);
  for (const v of [...others, ...(active ? [active] : [])]) {
    const marker = L.marker([v.lat_deg, v.lon_deg], { icon: vehicleIcon(v), keyboard: false, zIndexOffset: v.active ? 1000 : 0,
      opacity: v.link === "lost" ? STALE_OPACITY : 1 });
    marker.bindTooltip(vehicleLabel(v),
      { permanent: true, direction: "right", offset: [12, 0], opacity: v.link === "lost" ? STALE_OPACITY : 0.9,
        className: `map-label${v.link === "lost" ? " stale" : ""}` });
    g.addLayer(marker);
    const svg = marker.getElement()?.querySelector("svg");
    if (svg) svg.style.transform = `rotate(${v.heading_deg}deg)`; // CSSOM, which the page's CSP allows
  }
  if (active && (m.follow || !m.centred)) {
    m.map.setView([active.lat_deg, active.lon_deg], m.centred ? m.map.getZoom() : 18, { animate: false });
    m.centred = true;
  } else if (!m.centred && snap.home) {
    m.map.setView([snap.home.lat_deg, snap.home.lon_deg], 17, { animate: false });
  }
  $("map-wait").hidden = Boolean(active) || (snap.vehicles || []).some((v) => v.has_position);
  if (m.pending) describePending();
}

function onMapClick(latlng) {
  if (!$("map-goto")) return; // viewers see the map; operators fly from it
  if (mapEditing()) {
    editClick(latlng);
    return;
  }
  setPending({ lat_deg: latlng.lat, lon_deg: latlng.lng });
}

function setPending(point) {
  m.pending = point;
  $("map-fly").hidden = !point;
  if (m.snapshot) draw(m.snapshot);
  if (!point && !mapEditing()) setText("map-info", "Click the map to fly there");
}

function describePending() {
  const p = m.pending;
  const v = (m.snapshot?.vehicles || []).find((x) => x.active && x.has_position);
  let text = `Fly to ${p.lat_deg.toFixed(6)}, ${p.lon_deg.toFixed(6)}`;
  if (v) {
    const [d, b] = distance([v.lat_deg, v.lon_deg], [p.lat_deg, p.lon_deg]);
    text += `: ${d.toFixed(0)} m at ${String(Math.round(b)).padStart(3, "0")}° from vehicle ${v.system_id}`;
  }
  setText("map-info", `${text} — hold "Fly here" 1 s (or Enter twice)`);
}

async function sendGoto(button) {
  const p = m.pending;
  if (!p) return;
  const r = await act("GOTO", "POST", "/api/vehicle/goto", { lat_deg: p.lat_deg, lon_deg: p.lon_deg }, { button });
  if (r) setPending(null);
}
