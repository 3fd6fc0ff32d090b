// Live video, by the transport the viewer chose or, on "auto", the best that gets through:
// WebRTC (H.264 in a <video> under the canvas, overlay state on a data channel; video_rtc.js), else
// binary frames from /ws/video_feed (16-byte header: uint64 seq, float64 capture time, big-endian;
// then a JPEG) drawn on the canvas, else the MJPEG stream /video_feed in an <img> under the canvas
// (video_mjpeg.js). The tracked box is drawn over the picture; an operator clicks (track what is
// there) or drags (track that box). Reconnects by itself. Every shown picture's capture stamp is
// read back (stamp.js) for the glass-to-glass latency and fps in the video's corner.
// The overlay (tracked box, selection, pointer) is in video_overlay.js.

import { wsUrl } from "./api.js";
import { decodeStamp, GlassMeter, STAMP_H, STAMP_W, stampOrigin } from "./stamp.js";
import { BACKOFF_S, serverAnswers } from "./telemetry.js";
import { closeMjpeg, connectMjpeg } from "./video_mjpeg.js";
import { VideoOverlay } from "./video_overlay.js";
import { RtcLink } from "./video_rtc.js";

const HEADER_BYTES = 16;
const STALL_MS = 3000;
const AUTH_CLOSE = 1008;
const PING_EVERY_MS = 2000; // the server answers pings even when the camera has no frame to send
const SILENCE_MS = 6000; // nothing at all for this long: the socket is dead though not closed (a network drop)
const RTC_FIRST_FRAME_MS = 12000; // negotiated but no picture by then: WebRTC does not get through
export const TRANSPORTS = ["auto", "webrtc", "ws", "mjpeg"];
const LABELS = { webrtc: "WebRTC", ws: "WebSocket", mjpeg: "MJPEG" };

export class VideoView extends VideoOverlay {
  constructor({ wrap, canvas, img, video, statusEl, warningEl, glassEl, token, interactive, preference = "auto", callbacks }) {
    super();
    this.video = video;
    this.glassEl = glassEl;
    this.preference = TRANSPORTS.includes(preference) ? preference : "auto";
    this.glass = new GlassMeter();
    this.probeCtx = Object.assign(document.createElement("canvas"), { width: STAMP_W, height: STAMP_H })
      .getContext("2d", { willReadFrequently: true });
    this.rtc = null;
    this.codec = null;
    this.wrap = wrap;
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.img = img;
    this.statusEl = statusEl;
    this.warningEl = warningEl;
    this.token = token;
    this.interactive = interactive;
    this.mode = this.preference === "auto" ? "webrtc" : this.preference; // the transport in use now
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
      const rtc = this.rtc;
      this.rtc = null;
      if (rtc) rtc.close("offline");
      if (!this.stopped && (ws || rtc)) this.retry("this device has no network");
    });
    window.addEventListener("online", () => this.wake());
    this.connect();
  }

  connect() {
    this.retryTimer = null;
    this.wrap.dataset.mode = this.mode;
    this.cb.onTransport(this.mode, this.attempt ? "reconnecting" : "connecting");
    if (this.mode === "mjpeg") connectMjpeg(this);
    else if (this.mode === "webrtc") this.connectRtc();
    else this.connectWs();
  }

  /** Use another transport now ("auto", "webrtc", "ws", "mjpeg"): the viewer's choice. */
  setPreference(preference) {
    if (!TRANSPORTS.includes(preference)) return;
    this.preference = preference;
    this.closeTransport();
    clearTimeout(this.retryTimer);
    this.mode = preference === "auto" ? "webrtc" : preference;
    this.attempt = 0;
    this.everOpened = false;
    this.fellBack = false;
    this.frames = 0;
    this.glass.reset();
    this.connect();
  }

  closeTransport() {
    const ws = this.socket;
    this.socket = null;
    if (ws) ws.close(1000, "transport changed");
    const rtc = this.rtc;
    this.rtc = null;
    if (rtc) rtc.close("transport changed");
    closeMjpeg(this);
    this.wrap.dataset.mode = "";
  }

  async retry(reason, refused = false) {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    if (this.mode === "webrtc" && this.preference === "auto" && !this.everOpened) {
      // WebRTC refused (turned off, peers full) or not getting through: WebSocket frames instead
      this.mode = "ws";
      this.fellBack = true;
      this.attempt = 0;
      this.linkText = "";
      this.fallbackNote = `Video: WebRTC ${refused ? "refused" : "unavailable"} (${reason}) — WebSocket video instead.`;
      this.cb.onTransport(this.mode, "reconnecting", 0, true, this.fallbackNote);
      this.connect();
      return;
    }
    if (this.mode === "ws" && this.preference !== "webrtc" && !this.everOpened && this.attempt >= 1 && (await serverAnswers())) {
      // WebSockets blocked on the way: the plain HTTP stream may pass. Try it now.
      this.mode = "mjpeg";
      this.fellBack = true;
      this.attempt = 0;
      this.linkText = "WebSocket video unavailable — switching to MJPEG";
      this.fallbackNote = "Video: WebSocket unavailable — showing the MJPEG stream (/video_feed) instead.";
      this.cb.onTransport(this.mode, "reconnecting", 0, true, this.fallbackNote);
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
    if (this.stopped || !this.retryTimer || this.socket || this.rtc) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  opened() {
    this.everOpened = true;
    this.attempt = 0;
    this.retryTimer = null;
    this.linkText = "";
    this.cb.onTransport(this.mode, "live", 0, !!this.fellBack, this.fallbackNote);
    this.refreshStatus();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    for (const t of this.timers) clearInterval(t);
    this.closeTransport();
  }

  /** What the corner shows, for tests and the latency bench. */
  stats() {
    return { mode: this.mode, preference: this.preference, codec: this.codec, fps: this.fps, frames: this.frames,
             glassP50: this.glass.p50, samples: this.glass.all.slice(), fellBack: !!this.fellBack };
  }

  /** The capture stamp of ``source`` (a <video> or <img> shown at w x h), read from its corner. */
  probe(source, w, h) {
    const at = stampOrigin(w, h);
    if (!at) return null;
    this.probeCtx.drawImage(source, at[0], at[1], STAMP_W, STAMP_H, 0, 0, STAMP_W, STAMP_H);
    return decodeStamp(this.probeCtx.getImageData(0, 0, STAMP_W, STAMP_H).data);
  }

  // ---- WebRTC -------------------------------------------------------------------------------

  connectRtc() {
    const link = new RtcLink({
      token: this.token,
      video: this.video,
      codec: new URLSearchParams(location.search).get("codec"),
      onMessage: (m) => this.onText(m),
      onClosed: (reason, code) => {
        if (this.rtc !== link) return;
        this.rtc = null;
        clearTimeout(firstFrame);
        this.video.hidden = true;
        if (code === AUTH_CLOSE) {
          this.stopped = true;
          this.cb.onAuthFailed(reason || "the server refused the token");
          return;
        }
        this.retry(reason, code === 4429 || code === 4503);
      },
    });
    this.rtc = link;
    this.video.hidden = false;
    let live = false;
    const firstFrame = setTimeout(() => link.close(`no picture within ${RTC_FIRST_FRAME_MS / 1000} s`), RTC_FIRST_FRAME_MS);
    const onFrame = (_now, meta) => {
      if (this.rtc !== link) return;
      if (!live) {
        live = true;
        clearTimeout(firstFrame);
        this.codec = link.codec;
        this.opened();
      }
      // shown at the compositor's expected display time, on the wall clock the stamp uses
      // (the compositor's estimate, when it has a plausible one: within 100 ms of now)
      const ahead = meta && meta.expectedDisplayTime ? meta.expectedDisplayTime - performance.now() : 0;
      const shownMs = Date.now() + (Math.abs(ahead) < 100 ? ahead : 0);
      const stamp = this.probe(this.video, this.video.videoWidth, this.video.videoHeight);
      if (this.glass.add(stamp, shownMs)) this.frameTime = (shownMs - this.glass.recent[this.glass.recent.length - 1]) / 1000;
      this.countFrame();
      this.queueDraw();
      this.video.requestVideoFrameCallback(onFrame);
    };
    this.video.requestVideoFrameCallback(onFrame);
    link.open().catch((err) => link.close(err.message, err.code));
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
      this.noteTrack(data);
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
        this.freshBitmap = true;
        this.countFrame();
        this.queueDraw();
      } catch {
        /* a damaged JPEG: wait for the next one */
      }
    }
    this.decoding = false;
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
    if (this.mode === "webrtc") return [this.video.videoWidth, this.video.videoHeight];
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
    if (this.mode !== "ws") ctx.clearRect(0, 0, w, h); // the picture is the <img>/<video> underneath
    else {
      ctx.drawImage(this.bitmap, 0, 0);
      if (this.freshBitmap) {
        this.freshBitmap = false;
        this.glass.add(decodeStamp(ctx.getImageData(...(stampOrigin(w, h) || [0, 0]), STAMP_W, STAMP_H).data), Date.now());
      }
    }
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
    this.refreshGlass();
  }

  /** The corner: which transport (and codec), the measured glass-to-glass latency, the frame rate. */
  refreshGlass() {
    if (!this.glassEl) return;
    const live = this.frames > 0 && performance.now() - this.lastFrameAt < STALL_MS;
    let text = "";
    if (live) {
      const codec = this.mode === "webrtc" && this.codec ? ` ${this.codec === "H264" ? "H.264" : this.codec}` : "";
      const p50 = this.glass.p50;
      const latency = p50 === null ? "latency n/a" : `${Math.round(p50)} ms`;
      text = `${LABELS[this.mode]}${codec} · ${latency} · ${Math.round(this.fps)} fps`;
    }
    if (this.glassEl.textContent !== text) this.glassEl.textContent = text;
    this.glassEl.title = "Glass-to-glass: capture to shown on this screen, read from the stamp in each picture (median of the last 60)";
  }
}
