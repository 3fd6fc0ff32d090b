// The MJPEG fallback of VideoView: /video_feed in an <img> under the overlay canvas, for networks
// that pass neither WebRTC nor WebSockets. An <img> says nothing about its parts, so the overlay
// state is polled over REST, and each animation frame reads the capture stamp of what the <img>
// shows now: a new stamp is a new frame (its rate, and its glass-to-glass age, to within a paint).

import { api } from "./api.js";

export function connectMjpeg(view) {
  const fps = new URLSearchParams(location.search).get("fps") || "15"; // ?fps= for the latency bench
  const params = new URLSearchParams({ token: view.token, fps });
  view.img.hidden = false;
  let live = false;
  view.img.onload = () => {
    if (!live) {
      live = true;
      view.opened();
    }
  };
  view.img.onerror = () => {
    live = false;
    view.img.removeAttribute("src");
    view.retry("stream ended");
  };
  view.img.src = `/video_feed?${params}`;
  for (const t of view.pollTimers) clearInterval(t);
  view.pollTimers = [
    setInterval(() => view.queueDraw(), 100),
    setInterval(() => pollState(view), 1000), // 3 requests a second: well inside the rate limit
  ];
  const watch = () => {
    if (view.mode !== "mjpeg" || view.stopped) return;
    const w = view.img.naturalWidth;
    const h = view.img.naturalHeight;
    if (w && h && view.glass.add(view.probe(view.img, w, h), Date.now())) view.countFrame();
    requestAnimationFrame(watch);
  };
  requestAnimationFrame(watch);
}

export function closeMjpeg(view) {
  for (const t of view.pollTimers) clearInterval(t);
  view.pollTimers = [];
  view.img.onload = view.img.onerror = null;
  view.img.removeAttribute("src");
  view.img.hidden = true;
}

async function pollState(view) {
  try {
    const [tracker, follower, video] = await Promise.all([
      api("GET", "/telemetry/tracker_data").catch(() => null),
      api("GET", "/telemetry/follower_data"),
      api("GET", "/api/video/health"),
    ]);
    if (tracker) view.onText({ type: "tracker", data: tracker });
    view.onText({ type: "follower", data: follower });
    view.onText({ type: "video", data: video });
    if (view.pollFailures > 0) {
      // the program was away: an MJPEG <img> just freezes on its last part, so restart it
      view.pollFailures = 0;
      view.opened();
      view.img.src = `/video_feed?${new URLSearchParams({ token: view.token, fps: "15", t: String(Date.now()) })}`;
    }
  } catch {
    view.pollFailures = (view.pollFailures || 0) + 1;
    if (view.pollFailures === 2) {
      view.linkText = "Video connection lost — waiting for the program";
      view.cb.onTransport(view.mode, "reconnecting");
      view.refreshStatus();
    }
  }
}
