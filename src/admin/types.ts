// The contract between the admin HTTP server and the routes it serves: what a
// handler receives, what it answers, and the handle the starter gets back.
// Types only; must not import the server.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ListenerTls } from '../config/index.js';

export type AdminMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

export interface AdminRequest {
  /** HEAD reaches the GET route with method 'HEAD'; the server drops the body of the answer. */
  method: AdminMethod | 'HEAD';
  /** The path without the query, as sent (not percent-decoded). */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The whole request body (at most 4 MB; empty when none was sent). */
  body: Buffer;
  raw: IncomingMessage;
  /** For handlers that answer `{ streaming: true }` and write the response themselves. */
  res: ServerResponse;
}

export type AdminResult =
  | { status: number; json?: unknown; text?: string; contentType?: string; headers?: Record<string, string> }
  /** The handler took over `res`; the server ends it when the server closes. */
  | { streaming: true };

export interface AdminRoute {
  method: AdminMethod;
  /** Exact path, e.g. '/ring'. */
  path: string;
  /** Needs the token whenever one is set (default: method !== 'GET'). */
  mutates?: boolean;
  /** A read that never needs the token, even with authReads (probes). Ignored for mutating routes. */
  public?: boolean;
  handle(req: AdminRequest): AdminResult | Promise<AdminResult>;
}

export interface AdminServer {
  /** host:port actually bound (the real port when 0 was asked for). */
  readonly address: string;
  /** 'http' or 'https' (`shardgate.admin.tls`) */
  readonly scheme: 'http' | 'https';
  /** Replaces the token and the read rule (hot reload); applies to the next request. */
  setAuth(token: string | null, authReads: boolean): void;
  /**
   * HTTPS only: re-reads the certificate files and takes the new allow_subjects
   * for new connections (established ones keep theirs). Turning TLS on or off,
   * or changing client_certs, needs a new server (listenerShape).
   */
  setTls(tls: ListenerTls): void;
  /** Stops listening, ends open streams and connections. */
  close(): Promise<void>;
}
