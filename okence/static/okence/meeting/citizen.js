// The citizen's meeting page: pre-join → waiting room → call → end (or turned away, paused by
// another tab, left). The root element's data-state says which; see room.html for the views.

import { $, announce } from "../lib/dom.js";
import { MessageList, sendForm } from "./chat.js";
import { FolderPanel } from "./shared-folder.js";
import { expose, note, openRoom, showState, watchConnection, wireStage } from "./ui.js";

const { root, text, socket, media, call } = openRoom({ offerer: false });
const senders = { citizen: text.you, official: text.official };
const waitingMessages = new MessageList($("waiting-messages"), senders, text);
const chat = new MessageList($("chat-log"), senders, text);
const nameInput = $("display-name");
const peerNote = $("peer-note");

// Remembered for this tab: a reload (or a reconnection) knocks again with the same choices.
const STORAGE_KEY = `okence-meeting:${location.pathname}`;
const saved = (() => {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY)) ?? {};
  } catch {
    return {};
  }
})();

function save(changes) {
  Object.assign(saved, changes);
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(saved));
  } catch {
    // private mode: a reload then starts at pre-join, nothing worse
  }
}

let state = "";
let knocked = false; // wants a place: knocks on every (re)connection
let greeted = false; // the current connection said hello

function go(next, message) {
  if (state === next) return;
  state = next;
  showState(root, next);
  $("devices").open = next !== "call";
  if (message) announce(message);
}

// 1–80 characters, or the server closes the socket.
const displayName = () =>
  (saved.name || nameInput.value.trim() || nameInput.defaultValue.trim() || "?").slice(0, 80);

function sendKnock() {
  socket.send({ type: "knock", name: displayName() });
}

function knock() {
  knocked = true;
  if (socket.connected && greeted) sendKnock();
  else socket.connect(); // the hello that follows knocks
}

function join(event) {
  event?.preventDefault();
  const name = nameInput.value.trim().slice(0, 80);
  const error = $("display-name-error");
  note(error, name ? "" : text.nameRequired);
  nameInput.setAttribute("aria-invalid", String(!name));
  if (!name) {
    nameInput.focus();
    return;
  }
  save({ name, joined: true, ...media.prefs() });
  go("waiting", text.waiting);
  knock();
}

// Stops everything this tab holds: the call, the socket, camera and microphone.
function stop() {
  knocked = false;
  call.close();
  socket.close();
  media.stop();
  note(peerNote, "");
}

function finish(byOfficial) {
  if (state === "ended") return;
  stop();
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {}
  go("ended", byOfficial ? text.ended : text.over);
  // The page turns into the survey (guide §3): it opens once the official has ended the meeting.
  const survey = document.getElementById("meeting").dataset.surveyUrl;
  if (byOfficial && survey) window.location.assign(survey);
}

function paused() {
  if (state === "replaced") return;
  stop();
  go("replaced", text.replaced);
}

function hangUp() {
  stop();
  save({ joined: false });
  go("left", text.left);
}

// Back from "left" or "replaced": camera and microphone as before, then knock.
async function comeBack() {
  go("waiting");
  await media.start(saved);
  save({ joined: true, ...media.prefs() });
  knock();
}

socket.on("open", () => {
  greeted = false;
});
socket.on("hello", ({ phase }) => {
  greeted = true;
  if (phase === "ended" || phase === "cancelled") finish(false);
  else if (knocked) sendKnock();
});
socket.on("state", (message) => {
  if (message.state === "waiting") {
    waitingMessages.reset(message.messages);
    go("waiting");
  } else if (message.state === "admitted") {
    call.configure(message.ice);
    chat.reset(message.messages);
    go("call", text.admitted);
  } else if (message.state === "turned_away") {
    knocked = false;
    save({ joined: false });
    go("turned-away", text.turnedAway);
  } else if (message.state === "ended") {
    finish(true);
  }
});
socket.on("replaced", paused);
socket.on("close", ({ code }) => {
  if (code === 4409) paused();
  else if (code === 4410) finish(true);
});
socket.on("peer", ({ present, page }) => {
  if (present && call.samePeer(page)) {
    note(peerNote, ""); // the official's page reconnected; the call went on
    return;
  }
  // The official (re)joined: their page makes a fresh connection and offers; so do we.
  if (present) call.close();
  note(peerNote, present ? text.officialJoining : text.officialAway);
});
socket.on("signal", (message) => call.handle(message));
socket.on("chat", ({ message }) => (state === "call" ? chat : waitingMessages).add(message));
socket.on("error", ({ code, message }) => {
  if (code === "over") finish(false);
  else if (code === "not_open") location.reload(); // the page then says when it opens
  else announce(message);
});
call.on("state", (connection) => {
  if (connection === "connected") note(peerNote, "");
});

watchConnection(socket, text, () => state === "call");
wireStage({ media, call, strings: text });
$("join-form").addEventListener("submit", join);
$("hang-up").addEventListener("click", hangUp);
$("rejoin").addEventListener("click", comeBack);
$("take-back").addEventListener("click", comeBack);
$("knock-again").addEventListener("click", () => {
  save({ joined: true });
  go("waiting", text.waiting);
  knock();
});
sendForm($("chat-form"), (message) => socket.send({ type: "chat", text: message }), text.notSent);
new FolderPanel($("folder-panel"), text, "citizen").listen(socket);
expose(call);

go("prejoin");
if (saved.name) nameInput.value = saved.name;
socket.connect();
// The preview first; a reload of a tab that had joined then knocks again by itself.
await media.start(saved.joined ? saved : {});
if (saved.joined && state === "prejoin") join();
