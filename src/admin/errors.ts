// Errors of the admin HTTP API: an HTTP status with a stable code, and the one
// JSON shape every error answer has: {"error":{"code":"...","message":"..."}}.
// Catalogue: docs/operations.md (Admin API: basics). Must not import the server.

export type AdminErrorCode =
  | 'not_found'          // 404: no route has this path
  | 'method_not_allowed' // 405: the path exists, not with this method (Allow lists those that do)
  | 'unauthorized'       // 401: token missing or wrong
  | 'tls_refused'        // 403: HTTPS admin: the client certificate does not verify, or is outside allow_subjects
  | 'bad_request'        // 400: the request cannot be understood (bad query, bad JSON, ...)
  | 'body_too_large'     // 413: request body over 4 MB
  | 'internal'           // 500: a handler failed; the details are in the log
  | (string & {});       // routes may define their own (e.g. 'migration_running')

/** Thrown by a handler (or the server) to answer with this status and code. */
export class AdminError extends Error {
  override readonly name = 'AdminError';
  readonly status: number;
  readonly code: AdminErrorCode;
  readonly headers: Record<string, string>;
  constructor(status: number, code: AdminErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export interface AdminErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: AdminErrorCode, message: string): AdminErrorBody {
  return { error: { code, message } };
}
