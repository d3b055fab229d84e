// Logging: pino, to stderr or a file. Twemproxy's -v verbosity (0..11,
// default 5) maps onto pino levels so existing service files keep working.
import { pino, type Logger } from 'pino';
import { prettyStream } from './pretty.js';

export function levelForVerbosity(v: number): string {
  if (v <= 2) return 'fatal';
  if (v <= 3) return 'error';
  if (v <= 4) return 'warn';
  if (v <= 6) return 'info';
  if (v <= 8) return 'debug';
  return 'trace';
}

export type LogFormat = 'json' | 'pretty';

export function createLogger(opts: { level?: string; file?: string | null; name?: string; format?: LogFormat } = {}): Logger {
  const level = opts.level ?? process.env.SHARDGATE_LOG_LEVEL ?? 'info';
  const raw = opts.file ? pino.destination({ dest: opts.file, mkdir: true, sync: false }) : pino.destination({ fd: 2, sync: false });
  const dest = opts.format === 'pretty' ? prettyStream(raw) : raw;
  return pino({ level, name: opts.name ?? 'shardgate', base: { pid: process.pid } }, dest);
}
