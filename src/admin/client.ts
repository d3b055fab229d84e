// A client of the admin API for the CLI: JSON requests with the bearer token,
// and the /events stream. Every failure becomes an AdminApiError whose
// message names the address (or carries the server's own error message) and
// never a stack. Must not print or exit; the command decides that.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { SseReader, type SseMessage } from './sse-parse.js';

export class AdminApiError extends Error {
  override readonly name = 'AdminApiError';
  /** HTTP status when the server answered, else null (unreachable, timeout). */
  readonly status: number | null;
  /** The server's error code ({"error":{"code"}}), when it sent one. */
  readonly code: string | null;
  constructor(message: string, status: number | null = null, code: string | null = null) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface ApiReply { status: number; json: unknown }

export interface EventStreamHandle { close(): void }

/** HTTPS to an admin API with `shardgate.admin.tls`: the CA its certificate chains to (none: the system's), a client certificate. */
export interface AdminClientTls { ca?: Buffer; cert?: Buffer; key?: Buffer }

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
};

export class AdminClient {
  readonly address: string;
  #host: string;
  #port: number;
  #token: string | null;
  #timeoutMs: number;
  /** null: plain HTTP */
  readonly #tls: AdminClientTls | null;

  constructor(host: string, port: number, token: string | null, timeoutMs = 5000, tls: AdminClientTls | null = null) {
    this.#host = host;
    this.#port = port;
    this.address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.#token = token;
    this.#timeoutMs = timeoutMs;
    this.#tls = tls;
  }

  /** http.request or, with TLS, https.request (the server's certificate is always verified). */
  #request(opts: http.RequestOptions, onResponse: (res: IncomingMessage) => void): http.ClientRequest {
    if (this.#tls === null) return http.request(opts, onResponse);
    return https.request({ ...opts, ...this.#tls, rejectUnauthorized: true }, onResponse);
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.#token === null ? extra : { ...extra, authorization: `Bearer ${this.#token}` };
  }

  #unreachable(err: NodeJS.ErrnoException): AdminApiError {
    return new AdminApiError(`cannot reach the admin API at ${this.address}: ${REASONS[err.code ?? ''] ?? err.message}`);
  }

  /** One request; any HTTP status resolves (with the parsed JSON body, or null when empty). */
  request(method: string, path: string, body?: unknown): Promise<ApiReply> {
    const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const headers = this.#headers(payload === null ? {} : { 'content-type': 'application/json', 'content-length': String(payload.length) });
    return new Promise((resolve, reject) => {
      const req = this.#request({ host: this.#host, port: this.#port, method, path, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(this.#unreachable(err)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (text.trim() === '') { resolve({ status, json: null }); return; }
          try { resolve({ status, json: JSON.parse(text) }); } catch {
            reject(new AdminApiError(`the admin API at ${this.address} answered ${method} ${path} with ${status} and a body that is not JSON`, status));
          }
        });
      });
      req.setTimeout(this.#timeoutMs, () => {
        req.destroy();
        reject(new AdminApiError(`the admin API at ${this.address} did not answer ${method} ${path} within ${this.#timeoutMs / 1000} s`));
      });
      req.on('error', (err) => reject(this.#unreachable(err)));
      req.end(payload ?? undefined);
    });
  }

  /** The error the server answered with, as one line naming the request. */
  failure(method: string, path: string, reply: ApiReply): AdminApiError {
    const e = (reply.json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = typeof e?.code === 'string' ? e.code : null;
    const message = typeof e?.message === 'string' ? e.message : 'no error message';
    return new AdminApiError(`the admin API at ${this.address} refused ${method} ${path}: ${reply.status}${code ? ` ${code}` : ''}: ${message}`, reply.status, code);
  }

  /** GET that must answer 2xx. */
  async getJson(path: string): Promise<unknown> {
    const reply = await this.request('GET', path);
    if (reply.status < 200 || reply.status > 299) throw this.failure('GET', path, reply);
    return reply.json;
  }

  /**
   * Opens an SSE stream. `onOpen` runs once the server answered 200; `onEnd`
   * runs once, with an error when the stream could not be opened or broke.
   */
  events(path: string, handlers: { onOpen(): void; onMessage(m: SseMessage): void; onEnd(err: AdminApiError | null): void }): EventStreamHandle {
    let ended = false;
    const end = (err: AdminApiError | null) => {
      if (ended) return;
      ended = true;
      handlers.onEnd(err);
    };
    const req = this.#request({ host: this.#host, port: this.#port, path, headers: this.#headers({ accept: 'text/event-stream' }), agent: false }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume();
        end(new AdminApiError(`the admin API at ${this.address} answered GET ${path} with ${res.statusCode}`, res.statusCode ?? null));
        return;
      }
      req.setTimeout(0);
      handlers.onOpen();
      const reader = new SseReader((m) => { if (!ended) handlers.onMessage(m); });
      res.setEncoding('utf8');
      res.on('data', (t: string) => reader.push(t));
      res.on('end', () => end(new AdminApiError(`the event stream of ${this.address} ended`)));
      res.on('error', () => end(new AdminApiError(`the event stream of ${this.address} broke`)));
      res.on('close', () => end(new AdminApiError(`the event stream of ${this.address} closed`)));
    });
    req.setTimeout(this.#timeoutMs, () => {
      req.destroy();
      end(new AdminApiError(`the admin API at ${this.address} did not answer GET ${path} within ${this.#timeoutMs / 1000} s`));
    });
    req.on('error', (err: NodeJS.ErrnoException) => end(this.#unreachable(err)));
    req.end();
    return { close: () => { ended = true; req.destroy(); } };
  }
}
