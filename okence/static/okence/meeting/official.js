// The official's meeting page: who waits, admit or turn away, messages to the waiting room, the
// call (this side offers, see call.js) and the chat, and ending the meeting.

import { $, announce, fill } from "../lib/dom.js";
import { MessageList, sendForm } from "./chat.js";
import { FolderPanel } from "./shared-folder.js";
import { expose, note, openRoom, showState, watchConnection, wireStage } from "./ui.js";

const { root, text, socket, media, call } = openRoom({ offerer: true });
const chat = new MessageList(
  $("chat-log"),
  { official: text.you, citizen: root.dataset.citizen || text.citizen },
  text,
);
const actionError = $("action-error");
const peerNote = $("peer-note");
const clock = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
  hour: "2-digit",
  minute: "2-digit",
  timeZone: root.dataset.zone || undefined,
});

// The appointment's status → the page's view.
const VIEWS = { confirmed: "prejoin", waiting: "waiting", in_meeting: "call" };
const PREFS_KEY = "okence-official-media";

let status = "";
let citizenPresent = false;
let waitingSince = root.dataset.waitingSince ? new Date(root.dataset.waitingSince) : null;

function describe(next) {
  if (next === "waiting") return fill(text.stateWaiting, { time: clock.format(waitingSince) });
  return text[`state-${next}`] ?? next;
}

function apply(next) {
  const previous = status;
  status = next;
  root.dataset.appointmentState = next;
  if (next === "waiting" && previous && previous !== "waiting") waitingSince = new Date();
  if (next === "waiting" && !waitingSince) waitingSince = new Date();
  for (const button of document.querySelectorAll("[data-action]")) button.disabled = false;
  note(actionError, "");
  const line = $("state-text"); // in a role="status" line: a change is announced
  if (line.textContent !== describe(next)) line.textContent = describe(next);
  const view = VIEWS[next] ?? "ended";
  showState(root, view);
  $("devices").open = view !== "call";
  if (view === "call" && citizenPresent && !call.pc) call.offer();
  if (view === "ended") {
    call.close();
    media.stop();
    note(peerNote, "");
  }
  if (previous && previous !== next && next === "waiting") announce(text.citizenWaiting);
}

// The server's own record of since when the citizen waits (another worker may have seen the
// knock); the page's clock is only the fallback.
function learn(appointment) {
  if (appointment?.waiting_since) waitingSince = new Date(appointment.waiting_since);
  // During the meeting another device with the citizen's link asks to join (admit / turn_away).
  $("second-device").hidden = !(appointment?.second_device && appointment.state === "in_meeting");
}

socket.on("hello", (message) => {
  call.configure(message.ice);
  chat.reset(message.messages);
  learn(message.appointment);
  apply(message.state);
  if (message.phase === "not_open") note(peerNote, text.notOpen);
});
socket.on("state", ({ state, appointment }) => {
  learn(appointment);
  apply(state);
});
socket.on("peer", ({ role, present, page }) => {
  if (role !== "citizen") return;
  citizenPresent = present;
  if (present && call.samePeer(page)) {
    note(peerNote, ""); // the citizen's page reconnected; the call went on
  } else if (present && status === "in_meeting") {
    call.offer(); // a fresh connection: the citizen may have reloaded their page
    note(peerNote, text.citizenJoining);
  } else if (!present && status === "in_meeting") {
    note(peerNote, text.citizenAway);
  }
});
socket.on("signal", (message) => call.handle(message));
socket.on("chat", ({ message }) => chat.add(message));
socket.on("error", ({ message }) => {
  for (const button of document.querySelectorAll("[data-action]")) button.disabled = false;
  note(actionError, message);
});
call.on("failed", () => {
  if (citizenPresent && status === "in_meeting") call.restart();
});
call.on("state", (connection) => {
  if (connection === "connected") note(peerNote, "");
});
media.on("change", () => {
  try {
    sessionStorage.setItem(PREFS_KEY, JSON.stringify(media.prefs()));
  } catch {}
});

function act(type) {
  if (!socket.send({ type })) {
    note(actionError, text.notSent);
    return;
  }
  for (const button of document.querySelectorAll("[data-action]")) button.disabled = true;
}

for (const button of document.querySelectorAll("[data-action]")) {
  if (button.dataset.action !== "end") button.addEventListener("click", () => act(button.dataset.action));
}
const dialog = $("end-dialog");
$("end").addEventListener("click", () => {
  dialog.returnValue = "";
  dialog.showModal();
});
dialog.addEventListener("close", () => {
  if (dialog.returnValue === "end") act("end");
  else $("end").focus();
});

watchConnection(socket, text, () => status === "in_meeting");
wireStage({ media, call, strings: text });
sendForm($("notice-form"), (message) => socket.send({ type: "notice", text: message }), text.notSent);
sendForm($("chat-form"), (message) => socket.send({ type: "chat", text: message }), text.notSent);
new FolderPanel($("folder-panel"), text, "official").listen(socket);
expose(call);

socket.connect();
let prefs = {};
try {
  prefs = JSON.parse(sessionStorage.getItem(PREFS_KEY)) ?? {};
} catch {}
await media.start(prefs);
if (root.dataset.state === "ended") media.stop(); // ended before the camera started
