// The map's mission layer (as the desktop window paints it, gcs/ui/qt_map_mission.py): the fence's
// polygons and circles (stay inside: green; keep out: red, filled) and return point, rally points,
// the mission's line through the items it flies to, and its items numbered as planned, the one the
// vehicle flies now larger and green.
//
// The stream's map events carry no lists, only their version and the current item: when the version
// (or the active vehicle) moves, the lists are fetched again with GET /api/map.

import { api } from "./api.js";

/* global L */
const state = { key: "", mission: null, loading: false };

function keyOf(snap) {
  return `${snap.active_id}:${snap.mission?.version ?? 0}`;
}

/** Keep the lists up to date from a snapshot; returns the mission to draw (lists and current item). */
export function missionOf(snap, onLoaded) {
  const mission = snap.mission;
  if (!mission) return state.mission;
  const key = keyOf(snap);
  if (mission.lists) {
    state.key = key;
    state.mission = mission;
  } else if (key !== state.key) {
    if (!state.loading) reload(key, onLoaded);
  } else if (state.mission && state.mission.current_seq !== mission.current_seq) {
    state.mission = { ...state.mission, current_seq: mission.current_seq }; // a new object: the map redraws it
  }
  return state.mission;
}

async function reload(key, onLoaded) {
  state.loading = true;
  try {
    const full = await api("GET", "/api/map");
    state.key = keyOf(full);
    state.mission = full.mission;
    onLoaded();
  } catch {
    state.key = key; // not again until the lists change again
  } finally {
    state.loading = false;
  }
}

function label(className, text, size = 20) {
  return L.divIcon({ className, html: `<span>${text}</span>`, iconSize: [size, size], iconAnchor: [size / 2, size / 2] });
}

export function drawMission(g, mission) {
  if (!mission) return;
  for (const p of mission.polygons || []) {
    g.addLayer(L.polygon(p.points, fenceStyle(p.inclusion)));
  }
  for (const c of mission.circles || []) {
    g.addLayer(L.circle([c.lat_deg, c.lon_deg], { radius: c.radius_m, ...fenceStyle(c.inclusion) }));
  }
  if (mission.fence_return) {
    g.addLayer(L.marker(mission.fence_return, { icon: label("map-fence-return", "F", 16), keyboard: false, interactive: false }));
  }
  const path = (mission.items || []).filter((w) => w.on_path).map((w) => [w.lat_deg, w.lon_deg]);
  if (path.length > 1) {
    g.addLayer(L.polyline(path, { color: "#000", opacity: 0.6, weight: 5, interactive: false }));
    g.addLayer(L.polyline(path, { color: "#ff8c00", weight: 2.5, interactive: false, className: "map-mission-path" }));
  }
  for (const w of mission.items || []) {
    const current = w.seq === mission.current_seq;
    const cls = `map-wp${current ? " current" : ""}${w.on_path ? "" : " roi"}`;
    const marker = L.marker([w.lat_deg, w.lon_deg], { icon: label(cls, w.number, current ? 26 : 20), keyboard: false, zIndexOffset: current ? 500 : 0 });
    marker.bindTooltip(`${w.number}: ${w.command.toLowerCase().replaceAll("_", " ")}, ${w.alt_m.toFixed(0)} m${current ? " (flying to it now)" : ""}`,
      { direction: "top", offset: [0, -10], className: "map-label" });
    g.addLayer(marker);
  }
  for (const r of mission.rally || []) {
    const marker = L.marker([r.lat_deg, r.lon_deg], { icon: label("map-rally", "R", 20), keyboard: false });
    marker.bindTooltip(`rally ${r.number}`, { permanent: true, direction: "right", offset: [10, 0], className: "map-label map-rally-label" });
    g.addLayer(marker);
  }
}

function fenceStyle(inclusion) {
  return inclusion
    ? { color: "#3cc85a", weight: 2, fillColor: "#3cc85a", fillOpacity: 0.1, interactive: false, className: "map-fence-in" }
    : { color: "#ff4646", weight: 2, fillColor: "#ff4646", fillOpacity: 0.28, interactive: false, className: "map-fence-out" };
}
