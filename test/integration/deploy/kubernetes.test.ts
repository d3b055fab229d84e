// deploy/kubernetes as CI can check it without a cluster: every file parses;
// the base and the overlay render (with `kubectl kustomize` when a kustomize
// v4+ is installed, else with kustomize-lite.ts, which is checked against it
// where both exist); every rendered object matches the Kubernetes schemas
// bundled in kubernetes-models (validators and, for unknown fields, the
// TypeScript interfaces); and the objects fit together as the proxy needs:
// probes on the admin port, grace above the drain, the config mounted so a
// change reaches the pod, selectors that select, servers that exist.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import { parseConfig } from '../../../src/config/index.js';
import { hasCommand, ROOT } from '../../fixtures/procs.js';
import { renderKustomization, type K8sObject } from './kustomize-lite.js';
import { typeProblems, validatorProblems } from './k8s-schemas.js';
import { SEQUENCE_LENGTH, SEQUENCES, spreadOf } from './spread.js';

const K8S = path.join(ROOT, 'deploy/kubernetes');
const TARGETS = { base: path.join(K8S, 'base'), loadbalancer: path.join(K8S, 'overlays/loadbalancer') };

/** kubectl's built-in kustomize when it is v4 or later (v2, in Debian's kubectl 1.20, cannot read these files). */
function kubectlKustomize(): boolean {
  if (!hasCommand('kubectl')) return false;
  const r = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8', timeout: 20_000 });
  const v = /"kustomizeVersion":\s*"v(\d+)/.exec(r.stdout ?? '');
  return v !== null && Number(v[1]) >= 4;
}
const KUBECTL = kubectlKustomize();

function kubectlRender(dir: string): K8sObject[] {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir}: ${r.stderr}`);
  return loadAll(r.stdout).filter((d) => d !== null) as K8sObject[];
}
const render = (dir: string) => (KUBECTL ? kubectlRender(dir) : renderKustomization(dir));

function yamlFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? yamlFiles(p) : e.name.endsWith('.yaml') ? [p] : [];
  });
}

type Obj = K8sObject & { spec: any; data?: Record<string, string> };
const find = (objs: readonly K8sObject[], kind: string, name?: string): Obj[] =>
  objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name)) as Obj[];
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('deploy/kubernetes', () => {
  it('every YAML file parses, and every manifest names its apiVersion, kind and name', () => {
    const files = yamlFiles(K8S);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const docs = loadAll(fs.readFileSync(f, 'utf8')).filter((d) => d !== null) as K8sObject[];
      expect(docs.length, f).toBeGreaterThan(0);
      if (path.basename(f) === 'kustomization.yaml' || path.basename(f) === 'proxy.yaml') continue;
      for (const d of docs) expect([d.apiVersion, d.kind, d.metadata?.name].every((s) => typeof s === 'string'), `${f}: ${JSON.stringify(d).slice(0, 80)}`).toBe(true);
    }
  });

  for (const [name, dir] of Object.entries(TARGETS)) {
    describe(`${name} (rendered with ${KUBECTL ? 'kubectl kustomize' : 'kustomize-lite: no kustomize v4+ here'})`, () => {
      let objects: K8sObject[] = [];
      beforeAll(() => { objects = render(dir); }, 60_000);

      it('passes the bundled Kubernetes schema validators', async () => {
        expect(objects.length).toBeGreaterThan(10);
        expect(await validatorProblems(objects)).toEqual([]);
      }, 60_000);

      it('type-checks against the schema interfaces (no unknown or misspelt field)', () => {
        expect(typeProblems(objects, name)).toEqual([]);
      }, 60_000);
    });
  }

  it('the schema checks catch a wrong type, a misspelt field and an unknown kind', async () => {
    const objects = renderKustomization(TARGETS.base);
    const dep = find(objects, 'Deployment', 'shardgate')[0]!;
    const bad = structuredClone(dep);
    bad.spec.template.spec.containers[0].ports[0].containerPort = 'redis';
    expect((await validatorProblems([bad])).join('\n')).toContain('containerPort');
    const typo = structuredClone(dep);
    typo.spec.template.spec.containers[0].readinessprobe = typo.spec.template.spec.containers[0].readinessProbe;
    expect(typeProblems([typo], 'negative').join('\n')).toContain('readinessprobe');
    expect(await validatorProblems([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }])).toHaveLength(1);
  }, 60_000);

  it.skipIf(!KUBECTL)('kustomize-lite renders what kubectl kustomize renders', () => {
    const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    for (const dir of Object.values(TARGETS)) {
      const sort = (a: K8sObject[]) => [...a].sort((x, y) => key(x).localeCompare(key(y)));
      expect(sort(renderKustomization(dir))).toEqual(sort(kubectlRender(dir)));
    }
  }, 60_000);

  describe('the objects fit together', () => {
    const objects = renderKustomization(TARGETS.base);
    const dep = find(objects, 'Deployment', 'shardgate')[0]!;
    const pod = dep.spec.template;
    const proxy = pod.spec.containers.find((c: any) => c.name === 'proxy');
    const portByName = (n: string | number) => proxy.ports.find((p: any) => p.name === n || p.containerPort === n);
    const svc = find(objects, 'Service', 'shardgate')[0]!;

    it('proxy: readiness on /readyz and liveness on /healthz of the admin port the proxy is told to open', () => {
      expect(proxy.args.join(' ')).toContain('-c /etc/shardgate/proxy.yaml');
      expect(proxy.args.join(' ')).toContain('--admin 0.0.0.0:9100');
      expect(proxy.readinessProbe.httpGet.path).toBe('/readyz');
      expect(proxy.livenessProbe.httpGet.path).toBe('/healthz');
      for (const probe of [proxy.readinessProbe, proxy.livenessProbe]) expect(portByName(probe.httpGet.port).containerPort).toBe(9100);
      expect(proxy.resources.requests.cpu).toBeDefined();
      expect(proxy.resources.limits.memory).toBeDefined();
      expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
    });

    it('proxy: preStop, then a grace period longer than preStop plus the config\'s drain timeout; spread over nodes and zones', () => {
      const pre = proxy.lifecycle.preStop.exec.command as string[];
      expect(pre[0]).toBe('sleep');
      const vol = pod.spec.volumes.find((v: any) => v.configMap !== undefined);
      const config = parseConfig(find(objects, 'ConfigMap', vol.configMap.name)[0]!.data!['proxy.yaml']!, 'proxy.yaml');
      expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(Number(pre[1]) + config.shardgate.drainTimeout / 1000);
      const keys = pod.spec.topologySpreadConstraints.map((t: any) => t.topologyKey);
      expect(keys).toEqual(expect.arrayContaining(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']));
      for (const t of pod.spec.topologySpreadConstraints) expect(selects(t.labelSelector.matchLabels, pod.metadata.labels)).toBe(true);
      expect(dep.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    });

    it('proxy: the config is a ConfigMap mounted as a directory (so edits reach the pod) whose proxy.yaml spreads keys evenly over the shards', () => {
      const mount = proxy.volumeMounts.find((m: any) => m.mountPath === '/etc/shardgate');
      expect(mount.subPath).toBeUndefined();
      const vol = pod.spec.volumes.find((v: any) => v.name === mount.name);
      const cm = find(objects, 'ConfigMap', vol.configMap.name)[0]!;
      const config = parseConfig(cm.data!['proxy.yaml']!, 'proxy.yaml');
      const pool = config.pools[0]!;
      expect(portByName(pool.listen.port)).toBeDefined();
      expect(pool.listen.host).toBe('0.0.0.0');
      for (const key of Object.values(SEQUENCES)) expect(spreadOf(pool, key, SEQUENCE_LENGTH).worst).toBeLessThanOrEqual(0.10);
      // Every server is pod 0 of a shard StatefulSet, by its headless Service, on the port Redis listens on.
      const shards = find(objects, 'StatefulSet').filter((s) => s.metadata.name !== 'sentinel');
      expect(pool.servers.map((s) => s.host)).toEqual(shards.map((s) => `${s.metadata.name}-0.${s.spec.serviceName}`));
      for (const [i, s] of pool.servers.entries()) {
        const sts = shards[i]!;
        expect(find(objects, 'Service', sts.spec.serviceName)[0]!.spec.clusterIP).toBe('None');
        expect(sts.spec.template.spec.containers[0].ports[0].containerPort).toBe(s.port);
      }
    });

    it('Service, PodDisruptionBudget, HorizontalPodAutoscaler and ServiceMonitor point at the proxy', () => {
      expect(svc.spec.type).toBe('ClusterIP');
      expect(selects(svc.spec.selector, pod.metadata.labels)).toBe(true);
      for (const p of svc.spec.ports) expect(portByName(p.targetPort), `Service port ${p.name}`).toBeDefined();
      const pdb = find(objects, 'PodDisruptionBudget')[0]!;
      expect(selects(pdb.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
      const hpa = find(objects, 'HorizontalPodAutoscaler')[0]!;
      expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: dep.metadata.name });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      const sm = find(objects, 'ServiceMonitor')[0]!;
      expect(selects(sm.spec.selector.matchLabels, svc.metadata.labels!)).toBe(true);
      expect(svc.spec.ports.map((p: any) => p.name)).toContain(sm.spec.endpoints[0].port);
      expect(sm.spec.endpoints[0].path).toBe('/metrics');
    });

    it('Redis: three shards of a master and a replica with persistent volumes, and three Sentinels watching all of them', () => {
      const shards = find(objects, 'StatefulSet').filter((s) => s.metadata.name !== 'sentinel');
      expect(shards).toHaveLength(3);
      for (const s of shards) {
        expect(s.spec.replicas).toBe(2);
        expect(s.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBeDefined();
        expect(s.spec.template.spec.containers[0].volumeMounts.map((m: any) => m.name)).toContain(s.spec.volumeClaimTemplates[0].metadata.name);
      }
      const sentinel = find(objects, 'StatefulSet', 'sentinel')[0]!;
      expect(sentinel.spec.replicas).toBe(3);
      const env = Object.fromEntries(sentinel.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
      expect(env.SHARDS.split(' ')).toEqual(shards.map((s) => s.metadata.name));
      expect(Number(env.QUORUM)).toBeGreaterThan(sentinel.spec.replicas / 2);
      const scripts = find(objects, 'ConfigMap', 'redis-scripts')[0]!;
      for (const [file, text] of Object.entries(scripts.data!)) {
        const r = spawnSync('sh', ['-n'], { input: text, encoding: 'utf8' });
        expect(r.status, `${file}: ${r.stderr}`).toBe(0);
      }
    });

    it('the loadbalancer overlay changes only the proxy Service, to a LoadBalancer', () => {
      const overlay = renderKustomization(TARGETS.loadbalancer);
      const lb = find(overlay, 'Service', 'shardgate')[0]!;
      expect(lb.spec.type).toBe('LoadBalancer');
      expect(lb.spec.ports).toEqual(svc.spec.ports);
      const others = (a: K8sObject[]) => a.filter((o) => !(o.kind === 'Service' && o.metadata.name === 'shardgate'));
      expect(others(overlay)).toEqual(others(objects));
    });
  });
});
