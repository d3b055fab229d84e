// Reading a server-sent-events stream (the client side of /events): text in,
// one message per blank line out. Push-based and socket-free, so it is tested
// in one chunk and split at every byte.

export interface SseMessage {
  /** The `id:` field, when the message had one. */
  id: string | undefined;
  /** The `event:` field ('message' when absent). */
  event: string;
  data: string;
}

export class SseReader {
  #pending = '';
  #id: string | undefined = undefined;
  #event = '';
  #data: string[] = [];
  #onMessage: (m: SseMessage) => void;

  constructor(onMessage: (m: SseMessage) => void) { this.#onMessage = onMessage; }

  /** Feeds decoded text (use setEncoding('utf8') so a character is never split). */
  push(text: string): void {
    let buf = this.#pending + text;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(buf);
      // A trailing CR may be the first half of CRLF: wait for the next chunk.
      if (m === null || (m[0] === '\r' && m.index === buf.length - 1)) break;
      this.#line(buf.slice(0, m.index));
      buf = buf.slice(m.index + m[0].length);
    }
    this.#pending = buf;
  }

  #line(line: string): void {
    if (line === '') {
      if (this.#data.length > 0) this.#onMessage({ id: this.#id, event: this.#event || 'message', data: this.#data.join('\n') });
      this.#id = undefined;
      this.#event = '';
      this.#data = [];
      return;
    }
    if (line.startsWith(':')) return; // comment (heartbeat)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id') this.#id = value;
  }
}
