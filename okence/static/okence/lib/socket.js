// The one WebSocket client of every live page (the meeting pages, the console, the folder; see
// docs/meeting-protocol.md): JSON messages in and out as events, a ping every 20 s and a
// connection taken for dead when nothing was heard for 45 s (a silent drop may otherwise stay
// "open" for many minutes), and reconnection by itself after an unexpected close, with
// exponential backoff and jitter. Closes that mean "stop" (replaced, ended, protocol errors) are
// not retried.

import { Emitter } from "./emitter.js";

// 4400 malformed, 4409 replaced by another tab, 4410 meeting ended, 4413 too large, 4429 flood.
export const FINAL_CLOSES = new Set([4400, 4409, 4410, 4413, 4429]);
const FIRST_DELAY = 500;
const MAX_DELAY = 10_000;
const PING_EVERY = 20_000;
const SILENT_LIMIT = 45_000; // nothing heard for this long: the connection is dead
// The server allows 20 messages a second with bursts of 100; stay well below.
const RATE = 15;
const BURST = 60;

export class Socket extends Emitter {
  socket = null;
  attempt = 0;
  stopped = true;
  #retry = 0;
  #pinger = 0;
  #heard = 0;
  #tokens = BURST;
  #filled = performance.now();
  #queue = [];
  #flushTimer = 0;

  constructor(path) {
    super();
    this.url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
    window.addEventListener("online", () => {
      if (!this.stopped && !this.socket) this.#open(); // the network is back: don't wait
    });
  }

  get connected() {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  connect() {
    this.stopped = false;
    if (!this.socket) this.#open();
  }

  // Closes on purpose: no reconnection until connect() is called again.
  close() {
    this.stopped = true;
    clearTimeout(this.#retry);
    const socket = this.socket;
    if (socket) {
      this.#drop(socket);
      socket.close(1000);
    }
  }

  // Sends now, or a little later when over the rate; false (and nothing sent) while disconnected.
  send(message) {
    if (!this.connected) return false;
    this.#queue.push(JSON.stringify(message));
    this.#flush();
    return true;
  }

  #flush() {
    const now = performance.now();
    this.#tokens = Math.min(BURST, this.#tokens + ((now - this.#filled) / 1000) * RATE);
    this.#filled = now;
    while (this.#queue.length && this.#tokens >= 1 && this.connected) {
      this.socket.send(this.#queue.shift());
      this.#tokens -= 1;
    }
    if (this.#queue.length && !this.#flushTimer) {
      this.#flushTimer = setTimeout(() => {
        this.#flushTimer = 0;
        this.#flush();
      }, 1000 / RATE);
    }
  }

  #open() {
    clearTimeout(this.#retry);
    const socket = new WebSocket(this.url);
    this.socket = socket;
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      this.attempt = 0;
      this.#heard = Date.now();
      this.#pinger = setInterval(() => this.#ping(socket), PING_EVERY);
      this.emit("open");
    });
    socket.addEventListener("message", (event) => {
      this.#heard = Date.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.emit("message", message);
      this.emit(message.type, message);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket === socket) this.#closed(socket, event.code, opened);
    });
  }

  #ping(socket) {
    if (Date.now() - this.#heard > SILENT_LIMIT) {
      // A dead connection may take minutes to report its close: give up on it now.
      this.#closed(socket, 1006, true);
      socket.close();
      return;
    }
    this.send({ type: "ping" });
  }

  #drop(socket) {
    clearInterval(this.#pinger);
    clearTimeout(this.#flushTimer);
    this.#flushTimer = 0;
    this.#queue = [];
    if (this.socket === socket) this.socket = null;
  }

  // The "close" event: the code, whether it is final (no reconnection), whether the socket had
  // opened (a refused handshake never does) and in how many ms the next attempt comes.
  #closed(socket, code, opened) {
    this.#drop(socket);
    const final = this.stopped || FINAL_CLOSES.has(code);
    if (final) {
      this.emit("close", { code, final, opened });
      return;
    }
    const ceiling = Math.min(MAX_DELAY, FIRST_DELAY * 2 ** this.attempt);
    this.attempt += 1;
    // Full jitter on the upper half: many clients dropped at once do not return at once.
    const delay = ceiling / 2 + (Math.random() * ceiling) / 2;
    this.#retry = setTimeout(() => this.#open(), delay);
    this.emit("close", { code, final, opened, delay });
  }
}
