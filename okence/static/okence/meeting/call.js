// The peer connection of the 1:1 call (docs/meeting-protocol.md, Signalling). The official's
// page offers, with a fresh connection whenever the citizen appears; the citizen's page answers,
// with a fresh connection for every offer of a new session. Signals are handled one at a time, in
// order; candidates that come before the remote description wait in a queue. A failed ICE
// connection is restarted by the offering side ("failed" event → restart()). getStats() gives a
// connection-quality hint every two seconds ("quality" event).

import { Emitter } from "../lib/emitter.js";

const STATS_EVERY = 2000;
const DISCONNECTED_GRACE = 4000; // "disconnected" often heals by itself; "failed" does not

// The session id of an SDP's o= line: it stays the same for the life of a connection.
const sessionOf = (sdp) => /^o=\S+ (\d+)/m.exec(sdp)?.[1] ?? "";

export class Call extends Emitter {
  pc = null;
  ice = { iceServers: [], iceTransportPolicy: "all" };
  #session = "";
  #queue = [];
  #work = Promise.resolve();
  #statsTimer = 0;
  #graceTimer = 0;
  #last = null;
  #peerPage = "";

  // send(message) → bool; offerer: true on the official's page.
  constructor({ media, send, remoteVideo, offerer }) {
    super();
    Object.assign(this, { media, send, remoteVideo, offerer });
    this.outgoing = new MediaStream(); // only names our tracks' stream for the other side
    media.on("track", ({ kind, track }) => this.replaceTrack(kind, track));
  }

  configure(ice) {
    if (ice) this.ice = ice;
  }

  // The other side's page announced itself (a `peer` present message, with its page id). The
  // same page back after its socket reconnected (a web worker restarted) still holds this
  // connection, and the media never went through the server: keep it (true). Another page (a
  // reload, a second tab) needs a fresh connection (false).
  samePeer(page) {
    const same =
      Boolean(page) &&
      page === this.#peerPage &&
      this.pc !== null &&
      !["failed", "closed"].includes(this.pc.connectionState);
    this.#peerPage = page ?? "";
    return same;
  }

  // The official: a fresh connection and an offer (the citizen has just appeared).
  offer() {
    this.#serially(async () => {
      const pc = this.#fresh();
      for (const kind of ["audio", "video"]) {
        pc.addTransceiver(this.media.track(kind) ?? kind, {
          direction: "sendrecv",
          streams: [this.outgoing],
        });
      }
      await pc.setLocalDescription();
      this.send({ type: "signal", description: pc.localDescription.toJSON() });
    });
  }

  // The official, after ICE failed: the same connection, new ICE credentials, a new offer.
  restart() {
    const pc = this.pc;
    if (!pc || !this.offerer || pc.signalingState === "closed") return;
    this.#serially(async () => {
      pc.restartIce();
      await pc.setLocalDescription();
      this.send({ type: "signal", description: pc.localDescription.toJSON() });
    });
  }

  // A `signal` message from the other side.
  handle(signal) {
    this.#serially(() =>
      "description" in signal
        ? this.#description(signal.description)
        : this.#candidate(signal.candidate),
    );
  }

  replaceTrack(kind, track) {
    for (const transceiver of this.pc?.getTransceivers() ?? []) {
      if (transceiver.receiver.track.kind === kind && !transceiver.stopped) {
        transceiver.sender.replaceTrack(track).catch(() => {});
      }
    }
  }

  close() {
    clearInterval(this.#statsTimer);
    clearTimeout(this.#graceTimer);
    const pc = this.pc;
    this.pc = null;
    this.#session = "";
    this.#queue = [];
    this.#last = null;
    if (pc) {
      pc.onicecandidate = pc.ontrack = pc.oniceconnectionstatechange = null;
      pc.onconnectionstatechange = null;
      pc.close();
      this.remoteVideo.srcObject = null;
      this.emit("state", "closed");
    }
  }

  #serially(step) {
    this.#work = this.#work.then(step).catch((error) => console.warn("call:", error));
  }

  #fresh() {
    this.close();
    const pc = new RTCPeerConnection({
      iceServers: this.ice.iceServers ?? [],
      iceTransportPolicy: this.ice.iceTransportPolicy ?? "all",
    });
    this.pc = pc;
    pc.onicecandidate = ({ candidate }) => {
      this.send({ type: "signal", candidate: candidate ? candidate.toJSON() : null });
    };
    pc.ontrack = ({ track, streams }) => {
      const stream = streams[0] ?? this.remoteVideo.srcObject ?? new MediaStream();
      if (!stream.getTracks().includes(track)) stream.addTrack(track);
      if (this.remoteVideo.srcObject !== stream) this.remoteVideo.srcObject = stream;
      this.remoteVideo.play().catch((error) => {
        if (error.name === "NotAllowedError") this.emit("blocked"); // autoplay needs a gesture
      });
    };
    // A STUN/TURN server that refuses (e.g. 401: a wrong TURN secret) is otherwise silent.
    pc.onicecandidateerror = ({ url, errorCode, errorText }) => {
      console.warn(`ICE server ${url} answered ${errorCode}: ${errorText}`);
    };
    pc.oniceconnectionstatechange = () => this.#iceChanged(pc);
    pc.onconnectionstatechange = () => this.emit("state", pc.connectionState);
    this.#statsTimer = setInterval(() => this.#measure(pc), STATS_EVERY);
    this.emit("state", "new");
    return pc;
  }

  async #description({ type, sdp }) {
    // The relay trims text, the SDP's last line break with it; a parser wants every line ended.
    const description = { type, sdp: sdp.endsWith("\n") ? sdp : `${sdp}\r\n` };
    if (type === "offer") {
      if (this.offerer) return;
      const session = sessionOf(sdp);
      if (!this.pc || this.pc.signalingState === "closed" || session !== this.#session) {
        this.#fresh();
        this.#session = session;
      }
      const pc = this.pc;
      await pc.setRemoteDescription(description);
      for (const transceiver of pc.getTransceivers()) {
        if (transceiver.stopped) continue;
        transceiver.direction = "sendrecv";
        await transceiver.sender.replaceTrack(this.media.track(transceiver.receiver.track.kind));
        transceiver.sender.setStreams?.(this.outgoing);
      }
      await pc.setLocalDescription();
      this.send({ type: "signal", description: pc.localDescription.toJSON() });
    } else {
      // An answer is only for an offer still open; a late one of an older connection is dropped.
      if (!this.offerer || this.pc?.signalingState !== "have-local-offer") return;
      await this.pc.setRemoteDescription(description);
    }
    const queued = this.#queue.splice(0);
    for (const candidate of queued) await this.#candidate(candidate);
  }

  async #candidate(candidate) {
    if (!candidate) return; // the end of the other side's candidates: nothing to do
    if (!this.pc?.remoteDescription) {
      this.#queue.push(candidate);
      return;
    }
    try {
      await this.pc.addIceCandidate(candidate);
    } catch {
      // a candidate of an earlier session or ICE generation: harmless
    }
  }

  #iceChanged(pc) {
    if (pc !== this.pc) return;
    clearTimeout(this.#graceTimer);
    const state = pc.iceConnectionState;
    if (state === "failed") this.emit("failed");
    else if (state === "disconnected") {
      this.#graceTimer = setTimeout(() => {
        if (pc === this.pc && pc.iceConnectionState === "disconnected") this.emit("failed");
      }, DISCONNECTED_GRACE);
    }
  }

  async #measure(pc) {
    if (pc !== this.pc) return;
    if (pc.connectionState !== "connected") {
      const lost = ["disconnected", "failed"].includes(pc.connectionState);
      this.emit("quality", { level: lost ? "lost" : "connecting" });
      return;
    }
    const stats = await pc.getStats();
    let lost = 0;
    let received = 0;
    let videoPackets = 0;
    let frames = 0;
    let pair = null;
    const pairs = [];
    stats.forEach((report) => {
      if (report.type === "inbound-rtp") {
        lost += report.packetsLost ?? 0;
        received += report.packetsReceived ?? 0;
        if (report.kind === "video") {
          videoPackets += report.packetsReceived ?? 0;
          frames += report.framesDecoded ?? 0;
        }
      } else if (report.type === "transport" && report.selectedCandidatePairId) {
        pair = stats.get(report.selectedCandidatePairId);
      } else if (report.type === "candidate-pair" && report.nominated) {
        pairs.push(report);
      }
    });
    pair ??= pairs[0];
    const last = this.#last ?? { lost: 0, received: 0, videoPackets: 0, frames: 0 };
    this.#last = { lost, received, videoPackets, frames };
    const lostNow = Math.max(0, lost - last.lost);
    const receivedNow = received - last.received;
    const loss = lostNow + receivedNow > 0 ? lostNow / (lostNow + receivedNow) : 0;
    const rtt = pair?.currentRoundTripTime ?? 0;
    // Frames count only while plenty of video packets arrive (a camera may be off, a shared
    // screen may be still): many packets and few frames mean the picture stutters or freezes.
    const videoNow = videoPackets - last.videoPackets;
    const fps = videoNow > 50 ? (frames - last.frames) / (STATS_EVERY / 1000) : null;
    let level = "good";
    if (loss > 0.1 || rtt > 0.8 || (fps !== null && fps < 1)) level = "poor";
    else if (loss > 0.03 || rtt > 0.35 || (fps !== null && fps < 8)) level = "fair";
    this.emit("quality", { level, loss, rtt, fps });
  }
}
