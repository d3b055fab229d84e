// The admin HTTP server over real loopback HTTP: routing, error answers,
// bearer auth (constant-time compare), body limit, failing handlers, probes,
// and listener errors that name the address.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { startAdminServer, healthzRoute, readyzRoute, AdminError, type AdminRoute, type AdminServer } from '../../../src/admin/index.js';

function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } });
  return { log: pino({ level: 'info' }, dest), lines };
}

let readiness = { ready: false, reasons: ['pool cache: no live server'] };
const routes: AdminRoute[] = [
  { method: 'GET', path: '/ring', handle: (r) => ({ status: 200, json: { pool: r.query.get('pool'), nodes: [1, 2] } }) },
  { method: 'PUT', path: '/ring', handle: (r) => ({ status: 200, json: { got: JSON.parse(r.body.toString()) } }) },
  { method: 'POST', path: '/echo', handle: (r) => ({ status: 201, text: `${r.body.length}`, headers: { 'x-method': r.method } }) },
  { method: 'GET', path: '/csv', handle: () => ({ status: 200, text: 'a,b\n', contentType: 'text/csv' }) },
  { method: 'GET', path: '/boom', handle: () => { throw new Error('handler bug'); } },
  { method: 'GET', path: '/boom-async', handle: async () => { await new Promise((r) => setTimeout(r, 5)); throw new TypeError('async bug'); } },
  { method: 'GET', path: '/teapot', handle: () => { throw new AdminError(409, 'migration_running', 'a migration is running in pool cache'); } },
  { method: 'GET', path: '/mutating-get', mutates: true, handle: () => ({ status: 200, json: { ok: true } }) },
  healthzRoute(),
  readyzRoute(() => readiness),
];

let server: AdminServer;
let base: string;
const { log, lines } = captureLog();

beforeAll(async () => {
  server = await startAdminServer({ listen: '127.0.0.1:0', token: null, authReads: false, routes, log });
  base = `http://${server.address}`;
});
afterAll(async () => { await server.close(); });

describe('routing and answers', () => {
  it('binds the asked host with a real port', () => {
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(Number(server.address.split(':')[1])).toBeGreaterThan(0);
  });

  it('answers JSON pretty-printed with a trailing newline', async () => {
    const res = await fetch(`${base}/ring?pool=cache`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const text = await res.text();
    expect(text).toBe(`${JSON.stringify({ pool: 'cache', nodes: [1, 2] }, null, 2)}\n`);
  });

  it('routes by method on one path and hands the handler the body', async () => {
    const res = await fetch(`${base}/ring`, { method: 'PUT', body: '{"a":[1]}' });
    expect(await res.json()).toEqual({ got: { a: [1] } });
    const echo = await fetch(`${base}/echo`, { method: 'POST', body: 'x'.repeat(1000) });
    expect(echo.status).toBe(201);
    expect(echo.headers.get('x-method')).toBe('POST');
    expect(echo.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await echo.text()).toBe('1000');
    const csv = await fetch(`${base}/csv`);
    expect(csv.headers.get('content-type')).toBe('text/csv');
    expect(await csv.text()).toBe('a,b\n');
  });

  it('answers an unknown path with 404 not_found', async () => {
    const res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
    expect((await res.json()).error).toEqual({ code: 'not_found', message: 'no admin route /nope' });
  });

  it('answers a known path with a wrong method with 405 and Allow', async () => {
    const res = await fetch(`${base}/ring`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, PUT, HEAD');
    expect((await res.json()).error.code).toBe('method_not_allowed');
    const post = await fetch(`${base}/echo`, { method: 'GET' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('POST');
  });

  it('serves HEAD for GET routes: same status and length, no body', async () => {
    const get = await fetch(`${base}/ring?pool=x`);
    const getBody = await get.text();
    const head = await fetch(`${base}/ring?pool=x`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(getBody)));
    expect(await head.text()).toBe('');
  });

  it('a thrown AdminError answers with its status and code', async () => {
    const res = await fetch(`${base}/teapot`);
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: { code: 'migration_running', message: 'a migration is running in pool cache' } });
  });

  it('a throwing handler (sync or async) logs and answers 500 internal; the server keeps serving', async () => {
    for (const path of ['/boom', '/boom-async']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(500);
      const body = await res.json();
      expect(body.error.code).toBe('internal');
      expect(JSON.stringify(body)).not.toContain('bug'); // no internals leak to the client
    }
    const logged = lines.filter((l) => l.msg === 'admin handler failed').map((l) => (l.err as { message: string }).message);
    expect(logged).toEqual(['handler bug', 'async bug']);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('a malformed request line gets a 400 JSON answer', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const [host, port] = server.address.split(':');
      const s = net.connect(Number(port), host, () => s.write('NOT HTTP\r\n\r\n'));
      let text = '';
      s.on('data', (d) => { text += d; });
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"code": "bad_request"');
  });
});

describe('body limit', () => {
  it('refuses a declared body over 4 MB with 413 body_too_large', async () => {
    const res = await fetch(`${base}/echo`, { method: 'POST', body: Buffer.alloc(4 * 1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('body_too_large');
  });

  it('refuses a chunked body once it passes 4 MB, and accepts exactly 4 MB', async () => {
    const post = (size: number) => new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${base}/echo`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024);
      let left = size;
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!req.write(chunk.subarray(0, n))) { req.once('drain', pump); return; }
        }
        req.end();
      };
      pump();
    });
    const over = await post(4 * 1024 * 1024 + 10);
    expect(over.status).toBe(413);
    expect(JSON.parse(over.body).error.code).toBe('body_too_large');
    const exact = await post(4 * 1024 * 1024);
    expect(exact).toEqual({ status: 201, body: String(4 * 1024 * 1024) });
  });
});

describe('probes', () => {
  it('/healthz is always 200 ok; /readyz follows the check', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    readiness = { ready: false, reasons: ['pool cache: no live server'] };
    const down = await fetch(`${base}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'not_ready', reasons: ['pool cache: no live server'] });
    readiness = { ready: true, reasons: [] };
    const up = await fetch(`${base}/readyz`);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ status: 'ready', reasons: [] });
  });
});

describe('bearer auth', () => {
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  it('with a token, mutating routes need it; reads stay open', async () => {
    server.setAuth('s3cret', false);
    try {
      const none = await fetch(`${base}/ring`, { method: 'PUT', body: '{}' });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="shardgate"');
      expect((await none.json()).error.code).toBe('unauthorized');
      const wrong = await fetch(`${base}/ring`, { method: 'PUT', body: '{}', headers: bearer('s3creT') });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="shardgate"');
      const basic = await fetch(`${base}/ring`, { method: 'PUT', body: '{}', headers: { authorization: 'Basic czNjcmV0' } });
      expect(basic.status).toBe(401);
      const right = await fetch(`${base}/ring`, { method: 'PUT', body: '{}', headers: bearer('s3cret') });
      expect(right.status).toBe(200);
      const lower = await fetch(`${base}/ring`, { method: 'PUT', body: '{}', headers: { authorization: 'bearer s3cret' } });
      expect(lower.status).toBe(200);
      expect((await fetch(`${base}/ring`)).status).toBe(200);
      expect((await fetch(`${base}/mutating-get`)).status).toBe(401); // mutates: true on a GET
    } finally { server.setAuth(null, false); }
  });

  it('compares sha256 digests with crypto.timingSafeEqual', async () => {
    server.setAuth('s3cret', false);
    const spy = vi.spyOn(crypto, 'timingSafeEqual');
    try {
      const short = await fetch(`${base}/ring`, { method: 'PUT', body: '{}', headers: bearer('x') });
      expect(short.status).toBe(401);
      const long = await fetch(`${base}/ring`, { method: 'PUT', body: '{}', headers: bearer('x'.repeat(500)) });
      expect(long.status).toBe(401);
      expect(spy).toHaveBeenCalledTimes(2);
      for (const [a, b] of spy.mock.calls) {
        expect((a as Buffer).length).toBe(32); // the same length whatever was sent
        expect((b as Buffer).equals(crypto.createHash('sha256').update('s3cret').digest())).toBe(true);
      }
    } finally {
      spy.mockRestore();
      server.setAuth(null, false);
    }
  });

  it('with authReads, reads need the token too, except the public probes', async () => {
    server.setAuth('s3cret', true);
    try {
      expect((await fetch(`${base}/ring`)).status).toBe(401);
      expect((await fetch(`${base}/ring`, { method: 'HEAD' })).status).toBe(401);
      expect((await fetch(`${base}/ring`, { headers: bearer('s3cret') })).status).toBe(200);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).not.toBe(401);
    } finally { server.setAuth(null, false); }
  });

  it('setAuth swaps the token for the next request, and null opens the API again', async () => {
    server.setAuth('old', false);
    expect((await fetch(`${base}/echo`, { method: 'POST', headers: bearer('old') })).status).toBe(201);
    server.setAuth('new', false);
    expect((await fetch(`${base}/echo`, { method: 'POST', headers: bearer('old') })).status).toBe(401);
    expect((await fetch(`${base}/echo`, { method: 'POST', headers: bearer('new') })).status).toBe(201);
    server.setAuth(null, false);
    expect((await fetch(`${base}/echo`, { method: 'POST' })).status).toBe(201);
    expect(() => server.setAuth('', false)).toThrow(/must not be empty/);
  });

  it('checks the token before reading the body (an oversized unauthenticated body gets 401, not 413)', async () => {
    server.setAuth('s3cret', false);
    try {
      const res = await fetch(`${base}/echo`, { method: 'POST', body: Buffer.alloc(5 * 1024 * 1024) });
      expect(res.status).toBe(401);
    } finally { server.setAuth(null, false); }
  });
});

describe('listener errors', () => {
  it('an address in use rejects, naming the address', async () => {
    const port = Number(server.address.split(':')[1]);
    await expect(startAdminServer({ listen: `127.0.0.1:${port}`, token: null, authReads: false, routes, log }))
      .rejects.toThrow(`admin listener 127.0.0.1:${port}: address already in use`);
  });

  it('an invalid or unavailable address rejects, naming it', async () => {
    await expect(startAdminServer({ listen: 'nonsense', token: null, authReads: false, routes, log }))
      .rejects.toThrow('admin listener nonsense: invalid address');
    await expect(startAdminServer({ listen: '192.0.2.1:0', token: null, authReads: false, routes, log }))
      .rejects.toThrow('admin listener 192.0.2.1:0: address not available on this machine');
  });

  it('a route defined twice is refused', async () => {
    await expect(startAdminServer({ listen: '127.0.0.1:0', token: null, authReads: false, routes: [healthzRoute(), healthzRoute()], log }))
      .rejects.toThrow('admin route GET /healthz is defined twice');
  });
});
