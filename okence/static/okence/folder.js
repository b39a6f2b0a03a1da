// The shared folder page: choose files and download them (the form works without JavaScript),
// upload with progress and cancel ("Upload" → "Files", or drag and drop), and a live list: the
// folder's socket says when anything changed and the list is fetched again, for both sides.

import { $, announce, fill, readStrings } from "./lib/dom.js";
import { Socket } from "./lib/socket.js";

const root = $("folder");
const strings = readStrings("folder-strings");

const config = root.dataset;
const MB = 1024 * 1024;
const limits = {
  file: Number(config.maxFileMb) * MB,
  folder: Number(config.maxFolderMb) * MB,
  files: Number(config.maxFiles),
};
const allowed = new Set(config.allowed.split(",").filter(Boolean).map((ext) => ext.toLowerCase()));
const clock = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
  hour: "2-digit",
  minute: "2-digit",
  timeZone: config.zone || undefined,
});

const form = $("download-form");
const rows = $("file-rows");
const table = $("file-table");
const download = $("download");
const selectAll = $("select-all");

// The folder as last fetched (id → file); what is checked survives every refresh.
let files = new Map();
const selected = new Set();
let gone = false;

// --- The list ---------------------------------------------------------------------------------

function formatTime(element) {
  const moment = new Date(element.getAttribute("datetime"));
  if (!Number.isNaN(moment.getTime())) element.textContent = clock.format(moment);
}

function whoLabel(file) {
  if (file.uploaded_by === config.role) return strings.you;
  if (strings[file.uploaded_by]) return strings[file.uploaded_by];
  const label = file.uploaded_by_label || file.uploaded_by;
  return label.charAt(0).toUpperCase() + label.slice(1);
}

function cell(tag, className, content) {
  const element = document.createElement(tag);
  element.className = className;
  if (content !== undefined) element.append(content);
  return element;
}

// The same row as the template renders.
function buildRow(file) {
  const row = document.createElement("tr");
  row.dataset.id = String(file.id);
  const pick = cell("td", "pick");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.name = "id";
  box.value = String(file.id);
  box.id = `pick-${file.id}`;
  const label = document.createElement("label");
  label.htmlFor = box.id;
  label.className = "visually-hidden";
  label.textContent = fill(strings.select, { name: file.name });
  pick.append(box, label);
  const name = cell("th", "name");
  name.scope = "row";
  const link = document.createElement("a");
  link.href = file.download_url;
  link.textContent = file.name;
  name.append(link);
  const time = document.createElement("time");
  time.setAttribute("datetime", file.created_at);
  formatTime(time);
  row.append(
    pick,
    name,
    cell("td", "type", file.type),
    cell("td", "size", file.size_label),
    cell("td", "by", whoLabel(file)),
    cell("td", "when", time),
  );
  return row;
}

// Rows are kept by id and only added or removed, so that focus and checks stay where they are.
function render(list, { fresh = false } = {}) {
  const existing = new Map([...rows.querySelectorAll("tr[data-id]")].map((row) => [row.dataset.id, row]));
  const ids = new Set(list.map((file) => String(file.id)));
  for (const [id, row] of existing) {
    if (!ids.has(id)) {
      row.remove();
      selected.delete(id);
    }
  }
  let previous = null;
  for (const file of list) {
    const id = String(file.id);
    let row = existing.get(id);
    if (!row) {
      row = buildRow(file);
      if (fresh) row.classList.add("new");
    }
    const wanted = previous ? previous.nextElementSibling : rows.firstElementChild;
    if (row !== wanted) rows.insertBefore(row, wanted);
    previous = row;
  }
  files = new Map(list.map((file) => [String(file.id), file]));
  table.hidden = list.length === 0;
  $("no-files").hidden = list.length !== 0;
  syncSelection();
}

function boxes() {
  return [...rows.querySelectorAll("input[name=id]")];
}

function syncSelection() {
  const all = boxes();
  for (const box of all) {
    box.checked = selected.has(box.value);
    box.closest("tr").classList.toggle("selected", box.checked);
  }
  const count = all.filter((box) => box.checked).length;
  selectAll.checked = count > 0 && count === all.length;
  selectAll.indeterminate = count > 0 && count < all.length;
  selectAll.disabled = all.length === 0;
  download.disabled = count === 0;
  $("download-hint").textContent =
    count === 0
      ? all.length === 0
        ? strings.downloadHint
        : strings.noneSelected
      : count === 1
        ? strings.selectedOne
        : fill(strings.selectedMany, { n: count });
}

rows.addEventListener("change", (event) => {
  const box = event.target.closest("input[name=id]");
  if (!box) return;
  if (box.checked) selected.add(box.value);
  else selected.delete(box.value);
  syncSelection();
});
selectAll.addEventListener("change", () => {
  for (const box of boxes()) {
    if (selectAll.checked) selected.add(box.value);
    else selected.delete(box.value);
  }
  syncSelection();
});
// One file downloads as itself, several as one ZIP: the form's GET does it (?id=1&id=2).
form.addEventListener("submit", (event) => {
  if (boxes().some((box) => box.checked)) return;
  event.preventDefault();
  selectAll.focus();
});

function showGone() {
  if (gone) return;
  gone = true;
  socket.close();
  for (const active of uploads) active.cancel();
  form.hidden = true;
  root.querySelector(".folder-note").hidden = true;
  $("folder-gone").hidden = false;
  announce(strings.gone);
}

let fetching = null;
let again = null; // a refresh asked for while one runs: {announceNew}

// Fetches the list again; calls that come while one runs are folded into one more after it.
async function refresh({ announceNew = false } = {}) {
  if (gone) return;
  if (fetching) {
    again = { announceNew: announceNew || Boolean(again?.announceNew) };
    return fetching;
  }
  fetching = (async () => {
    try {
      const response = await fetch(config.listUrl, {
        headers: { Accept: "application/json" },
        cache: "no-store",
        credentials: "same-origin",
      });
      if (response.status === 404) {
        showGone();
        return;
      }
      if (!response.ok) return;
      const { files: list } = await response.json();
      const before = new Set(files.keys());
      render(list, { fresh: true });
      if (announceNew) {
        const added = list.filter((file) => !before.has(String(file.id)) && !ownUploads.has(file.id));
        if (added.length) announce(fill(strings.newFile, { name: added.map((file) => file.name).join(", ") }));
      }
    } catch {
      // offline for a moment: the socket's reconnection refreshes again
    }
  })();
  await fetching;
  fetching = null;
  if (again) {
    const options = again;
    again = null;
    await refresh(options);
  }
}

// --- Uploads ----------------------------------------------------------------------------------

const uploadList = $("uploads");
const uploads = new Set(); // waiting or running
const queue = [];
const ownUploads = new Set(); // ids of files uploaded from this page: not announced as "new"
let running = null;

function extension(name) {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot).toLowerCase() : "";
}

function pendingBytes() {
  let total = 0;
  for (const upload of uploads) total += upload.file.size;
  return total;
}

// A quick answer before sending; the server still decides.
function precheck(file) {
  if (!allowed.has(extension(file.name))) return strings.typeRefused;
  if (file.size === 0) return strings.emptyFile;
  if (file.size > limits.file) return fill(strings.tooLarge, { mb: config.maxFileMb });
  const used = [...files.values()].reduce((sum, entry) => sum + entry.size, 0);
  if (files.size + uploads.size >= limits.files) return fill(strings.tooMany, { n: config.maxFiles });
  if (used + pendingBytes() + file.size > limits.folder) return fill(strings.noRoom, { mb: config.maxFolderMb });
  return "";
}

class Upload {
  constructor(file) {
    this.file = file;
    this.xhr = null;
    this.item = document.createElement("li");
    this.item.className = "upload-item";
    const name = document.createElement("p");
    name.className = "upload-name";
    name.textContent = file.name;
    name.id = `upload-${Math.random().toString(36).slice(2)}`;
    this.button = document.createElement("button");
    this.button.type = "button";
    this.bar = document.createElement("div");
    this.bar.className = "upload-bar";
    this.progress = document.createElement("progress");
    this.progress.max = 100;
    this.progress.value = 0;
    this.progress.setAttribute("aria-label", fill(strings.progressLabel, { name: file.name }));
    this.state = document.createElement("span");
    this.state.className = "upload-state";
    this.bar.append(this.progress, this.state);
    this.item.append(name, this.button, this.bar);
    this.setButton(strings.cancel, () => this.cancel());
    this.show("waiting", strings.waiting);
    uploadList.prepend(this.item);
  }

  setButton(text, action) {
    const hint = document.createElement("span");
    hint.className = "visually-hidden";
    hint.textContent = `: ${this.file.name}`;
    this.button.replaceChildren(text, hint);
    this.button.onclick = action;
  }

  show(state, text) {
    this.item.dataset.state = state;
    this.state.textContent = text;
  }

  percent(loaded, total) {
    const value = total ? Math.min(100, Math.round((loaded / total) * 100)) : 0;
    this.progress.value = value;
    this.show("uploading", value >= 100 ? strings.checking : fill(strings.uploadingPercent, { percent: value }));
  }

  // Ends this upload: done, cancelled or an error said in the item (role=alert).
  finish(state, message) {
    uploads.delete(this);
    const focused = this.item.contains(document.activeElement);
    if (state === "done") {
      this.show("done", strings.uploaded);
      this.progress.value = 100;
    } else if (state === "cancelled") {
      this.show("cancelled", strings.cancelled);
      this.progress.hidden = true;
    } else {
      this.show("error", strings.notUploaded);
      this.progress.hidden = true;
      const error = document.createElement("p");
      error.className = "upload-error";
      error.setAttribute("role", "alert");
      error.textContent = message;
      this.item.append(error);
    }
    this.setButton(strings.hide, () => {
      const next = this.item.nextElementSibling || this.item.previousElementSibling;
      this.item.remove();
      (next?.querySelector("button") ?? $("upload-toggle")).focus();
    });
    if (focused) this.button.focus();
    if (running === this) {
      running = null;
      next();
    }
  }

  cancel() {
    if (!uploads.has(this)) return;
    const index = queue.indexOf(this);
    if (index >= 0) queue.splice(index, 1);
    this.xhr?.abort(); // the abort handler finishes
    if (!this.xhr) {
      this.finish("cancelled");
      announce(fill(strings.cancelledName, { name: this.file.name }));
    }
  }

  start() {
    running = this;
    const xhr = new XMLHttpRequest();
    this.xhr = xhr;
    xhr.open("PUT", `${config.uploadUrl}?name=${encodeURIComponent(this.file.name)}`);
    xhr.responseType = "json";
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) this.percent(event.loaded, event.total);
    });
    xhr.addEventListener("load", () => {
      const answer = xhr.response ?? {};
      if (xhr.status === 201 && answer.file) {
        ownUploads.add(answer.file.id);
        this.finish("done");
        announce(fill(strings.uploadedName, { name: answer.file.name }));
        // At once in the list; the socket's "changed" then brings the other side's view too.
        if (!files.has(String(answer.file.id))) render([...files.values(), answer.file], { fresh: true });
        refresh();
      } else if (xhr.status === 404 && !answer.error) {
        this.finish("error", strings.gone);
      } else {
        this.finish("error", answer.error || strings.failed);
        if (xhr.status === 404) refresh();
      }
    });
    xhr.addEventListener("error", () => this.finish("error", strings.noConnection));
    xhr.addEventListener("abort", () => {
      this.finish("cancelled");
      announce(fill(strings.cancelledName, { name: this.file.name }));
    });
    this.percent(0, this.file.size);
    announce(fill(strings.uploading, { name: this.file.name }));
    xhr.send(this.file);
  }
}

// One upload at a time, in the order chosen: the folder's limits then apply as expected.
function next() {
  if (running || gone) return;
  const upload = queue.shift();
  if (upload) upload.start();
}

function add(fileList) {
  if (gone) return;
  for (const file of fileList) {
    const upload = new Upload(file);
    const problem = precheck(file);
    if (problem) {
      upload.finish("error", problem);
      continue;
    }
    uploads.add(upload);
    queue.push(upload);
  }
  next();
}

// "Upload" reveals "Files" (as in the guide: Naloži → Datoteke), which opens the file picker.
const toggle = $("upload-toggle");
const choices = $("upload-choices");
const input = $("file-input");

function setMenu(open) {
  toggle.setAttribute("aria-expanded", String(open));
  choices.hidden = !open;
  $("upload-help").hidden = !open;
}

toggle.addEventListener("click", () => {
  const open = toggle.getAttribute("aria-expanded") !== "true";
  setMenu(open);
  if (open) $("pick-files").focus();
});
choices.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    setMenu(false);
    toggle.focus();
  }
});
$("pick-files").addEventListener("click", () => input.click());
input.addEventListener("change", () => {
  add([...input.files]);
  input.value = ""; // the same file may be chosen again
});

// Drag and drop onto the page, where the device has it.
const dropZone = $("drop-zone");
const canDrop = "ondrop" in window && matchMedia("(pointer: fine)").matches;
if (canDrop) {
  root.querySelector(".drop-help").hidden = false;
  let depth = 0;
  const carriesFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");
  document.addEventListener("dragenter", (event) => {
    if (!carriesFiles(event) || gone) return;
    event.preventDefault();
    depth += 1;
    dropZone.hidden = false;
  });
  document.addEventListener("dragover", (event) => {
    if (!carriesFiles(event) || gone) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) dropZone.hidden = true;
  });
  document.addEventListener("drop", (event) => {
    depth = 0;
    dropZone.hidden = true;
    if (!carriesFiles(event) || gone) return;
    event.preventDefault();
    add([...event.dataTransfer.files]);
  });
}

// --- Live updates -----------------------------------------------------------------------------

const socket = new Socket(config.socket);
socket.on("changed", () => refresh({ announceNew: true }));
// Also after a reconnection: whatever changed meanwhile.
let opened = false;
socket.on("open", () => {
  if (opened) refresh({ announceNew: true });
  opened = true;
});

// Start: the template's rows stay (their times now in local time), the controls appear.
for (const time of rows.querySelectorAll("time")) formatTime(time);
render(JSON.parse($("folder-data").textContent));
root.querySelector(".select-all").hidden = false;
root.querySelector(".upload-menu").hidden = false;
socket.connect();
refresh();
