// The signed-in dashboard: builds the chart, settings editor, telemetry stream and video view for
// the token's role and wires them to the parts of the page.

import { applyActions } from "./actions.js";
import { bindAlerts } from "./alerts.js";
import { ROLE_RANK } from "./api.js";
import { banner, loadMeta, onAuthFailed, onTelemetryState, onVideoTransport } from "./connection.js";
import { applyRole, bindControls } from "./controls.js";
import { onEvent } from "./events.js";
import { addMessage, showResult } from "./messages.js";
import { initMap } from "./map.js";
import { loadMissions } from "./missions.js";
import { loadParams } from "./params.js";
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
const VIDEO_CHOICE_KEY = "kestrel.video"; // the viewer's video transport: auto, webrtc, ws, mjpeg

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
  applyActions(); // disabled, saying why, until the program says what is available
  bindAlerts();
  initMap(); // the map panel: GET /api/map, then the stream's map events
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
    video: $("rtc-video"),
    glassEl: $("video-glass"),
    statusEl: $("video-status"),
    warningEl: $("video-warning"),
    token,
    interactive: ui.rank >= ROLE_RANK.operator,
    preference: params.get("video") || localStorage.getItem(VIDEO_CHOICE_KEY) || "auto",
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
  const choice = $("video-choice");
  choice.value = ui.video.preference;
  choice.addEventListener("change", () => {
    localStorage.setItem(VIDEO_CHOICE_KEY, choice.value);
    ui.video.setPreference(choice.value);
  });
  setInterval(() => {
    // an <img> says nothing of its frames: its rate comes from the stamps, when the program writes them
    $("video-fps").hidden = ui.video.mode === "mjpeg" && !ui.video.glass.recent.length;
    setText("video-fps", `${num(ui.video.fps, 0)} fps`);
  }, 1000);
  const topbar = document.querySelector(".topbar");
  new ResizeObserver(() => document.documentElement.style.setProperty("--topbar-h", `${topbar.offsetHeight}px`)).observe(topbar);
  loadMeta();
  setInterval(loadSessions, 30000);
  loadParams(); // starts the download of the vehicle's parameters, then follows it
  loadMissions(); // the mission as last seen, then its progress
  pollRecording();
  ui.recTimer = setInterval(pollRecording, 2000);
}
