// The "Shared folder" panel of both meeting pages: the folder's files (fetched again whenever the
// meeting socket says the folder changed) and a link to this side's folder page, opening in a new
// tab so that the call goes on. On the official's page it also creates the folder.

import { announce } from "../lib/dom.js";

function csrfToken() {
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (field?.value) return field.value;
  const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
}

export class FolderPanel {
  #fetching = false;
  #again = false;

  // element: the panel (data-files-url, data-folder-url, data-create-url on the official's);
  // strings: the page's strings; role: "citizen" | "official".
  constructor(element, strings, role) {
    this.element = element;
    this.strings = strings;
    this.role = role;
    this.state = "";
    this.list = element.querySelector("[data-folder-files]");
    this.error = element.querySelector("[data-folder-error]");
    this.createButton = element.querySelector("[data-folder-create]");
    this.createButton?.addEventListener("click", () => this.create());
  }

  // Follows the meeting socket: the folder changed, its link was posted, the call (re)started.
  listen(socket) {
    socket.on("folder", () => this.refresh());
    socket.on("chat", ({ message }) => message?.kind === "folder" && this.refresh());
    // Only in the call is there a folder to show (the citizen's "admitted", the official's status).
    const inCall = ({ state }) => state === "admitted" || state === "in_meeting";
    socket.on("hello", (message) => inCall(message) && this.refresh());
    socket.on("state", (message) => inCall(message) && this.refresh());
    return this;
  }

  // Shows the parts whose data-folder names one of the states: "none" (no folder yet), "ready",
  // and "files" or "empty".
  #show(...states) {
    this.state = states[0];
    for (const part of this.element.querySelectorAll("[data-folder]")) {
      part.hidden = !part.dataset.folder.split(" ").some((name) => states.includes(name));
    }
  }

  async refresh() {
    if (this.#fetching) {
      this.#again = true;
      return;
    }
    this.#fetching = true;
    try {
      const response = await fetch(this.element.dataset.filesUrl, {
        headers: { Accept: "application/json" },
        cache: "no-store",
        credentials: "same-origin",
      });
      if (response.status === 404) this.#show("none");
      else if (response.ok) this.#render((await response.json()).files ?? []);
    } catch {
      // no connection for a moment: the socket's next message refreshes again
    } finally {
      this.#fetching = false;
    }
    if (this.#again) {
      this.#again = false;
      await this.refresh();
    }
  }

  #render(files) {
    const items = files.map((file) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = file.download_url;
      link.download = file.name;
      link.textContent = file.name;
      const who =
        file.uploaded_by === this.role
          ? this.strings.you
          : (this.strings[file.uploaded_by] ??
            (file.uploaded_by_label || file.uploaded_by).replace(/^./, (first) => first.toUpperCase()));
      const about = document.createElement("span");
      about.className = "muted";
      about.textContent = ` · ${file.size_label} · ${who}`;
      item.append(link, about);
      return item;
    });
    this.list.replaceChildren(...items);
    this.#show("ready", files.length ? "files" : "empty");
  }

  async create() {
    const button = this.createButton;
    button.disabled = true;
    this.error.hidden = true;
    try {
      const response = await fetch(this.element.dataset.createUrl, {
        method: "POST",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) {
        await this.refresh();
        if (this.state === "none") this.#show("ready", "empty"); // the list is not there yet
        this.element.querySelector("[data-folder-open]")?.focus();
        announce(this.strings.folderCreated);
      } else {
        this.#fail(answer.error || this.strings.folderNotCreated);
      }
    } catch {
      this.#fail(this.strings.notSent);
    } finally {
      button.disabled = false;
    }
  }

  #fail(message) {
    this.error.textContent = message;
    this.error.hidden = false;
  }
}

// The chat's "shared folder" message: a link to this side's own folder page, in a new tab.
export function folderLink(url, strings) {
  const link = document.createElement("a");
  link.href = url;
  link.target = "_blank";
  link.rel = "noopener";
  link.className = "folder-link";
  link.textContent = strings.sharedFolder;
  const hint = document.createElement("span");
  hint.className = "visually-hidden";
  hint.textContent = ` ${strings.newTab}`;
  link.append(hint);
  return link;
}
