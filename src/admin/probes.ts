// The deployment probes: /healthz (the process serves HTTP) and /readyz (the
// caller's readiness check). Both are public reads: a probe never needs the
// token. Must not decide readiness itself.
import type { AdminRoute } from './types.js';

export interface Readiness { ready: boolean; reasons: string[] }

export function healthzRoute(): AdminRoute {
  return { method: 'GET', path: '/healthz', public: true, handle: () => ({ status: 200, json: { status: 'ok' } }) };
}

export function readyzRoute(check: () => Readiness): AdminRoute {
  return {
    method: 'GET',
    path: '/readyz',
    public: true,
    handle: () => {
      const { ready, reasons } = check();
      return { status: ready ? 200 : 503, json: { status: ready ? 'ready' : 'not_ready', reasons } };
    },
  };
}
