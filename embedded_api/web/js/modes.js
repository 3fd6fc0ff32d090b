// The flight-mode selector: the vehicle's own modes from the core (GET /api/vehicle/modes: what each
// does, which need confirming now, why none can be set, e.g. a replay), chosen in a list and sent
// with "Set mode". Modes that fly by themselves (or obey sticks in the air) are confirmed with the
// same hold (or Enter twice) as Arm, through actions.js; Hold is sent at once.

import { applyActions } from "./actions.js";
import { api } from "./api.js";
import { ui } from "./state.js";
import { $ } from "./util.js";

let loading = false;
let again = false;
let picked = null; // a mode the pilot chose and has not sent yet

/** The mode chosen in the list and what the core says about it. */
export function chosenMode() {
  const name = $("mode-select")?.value || null;
  const choice = ui.modes?.modes.find((m) => m.name === name) || null;
  return { name, choice };
}

/** Whether the chosen mode needs the pilot's confirmation now (actions.js asks for "mode"). */
export function modeNeedsConfirm() {
  return Boolean(chosenMode().choice?.confirm);
}

/** Why "Set mode" cannot send the chosen mode, beyond the core's availability, or null. */
export function modeReason() {
  if (ui.modes?.unavailable) return ui.modes.unavailable;
  const { name } = chosenMode();
  if (!name) return "choose a mode in the list first";
  if (ui.modes && name === ui.modes.current) return `already in ${name}`;
  return null;
}

export async function loadModes() {
  if (!$("mode-select")) return; // a viewer's page has no selector
  if (loading) {
    again = true;
    return;
  }
  loading = true;
  try {
    showModes(await api("GET", "/api/vehicle/modes"));
  } catch {
    ui.modes = null; // no vehicle yet: the next state or availability asks again
  } finally {
    loading = false;
    if (again) {
      again = false;
      loadModes();
    }
  }
}

function showModes(modes) {
  ui.modes = modes;
  const select = $("mode-select");
  const names = modes.modes.map((m) => m.name);
  if ([...select.options].map((o) => o.value).join() !== names.join()) {
    select.replaceChildren(...modes.modes.map((m) => {
      const option = document.createElement("option");
      option.value = m.name;
      option.textContent = m.name;
      option.title = m.description;
      return option;
    }));
  }
  for (const option of select.options) {
    const m = modes.modes.find((x) => x.name === option.value);
    option.title = m ? `${m.description}${m.confirm ? " (hold to confirm)" : ""}` : "";
  }
  if (!picked) select.value = modes.current;
  select.disabled = Boolean(modes.unavailable);
  select.title = modes.unavailable ? `Unavailable: ${modes.unavailable}` : "Flight mode to switch to with Set mode";
  describeChosen();
  applyActions();
}

function describeChosen() {
  const { choice } = chosenMode();
  const what = $("mode-what");
  if (what) what.textContent = choice ? `${choice.name}: ${choice.description}` : "";
}

export function bindModes(confirmBind, act) {
  const select = $("mode-select");
  if (!select) return;
  select.addEventListener("change", () => {
    picked = select.value;
    describeChosen();
    applyActions();
  });
  confirmBind($("btn-mode"), "SET MODE", async (button) => {
    const { name } = chosenMode();
    picked = null;
    await act(`MODE ${name}`, "POST", "/api/vehicle/mode", { mode: name }, { button });
    loadModes();
  });
}

/** A telemetry state: a new mode (or vehicle) in force is asked for again. */
export function onModeState(state) {
  if (!ui.modes || state.mode !== ui.modes.current || state.system_id !== ui.modes.vehicle) loadModes();
}
