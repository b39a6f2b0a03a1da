// The meeting's WebSocket (docs/meeting-protocol.md): JSON messages in and out, a small event
// emitter, and reconnection by itself after an unexpected close, with exponential backoff and
// jitter. Closes that mean "stop" (replaced, ended, protocol errors) are not retried.

export class Emitter {
  #handlers = new Map();

  on(type, handler) {
    if (!this.#handlers.has(type)) this.#handlers.set(type, []);
    this.#handlers.get(type).push(handler);
    return this;
  }

  emit(type, data) {
    for (const handler of this.#handlers.get(type) ?? []) handler(data);
  }
}

// 4400 malformed, 4409 replaced by another tab, 4410 meeting ended, 4413 too large, 4429 flood.
export const FINAL_CLOSES = new Set([4400, 4409, 4410, 4413, 4429]);
const FIRST_DELAY = 500;
const MAX_DELAY = 10_000;
const PING_EVERY = 20_000;
const SILENT_LIMIT = 45_000; // nothing heard for this long: the connection is dead
// The server allows 20 messages a second with bursts of 100; stay well below.
const RATE = 15;
const BURST = 60;

export class Signalling extends Emitter {
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
    socket.addEventListener("open", () => {
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
      if (this.socket === socket) this.#closed(socket, event.code);
    });
  }

  #ping(socket) {
    if (Date.now() - this.#heard > SILENT_LIMIT) {
      // A dead connection may take minutes to report its close: give up on it now.
      this.#closed(socket, 1006);
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

  #closed(socket, code) {
    this.#drop(socket);
    const final = this.stopped || FINAL_CLOSES.has(code);
    this.emit("close", { code, final });
    if (final) return;
    const delay = Math.min(MAX_DELAY, FIRST_DELAY * 2 ** this.attempt);
    this.attempt += 1;
    // Full jitter on the upper half: many clients dropped at once do not return at once.
    this.#retry = setTimeout(() => this.#open(), delay / 2 + (Math.random() * delay) / 2);
  }
}
