// Loading the configuration for a CLI command: a ConfigError is printed (it
// names file, line and key) and the command exits 1; anything else is a bug.
import { readConfigFile, type Config } from '../config/index.js';
import { ConfigError } from '../errors/index.js';

/** The config and the file's text, or null after printing why it is invalid and setting exit code 1. */
export function loadConfigOrReport(file: string, prefix: string): { config: Config; text: string } | null {
  try {
    return readConfigFile(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${prefix}${err.message}\n`);
    process.exitCode = 1;
    return null;
  }
}
