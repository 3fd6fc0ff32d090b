// The draft drawn on the map while an operator edits it (js/mission_draft.js): Leaflet markers
// numbered as the vehicle will number them, white-ringed over the vehicle's own list, joined by a
// dashed line; a marker dragged moves its item (the table follows as it moves), a click on the map
// adds a waypoint (map.js sends clicks here instead of to the goto while editing).

import { addWaypoint, moveItem, onDraft, placed, shared } from "./mission_draft.js";
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
  addWaypoint(latlng.lat, latlng.lng);
}

function linePoints() {
  return (shared.mission?.items || []).filter((i) => placed(i) && i.command <= NAV_LAST).map((i) => [i.x, i.y]);
}

function icon(number, roi) {
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
  setText("map-info", `Editing the mission (${mission.items.length} item(s), not uploaded): click adds a waypoint `
          + `at ${shared.alt} m, drag one to move it; Upload in the Missions panel`);
  e.line = L.polyline(linePoints(), { color: "#fff", weight: 2, dashArray: "6 5", interactive: false,
                                      className: "map-draft-line" });
  e.layer.addLayer(e.line);
  mission.items.forEach((item, index) => {
    if (!placed(item)) return;
    const marker = L.marker([item.x, item.y], { icon: icon(mission.seq_offset + index, item.command > NAV_LAST),
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
