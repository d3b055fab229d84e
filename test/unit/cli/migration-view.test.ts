// The rebalance progress display: bar lines, the in-place redraw on a
// terminal, the once-a-second line output, and the summary line.
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import type { MigrationPoolStatus } from '../../../src/admin/migration-types.js';
import { barLine, barView, lineView, progressLine, summaryLine } from '../../../src/cli/migration-view.js';

function status(over: Partial<MigrationPoolStatus> = {}): MigrationPoolStatus {
  return { mode: 'background', state: 'running', ring_version: 2, scanned: 250, misplaced: 60, moved: 55, busy: 2, missing: 3, errors: 0,
    total_keys: 1000, started_at: '2026-01-01T00:00:00.000Z', finished_at: null, last_error: null, ...over };
}

function sink(columns?: number) {
  const writes: string[] = [];
  const out = Object.assign(new Writable({ write(c, _e, cb) { writes.push(String(c)); cb(); } }), { columns });
  return { out, writes };
}

describe('progress display', () => {
  it('a bar line fills in proportion to scanned / total_keys', () => {
    const line = barLine('cache', status(), 8);
    const bar = /\[(.*?)\]/.exec(line)![1]!;
    expect(bar.length).toBe(20);
    expect([...bar].filter((c) => c === '█').length).toBe(5); // 25% of 20
    expect(line).toMatch(/^cache {4}\[/);
    expect(line).toContain('  25% 250/1000 keys moved 55 misplaced 60 busy 2 missing 3 errors 0');
  });

  it('without total_keys the bar says nothing about a share; more scanned than total is 100%', () => {
    expect(barLine('c', status({ total_keys: null }), 1)).toContain('    ? 250 keys scanned');
    expect(barLine('c', status({ scanned: 1200 }), 1)).toContain('100%');
    expect(progressLine('c', status({ total_keys: null }))).toBe('c: running (250 keys scanned)  moved 55  misplaced 60  busy 2  missing 3  errors 0');
  });

  it('the bar view redraws its lines in place, cut to the terminal width', () => {
    const { out, writes } = sink(40);
    const v = barView(out, ['a', 'bb']);
    v.update('a', status({ state: 'done' }));
    v.update('bb', status({ state: 'done' }));
    expect(writes[0]!.startsWith('\r\x1b[2K')).toBe(true);
    expect(writes[1]!.startsWith('\x1b[1A')).toBe(true); // back over the one line drawn before
    expect(writes[1]!.split('\n').filter(Boolean).length).toBe(2);
    for (const l of writes[1]!.split('\n').filter(Boolean)) expect(l.replace(/\x1b\[\d*[AK]|\r/g, '').length).toBeLessThanOrEqual(39);
  });

  it('the line view prints a running pool at most once a second, per pool', () => {
    const { out, writes } = sink();
    const v = lineView(out, 1000);
    for (let i = 0; i < 5; i++) v.update('a', status({ scanned: i }));
    v.update('b', status());
    v.update('a', status({ state: 'done' }));
    expect(writes.map((w) => w.split(':')[0])).toEqual(['a', 'b']);
    expect(writes[0]).toBe(`${progressLine('a', status({ scanned: 0 }))}\n`);
  });

  it('the summary line names the state, counts, the last error of a failure, and the seconds', () => {
    expect(summaryLine('cache', status({ state: 'done' }), 12.34)).toBe('cache: done, moved 55, busy 2, missing 3, errors 0, 12.3 s');
    expect(summaryLine('cache', status({ state: 'failed', last_error: 'boom' }), null)).toBe('cache: failed (boom), moved 55, busy 2, missing 3, errors 0');
  });
});
