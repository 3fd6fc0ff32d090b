// The draft drawn on the map while an operator edits it (js/mission_draft.js): Leaflet markers
// numbered as the vehicle will number them, white-ringed over the vehicle's own list, joined by a
// dashed line; a marker dragged moves its item (the table follows as it moves), a click on the map
// adds a waypoint (map.js sends clicks here instead of to the goto while editing).

import { CIRCLES, VERTICES, addPoint, moveItem, onDraft, placed, polygons, shared, startsPolygon }
  from "./mission_draft.js";
import { setText } from "./util.js";

/* global L */
const NAV_LAST = 95; // NAV_ commands are flown to; an ROI is drawn square and not joined
const e = { layer: null, line: null, markers: [], dragging: false };

export const mapEditing = () => shared.editing && Boolean(shared.mission);

export function initMapEdit(map) {
  e.layer = L.layerGroup().addTo(map);
  onDraft(() => redraw());
}

export function editClick(latlng) {
  try {
    addPoint(latlng.lat, latlng.lng);
  } catch (err) {
    setText("map-info", `Not added: ${err.message}`);
  }
}

const kindOf = () => shared.mission?.kind || "mission";

/** The mission's line through what it flies to; each fence polygon closed on its own (so the line is
 * one path per polygon); rally points not joined. */
function linePoints() {
  const kind = kindOf();
  const items = shared.mission?.items || [];
  if (kind === "fence") {
    return polygons(items).map((p) => {
      const ring = items.slice(p.start, p.start + p.count).map((i) => [i.x, i.y]);
      return ring.length > 2 ? [...ring, ring[0]] : ring;
    });
  }
  const joined = kind === "mission" ? (i) => i.command <= NAV_LAST : () => false;
  return items.filter((i) => placed(i) && joined(i)).map((i) => [i.x, i.y]);
}

/** The fence's keep-out polygons filled red, as the vehicle's keep-out zones are drawn. */
function keepOutPolygons(items) {
  return polygons(items).filter((p) => !p.inclusion).map((p) => L.polygon(
    items.slice(p.start, p.start + p.count).map((i) => [i.x, i.y]),
    { color: "#ff4646", weight: 2, dashArray: "6 5", fillOpacity: 0.25, interactive: false,
      className: "map-draft-keepout" }));
}

function icon(number, roi) { // a fence circle's centre and a rally point are squares, like an ROI
  return L.divIcon({ className: `map-wp map-draft${roi ? " roi" : ""}`, html: String(number), iconSize: [20, 20],
                     iconAnchor: [10, 10] });
}

function redraw() {
  if (!e.layer) return;
  if (!e.dragging && !mapEditing() && e.markers.length) setText("map-info", "Click the map to fly there");
  if (e.dragging) { // keep the marker under the mouse: only the line follows
    e.line?.setLatLngs(linePoints());
    return;
  }
  e.layer.clearLayers();
  e.markers = [];
  e.line = null;
  if (!mapEditing()) return;
  const mission = shared.mission;
  const which = shared.inclusion ? "stay-inside" : "keep-out";
  const adds = { mission: `a waypoint at ${shared.alt} m`,
                 fence: `a vertex to ${startsPolygon() ? "a new" : "the"} ${which} polygon`,
                 rally: `a rally point at ${shared.alt} m` }[kindOf()];
  setText("map-info", `Editing the ${kindOf()} (${mission.items.length} item(s), ${mission.fresh ? "as on the vehicle" : "not uploaded"}): click adds ${adds}, `
          + "drag a marker to move it; Upload in the Missions panel");
  for (const c of mission.items.filter((i) => i.command in CIRCLES)) {
    e.layer.addLayer(L.circle([c.x, c.y], { radius: c.param1, color: CIRCLES[c.command] ? "#3cc85a" : "#ff4646",
                                            weight: 2, dashArray: "6 5", fillOpacity: 0.1, interactive: false }));
  }
  if (kindOf() === "fence") keepOutPolygons(mission.items).forEach((p) => e.layer.addLayer(p));
  e.line = L.polyline(linePoints(), { color: "#fff", weight: 2, dashArray: "6 5", interactive: false,
                                      className: "map-draft-line" });
  e.layer.addLayer(e.line);
  mission.items.forEach((item, index) => {
    if (!placed(item)) return;
    const square = kindOf() === "mission" ? item.command > NAV_LAST : !VERTICES.includes(item.command);
    const marker = L.marker([item.x, item.y], { icon: icon(mission.seq_offset + index, square),
                                                draggable: true, autoPan: false, zIndexOffset: 2000,
                                                title: `item ${mission.seq_offset + index}: drag to move` });
    marker.on("dragstart", () => { e.dragging = true; });
    marker.on("drag", () => {
      const at = marker.getLatLng();
      moveItem(index, at.lat, at.lng, "moving");
    });
    marker.on("dragend", () => {
      e.dragging = false;
      const at = marker.getLatLng();
      moveItem(index, at.lat, at.lng, "moved");
    });
    e.layer.addLayer(marker);
    marker.getElement()?.setAttribute("data-index", String(index));
    e.markers.push(marker);
  });
}
