// Camera, microphone and screen: the local preview, the microphone level meter, the on/off
// toggles, switching devices and sharing the screen. Whenever the outgoing track of a kind
// changes, a "track" event says so, and the call puts it on its sender (replaceTrack).

import { Emitter } from "../lib/emitter.js";

const VIDEO = { width: { ideal: 1280 }, height: { ideal: 720 } };

function constraint(kind, deviceId, exact = false) {
  const base = kind === "video" ? { ...VIDEO } : {};
  if (deviceId) base.deviceId = exact ? { exact: deviceId } : { ideal: deviceId };
  return Object.keys(base).length ? base : true;
}

// Why a device is missing, in the words the page explains: see the data-help blocks.
function reason(error) {
  switch (error?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "denied";
    case "NotFoundError":
    case "OverconstrainedError":
      return "notfound";
    case "NotReadableError":
    case "AbortError":
      return "busy";
    default:
      return "failed";
  }
}

export class Media extends Emitter {
  audio = null; // the microphone's track
  camera = null; // the camera's track
  screen = null; // the shared screen's track, while sharing
  micOn = true;
  cameraOn = true;
  audioId = "";
  videoId = "";
  // Why a kind is missing: "", "denied", "notfound", "busy", "failed" or "unsupported".
  errors = { audio: "", video: "" };

  constructor(preview) {
    super();
    this.preview = preview;
    navigator.mediaDevices?.addEventListener?.("devicechange", () => this.emit("devices"));
  }

  get supported() {
    return Boolean(navigator.mediaDevices?.getUserMedia);
  }

  get canShareScreen() {
    return Boolean(navigator.mediaDevices?.getDisplayMedia);
  }

  get video() {
    return this.screen ?? this.camera;
  }

  track(kind) {
    return kind === "audio" ? this.audio : this.video;
  }

  get error() {
    return this.errors.audio || this.errors.video;
  }

  // What to ask for next time (a reload, a rejoin): on/off and the devices in use.
  prefs() {
    const { micOn, cameraOn } = this;
    return { micOn, cameraOn, audioId: this.currentDevice("audio"), videoId: this.currentDevice("video") };
  }

  // Asks for the microphone and (unless turned off) the camera. Without a camera, or when one of
  // them fails, it goes on with what it can get; `error` says what went wrong.
  async start({
    micOn = this.micOn,
    cameraOn = this.cameraOn,
    audioId = this.audioId,
    videoId = this.videoId,
  } = {}) {
    Object.assign(this, { micOn, cameraOn, audioId, videoId });
    this.errors = { audio: "", video: "" };
    if (!this.supported) {
      this.errors = { audio: "unsupported", video: "unsupported" };
      this.#changed();
      return;
    }
    const wanted = { audio: constraint("audio", this.audioId) };
    if (this.cameraOn) wanted.video = constraint("video", this.videoId);
    try {
      this.#take(await navigator.mediaDevices.getUserMedia(wanted));
    } catch (error) {
      const why = reason(error);
      for (const kind of Object.keys(wanted)) {
        // Refused is refused; otherwise one of the two may still work (no camera is common).
        this.errors[kind] = why === "denied" ? why : await this.#acquire(kind, this.#id(kind));
      }
    }
    this.#changed();
  }

  stop() {
    for (const track of [this.audio, this.camera, this.screen]) track?.stop();
    this.audio = this.camera = this.screen = null;
    this.#changed();
  }

  async setMic(on) {
    this.micOn = on;
    if (this.audio) this.audio.enabled = on;
    else if (on) this.errors.audio = await this.#acquire("audio", this.audioId);
    this.#changed();
  }

  // Off stops the camera (its light goes out); on asks for it again.
  async setCamera(on) {
    this.cameraOn = on;
    this.errors.video = "";
    if (!on) {
      this.camera?.stop();
      this.camera = null;
      if (!this.screen) this.emit("track", { kind: "video", track: null });
    } else if (!this.camera) {
      this.errors.video = await this.#acquire("video", this.videoId);
    }
    this.#changed();
  }

  async switchDevice(kind, deviceId) {
    if (kind === "audio") this.audioId = deviceId;
    else this.videoId = deviceId;
    if (kind === "video" && !this.cameraOn) return;
    if (kind === "video") {
      // Phones cannot open two cameras at once: let go of the old one first.
      this.camera?.stop();
      this.camera = null;
    }
    let why = await this.#acquire(kind, deviceId, true);
    if (why) why = await this.#acquire(kind);
    this.errors[kind] = why;
    this.#changed();
  }

  async shareScreen() {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const [track] = stream.getVideoTracks();
    this.screen?.stop();
    this.screen = track;
    track.contentHint = "detail";
    track.addEventListener("ended", () => this.stopSharing());
    this.emit("track", { kind: "video", track });
    this.#changed();
  }

  // Back to the camera (or to nothing, if it is off).
  stopSharing() {
    if (!this.screen) return;
    this.screen.stop();
    this.screen = null;
    this.emit("track", { kind: "video", track: this.camera });
    this.#changed();
  }

  async devices() {
    try {
      return await navigator.mediaDevices.enumerateDevices();
    } catch {
      return [];
    }
  }

  currentDevice(kind) {
    const track = kind === "audio" ? this.audio : this.camera;
    return track?.getSettings().deviceId ?? (kind === "audio" ? this.audioId : this.videoId);
  }

  #id(kind) {
    return kind === "audio" ? this.audioId : this.videoId;
  }

  // One kind of device; returns "" or why it failed.
  async #acquire(kind, deviceId = "", exact = false) {
    try {
      const constraints = { [kind]: constraint(kind, deviceId, exact) };
      this.#take(await navigator.mediaDevices.getUserMedia(constraints));
      return "";
    } catch (error) {
      return reason(error);
    }
  }

  #take(stream) {
    for (const track of stream.getTracks()) {
      // Unplugged or taken by the system (stop() of our own does not fire "ended").
      track.addEventListener("ended", () => this.#lost(track));
      if (track.kind === "audio") {
        this.audio?.stop();
        this.audio = track;
        track.enabled = this.micOn;
      } else if (!this.cameraOn) {
        track.stop(); // turned off while it was being asked for
        continue;
      } else {
        this.camera?.stop();
        this.camera = track;
        if (this.screen) continue; // the screen stays on the sender until sharing stops
      }
      this.emit("track", { kind: track.kind, track });
    }
  }

  #lost(track) {
    if (track === this.audio) this.audio = null;
    else if (track === this.camera) this.camera = null;
    else return;
    if (track.kind === "audio" || !this.screen) this.emit("track", { kind: track.kind, track: null });
    this.#changed();
  }

  #changed() {
    const video = this.video;
    const shown = this.preview.srcObject?.getVideoTracks()[0] ?? null;
    if (video !== shown) this.preview.srcObject = video ? new MediaStream([video]) : null;
    this.preview.classList.toggle("mirrored", Boolean(video) && video === this.camera);
    this.emit("change");
  }
}

// Fills a <select> with the devices of one kind; the current one is selected.
export function fillSelect(select, devices, kind, current, label, none) {
  const found = devices.filter((device) => device.kind === kind);
  const options = found.map((device, index) => {
    const option = new Option(device.label || label.replace("{n}", index + 1), device.deviceId);
    option.selected = device.deviceId === current;
    return option;
  });
  if (!options.length) options.push(new Option(none, ""));
  select.replaceChildren(...options);
  select.disabled = !found.length;
}

// The microphone level: a bar (CSSOM width, allowed by the CSP) on an element with role="meter".
export class LevelMeter {
  #source = null;
  #context = null;
  #analyser = null;
  #running = false;
  #said = -1;
  #off = null;
  #saidAt = 0;

  constructor(element, offText) {
    this.element = element;
    this.bar = element.querySelector(".meter-bar");
    this.offText = offText;
    // Browsers start audio only after a gesture; any click or key will do.
    for (const type of ["pointerdown", "keydown"]) {
      document.addEventListener(type, () => this.resume(), { capture: true });
    }
  }

  attach(track) {
    if (track && track === this.track) return;
    this.#source?.disconnect();
    this.#source = null;
    this.track = track;
    if (!track || !window.AudioContext) {
      this.#show(0);
      return;
    }
    this.#context ??= new AudioContext();
    this.#analyser ??= new AnalyserNode(this.#context, { fftSize: 1024 });
    this.#source = this.#context.createMediaStreamSource(new MediaStream([track]));
    this.#source.connect(this.#analyser);
    this.resume();
    this.#loop();
  }

  resume() {
    if (this.#context?.state === "suspended") this.#context.resume().catch(() => {});
  }

  #loop() {
    if (this.#running) return;
    this.#running = true;
    const samples = new Float32Array(this.#analyser.fftSize);
    const tick = () => {
      if (!this.#source) {
        this.#running = false;
        this.#show(0);
        return;
      }
      this.#analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const sample of samples) sum += sample * sample;
      const decibels = 20 * Math.log10(Math.sqrt(sum / samples.length) || 1e-6);
      // -60 dB (silence) to -10 dB (loud speech) fills the bar.
      const level = Math.max(0, Math.min(100, Math.round(((decibels + 60) / 50) * 100)));
      this.#show(this.track.enabled && this.track.readyState === "live" ? level : 0);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  #show(level) {
    this.bar.style.width = `${level}%`;
    const off = !this.track?.enabled || this.track.readyState !== "live";
    const now = performance.now();
    // Assistive technology gets a calmer value: at most a few updates a second.
    const same = level === this.#said || (now - this.#saidAt < 400 && level !== 0);
    if (same && off === this.#off) return;
    this.#off = off;
    this.#said = level;
    this.#saidAt = now;
    this.element.setAttribute("aria-valuenow", String(level));
    if (off) this.element.setAttribute("aria-valuetext", this.offText);
    else this.element.removeAttribute("aria-valuetext");
  }
}
