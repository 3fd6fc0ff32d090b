// What is drawn over the video and the operator's pointer on it: the tracked box (moved ahead by
// its learnt motion, since the tracker answers for an older frame), the drag selection and the
// click marker; a click asks to track what is there, a drag asks to track that box. VideoView
// extends this class, so these methods share its state (tracker, drag, marker, canvas).

const DRAG_MIN_PX = 8; // pointer travel (screen px) before a press becomes a drag

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

  drawTracker(ctx, w, h, scale) {
    const t = this.tracker;
    if (!t || !t.box || !t.frame_w || !t.frame_h) return;
    const sx = w / t.frame_w;
    const sy = h / t.frame_h;
    let { x, y, w: bw, h: bh } = t.box;
    if (this.motion && this.mode !== "mjpeg" && this.frameTime > t.frame_time_s) {
      const ahead = Math.min(0.5, this.frameTime - t.frame_time_s); // never guess far
      x += this.motion.vx * ahead;
      y += this.motion.vy * ahead;
    }
    const colour = t.state === "locked" ? "#3fb950" : t.state === "searching" ? "#e3b341" : "#f85149";
    ctx.save();
    ctx.lineWidth = 2.5 * scale;
    ctx.strokeStyle = colour;
    ctx.strokeRect(x * sx, y * sy, bw * sx, bh * sy);
    const cx = (x + bw / 2) * sx;
    const cy = (y + bh / 2) * sy;
    ctx.beginPath();
    ctx.moveTo(cx - 6 * scale, cy);
    ctx.lineTo(cx + 6 * scale, cy);
    ctx.moveTo(cx, cy - 6 * scale);
    ctx.lineTo(cx, cy + 6 * scale);
    ctx.stroke();
    const label = `${t.state.toUpperCase()} ${t.tracker} ${Math.round((t.confidence || 0) * 100)}%`;
    ctx.font = `${Math.round(12 * scale)}px system-ui, sans-serif`;
    const ty = y * sy > 18 * scale ? y * sy - 5 * scale : (y + bh) * sy + 15 * scale;
    const tw = ctx.measureText(label).width;
    const lx = Math.max(2 * scale, Math.min(x * sx, w - tw - 6 * scale)); // keep the label inside the picture
    ctx.fillStyle = "rgba(0,0,0,0.6)";
    ctx.fillRect(lx - 2 * scale, ty - 13 * scale, tw + 6 * scale, 17 * scale);
    ctx.fillStyle = colour;
    ctx.fillText(label, lx + scale, ty);
    ctx.restore();
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
