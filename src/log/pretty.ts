// `--log-format pretty`: pino's JSON lines turned into one readable line each
// for people at a terminal — time, level, message, then the other fields as
// key=value. Written here instead of depending on pino-pretty: the log carries
// lifecycle lines only (never one per request at info), so parsing each line
// again costs nothing worth a dependency. Must not change what is logged.
import type { DestinationStream } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'msg', 'pid', 'name', 'hostname', 'v']);

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s="]/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

/** One JSON log line as a line for people (a line that is not JSON is passed on as it is). */
export function prettyLine(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const t = typeof o.time === 'number' ? new Date(o.time).toISOString().slice(11, 23) : '';
  const level = (LEVELS[o.level as number] ?? String(o.level)).padEnd(5);
  const rest = Object.entries(o).filter(([k]) => !SKIP.has(k)).map(([k, v]) => {
    if (k === 'err' && v !== null && typeof v === 'object') return `err=${value((v as { message?: unknown }).message ?? v)}`;
    return `${k}=${value(v)}`;
  });
  return `${t} ${level} ${String(o.msg ?? '')}${rest.length > 0 ? `  ${rest.join(' ')}` : ''}\n`;
}

/** A pino destination that writes pretty lines to `out`. */
export function prettyStream(out: { write(s: string): unknown }): DestinationStream {
  return { write: (line: string) => { out.write(prettyLine(line)); } };
}
