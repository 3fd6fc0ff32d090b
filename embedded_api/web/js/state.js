// The page's shared state in one object: the parts of the dashboard read and update it, and the
// console (and the browser tests) can inspect it as window.kestrel.

export const ui = {
  role: "viewer",
  rank: 1,
  telemetry: null,
  video: null,
  plot: null,
  conn: { telemetry: "connecting", video: "connecting" },
  lastTelemetryAt: 0,
  tracker: null,
  follower: null,
  actions: null, // what GET /api/actions says: {vehicle, actions: {name: reason|null}, confirm, hold_s, repeat_s}
  actionsSeq: 0,
  smart: false,
  seen: new Set(),
  replayTimer: null,
  telemetryCount: 0,
  settings: null,
  transportNotes: new Set(),
  offlineSince: 0,
  offboardStartedMs: null, // when the setpoint stream last started (routine sequencing messages, events.js)
  streamEngaged: false,
};
window.kestrel = ui; // read-only handle for people debugging in the console (and the browser tests)
