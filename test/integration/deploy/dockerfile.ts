// Reads a Dockerfile into its instructions (continuation lines joined,
// comments and parser directives dropped) and splits them into stages, for
// the checks of container.test.ts. Exec-form arguments are parsed as JSON.
export interface Instruction { keyword: string; args: string; line: number }
export interface Stage { from: string; name: string | null; instructions: Instruction[] }

export function readInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start + 1 });
  }
  return out;
}

export function stages(instructions: readonly Instruction[]): Stage[] {
  const out: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      out.push({ from: m?.[1] ?? ins.args, name: m?.[2] ?? null, instructions: [] });
    } else {
      out.at(-1)?.instructions.push(ins);
    }
  }
  return out;
}

/** The JSON array of an exec-form instruction (after HEALTHCHECK's options and `CMD`), or null for shell form. */
export function execForm(args: string): string[] | null {
  const at = args.indexOf('[');
  if (at < 0) return null;
  try {
    const v = JSON.parse(args.slice(at)) as unknown;
    return Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : null;
  } catch {
    return null;
  }
}
