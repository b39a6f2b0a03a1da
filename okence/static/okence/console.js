// The official's console, made live. The page is complete without this script (a static list of
// the day); here the console socket keeps every row's state current, alerts the official when
// someone enters the waiting room (sound, badge, notification, screen reader) and lets them send a
// notice, admit or turn away from the list. The server authorises every action; this script only
// asks. Protocol: docs/meeting-protocol.md, "Console socket".

import { announce, fill, readStrings } from "./lib/dom.js";
import { Socket } from "./lib/socket.js";

const SOUND_KEY = "okence.console.sound";
const NOTIFICATIONS_KEY = "okence.console.notifications";

const PENDING_MS = 8_000; // an action with no answer by then may be tried again

const root = document.getElementById("console");
const tbody = root?.querySelector("[data-rows]");
const language = document.documentElement.lang || "sl";
const zone = root?.dataset.zone || "Europe/Ljubljana";
const baseTitle = document.title;
// States of appointments that were never booked: the server says which (booking.states).
const HIDDEN_STATES = new Set((root?.dataset.unbookedStates || "").split(" ").filter(Boolean));

// Texts ---------------------------------------------------------------------------------------

const texts = readStrings("console-text");
const t = (key, values) => fill(texts[key] ?? key, values);

function clock(iso, timeZone = zone) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(language, {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone,
  }).format(new Date(iso));
}

function localDay(date, timeZone = zone) {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone }).format(date);
}

// Rows ----------------------------------------------------------------------------------------

function rowOf(id) {
  return tbody.querySelector(`tr[data-appointment="${CSS.escape(id)}"]`);
}

function rows() {
  return [...tbody.querySelectorAll("tr[data-appointment]")];
}

function summaryOf(row) {
  const data = row.dataset;
  return {
    id: data.appointment,
    state: data.state,
    start: data.start,
    end: data.end,
    name: data.name,
    waiting_since: data.waitingSince || null,
    connected: data.connected === "1",
    official: data.official,
    second_device: data.secondDevice === "1",
  };
}

function render(row, summary) {
  const data = row.dataset;
  const timeZone = data.zone || zone;
  const actions = row.querySelector("[data-waiting-actions]");
  const focusWasInActions = actions.contains(document.activeElement);
  if (summary.state !== data.state) {
    clearTimeout(row.pendingTimer);
    row.pending = false; // the action was answered
  }
  Object.assign(data, {
    state: summary.state,
    name: summary.name,
    waitingSince: summary.waiting_since || "",
    connected: summary.connected ? "1" : "0",
    secondDevice: summary.second_device ? "1" : "0",
  });
  row.className = `state-${summary.state}`;

  row.querySelector("[data-name-text]").textContent = summary.name;
  for (const element of row.querySelectorAll("[data-name-ref]")) {
    element.textContent = summary.name;
  }
  row.querySelector("[data-booked-as]").hidden = summary.name === data.bookedName;

  const label = summary.state === "waiting"
    ? t("waiting", { time: clock(summary.waiting_since, timeZone) })
    : t(summary.state);
  row.querySelector("[data-state-text]").textContent = label;
  row.querySelector("[data-not-connected]").hidden =
    summary.connected || !["waiting", "in_meeting"].includes(summary.state);

  // Admit and turn away also answer a second device asking to join during the meeting.
  row.querySelector("[data-second-device-text]").hidden = !summary.second_device;
  const waiting = summary.state === "waiting" || summary.second_device;
  actions.hidden = !waiting;
  settle(row);
  row.querySelector("[data-open-meeting]").classList.toggle("primary", summary.state === "in_meeting");
  if (focusWasInActions && !waiting) {
    // The buttons the official just used are gone (admitted, turned away): keep their place.
    row.querySelector("[data-open-meeting]").focus();
  }
}

function isToday(summary) {
  return localDay(new Date(summary.start)) === localDay(new Date());
}

function belongsHere(summary) {
  return (
    !HIDDEN_STATES.has(summary.state) &&
    isToday(summary) &&
    (root.dataset.wholeUnit === "1" || String(summary.official) === root.dataset.official)
  );
}

function movedAway(row, summary) {
  return (
    Date.parse(summary.start) !== Date.parse(row.dataset.start) ||
    String(summary.official) !== row.dataset.official
  );
}

function insertInOrder(row) {
  tbody.querySelector("[data-empty]")?.remove();
  const start = Date.parse(row.dataset.start);
  const next = rows().find((other) => Date.parse(other.dataset.start) > start);
  tbody.insertBefore(row, next ?? null);
}

// One appointment changed: update its row, or fetch the page for a new one (the page knows its
// service and notes, which the socket's summary leaves out).
function apply(summary) {
  let row = rowOf(summary.id);
  if (row && movedAway(row, summary)) {
    // Moved to another time or official: its row goes, and comes back from the page in its new
    // place if it still belongs here.
    row.remove();
    row = null;
    updateBadge();
  }
  if (!row) {
    // The page also says when no appointment is left ("No appointments today.").
    if (belongsHere(summary) || !rows().length) scheduleRefresh();
    return;
  }
  const before = row.dataset.state;
  const secondBefore = row.dataset.secondDevice === "1";
  render(row, summary);
  if (summary.second_device && !secondBefore) announce(t("second_device", { name: summary.name }));
  if (summary.state === "waiting" && before !== "waiting") entered(row);
  if (summary.state === "in_meeting" && before === "waiting") announce(t("admitted", { name: summary.name }));
  updateBadge();
}

// Catching up: after (re)connecting, events sent while the socket was closed are lost, so the
// page itself is read again and merged in; typed notices and focus are kept.
let refreshTimer = null;
let refreshing = null;

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 300);
}

async function refresh() {
  if (refreshing) return refreshing;
  refreshing = (async () => {
    try {
      const response = await fetch(location.href, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (!stillSignedIn(response)) return;
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const fresh of page.querySelectorAll("tbody[data-rows] tr[data-appointment]")) {
        const row = rowOf(fresh.dataset.appointment);
        if (row) {
          apply(summaryOf(fresh));
        } else {
          const added = document.adoptNode(fresh);
          insertInOrder(added);
          render(added, summaryOf(added));
          if (added.dataset.state === "waiting") entered(added);
        }
      }
      const empty = page.querySelector("tbody[data-rows] tr[data-empty]");
      if (empty && !rows().length && !tbody.querySelector("[data-empty]")) {
        tbody.append(document.adoptNode(empty));
      }
      updateBadge();
    } catch {
      // Offline for a moment: the next (re)connection reads the page again.
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

function stillSignedIn(response) {
  const signedOut =
    response.status === 404 ||
    (response.redirected && new URL(response.url).pathname !== location.pathname);
  if (signedOut) {
    socket?.close();
    status(t("signed_out"));
  }
  return !signedOut;
}

// Alerts --------------------------------------------------------------------------------------

const badge = root?.querySelector("[data-badge]");

function updateBadge() {
  const count = rows().filter((row) => row.dataset.state === "waiting").length;
  badge.hidden = count === 0;
  badge.querySelector("[data-count]").textContent = String(count);
  document.title = count ? `(${count}) ${baseTitle}` : baseTitle;
}

function entered(row) {
  const name = row.dataset.name;
  announce(t("is_waiting", { name }));
  chime();
  notify(row);
}

// Sound: a two-tone chime from the Web Audio API. Browsers start audio only after a user gesture,
// so the choice is a button, remembered; after a reload the first click or key unlocks it again.
let sound = localStorage.getItem(SOUND_KEY) === "on";
let audio = null;

function unlockAudio() {
  audio ??= new AudioContext();
  if (audio.state === "suspended") audio.resume();
  renderAlertSettings();
}

function chime() {
  if (!sound || !audio || audio.state !== "running") return;
  const now = audio.currentTime;
  for (const [frequency, offset] of [[784, 0], [587.33, 0.22]]) { // G5, then D5
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, now + offset);
    gain.gain.exponentialRampToValueAtTime(0.35, now + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.6);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(now + offset);
    oscillator.stop(now + offset + 0.65);
  }
}

// Notifications: permission is asked only from the button. A notification is shown when the
// console is not in front; in front, the sound, badge and announcement say it already.
const canNotify = "Notification" in window;
let notifications = canNotify && Notification.permission === "granted" &&
  localStorage.getItem(NOTIFICATIONS_KEY) === "on";
let notificationsBlocked = false;

function notify(row) {
  if (!notifications || (document.visibilityState === "visible" && document.hasFocus())) return;
  const notification = new Notification(t("is_waiting", { name: row.dataset.name }), {
    body: t("notification_body", { time: clock(row.dataset.waitingSince, row.dataset.zone) }),
    tag: `okence-${row.dataset.appointment}`,
    lang: language,
  });
  notification.addEventListener("click", () => {
    window.focus();
    row.querySelector("[data-admit]")?.focus();
    notification.close();
  });
}

const settings = root?.querySelector("[data-alert-settings]");

function renderAlertSettings() {
  const soundButton = settings.querySelector("[data-sound]");
  soundButton.textContent = t(sound ? "sound_off" : "sound_on");
  const notifyButton = settings.querySelector("[data-notifications]");
  notifyButton.hidden = !canNotify;
  notifyButton.textContent = t(notifications ? "notifications_off" : "notifications_on");
  const hint = settings.querySelector("[data-alert-hint]");
  const hints = [];
  if (sound && (!audio || audio.state !== "running")) hints.push(t("sound_locked"));
  if (notificationsBlocked) hints.push(t("notifications_blocked"));
  hint.textContent = hints.join(" ");
  hint.hidden = hints.length === 0;
}

function wireAlertSettings() {
  settings.hidden = false;
  settings.querySelector("[data-sound]").addEventListener("click", () => {
    sound = !sound;
    localStorage.setItem(SOUND_KEY, sound ? "on" : "off");
    if (sound) {
      unlockAudio();
      audio.resume().then(() => { chime(); renderAlertSettings(); });
    }
    renderAlertSettings();
  });
  settings.querySelector("[data-notifications]").addEventListener("click", async () => {
    if (notifications) {
      notifications = false;
    } else {
      const permission = await Notification.requestPermission();
      notifications = permission === "granted";
      notificationsBlocked = permission === "denied";
    }
    localStorage.setItem(NOTIFICATIONS_KEY, notifications ? "on" : "off");
    renderAlertSettings();
  });
  if (sound) {
    const unlock = () => {
      unlockAudio();
      document.removeEventListener("pointerdown", unlock, true);
      document.removeEventListener("keydown", unlock, true);
    };
    document.addEventListener("pointerdown", unlock, true);
    document.addEventListener("keydown", unlock, true);
  }
  if (canNotify && Notification.permission === "denied" && localStorage.getItem(NOTIFICATIONS_KEY) === "on") {
    notificationsBlocked = true;
  }
  renderAlertSettings();
}

// Status and errors ---------------------------------------------------------------------------

const connection = root?.querySelector("[data-connection]");
const errors = root?.querySelector("[data-errors]");

function status(text) {
  connection.textContent = text;
}

function showError(message) {
  // A child inserted into the always-present role="alert" container is announced.
  const paragraph = document.createElement("p");
  paragraph.className = "error";
  paragraph.textContent = t("error", { message });
  const dismiss = document.createElement("button");
  dismiss.type = "button";
  dismiss.textContent = "×";
  dismiss.setAttribute("aria-label", t("dismiss"));
  dismiss.className = "dismiss";
  dismiss.addEventListener("click", () => paragraph.remove());
  paragraph.append(" ", dismiss);
  errors.replaceChildren(paragraph);
}

// Actions -------------------------------------------------------------------------------------

function setPending(row, pending) {
  clearTimeout(row.pendingTimer);
  row.pending = pending;
  if (pending) row.pendingTimer = setTimeout(() => setPending(row, false), PENDING_MS);
  settle(row);
}

// Whether the row's action buttons can be used now: only on an open socket, one action at a time.
// aria-disabled rather than disabled: a disabled button drops the keyboard focus to the page.
function settle(row) {
  const ready = Boolean(socket?.connected) && !row.pending;
  for (const button of row.querySelectorAll("[data-waiting-actions] button")) {
    button.setAttribute("aria-disabled", String(!ready));
  }
}

function usable(button) {
  return button.getAttribute("aria-disabled") !== "true";
}

function wireActions() {
  tbody.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-admit], button[data-turn-away]");
    if (!button || !usable(button)) return;
    const row = button.closest("tr[data-appointment]");
    const id = row.dataset.appointment;
    if (button.matches("[data-turn-away]")) {
      if (!window.confirm(t("confirm_turn_away", { name: row.dataset.name }))) return;
      if (socket.send({ type: "turn_away", id })) setPending(row, true);
    } else if (socket.send({ type: "admit", id })) {
      setPending(row, true);
    }
  });
  tbody.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-notice]");
    if (!form) return;
    event.preventDefault();
    const text = form.elements.text.value.trim();
    if (!text || !usable(event.submitter ?? form.querySelector("button"))) return;
    const row = form.closest("tr[data-appointment]");
    if (socket.send({ type: "notice", id: row.dataset.appointment, text })) setPending(row, true);
  });
}

function noticeSent(id, message) {
  const row = rowOf(id);
  if (!row) return;
  setPending(row, false);
  const form = row.querySelector("form[data-notice]");
  form.elements.text.value = "";
  const item = document.createElement("p");
  item.textContent = t("sent", { time: clock(message.at, row.dataset.zone), text: message.text });
  const list = row.querySelector("[data-sent]");
  list.prepend(item);
  while (list.children.length > 3) list.lastElementChild.remove();
}

// The socket ----------------------------------------------------------------------------------

let socket = null;

function listen() {
  socket = new Socket(root.dataset.socket);
  socket.on("open", () => {
    status(t("live"));
    rows().forEach(settle);
    refresh();
  });
  socket.on("appointment", ({ appointment }) => apply(appointment));
  socket.on("notice_sent", ({ id, message }) => noticeSent(id, message));
  socket.on("error", ({ message }) => {
    rows().forEach((row) => setPending(row, false));
    showError(message);
  });
  socket.on("close", ({ final, opened, delay }) => {
    rows().forEach(settle);
    if (socket.stopped) return;
    if (!opened) refresh(); // a refused handshake may mean the session ended; refresh finds out
    if (final) status(t("broken"));
    else status(t("reconnecting", { seconds: String(Math.ceil(delay / 1000)) }));
  });
}

// A console left open overnight starts the new day with the new day's list.
function watchTheDay() {
  setInterval(() => {
    const typing = [...tbody.querySelectorAll("input[name=text]")].some((input) => input.value);
    if (localDay(new Date()) !== root.dataset.today && !typing) location.reload();
  }, 60_000);
}

function start() {
  for (const row of rows()) render(row, summaryOf(row));
  updateBadge();
  wireAlertSettings();
  wireActions();
  listen();
  window.addEventListener("pagehide", () => socket.close());
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) socket.connect(); // back from the page cache
  });
  watchTheDay();
  status(t("connecting"));
  socket.connect();
}

if (root && tbody) start();
