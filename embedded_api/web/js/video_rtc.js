// WebRTC video: signalling over /ws/webrtc_signaling (token, hello with the STUN/TURN list, offer
// -> answer), a recvonly video transceiver that prefers H.264 (the program sends the packets of
// its one encoder as they are; VP8 only for a browser without H.264), and a data channel on which
// the program sends the tracker (each frame's result), telemetry, follower and video state as
// JSON {type, data}. The picture plays in a <video>; VideoView draws the overlay over it.

import { wsUrl } from "./api.js";

const HELLO_MS = 5000;
const GATHER_MS = 1500; // host candidates come at once; STUN/TURN ones may take longer: trickled after

export class RtcRefused extends Error {
  constructor(reason, code = 0) {
    super(reason);
    this.code = code; // 4503 unavailable (off, no video, no codec), 4429 too many peers, 1008 token
  }
}

/** H.264 constrained baseline with packetization-mode 1 first (what the program sends), VP8 after. */
function preferCodecs(transceiver, wish) {
  const caps = RTCRtpReceiver.getCapabilities?.("video");
  if (!caps || !transceiver.setCodecPreferences) return;
  const rank = (c) => {
    const t = c.mimeType.toLowerCase();
    const f = c.sdpFmtpLine || "";
    if (t === "video/h264" && f.includes("packetization-mode=1") && f.includes("profile-level-id=42e0")) return wish === "vp8" ? 2 : 0;
    if (t === "video/h264" && f.includes("packetization-mode=1") && f.includes("profile-level-id=4200")) return wish === "vp8" ? 3 : 1;
    if (t === "video/vp8") return wish === "vp8" ? 0 : 4;
    if (t === "video/rtx") return 5;
    return 9;
  };
  const ordered = caps.codecs.filter((c) => rank(c) < 9).sort((a, b) => rank(a) - rank(b));
  if (ordered.length) transceiver.setCodecPreferences(ordered);
}

function gathered(pc, ms) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    const timer = setTimeout(resolve, ms);
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

export class RtcLink {
  /** ``video``: the <video> to play into; ``onMessage({type, data})``; ``onClosed(reason)`` once. */
  constructor({ token, video, codec = null, onMessage, onClosed }) {
    this.token = token;
    this.video = video;
    this.wish = codec;
    this.onMessage = onMessage;
    this.onClosed = onClosed;
    this.ws = null;
    this.pc = null;
    this.codec = null;
    this.closed = false;
    this.waiting = null; // {resolve, reject} of the message awaited now
  }

  /** Signal and negotiate; resolves once the answer is applied, rejects with RtcRefused. */
  async open() {
    if (typeof RTCPeerConnection === "undefined") throw new RtcRefused("this browser has no WebRTC");
    const ws = new WebSocket(wsUrl("/ws/webrtc_signaling"));
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token: this.token }));
    ws.onmessage = (m) => this.onSignal(m.data);
    ws.onclose = (ev) => {
      const reason = ev.reason || `signalling closed (${ev.code})`;
      if (this.waiting) this.waiting.reject(new RtcRefused(reason, ev.code));
      this.waiting = null;
      this.close(reason, ev.code);
    };
    const hello = await this.expect("hello", HELLO_MS);
    const pc = new RTCPeerConnection({ iceServers: hello.ice_servers || [] });
    this.pc = pc;
    const transceiver = pc.addTransceiver("video", { direction: "recvonly" });
    preferCodecs(transceiver, this.wish);
    const channel = pc.createDataChannel("overlay");
    channel.onmessage = (e) => {
      try {
        this.onMessage(JSON.parse(e.data));
      } catch {
        /* not ours */
      }
    };
    pc.ontrack = (ev) => {
      this.video.srcObject = ev.streams[0] || new MediaStream([ev.track]);
      this.video.play().catch(() => {});
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "failed" || pc.connectionState === "closed") this.close(`WebRTC connection ${pc.connectionState}`);
    };
    pc.onicecandidate = (ev) => {
      if (ev.candidate && this.codec && ws.readyState === WebSocket.OPEN) {
        const { candidate, sdpMid, sdpMLineIndex } = ev.candidate;
        ws.send(JSON.stringify({ type: "candidate", candidate, sdpMid, sdpMLineIndex }));
      }
    };
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, GATHER_MS);
    ws.send(JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp, codec: this.wish }));
    const answer = await this.expect("answer", 15000);
    this.codec = answer.codec;
    await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
  }

  expect(type, ms) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new RtcRefused(`no ${type} from the program within ${ms / 1000} s`)), ms);
      this.waiting = {
        type,
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
    });
  }

  onSignal(raw) {
    let m;
    try {
      m = JSON.parse(raw);
    } catch {
      return;
    }
    const w = this.waiting;
    if (m.type === "refused" || (m.type === "error" && w)) {
      this.waiting = null;
      if (w) w.reject(new RtcRefused(m.reason || m.error, m.code || 0));
    } else if (w && m.type === w.type) {
      this.waiting = null;
      w.resolve(m);
    }
  }

  /** End it all (idempotent); ``onClosed(reason, code)`` hears it once (code: the socket's close code). */
  close(reason = "closed", code = 0) {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000, "page closed");
    } catch {
      /* already closing */
    }
    if (this.pc) this.pc.close();
    this.video.srcObject = null;
    if (this.onClosed) this.onClosed(reason, code);
  }
}
