// The admin HTTP server: binds one listener (HTTPS with `shardgate.admin.tls`,
// client certificates and allow_subjects checked as on a pool's listener),
// routes each request by exact path and method to an AdminRoute, checks the
// bearer token, reads the body (bounded), and turns what the handler answers —
// or throws — into a JSON (or text) reply. It owns no route of its own and
// knows nothing of the proxy.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { ListenerTls } from '../config/index.js';
import { listenerTlsOptions, refuseReason } from '../security/tls-listener.js';
import { BearerAuth } from './auth.js';
import { AdminError, errorBody } from './errors.js';
import { bindFailure, formatAddress, parseListenAddress } from './listen.js';
import type { AdminRequest, AdminResult, AdminRoute, AdminServer } from './types.js';

export const MAX_BODY_BYTES = 4 * 1024 * 1024;
const CLOSE_GRACE_MS = 1000;
/** ms a TLS client has to finish its handshake (as on the pools' listeners) */
const TLS_HANDSHAKE_MS = 10_000;

export interface AdminServerOptions {
  /** 'host:port' (host defaults to 127.0.0.1; port 0 picks a free one). */
  listen: string;
  token: string | null;
  /** With a token set: reads need it as well, not only mutating routes. */
  authReads: boolean;
  routes: AdminRoute[];
  log: Logger;
  /** HTTPS with these settings; null or absent = plain HTTP */
  tls?: ListenerTls | null;
}

export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function routeTable(routes: AdminRoute[]): Map<string, Map<string, AdminRoute>> {
  const table = new Map<string, Map<string, AdminRoute>>();
  for (const r of routes) {
    const byMethod = table.get(r.path) ?? new Map<string, AdminRoute>();
    if (byMethod.has(r.method)) throw new Error(`admin route ${r.method} ${r.path} is defined twice`);
    byMethod.set(r.method, r);
    table.set(r.path, byMethod);
  }
  return table;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new AdminError(413, 'body_too_large', `request body is larger than ${limit} bytes`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume(); // discard what arrives; the answer does not wait for it
    return Promise.reject(tooLarge());
  }
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        chunks.length = 0;
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const cut = () => reject(new AdminError(400, 'bad_request', 'the request body ended early'));
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', cut);
    req.once('close', cut); // after 'end' this rejects a settled promise: no effect
  });
}

function send(res: ServerResponse, result: Exclude<AdminResult, { streaming: true }>): void {
  let body = '';
  let type = result.contentType;
  if (result.json !== undefined) {
    body = jsonText(result.json);
    type ??= 'application/json; charset=utf-8';
  } else if (result.text !== undefined) {
    body = result.text;
    type ??= 'text/plain; charset=utf-8';
  }
  const headers: Record<string, string | number> = { ...result.headers, 'content-length': Buffer.byteLength(body) };
  if (type !== undefined) headers['content-type'] = type;
  res.writeHead(result.status, headers);
  res.end(body); // node leaves the body out of an answer to HEAD
}

function sendError(res: ServerResponse, err: AdminError): void {
  send(res, { status: err.status, json: errorBody(err.code, err.message), headers: err.headers });
}

export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  const { host, port } = parseListenAddress(opts.listen);
  const table = routeTable(opts.routes);
  const auth = new BearerAuth(opts.token, opts.authReads);
  const log = opts.log;
  const streams = new Set<ServerResponse>();
  let tls = opts.tls ?? null;

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (tls !== null) {
      // A client certificate that does not verify (client_certs: optional) or is outside allow_subjects: no route runs.
      const why = refuseReason(req.socket as TLSSocket, tls);
      if (why !== null) {
        log.warn({ remote: req.socket.remoteAddress }, `admin API: TLS client refused: ${why}`);
        throw new AdminError(403, 'tls_refused', `TLS client refused: ${why}`, { connection: 'close' });
      }
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    const byMethod = table.get(path);
    if (byMethod === undefined) throw new AdminError(404, 'not_found', `no admin route ${path}`);
    const route = byMethod.get(method === 'HEAD' ? 'GET' : method);
    if (route === undefined) {
      const allow = [...byMethod.keys()];
      if (byMethod.has('GET')) allow.push('HEAD');
      throw new AdminError(405, 'method_not_allowed', `${method} is not allowed on ${path} (allowed: ${allow.join(', ')})`, { allow: allow.join(', ') });
    }
    const mutates = route.mutates ?? route.method !== 'GET';
    if (auth.required(mutates, route.public === true && !mutates)) {
      const verdict = auth.check(req.headers.authorization);
      if (verdict !== 'ok') {
        throw new AdminError(401, 'unauthorized', verdict === 'missing' ? 'this route needs "Authorization: Bearer <token>"' : 'the token is not valid',
          { 'www-authenticate': 'Bearer realm="shardgate"' });
      }
    }
    const body = await readBody(req, MAX_BODY_BYTES);
    const request: AdminRequest = {
      method: method as AdminRequest['method'], path, query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
      headers: req.headers, body, raw: req, res,
    };
    const result = await route.handle(request);
    if ('streaming' in result) {
      if (!res.writableEnded) {
        streams.add(res);
        res.once('close', () => streams.delete(res));
      }
      return;
    }
    send(res, result);
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    dispatch(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        log.error({ err, method: req.method, url: req.url }, 'admin handler failed after it began answering');
        res.destroy();
        return;
      }
      if (err instanceof AdminError) {
        sendError(res, err);
        return;
      }
      log.error({ err, method: req.method, url: req.url }, 'admin handler failed');
      sendError(res, new AdminError(500, 'internal', 'internal error (see the shardgate log)'));
    });
  };
  const server = tls === null ? http.createServer(handler) : https.createServer({ ...listenerTlsOptions(tls), handshakeTimeout: TLS_HANDSHAKE_MS }, handler);
  if (tls !== null) {
    // A failed handshake (plain HTTP, no or a bad certificate under 'require', the deadline). node:tls
    // does not close the socket on its own handshake timeout: the destroy() enforces the deadline.
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      socket.destroy();
      log.debug({ remote: socket.remoteAddress, reason: err.message }, 'admin API: TLS handshake failed');
    });
  }
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => { sockets.add(s); s.once('close', () => sockets.delete(s)); });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) { socket.destroy(); return; }
    const body = jsonText(errorBody('bad_request', 'malformed HTTP request'));
    socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(bindFailure(opts.listen, err));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'admin listener error'));
  const bound = server.address();
  const address = typeof bound === 'object' && bound !== null ? formatAddress(bound.address, bound.port) : opts.listen;

  let closing: Promise<void> | null = null;
  return {
    address,
    scheme: tls === null ? 'http' : 'https',
    setAuth(token: string | null, authReads: boolean) { auth.set(token, authReads); },
    setTls(next: ListenerTls) {
      if (!(server instanceof https.Server)) throw new Error('setTls on a plain HTTP admin server');
      server.setSecureContext(listenerTlsOptions(next));
      tls = next;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const res of streams) res.end();
        server.closeIdleConnections();
        // A request still being answered gets a moment, then its connection is cut.
        const t = setTimeout(() => { for (const s of sockets) s.destroy(); }, CLOSE_GRACE_MS);
        t.unref();
        server.once('close', () => clearTimeout(t));
      });
      return closing;
    },
  };
}
