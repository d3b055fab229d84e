// The admin HTTP API's public surface: the server, its route contract, the
// event stream and probe routes. Routes that act on the proxy live with the
// proxy and are passed in.
export { startAdminServer, MAX_BODY_BYTES, type AdminServerOptions } from './server.js';
export type { AdminMethod, AdminRequest, AdminResult, AdminRoute, AdminServer } from './types.js';
export { AdminError, errorBody, type AdminErrorBody, type AdminErrorCode } from './errors.js';
export { eventStreamRoute, type EventStreamOptions } from './sse.js';
export { healthzRoute, readyzRoute, type Readiness } from './probes.js';
