// Validators the deployment tests run that come from Debian packages
// (docker-compose's offline `config` check): present on PATH, or installed with
// apt-get when running as root (as the test setup does for redis-server), or a
// clear error naming the package. .ci/run installs them up front.
import { execFileSync } from 'node:child_process';
import { hasCommand } from '../../fixtures/procs.js';

export function ensureDebianTool(command: string, pkg: string): void {
  if (hasCommand(command)) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !hasCommand('apt-get')) {
    throw new Error(`${command} is not on PATH: install the Debian package ${pkg} (apt-get install --no-install-recommends ${pkg}); .ci/run does`);
  }
  console.log(`[deploy tests] ${command} missing: apt-get install --no-install-recommends ${pkg}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { stdio: 'inherit', env, timeout: 300_000 });
}
