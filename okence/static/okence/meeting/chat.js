// The meeting chat and the waiting room's messages: lists that render each message once (by id)
// inside an aria-live region, and a form that sends. Links (the shared folder the official posts)
// become clickable and open in a new tab, so the call goes on.

import { folderLink } from "./shared-folder.js";

const LINK = /(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)])/;

function linked(text, newTab) {
  return text.split(LINK).map((part, index) => {
    if (index % 2 === 0) return document.createTextNode(part);
    const link = document.createElement("a");
    link.href = part;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = part;
    const hint = document.createElement("span");
    hint.className = "visually-hidden";
    hint.textContent = ` ${newTab}`;
    link.append(hint);
    return link;
  });
}

export class MessageList {
  #seen = new Set();

  // senders: {citizen: "…", official: "…"}; strings: the page's strings (waitingRoom, newTab).
  constructor(list, senders, strings) {
    this.list = list;
    this.senders = senders;
    this.strings = strings;
    // Times as the appointment shows them: in the unit's zone (data-zone on the list).
    this.time = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      hour: "2-digit",
      minute: "2-digit",
      timeZone: list.closest("[data-zone]")?.dataset.zone || undefined,
    });
  }

  // The whole history (after a (re)connection): only what is new is added, so that the live
  // region does not read everything again; a history that lost messages starts over.
  reset(messages = []) {
    const ids = new Set(messages.map((message) => message.id));
    if ([...this.#seen].some((id) => !ids.has(id))) {
      this.#seen.clear();
      this.list.replaceChildren();
    }
    for (const message of messages) this.add(message);
  }

  add(message) {
    if (this.#seen.has(message.id)) return;
    this.#seen.add(message.id);
    const item = document.createElement("li");
    item.className = `message from-${message.from}`;
    const meta = document.createElement("p");
    meta.className = "message-meta";
    let about = `${this.senders[message.from] ?? message.from}, ${this.time.format(new Date(message.at))}`;
    if (message.waiting_room && this.strings.waitingRoom) about += ` · ${this.strings.waitingRoom}`;
    meta.textContent = about;
    const text = document.createElement("p");
    text.className = "message-text";
    // The shared folder's message: each side links to its own folder page (data-folder-url).
    const folderUrl = message.kind === "folder" && this.list.closest("[data-folder-url]")?.dataset.folderUrl;
    if (folderUrl) text.append(folderLink(folderUrl, this.strings));
    else text.append(...linked(message.text, this.strings.newTab));
    item.append(meta, text);
    this.list.append(item);
    this.list.scrollTop = this.list.scrollHeight;
  }
}

// A form with one text field: send(text) → true when sent; otherwise the text stays and the
// form says why.
export function sendForm(form, send, notSent) {
  const input = form.querySelector("input, textarea");
  const error = form.querySelector(".form-error");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) {
      input.focus();
      return;
    }
    const sent = send(text);
    error.hidden = sent;
    error.textContent = sent ? "" : notSent;
    if (sent) input.value = "";
    input.focus();
  });
}
