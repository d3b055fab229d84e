// Writes docs/commands.md from the command table (npm run build first), so
// the list of what the proxy does with each Redis command never drifts.
import fs from 'node:fs';
import { renderCommandDocs } from '../dist/commands/docs.js';

fs.writeFileSync(new URL('../docs/commands.md', import.meta.url), renderCommandDocs());
console.log('wrote docs/commands.md');
