// Live telemetry: WebSocket /ws/telemetry, or server-sent events /sse/telemetry when WebSockets
// cannot get through (a proxy) or when asked with ?transport=sse. Reconnects by itself with
// backoff and reports every change of state so the page can say what is going on.

import { wsUrl } from "./api.js";

export const BACKOFF_S = [1, 1, 2, 3, 5, 8, 10];
const PING_EVERY_MS = 2000;
const SILENCE_MS = 6000; // no message at all (not even a pong) for this long: the connection is dead
const AUTH_CLOSE = 1008;
const WAKE_POLL_MS = 1000; // while waiting to reconnect, ask /health/live this often: back as soon as it answers

export async function serverAnswers() {
  try {
    const r = await fetch("/health/live", { cache: "no-store" });
    return r.ok;
  } catch {
    return false;
  }
}

export class TelemetryStream {
  /**
   * @param {object} opts
   * @param {(event: object) => void} opts.onEvent  every {type, id, time, data} (history unpacked)
   * @param {(state: object) => void} opts.onState  {state: connecting|live|reconnecting, transport, attempt,
   *   retryInS, reason, reachable (false: the program itself does not answer), fellBack (switched to SSE)}
   * @param {(reason: string) => void} opts.onAuthFailed  the server refused the token
   */
  constructor({ token, onEvent, onState, onAuthFailed, rateHz = 10, transport = "ws" }) {
    this.token = token;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onAuthFailed = onAuthFailed;
    this.rateHz = rateHz;
    this.transport = transport;
    this.attempt = 0;
    this.everOpened = false;
    this.lastId = null;
    this.stopped = false;
    this.socket = null;
    this.source = null;
    this.timers = [];
  }

  start() {
    this.stopped = false;
    // The browser knows first when this device loses its network: act on it, do not wait for silence.
    window.addEventListener("offline", () => this.networkLost());
    window.addEventListener("online", () => this.networkBack());
    this.connect();
  }

  networkLost() {
    if (this.stopped) return;
    const ws = this.socket;
    const source = this.source;
    this.socket = this.source = null; // their close handlers must not schedule a second retry
    if (ws) ws.close(4001, "offline");
    if (source) source.close();
    this.retry("this device has no network");
  }

  networkBack() {
    if (this.stopped || this.socket || this.source) return;
    this.connect();
  }

  stop() {
    this.stopped = true;
    this.clearTimers();
    if (this.socket) this.socket.close(1000, "page closed");
    if (this.source) this.source.close();
    this.socket = this.source = null;
  }

  clearTimers() {
    for (const t of this.timers) {
      clearTimeout(t);
      clearInterval(t);
    }
    this.timers = [];
  }

  connect() {
    this.clearTimers();
    this.onState({ state: this.attempt ? "reconnecting" : "connecting", transport: this.transport, attempt: this.attempt });
    if (this.transport === "sse") this.connectSse();
    else this.connectWs();
  }

  async retry(reason) {
    if (this.stopped) return;
    this.clearTimers();
    const reachable = await serverAnswers();
    // WebSockets failed twice though the program answers HTTP (a proxy in the way?): use SSE.
    if (this.transport === "ws" && !this.everOpened && this.attempt >= 1 && reachable) {
      this.transport = "sse";
      this.fellBack = true;
      this.attempt = 0; // a new route: try it at once
      if (this.stopped) return;
      this.onState({ state: "reconnecting", transport: "sse", attempt: 1, retryInS: 0, reason, reachable, fellBack: true });
      this.connect();
      return;
    }
    if (this.stopped) return;
    const delay = BACKOFF_S[Math.min(this.attempt, BACKOFF_S.length - 1)];
    this.attempt += 1;
    this.onState({
      state: "reconnecting", transport: this.transport, attempt: this.attempt, retryInS: delay, reason, reachable,
      deviceOffline: navigator.onLine === false,
    });
    this.timers.push(setTimeout(() => this.connect(), delay * 1000));
    if (!reachable) this.pollUntilBack(delay * 1000);
  }

  /** The program was away: connect as soon as it answers again instead of sitting out the backoff. */
  pollUntilBack(delayMs) {
    if (delayMs <= WAKE_POLL_MS) return;
    const poll = setInterval(async () => {
      if (this.stopped || this.socket || this.source) return;
      if (await serverAnswers()) {
        if (this.stopped || this.socket || this.source) return;
        this.connect(); // clears this interval with the other timers
      }
    }, WAKE_POLL_MS);
    this.timers.push(poll);
  }

  opened() {
    this.everOpened = true;
    const wasRetrying = this.attempt > 0;
    this.attempt = 0;
    this.onState({ state: "live", transport: this.transport, reconnected: wasRetrying, fellBack: !!this.fellBack });
  }

  deliver(message) {
    if (message.type === "history") {
      for (const event of message.data.events || []) this.deliver(event);
      return;
    }
    if (typeof message.id === "number" && message.id > 0) this.lastId = message.id;
    this.onEvent(message);
  }

  // ---- WebSocket ----------------------------------------------------------------------------

  connectWs() {
    let ws;
    try {
      ws = new WebSocket(wsUrl(`/ws/telemetry?rate=${this.rateHz}&history=150`));
    } catch (err) {
      this.retry(String(err));
      return;
    }
    this.socket = ws;
    let lastHeard = Date.now();
    let live = false;
    ws.onopen = () => {
      // the token goes in the first message, not the URL (URLs end up in logs)
      ws.send(JSON.stringify({ type: "auth", token: this.token }));
    };
    ws.onmessage = (msg) => {
      lastHeard = Date.now();
      let data;
      try {
        data = JSON.parse(msg.data);
      } catch {
        return;
      }
      if (!live) {
        live = true;
        this.opened();
      }
      if (data.type === "pong") return;
      this.deliver(data);
    };
    ws.onclose = (ev) => {
      if (this.socket !== ws) return;
      this.socket = null;
      if (ev.code === AUTH_CLOSE) {
        this.stopped = true;
        this.clearTimers();
        this.onAuthFailed(ev.reason || "the server refused the token");
        return;
      }
      if (live) this.everOpened = true;
      this.retry(ev.code === 1001 ? "the program is restarting" : "connection lost");
    };
    ws.onerror = () => {}; // onclose follows with the details
    this.timers.push(
      setInterval(() => {
        if (ws.readyState !== WebSocket.OPEN) return;
        if (Date.now() - lastHeard > SILENCE_MS) {
          ws.close(4000, "silent");
          this.socket = null;
          this.retry("no data from the program");
          return;
        }
        ws.send(JSON.stringify({ type: "ping" }));
      }, PING_EVERY_MS),
    );
  }

  // ---- server-sent events -------------------------------------------------------------------

  connectSse() {
    const params = new URLSearchParams({ token: this.token, rate: String(this.rateHz), history: "150" });
    if (this.lastId !== null) params.set("after", String(this.lastId));
    const source = new EventSource(`/sse/telemetry?${params}`);
    this.source = source;
    let live = false;
    const handle = (msg) => {
      if (!live) {
        live = true;
        this.opened();
      }
      let data;
      try {
        data = JSON.parse(msg.data);
      } catch {
        return;
      }
      this.deliver(data);
    };
    for (const type of ["history", "telemetry", "status", "log", "alert"]) source.addEventListener(type, handle);
    source.addEventListener("dropped", () => {});
    source.addEventListener("gap", () => {});
    source.onopen = () => {
      if (!live) {
        live = true;
        this.opened();
      }
    };
    source.onerror = async () => {
      if (this.source !== source) return;
      // EventSource retries by itself after a network error, but gives up on an HTTP error (401...)
      source.close();
      this.source = null;
      if (live) this.everOpened = true;
      live = false;
      const refused = await this.tokenRefused();
      if (refused) {
        this.stopped = true;
        this.onAuthFailed(refused);
      } else {
        this.retry("connection lost");
      }
    };
  }

  /** The server's reason when it is up and refuses our token; null when it is fine or unreachable. */
  async tokenRefused() {
    try {
      const r = await fetch("/api/telemetry", { headers: { Authorization: `Bearer ${this.token}` }, cache: "no-store" });
      if (r.status === 401) {
        const body = await r.json().catch(() => ({}));
        return body.detail || "the server refused the token";
      }
    } catch {
      /* unreachable: keep retrying */
    }
    return null;
  }
}
