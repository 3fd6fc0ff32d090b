// Small DOM and formatting helpers shared by every part of the dashboard, so that each part writes
// numbers, times and element text the same way.

export const $ = (id) => document.getElementById(id);

export function on(id, event, fn) {
  const el = $(id);
  if (el) el.addEventListener(event, fn);
}

export function setText(id, text, level) {
  const el = $(id);
  if (!el) return;
  if (el.textContent !== text) el.textContent = text;
  if (level === undefined) delete el.dataset.level;
  else el.dataset.level = level;
}

export function num(v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const text = v.toFixed(digits);
  return Number(text) === 0 ? (0).toFixed(digits) : text; // never "-0.0"
}
export const clock = (tS) => new Date(tS * 1000).toLocaleTimeString([], { hour12: false });

export function duration(seconds) {
  if (!Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

export function compass(deg) {
  const names = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
  return names[Math.round((((deg % 360) + 360) % 360) / 45) % 8];
}
