// The list an operator edits, shared by the Missions panel (its table) and the map (its markers), as
// gcs/core/vehicle/mission/draft.py is in the desktop window: an edit through either replaces the
// list and tells every listener, so the other redraws at once. Nothing is sent until Upload. The draft
// is a mission, a geofence or rally points (its kind): a click adds what that list holds, and a
// fence's polygon vertices always carry their polygon's vertex count in param1 (ArduPilot checks it).

const NAV_WAYPOINT = 16;
const NAV_LAND = 21;
const NAV_RTL = 20;
const FRAME_REL = 3;
const FRAME_GLOBAL = 0;
export const VERTEX_IN = 5001;
export const VERTICES = [5001, 5002]; // MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION / _EXCLUSION
export const CIRCLES = { 5003: true, 5004: false }; // MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION / _EXCLUSION
export const RALLY = 5100; // MAV_CMD_NAV_RALLY_POINT
const NAMES = { 5001: "NAV_FENCE_POLYGON_VERTEX_INCLUSION", 5002: "NAV_FENCE_POLYGON_VERTEX_EXCLUSION", 5003: "NAV_FENCE_CIRCLE_INCLUSION",
                5004: "NAV_FENCE_CIRCLE_EXCLUSION", 5100: "NAV_RALLY_POINT" };
const listeners = [];

/** mission: {items, seq_offset, ...} or null (no draft: the panel shows the vehicle's list);
 * editing: the map's clicks and drags edit it (operators only). */
export const shared = { mission: null, editing: false, alt: 15, inclusion: true, newPolygon: false };

export const placed = (item) => item.x !== 0 || item.y !== 0;

export function onDraft(fn) {
  listeners.push(fn);
}

function changed(how) {
  for (const fn of listeners) fn(how);
}

/** The fence's polygons, as polygons() in gcs/core/vehicle/mission/draft.py: each contiguous run of
 * vertices of one kind is one polygon ({start, count, inclusion}). */
export function polygons(items) {
  const out = [];
  let n = 0;
  while (n < items.length) {
    if (!VERTICES.includes(items[n].command)) {
      n += 1;
      continue;
    }
    let end = n;
    while (end < items.length && items[end].command === items[n].command) end += 1;
    out.push({ start: n, count: end - n, inclusion: items[n].command === VERTEX_IN });
    n = end;
  }
  return out;
}

/** Each polygon's vertices say how many they are (param1), as ArduPilot checks. */
function countVertices(items) {
  for (const p of polygons(items)) {
    for (let k = p.start; k < p.start + p.count; k++) items[k] = { ...items[k], param1: p.count };
  }
  return items;
}

/** What the next clicks add: a stay-inside (or keep-out) polygon's vertices; isNew: a polygon of its own. */
export function choosePolygon(inclusion, isNew = false) {
  shared.inclusion = inclusion;
  shared.newPolygon = isNew || shared.newPolygon;
  changed("polygon");
}

export const newPolygon = () => choosePolygon(shared.inclusion, true);

/** Whether the next click starts a polygon rather than extending the last one of its kind. */
export function startsPolygon() {
  const last = polygons(shared.mission?.items || []).pop();
  return shared.newPolygon || !last || last.inclusion !== shared.inclusion;
}

/** Where a clicked vertex goes (as MissionDraft._vertex_at): on the end of the last polygon of the chosen
 * kind, or a new polygon after the last one; an Error when one of its kind would touch it and merge. */
function vertexAt(items) {
  const shapes = polygons(items);
  const mine = shapes.filter((p) => p.inclusion === shared.inclusion);
  if (mine.length && !shared.newPolygon) return mine[mine.length - 1].start + mine[mine.length - 1].count;
  if (!shapes.length) return items.length;
  const last = shapes[shapes.length - 1];
  const end = last.start + last.count;
  if (last.inclusion !== shared.inclusion) return end;
  if (end < items.length) return items.length;
  const which = shared.inclusion ? "stay-inside" : "keep-out";
  throw new Error(`a second ${which} polygon right after the last one would join it: add a circle or a polygon `
                  + "of the other kind first (ArduPilot reads each run of one kind as one polygon)");
}

/** A fence circle's radius changed: a finite number of metres above 0, else an Error (nothing changed). */
export function setRadius(index, radius) {
  const items = [...(shared.mission?.items || [])];
  if (!items[index] || !(items[index].command in CIRCLES)) throw new Error(`item ${index} is not a fence circle`);
  if (!Number.isFinite(radius) || radius <= 0) throw new Error(`${radius} is not a radius: a circle needs more than 0 m`);
  items[index] = { ...items[index], param1: radius };
  setDraft({ ...shared.mission, items, generated: false, fresh: false }, "radius");
}

const item = (command, frame, x, y, z, param1 = 0) => ({ command, name: NAMES[command], frame, param1, param2: 0,
                                                          param3: 0, param4: 0, x, y, z, autocontinue: false });

export function setDraft(mission, how = "set") {
  if (mission?.kind === "fence") mission = { ...mission, items: countVertices([...mission.items]) };
  shared.mission = mission;
  changed(how);
}

export function setEditing(on) {
  shared.editing = on;
  changed("editing");
}

/** A waypoint where the map was clicked, before the closing RTL/land items; its index. */
export function addWaypoint(lat, lon, alt = shared.alt) {
  const items = [...(shared.mission?.items || [])];
  let at = items.length;
  while (at > 0 && [NAV_RTL, NAV_LAND].includes(items[at - 1].command)) at -= 1;
  items.splice(at, 0, { command: NAV_WAYPOINT, name: "NAV_WAYPOINT", frame: FRAME_REL, param1: 0, param2: 0,
                        param3: 0, param4: 0, x: lat, y: lon, z: alt, autocontinue: true });
  setDraft({ ...(shared.mission || { seq_offset: 0 }), items, generated: false, fresh: false }, "add");
  return at;
}

/** What a click on the map adds: a waypoint, a vertex of the chosen fence polygon, a rally point. */
export function addPoint(lat, lon, alt = shared.alt) {
  const kind = shared.mission?.kind || "mission";
  if (kind === "mission") return addWaypoint(lat, lon, alt);
  const items = [...shared.mission.items];
  let at = items.length;
  if (kind === "fence") {
    at = vertexAt(items);
    items.splice(at, 0, item(shared.inclusion ? VERTEX_IN : 5002, FRAME_GLOBAL, lat, lon, 0));
    shared.newPolygon = false;
  } else {
    items.push(item(RALLY, FRAME_REL, lat, lon, alt));
  }
  setDraft({ ...shared.mission, items, generated: false, fresh: false }, "add");
  return at;
}

/** A fence circle (stay inside, or keep out) round a point. */
export function addCircle(lat, lon, radius, inclusion = true) {
  const items = [...(shared.mission?.items || []), item(inclusion ? 5003 : 5004, FRAME_GLOBAL, lat, lon, 0, radius)];
  setDraft({ ...shared.mission, items, generated: false, fresh: false }, "add");
}

export function deleteItem(index) {
  const items = [...(shared.mission?.items || [])];
  items.splice(index, 1);
  setDraft({ ...shared.mission, items, generated: false, fresh: false }, "delete");
}

/** An item dragged on the map (its altitude kept); "moving" while the mouse is down, "moved" at the end. */
export function moveItem(index, lat, lon, how = "moved") {
  const items = [...(shared.mission?.items || [])];
  if (!items[index] || !placed(items[index])) return;
  items[index] = { ...items[index], x: lat, y: lon };
  setDraft({ ...shared.mission, items, generated: false, fresh: false }, how);
}
