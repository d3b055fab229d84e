// The node's FUNCTION libraries (Redis 7.0 functions): the `#!lua name=<lib>`
// metadata, loading a library into the functions interpreter (an engine in
// function mode, apart from EVAL's, so SCRIPT FLUSH leaves functions alone),
// the library and function registries with Redis's errors, and FUNCTION
// DUMP/RESTORE (payload: function-dump.ts). Running a function (atomic, BUSY, propagation) is
// NodeState.runFunction; the commands are ../commands/functions.ts. Must not
// touch the keyspace or sockets.
import { ReplyError } from '../contracts.js';
import { LOAD_TIMEOUT_MS, ScriptEngine, type RegisteredFunction } from './engine.js';
import { FunctionPayloadError, decodeFunctionDump, encodeFunctionDump } from './function-dump.js';

export interface LibFunction { name: string; description: Buffer | null; flags: string[]; ref: number; lib: Library }
export interface Library { name: string; code: Buffer; functions: Map<string, LibFunction> }

const NAME_RE = /^[A-Za-z0-9_]+$/;
const BAD_NAME = 'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';
export type RestorePolicy = 'append' | 'replace' | 'flush';

export class FunctionLibraries {
  #engine: ScriptEngine | null = null;
  readonly libraries = new Map<string, Library>();
  readonly functions = new Map<string, LibFunction>();
  /** bytes of all libraries' code (INFO memory) */
  codeBytes = 0;

  get engine(): ScriptEngine {
    if (this.#engine === null) {
      this.#engine = new ScriptEngine(true);
      this.#engine.onReset = () => this.#reload();
    }
    return this.#engine;
  }

  /** The interpreter was replaced (a JS exception in it): every library loads again, its callbacks get new references. */
  #reload(): void {
    const engine = this.engine;
    for (const lib of this.libraries.values()) {
      const byName = lib.functions;
      engine.loadLibrary(lib.code.subarray(lib.code.indexOf(0x0a)), 0, (fn) => {
        const f = byName.get(fn.name.toString('latin1'));
        if (f === undefined) { engine.unref(fn.ref); return null; }
        f.ref = fn.ref;
        return null;
      });
    }
  }

  /** FUNCTION LOAD [REPLACE]: the library's name, or Redis 7.0's error (nothing changes then). */
  load(code: Buffer, replace: boolean, timeoutMs = LOAD_TIMEOUT_MS): string | ReplyError {
    const md = parseMetadata(code);
    if (md instanceof ReplyError) return md;
    const old = this.libraries.get(md.name);
    if (old !== undefined && !replace) return new ReplyError(`ERR Library '${md.name}' already exists`);
    const lib: Library = { name: md.name, code, functions: new Map() };
    const engine = this.engine;
    const add = (fn: RegisteredFunction): string | null => {
      const name = fn.name.toString('latin1');
      if (!NAME_RE.test(name)) return BAD_NAME;
      if (lib.functions.has(name)) return 'Function already exists in the library';
      lib.functions.set(name, { name, description: fn.description, flags: fn.flags, ref: fn.ref, lib });
      return null;
    };
    const drop = (l: Library): void => { for (const f of l.functions.values()) engine.unref(f.ref); };
    const err = engine.loadLibrary(md.body, timeoutMs, add);
    if (err !== null) { drop(lib); return err; }
    if (lib.functions.size === 0) return new ReplyError('ERR No functions registered');
    for (const name of lib.functions.keys()) {
      const other = this.functions.get(name);
      if (other !== undefined && other.lib !== old) { drop(lib); return new ReplyError(`ERR Function ${name} already exists`); }
    }
    if (old !== undefined) this.#remove(old);
    this.libraries.set(lib.name, lib);
    for (const f of lib.functions.values()) this.functions.set(f.name, f);
    this.codeBytes += code.length;
    return lib.name;
  }

  /** FUNCTION DELETE */
  delete(name: string): 'OK' | ReplyError {
    const lib = this.libraries.get(name);
    if (lib === undefined) return new ReplyError('ERR Library not found');
    this.#remove(lib);
    return 'OK';
  }

  #remove(lib: Library): void {
    for (const f of lib.functions.values()) { this.functions.delete(f.name); this.#engine?.unref(f.ref); }
    this.libraries.delete(lib.name);
    this.codeBytes -= lib.code.length;
  }

  /** FUNCTION FLUSH: no library, a fresh interpreter. */
  flush(): void {
    this.libraries.clear();
    this.functions.clear();
    this.codeBytes = 0;
    this.#engine?.flush();
  }

  /** FUNCTION DUMP: every library's code in redis-server 7.0's payload (function-dump.ts). */
  dump(): Buffer { return encodeFunctionDump([...this.libraries.values()].map((l) => l.code)); }

  /** FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]: all libraries or none, with Redis's errors. */
  restore(payload: Buffer, policy: RestorePolicy): 'OK' | ReplyError {
    let codes: Buffer[] | null;
    try { codes = decodeFunctionDump(payload); } catch (err) {
      if (err instanceof FunctionPayloadError) return new ReplyError(`ERR ${err.message}`);
      throw err;
    }
    if (codes === null) return new ReplyError('ERR DUMP payload version or checksum are wrong');
    // load into a scratch registry first, so a bad payload leaves this one as it was
    const scratch = new FunctionLibraries();
    for (const code of codes) {
      const r = scratch.load(code, false, 0);
      if (r instanceof ReplyError) { scratch.flush(); return r; }
    }
    if (policy === 'append') {
      for (const lib of scratch.libraries.values()) {
        if (this.libraries.has(lib.name)) return new ReplyError(`ERR Library ${lib.name} already exists`);
        for (const f of lib.functions.keys()) if (this.functions.has(f)) return new ReplyError(`ERR Function ${f} already exists`);
      }
    } else if (policy === 'replace') {
      for (const lib of scratch.libraries.values()) {
        for (const f of lib.functions.keys()) {
          const mine = this.functions.get(f);
          if (mine !== undefined && mine.lib.name !== lib.name) return new ReplyError(`ERR Function ${f} already exists`);
        }
      }
    } else this.flush();
    // the checks passed: load each library here (a loaded library loads again the same way)
    for (const code of codes) this.load(code, true, 0);
    return 'OK';
  }
}

/** The `#!<engine> name=<lib>` first line and the code after it (its newline kept: error lines count from 1). */
function parseMetadata(code: Buffer): { name: string; body: Buffer } | ReplyError {
  if (code.length < 2 || code[0] !== 0x23 || code[1] !== 0x21) return new ReplyError('ERR Missing library metadata');
  const nl = code.indexOf(0x0a);
  if (nl < 0) return new ReplyError('ERR Invalid library metadata');
  const parts = code.subarray(2, nl).toString('latin1').split(/[ \t\r\v\f]+/).filter((p) => p.length > 0);
  if (code[2] === 0x20 || parts.length === 0) return new ReplyError('ERR Invalid library metadata');
  const engine = parts[0]!;
  let name: string | null = null;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() === 'name=') {
      if (name !== null) return new ReplyError('ERR Invalid metadata value, name argument was given multiple times');
      name = part.slice(5);
      continue;
    }
    return new ReplyError(`ERR Invalid metadata value given: ${part}`);
  }
  if (name === null) return new ReplyError('ERR Library name was not given');
  if (engine.toLowerCase() !== 'lua') return new ReplyError(`ERR Engine '${engine}' not found`);
  if (!NAME_RE.test(name)) return new ReplyError(`ERR ${BAD_NAME}`);
  return { name, body: code.subarray(nl) };
}

