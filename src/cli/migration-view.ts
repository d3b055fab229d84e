// How `shardgate rebalance` shows migration progress: a bar per pool redrawn
// in place on a terminal, or at most one line per pool per second otherwise,
// and the summary line per pool at the end. Pure text plus one output stream;
// must not talk to the admin API. (A few lines of ANSI instead of a progress
// bar dependency.)
import type { MigrationPoolStatus } from '../admin/migration-types.js';

const BAR_WIDTH = 20;

function percent(s: MigrationPoolStatus): number | null {
  if (s.total_keys === null || s.total_keys <= 0) return s.state === 'done' ? 100 : null;
  return Math.min(100, Math.floor((s.scanned / s.total_keys) * 100));
}

function counts(s: MigrationPoolStatus): string {
  return `moved ${s.moved}  misplaced ${s.misplaced}  busy ${s.busy}  missing ${s.missing}  errors ${s.errors}`;
}

function scannedText(s: MigrationPoolStatus): string {
  return s.total_keys === null ? `${s.scanned} keys scanned` : `${s.scanned}/${s.total_keys} keys`;
}

/** One terminal line: `cache [█████░░░░]  41% 41000/100000 keys moved 38 misplaced 40 ...`. */
export function barLine(pool: string, s: MigrationPoolStatus, nameWidth: number): string {
  const p = percent(s);
  const filled = p === null ? 0 : Math.round((p / 100) * BAR_WIDTH);
  const bar = p === null ? '·'.repeat(BAR_WIDTH) : '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
  const pct = p === null ? '   ?' : `${String(p).padStart(3)}%`;
  return `${pool.padEnd(nameWidth)} [${bar}] ${pct} ${scannedText(s)} ${counts(s).replace(/ {2}/g, ' ')}`;
}

/** One log line for a non-terminal output. */
export function progressLine(pool: string, s: MigrationPoolStatus): string {
  const p = percent(s);
  return `${pool}: ${s.state}${p === null ? '' : ` ${p}%`} (${scannedText(s)})  ${counts(s)}`;
}

/** The final line of a pool: `cache: done, moved 38, busy 1, missing 1, errors 0, 12.3 s`. */
export function summaryLine(pool: string, s: MigrationPoolStatus, seconds: number | null): string {
  const secs = seconds === null ? '' : `, ${seconds.toFixed(1)} s`;
  const why = s.state === 'failed' && s.last_error !== null ? ` (${s.last_error})` : '';
  return `${pool}: ${s.state}${why}, moved ${s.moved}, busy ${s.busy}, missing ${s.missing}, errors ${s.errors}${secs}`;
}

export interface ProgressView {
  update(pool: string, s: MigrationPoolStatus): void;
  /** Leaves the progress display (the bars stay on screen as drawn last). */
  finish(): void;
}

export function barView(out: NodeJS.WritableStream & { columns?: number }, pools: string[]): ProgressView {
  const latest = new Map<string, MigrationPoolStatus>();
  const nameWidth = Math.max(...pools.map((p) => p.length));
  let drawn = 0;
  let lastDraw = 0;
  const draw = () => {
    const width = out.columns ?? 120;
    let text = drawn > 0 ? `\x1b[${drawn}A` : '';
    drawn = 0;
    for (const pool of pools) {
      const s = latest.get(pool);
      if (s === undefined) continue;
      text += `\r\x1b[2K${barLine(pool, s, nameWidth).slice(0, width - 1)}\n`;
      drawn++;
    }
    out.write(text);
    lastDraw = Date.now();
  };
  return {
    update(pool, s) {
      latest.set(pool, s);
      if (Date.now() - lastDraw >= 100 || s.state === 'done' || s.state === 'failed') draw();
    },
    finish() { if (latest.size > 0) draw(); },
  };
}

export function lineView(out: NodeJS.WritableStream, everyMs = 1000): ProgressView {
  const printedAt = new Map<string, number>();
  return {
    update(pool, s) {
      if (s.state !== 'running') return; // the summary line reports the end
      const now = Date.now();
      if (now - (printedAt.get(pool) ?? -Infinity) < everyMs) return;
      printedAt.set(pool, now);
      out.write(`${progressLine(pool, s)}\n`);
    },
    finish() {},
  };
}
