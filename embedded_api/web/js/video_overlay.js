// What is drawn over the video and the operator's pointer on it: the tracked box (moved ahead by
// its learnt motion, since the tracker answers for an older frame) with the window's label (LOCKED
// and its confidence, or the core's plain words: "target lost (left the view)", fading after 4 s),
// the drag selection and the click marker; a click asks to track what is there, a drag asks to track that box. VideoView
// extends this class, so these methods share its state (tracker, drag, marker, canvas).

const DRAG_MIN_PX = 8; // pointer travel (screen px) before a press becomes a drag
const LOST_HOLD_S = 4; // "target lost (...)" is shown this long at full strength (as in the window),
const LOST_FADE_S = 2; // then fades out over this (the HUD and the message log keep the details)
const TRACK_COLOURS = { locked: "#3cd25a", searching: "#ffb900", lost: "#eb3c3c" }; // the window's

export class VideoOverlay {
  /**
   * The tracker answers for a frame a little older than the one on screen (its own processing
   * time): keep a smoothed velocity of the box so it can be drawn where the target is now.
   */
  learnMotion(next) {
    const prev = this.tracker;
    const usable = (t) => t && t.box && t.state === "locked" && t.frame_time_s > 0;
    if (!usable(prev) || !usable(next) || prev.frame_seq === next.frame_seq) {
      if (!usable(next)) this.motion = null;
      return;
    }
    const dt = next.frame_time_s - prev.frame_time_s;
    if (dt <= 0 || dt > 1) {
      this.motion = null;
      return;
    }
    const vx = (next.box.x - prev.box.x) / dt;
    const vy = (next.box.y - prev.box.y) / dt;
    const m = this.motion;
    this.motion = m ? { vx: m.vx + 0.4 * (vx - m.vx), vy: m.vy + 0.4 * (vy - m.vy) } : { vx, vy };
  }

  /**
   * A new tracker answer, as the window's QtVideoView.set_track takes it: a searching track without a
   * box keeps the last box (drawn dashed: where the tracker looks); a new loss starts the label's fade.
   */
  noteTrack(next) {
    const state = next?.state || "idle";
    if (next?.box) this.lastBox = { box: next.box, fw: next.frame_w, fh: next.frame_h };
    else if (state !== "searching") this.lastBox = null;
    if (state === "lost" && this.trackState !== "lost") this.lostSince = performance.now();
    else if (state !== "lost") this.lostSince = null;
    this.trackState = state;
  }

  /** How strongly the label is drawn (1 shown, 0 gone): a LOST label fades after a few seconds. */
  trackLabelOpacity(now = performance.now()) {
    if (this.lostSince == null) return 1;
    const age = (now - this.lostSince) / 1000;
    return age <= LOST_HOLD_S ? 1 : Math.max(0, 1 - (age - LOST_HOLD_S) / LOST_FADE_S);
  }

  drawTracker(ctx, w, h, scale) {
    const t = this.tracker;
    this.trackLabel = null;
    if (!t || !t.frame_w || !t.frame_h || t.state === "idle") return;
    const colour = TRACK_COLOURS[t.state] || "#c8c8c8";
    // the core's plain words, as over the window's video; the HUD and the log keep the details
    const label = t.state === "locked" ? `LOCKED ${(t.confidence || 0).toFixed(2)}` : t.words || t.state.toUpperCase();
    const kept = t.box ? { box: t.box, fw: t.frame_w, fh: t.frame_h } : t.state === "searching" ? this.lastBox : null;
    ctx.save();
    ctx.font = `bold ${Math.round(12 * scale)}px system-ui, sans-serif`;
    const tw = ctx.measureText(label).width;
    let tag = null;
    if (kept) {
      const sx = w / kept.fw;
      const sy = h / kept.fh;
      let { x, y, w: bw, h: bh } = kept.box;
      if (t.box && this.motion && this.mode !== "mjpeg" && this.frameTime > t.frame_time_s) {
        const ahead = Math.min(0.5, this.frameTime - t.frame_time_s); // never guess far
        x += this.motion.vx * ahead;
        y += this.motion.vy * ahead;
      }
      ctx.lineWidth = 2.5 * scale;
      ctx.strokeStyle = colour;
      if (t.state !== "locked") ctx.setLineDash([7 * scale, 5 * scale]);
      ctx.strokeRect(x * sx, y * sy, bw * sx, bh * sy);
      const cx = (x + bw / 2) * sx;
      const cy = (y + bh / 2) * sy;
      ctx.beginPath();
      ctx.moveTo(cx - 6 * scale, cy);
      ctx.lineTo(cx + 6 * scale, cy);
      ctx.moveTo(cx, cy - 6 * scale);
      ctx.lineTo(cx, cy + 6 * scale);
      ctx.stroke();
      ctx.setLineDash([]);
      const th = 17 * scale;
      const top = y * sy > th ? y * sy - th : y * sy; // above the box, or inside its top edge
      tag = { x: Math.max(0, Math.min(x * sx, w - tw - 10 * scale)), y: top, w: tw + 10 * scale, h: th, filled: true };
    } else {
      // no box: the top-left corner, below the video warning when one is shown there, and below the
      // line the shared H.264 encoder draws into the WebRTC picture (the recording overlay, frame px)
      const below = this.warningEl?.textContent ? (this.warningEl.offsetTop + this.warningEl.offsetHeight) * scale : 0;
      const burned = this.mode === "webrtc" ? 28 : 0;
      tag = { x: 8 * scale, y: Math.max(below, burned) + 8 * scale, w: tw + 12 * scale, h: 19 * scale, filled: false };
    }
    const opacity = this.trackLabelOpacity();
    if (opacity > 0) {
      ctx.globalAlpha = opacity;
      ctx.fillStyle = tag.filled ? colour : "rgba(0,0,0,0.6)";
      ctx.fillRect(tag.x, tag.y, tag.w, tag.h);
      ctx.fillStyle = tag.filled ? "#000" : colour;
      ctx.textBaseline = "middle";
      ctx.fillText(label, tag.x + (tag.w - tw) / 2, tag.y + tag.h / 2);
      this.trackLabel = { text: label, opacity, box: Boolean(kept) }; // for the console and the browser tests
    }
    ctx.restore();
    if (this.lostSince != null && opacity > 0) this.queueDraw(); // until the fade is over
  }

  drawSelection(ctx, w, h, scale) {
    ctx.save();
    ctx.setLineDash([6 * scale, 4 * scale]);
    ctx.lineWidth = 2 * scale;
    ctx.strokeStyle = "#58a6ff";
    if (this.drag && this.drag.moved) {
      const d = this.drag;
      ctx.strokeRect(Math.min(d.x0, d.x1) * w, Math.min(d.y0, d.y1) * h, Math.abs(d.x1 - d.x0) * w, Math.abs(d.y1 - d.y0) * h);
    } else if (this.marker && performance.now() - this.marker.at < 1500) {
      ctx.beginPath();
      ctx.arc(this.marker.x * w, this.marker.y * h, 14 * scale, 0, Math.PI * 2);
      ctx.stroke();
      this.queueDraw();
    }
    ctx.restore();
  }

  // ---- pointer: click to track, drag to box-track -------------------------------------------

  bindPointer() {
    const c = this.canvas;
    this.wrap.dataset.operator = "";
    const norm = (e) => {
      const r = c.getBoundingClientRect();
      return [Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)), Math.min(1, Math.max(0, (e.clientY - r.top) / r.height))];
    };
    c.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      c.setPointerCapture(e.pointerId);
      const [x, y] = norm(e);
      this.drag = { x0: x, y0: y, x1: x, y1: y, cx: e.clientX, cy: e.clientY, moved: false };
      e.preventDefault();
    });
    c.addEventListener("pointermove", (e) => {
      const d = this.drag;
      if (!d) return;
      [d.x1, d.y1] = norm(e);
      if (Math.hypot(e.clientX - d.cx, e.clientY - d.cy) >= DRAG_MIN_PX) d.moved = true;
      this.queueDraw();
    });
    c.addEventListener("pointerup", (e) => {
      const d = this.drag;
      this.drag = null;
      if (!d) return;
      [d.x1, d.y1] = norm(e);
      const bw = Math.abs(d.x1 - d.x0);
      const bh = Math.abs(d.y1 - d.y0);
      if (d.moved && bw > 0.005 && bh > 0.005) {
        this.cb.onBox(Math.min(d.x0, d.x1), Math.min(d.y0, d.y1), bw, bh);
      } else {
        this.marker = { x: d.x0, y: d.y0, at: performance.now() };
        this.cb.onClick(d.x0, d.y0);
      }
      this.queueDraw();
    });
    c.addEventListener("pointercancel", () => {
      this.drag = null;
      this.queueDraw();
    });
  }
}
