// A small moving strip chart on a canvas (no library): the last `windowS` seconds of a few series,
// each scaled on its own (altitude on the left axis, speeds on the right).

export class StripChart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{key: string, label: string, unit: string, colour: string, axis: "left"|"right"}[]} series
   */
  constructor(canvas, series, windowS = 60) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.series = series;
    this.windowS = windowS;
    this.points = []; // {t, values: {key: number|null}}
    this.queued = false;
    new ResizeObserver(() => this.queueDraw()).observe(canvas);
  }

  push(timeS, values) {
    const last = this.points[this.points.length - 1];
    if (last && timeS < last.t) this.points = []; // a replay jumped back: start over
    this.points.push({ t: timeS, values });
    const cutoff = timeS - this.windowS - 1;
    let drop = 0;
    while (drop < this.points.length && this.points[drop].t < cutoff) drop++;
    if (drop) this.points.splice(0, drop);
    this.queueDraw();
  }

  clear() {
    this.points = [];
    this.queueDraw();
  }

  queueDraw() {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.draw();
    });
  }

  range(axis) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of this.series) {
      if (s.axis !== axis) continue;
      for (const p of this.points) {
        const v = p.values[s.key];
        if (v === null || v === undefined || !Number.isFinite(v)) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    if (!Number.isFinite(lo)) return [0, 1];
    if (hi - lo < 1) {
      const mid = (hi + lo) / 2;
      lo = Math.min(lo, mid - 0.5);
      hi = Math.max(hi, mid + 0.5);
    }
    const pad = (hi - lo) * 0.1;
    return [axis === "right" ? Math.min(0, lo - pad) : lo - pad, hi + pad];
  }

  draw() {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const cssW = c.clientWidth;
    const cssH = c.clientHeight;
    if (!cssW || !cssH) return;
    if (c.width !== Math.round(cssW * dpr) || c.height !== Math.round(cssH * dpr)) {
      c.width = Math.round(cssW * dpr);
      c.height = Math.round(cssH * dpr);
    }
    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    const left = 40;
    const right = 40;
    const top = 18;
    const bottom = 16;
    const w = cssW - left - right;
    const h = cssH - top - bottom;
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#0b1118";
    ctx.fillRect(left, top, w, h);
    ctx.strokeStyle = "#233244";
    ctx.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = top + (h * i) / 4 + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + w, y);
      ctx.stroke();
    }
    const now = this.points.length ? this.points[this.points.length - 1].t : 0;
    const x = (t) => left + w - ((now - t) / this.windowS) * w;
    const ranges = { left: this.range("left"), right: this.range("right") };
    // axis labels
    for (const axis of ["left", "right"]) {
      const [lo, hi] = ranges[axis];
      const s = this.series.find((q) => q.axis === axis);
      if (!s) continue;
      ctx.fillStyle = s.colour;
      ctx.textAlign = axis === "left" ? "right" : "left";
      const lx = axis === "left" ? left - 4 : left + w + 4;
      for (let i = 0; i <= 4; i++) {
        const v = hi - ((hi - lo) * i) / 4;
        const label = v.toFixed(Math.abs(hi - lo) < 10 ? 1 : 0);
        ctx.fillText(Number(label) === 0 ? label.replace("-", "") : label, lx, top + (h * i) / 4 + 4);
      }
    }
    // series
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, w, h);
    ctx.clip();
    for (const s of this.series) {
      const [lo, hi] = ranges[s.axis];
      const y = (v) => top + h - ((v - lo) / (hi - lo)) * h;
      ctx.strokeStyle = s.colour;
      ctx.lineWidth = 1.8;
      ctx.beginPath();
      let pen = false;
      for (const p of this.points) {
        const v = p.values[s.key];
        if (v === null || v === undefined || !Number.isFinite(v)) {
          pen = false;
          continue;
        }
        if (pen) ctx.lineTo(x(p.t), y(v));
        else ctx.moveTo(x(p.t), y(v));
        pen = true;
      }
      ctx.stroke();
    }
    ctx.restore();
    // legend with the latest values
    ctx.textAlign = "left";
    let lx = left;
    const last = this.points[this.points.length - 1];
    for (const s of this.series) {
      const v = last ? last.values[s.key] : null;
      const shown = v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(1);
      const text = `${s.label} ${shown === "-0.0" ? "0.0" : shown} ${s.unit}`;
      ctx.fillStyle = s.colour;
      ctx.fillRect(lx, 5, 10, 3);
      ctx.fillText(text, lx + 14, 11);
      lx += ctx.measureText(text).width + 30;
    }
    ctx.fillStyle = "#8ea0b3";
    ctx.textAlign = "right";
    ctx.fillText(`last ${this.windowS} s`, left + w, cssH - 3);
  }
}
