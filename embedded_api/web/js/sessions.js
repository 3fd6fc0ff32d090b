// The flight sessions table and the download of a session's telemetry log (tlog).

import { api } from "./api.js";
import { showResult } from "./messages.js";
import { $, duration, num, setText } from "./util.js";

export async function loadSessions() {
  const panel = $("sessions");
  let data;
  try {
    data = await api("GET", "/api/sessions");
  } catch (err) {
    panel.hidden = err.status === 404 || err.status === 0;
    setText("sessions-note", err.message);
    return;
  }
  panel.hidden = false;
  const sessions = Array.isArray(data) ? data : data.sessions || [];
  setText("sessions-note", sessions.length ? "" : "No flight sessions recorded yet.");
  $("sessions").querySelector("table").hidden = !sessions.length;
  const rows = sessions.slice(0, 50).map((s) => {
    const tr = document.createElement("tr");
    const length = s.duration_s ?? (s.ended_s ?? s.updated_s ?? s.started_s) - s.started_s;
    const cells = [
      new Date(s.started_s * 1000).toLocaleString([], { hour12: false }),
      s.ended_s === null ? `${duration(length)} (open)` : duration(length),
      `${s.autopilot || ""} ${String(s.vehicle_type || "").toLowerCase()}`.trim() || "–",
      s.max_alt_m === null || s.max_alt_m === undefined ? "–" : `${num(s.max_alt_m, 0)} m`,
    ];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    const td = document.createElement("td");
    const b = document.createElement("button");
    b.className = "btn small";
    b.type = "button";
    b.textContent = "tlog";
    b.title = "Download this session's telemetry log";
    b.addEventListener("click", () => downloadTlog(s, b));
    td.append(b);
    tr.append(td);
    return tr;
  });
  $("sessions-body").replaceChildren(...rows);
}

export async function downloadTlog(session, button) {
  button.disabled = true;
  try {
    const response = await api("GET", `/api/sessions/${session.id}/tlog`, undefined, { raw: true, timeoutMs: 120000 });
    const blob = await response.blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = String(session.tlog_path || `session-${session.id}.tlog`).split("/").pop();
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    showResult("ok", `TLOG: downloaded ${a.download} (${Math.round(blob.size / 1024)} kB)`);
  } catch (err) {
    showResult("bad", `TLOG download refused: ${err.message}`);
  } finally {
    button.disabled = false;
  }
}
