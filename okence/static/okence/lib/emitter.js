// A small event emitter: the socket, the call and the media objects tell their pages what
// happened through it.

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
