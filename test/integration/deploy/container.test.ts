// The container files without a Docker engine: the Dockerfile passes
// dockerfile-utils' linter with every check an error, and has what issue 16
// asks (multi-stage, Node 20 runtime, non-root, exec-form entry point, a
// HEALTHCHECK on the admin /healthz); .dockerignore lets through what the
// Dockerfile copies; the image's command line and its HEALTHCHECK command run
// here as the image would run them (paths and ports swapped for free ones)
// against a real redis-server; docker-compose.yml passes docker-compose's own
// offline schema check and wires replicas and the proxy config to its masters.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { validate, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { parseConfig } from '../../../src/config/index.js';
import { ROOT, SHARDGATE_BIN, startProcess, startRedis, tmpDir } from '../../fixtures/procs.js';
import { freePort } from '../../fixtures/ports.js';
import { command } from '../../fixtures/resp-client.js';
import { execForm, readInstructions, stages } from './dockerfile.js';
import { SEQUENCE_LENGTH, SEQUENCES, spreadOf } from './spread.js';
import { ensureDebianTool } from './tools.js';

const DOCKERFILE = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const instructions = readInstructions(DOCKERFILE);
const [build, runtime] = [stages(instructions).at(0)!, stages(instructions).at(-1)!];
const last = (kw: string) => runtime.instructions.filter((i) => i.keyword === kw).at(-1);

describe('Dockerfile', () => {
  it('passes dockerfile-utils with every optional check raised to an error', () => {
    const all: ValidatorSettings = {
      deprecatedMaintainer: ValidationSeverity.ERROR, directiveCasing: ValidationSeverity.ERROR, emptyContinuationLine: ValidationSeverity.ERROR,
      instructionCasing: ValidationSeverity.ERROR, instructionCmdMultiple: ValidationSeverity.ERROR, instructionEntrypointMultiple: ValidationSeverity.ERROR,
      instructionHealthcheckMultiple: ValidationSeverity.ERROR, instructionJSONInSingleQuotes: ValidationSeverity.ERROR, instructionWorkdirRelative: ValidationSeverity.ERROR,
    };
    const problems = validate(DOCKERFILE, all).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it('the linter does find problems (a broken copy of the file fails)', () => {
    const broken = DOCKERFILE.replace('ENTRYPOINT ["node", "bin/shardgate.js"]', 'ENTRYPOINT ["node", "bin/shardgate.js"]\nENTRYPOINT [\'node\']\nEXPOSE http');
    expect(validate(broken, { instructionEntrypointMultiple: ValidationSeverity.ERROR }).length).toBeGreaterThanOrEqual(2);
  });

  it('builds in one stage and runs from a Node 20 image in another, as a non-root user', () => {
    expect(stages(instructions).length).toBeGreaterThanOrEqual(2);
    expect(build.name).not.toBeNull();
    expect(runtime.from).toMatch(/^node:20(-|$)/);
    expect(runtime.instructions.filter((i) => i.keyword === 'COPY' && i.args.startsWith(`--from=${build.name}`)).length).toBeGreaterThan(0);
    // The runtime stage installs nothing and copies no sources or dev tooling.
    expect(runtime.instructions.filter((i) => i.keyword === 'RUN')).toEqual([]);
    expect(runtime.instructions.some((i) => i.keyword === 'COPY' && /\bsrc\b|tsconfig/.test(i.args))).toBe(false);
    const user = last('USER')?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.split(':')[0]);
  });

  it('has an exec-form ENTRYPOINT (node is PID 1 and gets the signals) and a HEALTHCHECK on the admin /healthz', () => {
    expect(execForm(last('ENTRYPOINT')!.args)).toEqual(['node', 'bin/shardgate.js']);
    const health = last('HEALTHCHECK')!.args;
    expect(health).toMatch(/--timeout=\d+s/);
    expect(execForm(health)?.join(' ')).toContain('http://127.0.0.1:9100/healthz');
    const cmd = execForm(last('CMD')!.args)!;
    expect(cmd.join(' ')).toContain('-c /etc/shardgate/proxy.yaml');
    expect(cmd.join(' ')).toContain('--admin 0.0.0.0:9100');
    for (const port of ['9100', '22222']) expect(last('EXPOSE')!.args.split(/\s+/)).toContain(port);
  });

  it('.dockerignore lets through every file the Dockerfile copies from the context, and not node_modules, dist/ or tests', () => {
    const allowed = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n')
      .filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
    expect(fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')).toMatch(/^\*$/m);
    const sources = instructions.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const s of sources) {
      expect(allowed, `COPY ${s}`).toContain(s.replace(/^\.\//, '').replace(/\/$/, ''));
      expect(fs.existsSync(path.join(ROOT, s)), `${s} exists`).toBe(true);
    }
    for (const never of ['node_modules', 'dist', 'test', '.git']) expect(allowed).not.toContain(never);
  });

  it("the image's command line runs a proxy, and its HEALTHCHECK command passes while it runs and fails after", async () => {
    const redis = await startRedis();
    const [listen, admin, stats] = [await freePort(), await freePort(), await freePort()];
    const dir = tmpDir('shardgate-image-');
    const conf = path.join(dir, 'proxy.yaml');
    fs.writeFileSync(conf, ['alpha:', `  listen: 127.0.0.1:${listen}`, '  redis: true', '  servers:', `   - 127.0.0.1:${redis.port}:1`, ''].join('\n'));
    const args = execForm(last('CMD')!.args)!.map((a) => a === '/etc/shardgate/proxy.yaml' ? conf : a === '0.0.0.0:9100' ? `127.0.0.1:${admin}` : a === '22222' ? String(stats) : a);
    const entry = execForm(last('ENTRYPOINT')!.args)!;
    const proxy = await startProcess(process.execPath, [path.join(ROOT, entry[1]!), ...args], { port: listen });
    const health = execForm(last('HEALTHCHECK')!.args)!.map((a) => a.replace('127.0.0.1:9100', `127.0.0.1:${admin}`));
    const probe = () => spawnSync(health[0] === 'node' ? process.execPath : health[0]!, health.slice(1), { timeout: 10_000 }).status;
    try {
      expect(await command(listen, 'SET', 'image:key', 'v')).toBe('OK');
      expect(probe()).toBe(0);
    } finally {
      await proxy.stop();
    }
    expect(probe()).toBe(1);
    expect(SHARDGATE_BIN.endsWith(entry[1]!)).toBe(true);
  }, 30_000);
});

describe('docker-compose.yml', () => {
  const file = path.join(ROOT, 'docker-compose.yml');
  const doc = loadYaml(fs.readFileSync(file, 'utf8')) as { services: Record<string, { command?: string[]; volumes?: string[]; build?: string; depends_on?: Record<string, unknown> }> };

  it("passes docker-compose's own schema check (offline: `docker-compose config -q`)", () => {
    ensureDebianTool('docker-compose', 'docker-compose');
    const r = spawnSync('docker-compose', ['-f', file, 'config', '-q'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr + r.stdout).toBe('');
    expect(r.status).toBe(0);
    // The same check rejects a misspelt key, so it is not a formality.
    const bad = path.join(tmpDir('shardgate-compose-'), 'docker-compose.yml');
    fs.writeFileSync(bad, fs.readFileSync(file, 'utf8').replace('stop_grace_period:', 'stop_grace_perod:'));
    expect(spawnSync('docker-compose', ['-f', bad, 'config', '-q'], { encoding: 'utf8', timeout: 60_000 }).status).not.toBe(0);
  }, 150_000);

  it('runs three masters, a replica of each, and the proxy over the masters with a mounted config that spreads keys evenly', () => {
    const services = doc.services;
    const masters = Object.keys(services).filter((n) => !(services[n]!.command ?? []).includes('--replicaof') && services[n]!.build === undefined);
    const replicas = Object.keys(services).filter((n) => (services[n]!.command ?? []).includes('--replicaof'));
    expect(masters).toHaveLength(3);
    const replicaOf = replicas.map((n) => { const c = services[n]!.command!; return c[c.indexOf('--replicaof') + 1]; });
    expect(replicaOf.sort()).toEqual([...masters].sort());
    const proxy = Object.values(services).find((s) => s.build !== undefined)!;
    expect(proxy.build).toBe('.');
    const mount = proxy.volumes!.map((v) => v.split(':')).find(([, target]) => target === '/etc/shardgate')!;
    const config = parseConfig(fs.readFileSync(path.join(ROOT, mount[0]!, 'proxy.yaml'), 'utf8'), 'proxy.yaml');
    const pool = config.pools[0]!;
    expect(pool.listen.host).toBe('0.0.0.0');
    expect(pool.servers.map((s) => s.host).sort()).toEqual([...masters].sort());
    for (const key of Object.values(SEQUENCES)) expect(spreadOf(pool, key, SEQUENCE_LENGTH).worst).toBeLessThanOrEqual(0.10);
    // docker compose stop waits stop_grace_period before SIGKILL: longer than the proxy's drain.
    const grace = /^(\d+)s$/.exec((proxy as { stop_grace_period?: string }).stop_grace_period ?? '');
    expect(Number(grace?.[1])).toBeGreaterThan(config.shardgate.drainTimeout / 1000);
    // The mount is a directory, so the proxy sees an edited file (a file mount would pin the old inode).
    expect(fs.statSync(path.join(ROOT, mount[0]!)).isDirectory()).toBe(true);
  });
});

