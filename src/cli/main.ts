// The `shardgate` command: one program, a subcommand per job.
import { Command } from 'commander';
import { registerProxyCommand } from './proxy-command.js';
import { VERSION } from './version.js';

const program = new Command();
program
  .name('shardgate')
  .description('Redis-protocol sharding proxy: a drop-in Twemproxy replacement')
  .version(VERSION, '--version', 'print the version and exit');

registerProxyCommand(program);
for (const mod of ['./node-command.js', './up-command.js']) {
  try {
    const m = await import(mod) as Record<string, (p: Command) => void>;
    for (const [k, f] of Object.entries(m)) if (k.startsWith('register')) f(program);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
}

await program.parseAsync(process.argv);
