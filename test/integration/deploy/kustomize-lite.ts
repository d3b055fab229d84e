// A small renderer for the kustomize features deploy/kubernetes uses —
// resources (files and directories), configMapGenerator (files, no name
// hash), patches (strategic merge of maps; lists are replaced, so a patch must
// not touch one), namespace, labels (metadata only) and images (newName,
// newTag) — for machines without a kustomize v4+ (Debian's kubectl 1.20 ships
// kustomize v2, which cannot read them). It throws on any other field, so a
// kustomization it cannot render fails the test instead of rendering wrong;
// kubernetes.test.ts checks it gives what `kubectl kustomize` gives where one
// is installed.
import fs from 'node:fs';
import path from 'node:path';
import { load, loadAll } from 'js-yaml';

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: unknown };

interface Kustomization {
  apiVersion?: string; kind?: string; namespace?: string; resources?: string[];
  configMapGenerator?: { name: string; files: string[] }[];
  generatorOptions?: { disableNameSuffixHash?: boolean };
  patches?: { path: string }[];
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

const KNOWN = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'configMapGenerator', 'generatorOptions', 'patches', 'labels', 'images']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'StorageClass', 'PersistentVolume']);

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (Array.isArray(v) && Array.isArray(target[k])) throw new Error(`kustomize-lite: a patch replacing the list '${k}' is not supported`);
    if (isMap(v) && isMap(target[k])) merge(target[k] as Record<string, unknown>, v);
    else target[k] = structuredClone(v);
  }
}

function podSpecs(o: K8sObject): Record<string, unknown>[] {
  const spec = o.spec as Record<string, unknown> | undefined;
  const template = spec?.template as { spec?: Record<string, unknown> } | undefined;
  return template?.spec ? [template.spec] : [];
}

export function renderKustomization(dir: string): K8sObject[] {
  const k = load(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  for (const key of Object.keys(k)) if (!KNOWN.has(key)) throw new Error(`kustomize-lite: '${key}' in ${dir}/kustomization.yaml is not supported`);
  const out: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const p = path.resolve(dir, r);
    if (fs.statSync(p).isDirectory()) out.push(...renderKustomization(p));
    else out.push(...(loadAll(fs.readFileSync(p, 'utf8')).filter((d) => d !== null) as K8sObject[]));
  }
  if ((k.configMapGenerator ?? []).length > 0 && k.generatorOptions?.disableNameSuffixHash !== true) {
    throw new Error('kustomize-lite: ConfigMap name hashes are not supported (set generatorOptions.disableNameSuffixHash)');
  }
  for (const g of k.configMapGenerator ?? []) {
    const data = Object.fromEntries(g.files.map((f) => [path.basename(f), fs.readFileSync(path.resolve(dir, f), 'utf8')]));
    out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name }, data });
  }
  for (const p of k.patches ?? []) {
    const patch = load(fs.readFileSync(path.resolve(dir, p.path), 'utf8')) as K8sObject;
    const target = out.find((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
    if (!target) throw new Error(`kustomize-lite: patch ${p.path} matches no ${patch.kind}/${patch.metadata.name}`);
    merge(target as unknown as Record<string, unknown>, patch as unknown as Record<string, unknown>);
  }
  if (k.namespace !== undefined) for (const o of out) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  for (const l of k.labels ?? []) {
    if (l.includeSelectors === true || l.includeTemplates === true) throw new Error('kustomize-lite: labels on selectors or templates are not supported');
    for (const o of out) o.metadata.labels = { ...o.metadata.labels, ...l.pairs };
  }
  for (const img of k.images ?? []) {
    for (const o of out) {
      for (const spec of podSpecs(o)) {
        for (const c of [...(spec.containers as { image: string }[] ?? []), ...(spec.initContainers as { image: string }[] ?? [])]) {
          const name = c.image.replace(/[:@].*$/, '');
          if (name !== img.name) continue;
          const tag = img.newTag ?? (c.image.includes(':') ? c.image.slice(c.image.indexOf(':') + 1) : null);
          c.image = `${img.newName ?? name}${tag === null ? '' : `:${tag}`}`;
        }
      }
    }
  }
  return out;
}
