// The telemetry cards (mode, armed, altitude, speed, heading, battery, GPS, link) and the strip
// chart, drawn from each telemetry event.

import { ui } from "./state.js";
import { compass, num, setText } from "./util.js";

export const GPS_FIX = ["no GPS", "no fix", "2D", "3D", "DGPS", "RTK float", "RTK fixed", "static", "PPP"];

export function showState(s, timeS) {
  ui.lastTelemetryAt = Date.now();
  const gp = s.global_position || {};
  const hud = s.hud || {};
  const bat = s.battery || {};
  const gps = s.gps || {};
  const link = s.link || {};
  const landed = s.landed_state && s.landed_state !== "UNDEFINED" ? ` · ${s.landed_state.toLowerCase().replace(/_/g, " ")}` : "";
  setText("vehicle-name", `#${s.system_id} ${String(s.autopilot).toUpperCase()} ${String(s.vehicle_type).toLowerCase()}${landed}`);
  setText("t-mode", s.mode || "–");
  setText("t-armed", s.armed ? "ARMED" : "disarmed", s.armed ? "warn" : undefined);
  setText("t-alt", `${num(gp.alt_rel_m)} m`);
  setText("t-gs", `${num(hud.groundspeed_mps)} m/s`);
  setText("t-climb", `${num(hud.climb_mps)} m/s`);
  setText("t-heading", `${String(Math.round(hud.heading_deg || 0)).padStart(3, "0")}° ${compass(hud.heading_deg || 0)}`);
  const pct = bat.remaining_pct;
  const batText = pct === null || pct === undefined ? `${num(bat.voltage_v)} V` : `${Math.round(pct)}% ${num(bat.voltage_v)}V`;
  setText("t-battery", batText, pct === null || pct === undefined ? undefined : pct < 20 ? "bad" : pct < 40 ? "warn" : "ok");
  const fix = GPS_FIX[gps.fix_type] || `fix ${gps.fix_type}`;
  setText("t-gps", `${fix} · ${gps.satellites ?? 0} sat`, gps.fix_type >= 3 ? "ok" : "bad");
  const linkState = link.state || "–";
  const lossPct = link.packet_loss_pct || 0;
  const loss = lossPct >= 0.05 ? ` · ${num(lossPct, lossPct < 10 ? 1 : 0)}% loss` : "";
  setText("t-link", `${linkState}${loss}`, linkState === "ok" ? "ok" : linkState === "lost" ? "bad" : "warn");
  const age = link.last_heard_age_s;
  setText("vehicle-age", age === null || age === undefined ? "" : `heard ${num(age, 1)} s ago`);
  ui.plot.push(timeS, { alt: gp.alt_rel_m, gs: hud.groundspeed_mps, climb: hud.climb_mps });
}
