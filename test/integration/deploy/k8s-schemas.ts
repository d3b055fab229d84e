// Checks Kubernetes objects against the API's schemas, offline, with the
// schemas that kubernetes-models and @kubernetes-models/prometheus-operator
// bundle: (1) their validators (JSON Schema from the Kubernetes OpenAPI
// documents: required fields, types, enums, formats such as quantities);
// (2) their TypeScript interfaces, by compiling each object as a typed
// literal, which also rejects every field the schema does not have (a
// misspelt key) — the validators let unknown fields through.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ROOT } from '../../fixtures/procs.js';
import type { K8sObject } from './kustomize-lite.js';

/** The module of the model for an apiVersion/kind, or null when no bundled schema covers it. */
export function modelModule(apiVersion: string, kind: string): string | null {
  if (apiVersion === 'monitoring.coreos.com/v1') return `@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${kind}`;
  const dir = apiVersion.includes('/') ? apiVersion : `v1`;
  const file = path.join(ROOT, 'node_modules/kubernetes-models', dir, `${kind}.js`);
  return fs.existsSync(file) ? `kubernetes-models/${dir}/${kind}` : null;
}

const label = (o: K8sObject) => `${o.kind}/${o.metadata?.name}`;

/** Problems the bundled validators report, one line per object. */
export async function validatorProblems(objects: readonly K8sObject[]): Promise<string[]> {
  const out: string[] = [];
  for (const o of objects) {
    const mod = modelModule(o.apiVersion, o.kind);
    if (mod === null) { out.push(`${label(o)}: no schema for ${o.apiVersion} ${o.kind}`); continue; }
    const Model = (await import(mod) as Record<string, new (d: unknown) => { validate(): void }>)[o.kind]!;
    try { new Model(o).validate(); } catch (err) { out.push(`${label(o)}: ${(err as Error).message}`); }
  }
  return out;
}

/** Problems the TypeScript compiler reports for the objects as typed literals (unknown fields included). */
export function typeProblems(objects: readonly K8sObject[], name: string): string[] {
  const dir = path.join(ROOT, '.tmp', 'k8s-types');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name.replace(/[^\w-]/g, '_')}.ts`);
  const imports: string[] = [];
  const lines: string[] = [];
  objects.forEach((o, i) => {
    const mod = modelModule(o.apiVersion, o.kind);
    if (mod === null) return;
    imports.push(`import type { I${o.kind} as T${i} } from '${mod}';`);
    lines.push(`export const o${i}: T${i} = ${JSON.stringify(o)};`);
  });
  // One object per line after the imports: a diagnostic's line names its object.
  fs.writeFileSync(file, [...imports, ...lines, ''].join('\n'));
  const program = ts.createProgram([file], {
    strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, types: [],
  });
  const withObjects = objects.filter((o) => modelModule(o.apiVersion, o.kind) !== null);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const o = withObjects[line - imports.length];
    return `${o ? label(o) : d.file?.fileName ?? '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ').slice(0, 400)}`;
  });
}
