// The list an operator edits, shared by the Missions panel (its table) and the map (its markers), as
// gcs/core/vehicle/mission/draft.py is in the desktop window: an edit through either replaces the
// list and tells every listener, so the other redraws at once. Nothing is sent until Upload.

const NAV_WAYPOINT = 16;
const NAV_LAND = 21;
const NAV_RTL = 20;
const FRAME_REL = 3;
const listeners = [];

/** mission: {items, seq_offset, ...} or null (no draft: the panel shows the vehicle's list);
 * editing: the map's clicks and drags edit it (operators only). */
export const shared = { mission: null, editing: false, alt: 15 };

export const placed = (item) => item.x !== 0 || item.y !== 0;

export function onDraft(fn) {
  listeners.push(fn);
}

function changed(how) {
  for (const fn of listeners) fn(how);
}

export function setDraft(mission, how = "set") {
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
  setDraft({ ...(shared.mission || { seq_offset: 0 }), items, generated: false }, "add");
  return at;
}

/** An item dragged on the map (its altitude kept); "moving" while the mouse is down, "moved" at the end. */
export function moveItem(index, lat, lon, how = "moved") {
  const items = [...(shared.mission?.items || [])];
  if (!items[index] || !placed(items[index])) return;
  items[index] = { ...items[index], x: lat, y: lon };
  setDraft({ ...shared.mission, items, generated: false }, how);
}
