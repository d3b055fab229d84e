// Naive Node.js byte pipe: every client socket is piped to its own connection to
// one redis-server, and back. No parsing, no sharding. It shows what Node.js
// itself moves on this machine, the ceiling for any Node.js proxy that handles
// each byte once. Must not: be used as a proxy for anything but measurements.
// Usage: node benchmarks/pipe-baseline.mjs --listen PORT --to PORT [--host 127.0.0.1]
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: {
  listen: { type: 'string' }, to: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' },
} });
if (!values.listen || !values.to) {
  process.stderr.write('usage: node benchmarks/pipe-baseline.mjs --listen PORT --to PORT [--host HOST]\n');
  process.exit(2);
}

const server = net.createServer((client) => {
  client.setNoDelay(true);
  const upstream = net.connect({ port: Number(values.to), host: values.host });
  upstream.setNoDelay(true);
  client.pipe(upstream);
  upstream.pipe(client);
  const close = () => { client.destroy(); upstream.destroy(); };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
});
server.listen(Number(values.listen), '127.0.0.1', () => {
  process.stdout.write(`pipe-baseline: 127.0.0.1:${values.listen} -> ${values.host}:${values.to}\n`);
});
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
