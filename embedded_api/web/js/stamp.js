// Glass-to-glass, measured: the program writes each frame's capture time into its pixels (a
// 160x16 px code of 8-px black/white blocks in the bottom-right corner: 32 bits of unix ms modulo
// 2^32, then a CRC-8; gcs/core/video/stamp.py). The page reads it back from the very picture it
// shows and subtracts it from its own clock. Same machine: one clock. Across machines the two
// clocks must agree (NTP/chrony), and the figure is off by their difference.

const BLOCK = 8;
const COLUMNS = 20;
const ROWS = 2;
export const STAMP_W = COLUMNS * BLOCK;
export const STAMP_H = ROWS * BLOCK;
const LOW = 80; // a block's middle between these levels is neither black nor white: no stamp
const HIGH = 175;

function crc8(value) {
  let crc = 0xff;
  for (const shift of [24, 16, 8, 0]) {
    crc ^= (value >>> shift) & 0xff;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc ^ 0x55;
}

/** Where the code starts in a picture of w x h (on the 8-px grid, as the program writes it). */
export function stampOrigin(w, h) {
  if (w < STAMP_W || h < STAMP_H) return null;
  return [Math.floor((w - STAMP_W) / BLOCK) * BLOCK, Math.floor((h - STAMP_H) / BLOCK) * BLOCK];
}

/** The stamped milliseconds from RGBA pixels of the code's 160x16 area, or null (no valid stamp). */
export function decodeStamp(rgba) {
  let hi = 0; // the first 8 bits (time bits 31..24)
  let lo = 0; // time bits 23..0, then the 8 CRC bits
  for (let i = 0; i < COLUMNS * ROWS; i++) {
    const bx = (i % COLUMNS) * BLOCK;
    const by = Math.floor(i / COLUMNS) * BLOCK;
    let sum = 0;
    for (let y = by + 2; y < by + 6; y++) {
      for (let x = bx + 2; x < bx + 6; x++) {
        const p = (y * STAMP_W + x) * 4;
        sum += rgba[p] + rgba[p + 1] + rgba[p + 2];
      }
    }
    const level = sum / 48;
    if (level > LOW && level < HIGH) return null;
    const bit = level >= HIGH ? 1 : 0;
    if (i < 8) hi = (hi << 1) | bit;
    else lo = lo * 2 + bit; // 32 bits: keep it a plain number (no sign bit)
  }
  const check = lo % 256;
  const value = ((hi << 24) >>> 0) + Math.floor(lo / 256);
  return crc8(value) === check ? value : null;
}

/** Read the stamp of the picture drawn at natural size on ``ctx`` (w x h), or null. */
export function readStamp(ctx, w, h) {
  const at = stampOrigin(w, h);
  if (!at) return null;
  return decodeStamp(ctx.getImageData(at[0], at[1], STAMP_W, STAMP_H).data);
}

/** Milliseconds from the stamp to ``nowMs`` (Date.now()-based), across the 2^32 wrap. */
export function ageMs(stamped, nowMs) {
  const now = Math.round(nowMs) % 4294967296;
  let diff = (now - stamped) % 4294967296;
  if (diff < 0) diff += 4294967296;
  return diff >= 2147483648 ? diff - 4294967296 : diff;
}

/** Recent glass-to-glass samples of one view: median for the corner, every sample for the bench. */
export class GlassMeter {
  constructor(keep = 60) {
    this.keep = keep;
    this.recent = [];
    this.all = []; // every sample since reset() (bounded), read by bench/bench_video_latency.py
    this.lastStamp = null;
  }

  /** A newly shown picture with this stamp, shown at ``shownMs``; false when it is the same picture. */
  add(stamp, shownMs) {
    if (stamp === null || stamp === this.lastStamp) return false;
    this.lastStamp = stamp;
    const age = ageMs(stamp, shownMs);
    this.recent.push(age);
    if (this.recent.length > this.keep) this.recent.shift();
    if (this.all.length < 100000) this.all.push(age);
    return true;
  }

  get p50() {
    if (!this.recent.length) return null;
    const s = [...this.recent].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  }

  reset() {
    this.recent = [];
    this.all = [];
  }
}
