// Unix sockets on both sides, as nutcracker allows: the proxy listens on a
// socket path with a mode, and a backend redis-server is reached by its socket.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startProcess, startShardgate, tmpDir } from '../../fixtures/procs.js';
import { freePort, waitForPort } from '../../fixtures/ports.js';

describe('unix sockets', () => {
  it('listens on a socket path and forwards to a backend on a socket path', async () => {
    const dir = tmpDir();
    const backendSock = path.join(dir, 'redis.sock');
    const listenSock = path.join(dir, 'proxy.sock');
    const rport = await freePort();
    const redis = await startProcess('redis-server', ['--port', String(rport), '--bind', '127.0.0.1', '--unixsocket', backendSock,
      '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir], { port: rport });
    const conf = path.join(dir, 'proxy.yaml');
    fs.writeFileSync(conf, `alpha:\n  listen: ${listenSock} 0600\n  redis: true\n  servers:\n   - ${backendSock}:1\n`);
    const statsPort = await freePort();
    const proxy = await startShardgate(['proxy', '-c', conf, '-s', String(statsPort), '-a', '127.0.0.1'], statsPort);
    try {
      await waitForPort(statsPort);
      expect(fs.statSync(listenSock).mode & 0o777).toBe(0o600);
      const io = new Redis({ path: listenSock });
      expect(await io.set('u', 'via-socket')).toBe('OK');
      expect(await io.mget('u', 'v')).toEqual(['via-socket', null]);
      io.disconnect();
      const direct = new Redis({ port: rport });
      expect(await direct.get('u')).toBe('via-socket');
      direct.disconnect();
    } finally {
      await proxy.stop();
      await redis.stop();
    }
  });
});
