// The `shardgate` command: one program, a subcommand per job.
import { Command } from 'commander';
import { registerProxyCommand } from './proxy-command.js';
import { registerNodeCommand } from './node-command.js';
import { registerUpCommand } from './up-command.js';
import { registerRebalanceCommand } from './rebalance-command.js';
import { VERSION } from './version.js';

const program = new Command();
program
  .name('shardgate')
  .description('Redis-protocol sharding proxy: a drop-in Twemproxy replacement')
  .version(VERSION, '--version', 'print the version and exit');

registerProxyCommand(program);
registerNodeCommand(program);
registerUpCommand(program);
registerRebalanceCommand(program);

await program.parseAsync(process.argv);
