// Live video on a canvas: binary frames from /ws/video_feed (16-byte header: uint64 seq, float64
// capture time, big-endian; then a JPEG), or the MJPEG stream /video_feed in an <img> under the
// canvas when WebSockets cannot be used. The tracked box is drawn over the picture; an operator
// clicks (track what is there) or drags (track that box). Reconnects by itself.
// The overlay (tracked box, selection, pointer) is in video_overlay.js.

import { api, wsUrl } from "./api.js";
import { BACKOFF_S, serverAnswers } from "./telemetry.js";
import { VideoOverlay } from "./video_overlay.js";

const HEADER_BYTES = 16;
const STALL_MS = 3000;
const AUTH_CLOSE = 1008;
const PING_EVERY_MS = 2000; // the server answers pings even when the camera has no frame to send
const SILENCE_MS = 6000; // nothing at all for this long: the socket is dead though not closed (a network drop)

export class VideoView extends VideoOverlay {
  constructor({ wrap, canvas, img, statusEl, warningEl, token, interactive, mode = "ws", callbacks }) {
    super();
    this.wrap = wrap;
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.img = img;
    this.statusEl = statusEl;
    this.warningEl = warningEl;
    this.token = token;
    this.interactive = interactive;
    this.mode = mode; // "ws" or "mjpeg"
    this.cb = callbacks; // onClick, onBox, onTracker, onFollower, onVideoState, onTransport, onAuthFailed
    this.attempt = 0;
    this.everOpened = false;
    this.bitmap = null;
    this.pending = null;
    this.decoding = false;
    this.frames = 0;
    this.frameSeq = -1;
    this.lastFrameAt = 0;
    this.fpsWindow = [];
    this.tracker = null;
    this.videoState = null;
    this.linkText = "Connecting video…";
    this.drag = null;
    this.marker = null;
    this.drawQueued = false;
    this.timers = [];
    this.pollTimers = [];
    this.socket = null;
    if (interactive) this.bindPointer();
    this.timers.push(setInterval(() => this.refreshStatus(), 500));
  }

  start() {
    window.addEventListener("offline", () => {
      const ws = this.socket;
      this.socket = null;
      if (ws) ws.close(4001, "offline");
      if (!this.stopped && ws) this.retry("this device has no network");
    });
    window.addEventListener("online", () => this.wake());
    this.connect();
  }

  connect() {
    this.retryTimer = null;
    this.wrap.dataset.mode = this.mode;
    this.cb.onTransport(this.mode, this.attempt ? "reconnecting" : "connecting");
    if (this.mode === "mjpeg") this.connectMjpeg();
    else this.connectWs();
  }

  async retry(reason) {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    if (this.mode === "ws" && !this.everOpened && this.attempt >= 1 && (await serverAnswers())) {
      // WebSockets blocked on the way: the plain HTTP stream may pass. Try it now.
      this.mode = "mjpeg";
      this.fellBack = true;
      this.attempt = 0;
      this.linkText = "WebSocket video unavailable — switching to MJPEG";
      this.cb.onTransport(this.mode, "reconnecting", 0, true);
      this.refreshStatus();
      this.connect();
      return;
    }
    const delay = BACKOFF_S[Math.min(this.attempt, BACKOFF_S.length - 1)];
    this.attempt += 1;
    this.linkText = `Video connection lost (${reason}) — reconnecting in ${delay} s`;
    this.cb.onTransport(this.mode, "reconnecting", delay);
    this.refreshStatus();
    this.retryTimer = setTimeout(() => this.connect(), delay * 1000);
  }

  /** Reconnect now if waiting out a backoff (the page learnt the program is back). */
  wake() {
    if (this.stopped || !this.retryTimer || this.socket) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  opened() {
    this.everOpened = true;
    this.attempt = 0;
    this.retryTimer = null;
    this.linkText = "";
    this.cb.onTransport(this.mode, "live", 0, !!this.fellBack);
    this.refreshStatus();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    for (const t of [...this.timers, ...this.pollTimers]) clearInterval(t);
    if (this.socket) this.socket.close(1000, "page closed");
    this.img.removeAttribute("src");
  }

  // ---- WebSocket frames ---------------------------------------------------------------------

  connectWs() {
    const ws = new WebSocket(wsUrl("/ws/video_feed"));
    ws.binaryType = "arraybuffer";
    this.socket = ws;
    let live = false;
    let lastHeard = Date.now();
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (this.socket !== ws) {
        clearInterval(this.pingTimer);
        return;
      }
      if (ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - lastHeard > SILENCE_MS) {
        this.socket = null;
        clearInterval(this.pingTimer);
        ws.close(4000, "silent");
        this.retry("no data from the program");
        return;
      }
      ws.send(JSON.stringify({ type: "ping" }));
    }, PING_EVERY_MS);
    ws.onopen = () => {
      lastHeard = Date.now();
      ws.send(JSON.stringify({ type: "auth", token: this.token }));
    };
    ws.onmessage = (msg) => {
      lastHeard = Date.now();
      if (!live) {
        live = true;
        this.opened();
      }
      if (typeof msg.data === "string") {
        try {
          this.onText(JSON.parse(msg.data));
        } catch {
          /* not ours */
        }
      } else {
        this.onFrame(msg.data);
      }
    };
    ws.onclose = (ev) => {
      if (this.socket !== ws) return;
      this.socket = null;
      if (ev.code === AUTH_CLOSE) {
        this.stopped = true;
        this.cb.onAuthFailed(ev.reason || "the server refused the token");
        return;
      }
      this.retry(ev.code === 1001 ? "the program is restarting" : "connection closed");
    };
  }

  onText(message) {
    const { type, data } = message;
    if (type === "tracker") {
      this.learnMotion(data);
      this.tracker = data;
      this.cb.onTracker(data);
      this.queueDraw();
    } else if (type === "follower") {
      this.cb.onFollower(data);
    } else if (type === "video") {
      this.videoState = data;
      this.cb.onVideoState(data);
      this.refreshStatus();
    }
  }

  onFrame(buffer) {
    if (buffer.byteLength <= HEADER_BYTES) return;
    const view = new DataView(buffer);
    this.pending = { buffer, seq: Number(view.getBigUint64(0)), time: view.getFloat64(8) };
    if (!this.decoding) this.decodeLatest();
  }

  /** Decode the newest frame only: frames that arrive during a decode replace each other. */
  async decodeLatest() {
    this.decoding = true;
    while (this.pending) {
      const { buffer, seq, time } = this.pending;
      this.pending = null;
      try {
        const blob = new Blob([new Uint8Array(buffer, HEADER_BYTES)], { type: "image/jpeg" });
        const bitmap = await createImageBitmap(blob);
        if (this.bitmap) this.bitmap.close();
        this.bitmap = bitmap;
        this.frameSeq = seq;
        this.frameTime = time;
        this.countFrame();
        this.queueDraw();
      } catch {
        /* a damaged JPEG: wait for the next one */
      }
    }
    this.decoding = false;
  }

  // ---- MJPEG fallback -----------------------------------------------------------------------

  connectMjpeg() {
    const params = new URLSearchParams({ token: this.token, fps: "15" });
    this.img.hidden = false;
    let live = false;
    this.img.onload = () => {
      if (!live) {
        live = true;
        this.opened();
      }
      this.countFrame();
    };
    this.img.onerror = () => {
      live = false;
      this.img.removeAttribute("src");
      this.retry("stream ended");
    };
    this.img.src = `/video_feed?${params}`;
    // an <img> shows each part, but tells us little: watch it and poll the overlay state
    for (const t of this.pollTimers) clearInterval(t);
    this.pollTimers = [
      setInterval(() => this.queueDraw(), 100),
      setInterval(() => this.pollState(), 1000), // 3 requests a second: well inside the rate limit
    ];
  }

  async pollState() {
    try {
      const [tracker, follower, video] = await Promise.all([
        api("GET", "/telemetry/tracker_data").catch(() => null),
        api("GET", "/telemetry/follower_data"),
        api("GET", "/api/video/health"),
      ]);
      if (tracker) this.onText({ type: "tracker", data: tracker });
      this.onText({ type: "follower", data: follower });
      this.onText({ type: "video", data: video });
      if (this.pollFailures > 0) {
        // the program was away: an MJPEG <img> just freezes on its last part, so restart it
        this.pollFailures = 0;
        this.opened();
        this.img.src = `/video_feed?${new URLSearchParams({ token: this.token, fps: "15", t: String(Date.now()) })}`;
      }
    } catch {
      this.pollFailures = (this.pollFailures || 0) + 1;
      if (this.pollFailures === 2) {
        this.linkText = "Video connection lost — waiting for the program";
        this.cb.onTransport(this.mode, "reconnecting");
        this.refreshStatus();
      }
    }
  }

  // ---- drawing ------------------------------------------------------------------------------

  countFrame() {
    const now = performance.now();
    this.frames += 1;
    this.lastFrameAt = now;
    this.fpsWindow.push(now);
    while (this.fpsWindow.length && now - this.fpsWindow[0] > 2000) this.fpsWindow.shift();
  }

  get fps() {
    const w = this.fpsWindow;
    if (w.length < 2 || performance.now() - w[w.length - 1] > 2000) return 0; // nothing lately: not the old rate
    return ((w.length - 1) * 1000) / (w[w.length - 1] - w[0] || 1);
  }

  queueDraw() {
    if (this.drawQueued) return;
    this.drawQueued = true;
    requestAnimationFrame(() => {
      this.drawQueued = false;
      this.draw();
    });
  }

  frameSize() {
    if (this.mode === "mjpeg") return [this.img.naturalWidth, this.img.naturalHeight];
    return this.bitmap ? [this.bitmap.width, this.bitmap.height] : [0, 0];
  }

  draw() {
    const [w, h] = this.frameSize();
    if (!w || !h) return;
    if (this.mode === "mjpeg" && this.frames === 0) {
      this.countFrame(); // the first part has been shown: the stream is up
      this.opened();
    }
    const c = this.canvas;
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
    }
    const ctx = this.ctx;
    if (this.mode === "mjpeg") ctx.clearRect(0, 0, w, h);
    else ctx.drawImage(this.bitmap, 0, 0);
    const scale = w / Math.max(1, c.clientWidth || w); // canvas px per screen px: keep lines crisp
    this.drawTracker(ctx, w, h, scale);
    this.drawSelection(ctx, w, h, scale);
  }

  /** Blocking trouble (no picture) in the middle of the video; a warning (picture still flows) in a corner. */
  refreshStatus() {
    let text = this.linkText;
    let warning = "";
    const v = this.videoState;
    const sinceFrame = performance.now() - this.lastFrameAt;
    if (!text && v && !v.running) text = `No video: ${v.reason || "not running"}`;
    else if (!text && v && v.state === "reconnecting") text = `Video reconnecting${v.reason ? `: ${v.reason}` : ""}`;
    else if (!text && this.frames === 0) text = "Waiting for the first frame…";
    else if (!text && sinceFrame > STALL_MS && this.mode === "ws") text = `No new frame for ${Math.round(sinceFrame / 1000)} s`;
    else if (!text && v && v.state && v.state !== "ok") warning = `Video ${v.state}${v.reason ? `: ${v.reason}` : ""}`;
    if (this.statusEl.textContent !== text) this.statusEl.textContent = text;
    if (this.warningEl && this.warningEl.textContent !== warning) this.warningEl.textContent = warning;
  }
}
