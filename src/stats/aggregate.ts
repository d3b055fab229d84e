// Sums the stats documents of several worker processes into one (workers:
// N): counters and gauges add up, ejection timestamps take the latest,
// the document's own header fields come from the first.

type Doc = Record<string, unknown>;

const HEADER = new Set(['service', 'source', 'version', 'uptime', 'timestamp']);

function merge(into: Doc, from: Doc): void {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (typeof v === 'number') {
      if (k === 'server_ejected_at') into[k] = Math.max(typeof cur === 'number' ? cur : 0, v);
      else into[k] = (typeof cur === 'number' ? cur : 0) + v;
    } else if (v !== null && typeof v === 'object') {
      if (cur === undefined || cur === null || typeof cur !== 'object') into[k] = {};
      merge(into[k] as Doc, v as Doc);
    } else if (cur === undefined) {
      into[k] = v;
    }
  }
}

export function aggregateStats(docs: readonly Doc[]): Doc {
  if (docs.length === 0) return {};
  const out: Doc = {};
  for (const [k, v] of Object.entries(docs[0])) if (HEADER.has(k)) out[k] = v;
  for (const d of docs) {
    const body: Doc = {};
    for (const [k, v] of Object.entries(d)) if (!HEADER.has(k)) body[k] = v;
    merge(out, body);
  }
  return out;
}
