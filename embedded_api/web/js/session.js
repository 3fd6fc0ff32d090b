// The signed-in dashboard: builds the chart, settings editor, telemetry stream and video view for
// the token's role and wires them to the parts of the page.

import { ROLE_RANK } from "./api.js";
import { banner, loadMeta, onAuthFailed, onTelemetryState, onVideoTransport } from "./connection.js";
import { applyRole, bindControls } from "./controls.js";
import { onEvent } from "./events.js";
import { addMessage, showResult } from "./messages.js";
import { StripChart } from "./plot.js";
import { pollRecording } from "./recording.js";
import { loadSessions } from "./sessions.js";
import { SettingsEditor } from "./settings.js";
import { ui } from "./state.js";
import { TelemetryStream } from "./telemetry.js";
import { onFollower, onTracker, trackBox, trackClick } from "./tracking.js";
import { $, num, setText } from "./util.js";
import { VideoView } from "./video.js";

const params = new URLSearchParams(location.search);

export function start(token, claims, reachable) {
  $("login").hidden = true;
  $("conn").hidden = false; // no connection to speak of before signing in
  $("login-password").value = "";
  $("app").hidden = false;
  $("who").hidden = false;
  $("footer").hidden = false;
  applyRole(claims.role);
  const badge = $("role-badge");
  badge.dataset.role = claims.role;
  const days = claims.exp ? (claims.exp * 1000 - Date.now()) / 86400000 : null;
  badge.textContent = claims.role;
  const expires = days === null ? "" : `, expires in ${days >= 1 ? `${Math.floor(days)} d` : `${Math.max(0, Math.round(days * 24))} h`}`;
  badge.title = `${claims.sub || "token"}${expires}`;
  setText("signed-in", `Signed in as ${claims.role} (${claims.sub || "token"}${expires}).`);
  if (!reachable) banner("warn", "The program does not answer yet — retrying.");
  if (ui.rank >= ROLE_RANK.admin) {
    ui.settings = new SettingsEditor({
      onResult: (kind, text) => {
        showResult(kind, text);
        addMessage(kind, `you: ${text}`);
      },
      onOpen: (open) => {
        $("app").hidden = open;
        $("settings-open").setAttribute("aria-pressed", String(open));
      },
    });
  }

  ui.plot = new StripChart($("plot"), [
    { key: "alt", label: "alt", unit: "m", colour: "#f0a030", axis: "left" },
    { key: "gs", label: "speed", unit: "m/s", colour: "#58a6ff", axis: "right" },
    { key: "climb", label: "climb", unit: "m/s", colour: "#a371f7", axis: "right" },
  ]);
  bindControls();
  ui.telemetry = new TelemetryStream({
    token,
    onEvent,
    onState: onTelemetryState,
    onAuthFailed,
    transport: params.get("transport") === "sse" ? "sse" : "ws",
  });
  ui.telemetry.start();
  ui.video = new VideoView({
    wrap: $("video-wrap"),
    canvas: $("video"),
    img: $("mjpeg"),
    statusEl: $("video-status"),
    warningEl: $("video-warning"),
    token,
    interactive: ui.rank >= ROLE_RANK.operator,
    mode: params.get("video") === "mjpeg" ? "mjpeg" : "ws",
    callbacks: {
      onClick: trackClick,
      onBox: trackBox,
      onTracker,
      onFollower,
      onVideoState: () => {},
      onTransport: onVideoTransport,
      onAuthFailed,
    },
  });
  ui.video.start();
  setInterval(() => {
    $("video-fps").hidden = ui.video.mode === "mjpeg"; // an <img> does not tell us its frame rate
    setText("video-fps", `${num(ui.video.fps, 0)} fps`);
  }, 1000);
  const topbar = document.querySelector(".topbar");
  new ResizeObserver(() => document.documentElement.style.setProperty("--topbar-h", `${topbar.offsetHeight}px`)).observe(topbar);
  loadMeta();
  setInterval(loadSessions, 30000);
  pollRecording();
  ui.recTimer = setInterval(pollRecording, 2000);
}
