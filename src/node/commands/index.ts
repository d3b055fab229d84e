// The node's command table: every built-in command, by data type.
import type { Cmd } from './types.js';
import { stringCommands } from './strings.js';
import { keyCommands } from './keys.js';
import { listCommands } from './lists.js';
import { hashCommands } from './hashes.js';
import { zsetCommands } from './zsets.js';
import { pubsubCommands } from './pubsub.js';
import { serverCommands } from './server.js';
import { migrateCommands } from './migrate.js';
import { setCommands } from './sets.js';
import { listMoveCommands } from './list-moves.js';
import { transactionCommands } from './transactions.js';
import { zsetSetCommands } from './zset-sets.js';
import { scriptingCommands } from './scripting.js';
import { bitmapCommands } from './bitmaps.js';
import { hyperloglogCommands } from './hyperloglog.js';

export function allCommands(): Cmd[] {
  return [...stringCommands(), ...keyCommands(), ...listCommands(), ...listMoveCommands(), ...hashCommands(), ...zsetCommands(), ...zsetSetCommands(), ...setCommands(), ...pubsubCommands(), ...serverCommands(), ...migrateCommands(), ...transactionCommands(), ...scriptingCommands(), ...bitmapCommands(), ...hyperloglogCommands()];
}
