// --log-format pretty: pino's JSON lines become one readable line each, with
// every field kept; what is not JSON passes through.
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { prettyLine, prettyStream } from '../../../src/log/pretty.js';

describe('pretty log lines', () => {
  it('shows time, level, message and every other field', () => {
    const lines: string[] = [];
    const log = pino({ level: 'info', name: 'shardgate', base: { pid: 1 } }, prettyStream({ write: (s) => lines.push(s) }));
    log.info({ pool: 'alpha', servers: 2, listen: '127.0.0.1:22121' }, 'pool alpha listening');
    log.warn({ server: 'a b', err: new Error('boom') }, 'backend failure');
    log.debug('not shown at info');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  pool alpha listening  pool=alpha servers=2 listen=127\.0\.0\.1:22121\n$/);
    expect(lines[1]).toMatch(/ WARN  backend failure  server="a b" err=boom\n$/);
  });

  it('passes a line that is not JSON through', () => {
    expect(prettyLine('plain text')).toBe('plain text\n');
  });
});
