// What both meeting pages share: how they begin (strings, socket, camera and microphone, call),
// the views shown per state, the connection notice, and the stage (preview, level meter,
// toggles, device selects, screen sharing, the quality hint and starting the remote picture
// after a gesture). The check page (check.js) shares the preview's part: wireDevices.

import { $, fill, readStrings } from "../lib/dom.js";
import { Socket } from "../lib/socket.js";
import { Call } from "./call.js";
import { fillSelect, LevelMeter, Media } from "./media.js";

// The page's #meeting root, its strings, the socket to its data-ws (not yet connected), the local
// camera and microphone, and the call over that socket; the official's side is the offerer.
// The socket's address names this page load (?page=): the same on every reconnection, so that
// the other side can tell a reconnected page, whose call goes on, from a reloaded one.
export function openRoom({ offerer }) {
  const root = $("meeting");
  const text = readStrings("meeting-strings");
  const page = crypto.randomUUID();
  const socket = new Socket(`${root.dataset.ws}?page=${page}`);
  const media = new Media($("local-video"));
  const call = new Call({
    media,
    send: (message) => socket.send(message),
    remoteVideo: $("remote-video"),
    offerer,
  });
  return { root, text, socket, media, call };
}

// Shows the elements whose data-view lists the state. Focus moves to the new view's heading only
// when it would otherwise be lost (the focused button has just been hidden).
export function showState(root, state, { focus = true } = {}) {
  const first = root.dataset.state === "loading";
  root.dataset.state = state;
  for (const element of root.querySelectorAll("[data-view]")) {
    element.hidden = !element.dataset.view.split(" ").includes(state);
  }
  const active = document.activeElement;
  if (focus && !first && (!active || active === document.body || active.closest("[hidden]"))) {
    root.querySelector(`[data-view~="${state}"][data-focus], [data-view~="${state}"] [data-focus]`)
      ?.focus();
  }
}

export function note(element, text) {
  element.textContent = text ?? "";
  element.hidden = !text;
}

// The visible line about the server connection; inCall() picks the calmer wording.
export function watchConnection(socket, strings, inCall) {
  const line = $("connection");
  let lost = false;
  socket.on("close", ({ code, final }) => {
    if (!final) {
      lost = true;
      note(line, inCall() ? strings.reconnectingCall : strings.reconnecting);
    } else if ([4400, 4413, 4429].includes(code)) {
      note(line, strings.broken);
    }
  });
  socket.on("open", () => {
    if (!lost) return;
    lost = false;
    note(line, strings.reconnected);
    setTimeout(() => line.textContent === strings.reconnected && note(line, ""), 4000);
  });
}

// What every page with a preview has (both meeting pages and the check page): the microphone
// level, the choice of camera and microphone, why a device is missing and "Try again".
export function wireDevices({ media, strings }) {
  const cameraSelect = $("camera-select");
  const micSelect = $("mic-select");
  const meter = new LevelMeter($("mic-meter"), strings.micOff);

  cameraSelect.addEventListener("change", () => media.switchDevice("video", cameraSelect.value));
  micSelect.addEventListener("change", () => media.switchDevice("audio", micSelect.value));
  $("media-retry").addEventListener("click", () => media.start(media.prefs()));

  async function listDevices() {
    const devices = await media.devices();
    fillSelect(cameraSelect, devices, "videoinput", media.currentDevice("video"),
      strings.cameraN, strings.noCamera);
    fillSelect(micSelect, devices, "audioinput", media.currentDevice("audio"),
      strings.microphoneN, strings.noMicrophone);
  }

  media.on("devices", listDevices);
  media.on("change", () => {
    $("camera-off").hidden = Boolean(media.video);
    for (const help of document.querySelectorAll("[data-help]")) {
      help.hidden = help.dataset.help !== media.error;
    }
    $("media-retry").hidden = !media.error;
    meter.attach(media.audio);
    listDevices();
  });
  return { listDevices };
}

export function wireStage({ media, call, strings }) {
  const mic = $("toggle-mic");
  const camera = $("toggle-camera");
  const share = $("share-screen");
  const quality = $("quality");
  const play = $("play-remote");
  const { listDevices } = wireDevices({ media, strings });

  mic.addEventListener("click", () => media.setMic(!(media.micOn && media.audio)));
  camera.addEventListener("click", () => media.setCamera(!(media.cameraOn && media.camera)));
  if (media.canShareScreen) {
    share.addEventListener("click", () => {
      if (media.screen) media.stopSharing();
      else media.shareScreen().catch(() => {}); // cancelled in the browser's picker
    });
  } else {
    share.remove(); // phones cannot share their screen
  }
  play.addEventListener("click", () => {
    play.hidden = true;
    $("remote-video").play().catch(() => {});
  });

  media.on("change", () => {
    mic.setAttribute("aria-pressed", String(Boolean(media.micOn && media.audio)));
    camera.setAttribute("aria-pressed", String(Boolean(media.cameraOn && media.camera)));
    share.setAttribute("aria-pressed", String(Boolean(media.screen)));
  });

  call.on("blocked", () => {
    play.hidden = false;
  });
  call.on("state", (state) => {
    if (state === "new" || state === "closed") play.hidden = true;
  });
  call.on("quality", ({ level, loss, rtt }) => {
    quality.dataset.level = level;
    let text = strings[`quality-${level}`];
    if (rtt !== undefined) {
      text += ` ${fill(strings.qualityDetail, { loss: Math.round(loss * 100), rtt: Math.round(rtt * 1000) })}`;
    }
    quality.textContent = text;
  });
  return { listDevices };
}

// For the automated browser tests: the current RTCPeerConnection, read-only.
export function expose(call) {
  Object.defineProperty(window, "okence", {
    value: Object.freeze({ pc: () => call.pc }),
    writable: false,
    configurable: false,
  });
}
