// Parsers for the two address strings of a nutcracker file: `listen:` and one
// `servers:` item. Pure string -> record, or a message saying what is wrong.
// Follows nutcracker's reading of these strings (split from the right), but
// never resolves names: DNS happens when the proxy binds or connects.
export interface ParsedListen { host: string | null; port: number; path: string | null; mode: number | null }
export interface ParsedServer {
  host: string | null; port: number; path: string | null; weight: number; name: string | null; label: string; spec: string;
}

const DIGITS = /^[0-9]+$/;

/** `host:port`, `name:port`, `[ipv6]:port`, or `/unix/path [octal mode]`. Port 0 is allowed (ephemeral). */
export function parseListen(spec: string): ParsedListen | string {
  if (spec.startsWith('/')) {
    const sp = spec.lastIndexOf(' ');
    if (sp < 0) return { host: null, port: 0, path: spec, mode: null };
    const path = spec.slice(0, sp).trimEnd();
    const perm = spec.slice(sp + 1);
    if (!/^[0-7]{1,4}$/.test(perm) || parseInt(perm, 8) > 0o777) {
      return `has an invalid socket permission '${perm}' (expected octal such as 0666, at most 0777)`;
    }
    return { host: null, port: 0, path, mode: parseInt(perm, 8) };
  }
  const c = spec.lastIndexOf(':');
  if (c < 0) return `must be 'host:port', '[ipv6]:port' or '/path/to/socket [mode]' (got '${spec}')`;
  const host = unbracket(spec.slice(0, c));
  const port = spec.slice(c + 1);
  if (host === '') return `has an empty host in 'host:port' (got '${spec}')`;
  if (!DIGITS.test(port) || Number(port) > 65535) return `has an invalid port '${port}' (expected 0..65535)`;
  return { host, port: Number(port), path: null, mode: null };
}

/** `host:port:weight [name]` or `/unix/path:weight [name]`. */
export function parseServer(spec: string): ParsedServer | string {
  const unix = spec.startsWith('/');
  const form = unix ? "'/path/to/socket:weight [name]'" : "'host:port:weight [name]'";
  let rest = spec;
  let name: string | null = null;
  const sp = spec.lastIndexOf(' ');
  if (sp >= 0) {
    name = spec.slice(sp + 1);
    rest = spec.slice(0, sp);
    if (name === '') return `has an empty name after the space in ${form} (got '${spec}')`;
  }
  const wc = rest.lastIndexOf(':');
  if (wc < 0) return `must be ${form} (got '${spec}')`;
  const weight = rest.slice(wc + 1);
  if (!DIGITS.test(weight) || weight.length > 9) return `has an invalid weight '${weight}' in ${form} (expected an integer >= 1)`;
  if (Number(weight) < 1) return `has a zero weight in ${form}; weights must be >= 1`;
  const addr = rest.slice(0, wc);
  if (unix) {
    if (addr.includes(':') || addr.includes(' ')) return `must be ${form} with no ':' or space in the path (got '${spec}')`;
    return { host: null, port: 0, path: addr, weight: Number(weight), name, label: name ?? addr, spec };
  }
  const pc = addr.lastIndexOf(':');
  if (pc < 0) return `must be ${form} (got '${spec}')`;
  const port = addr.slice(pc + 1);
  const host = unbracket(addr.slice(0, pc));
  if (host === '') return `has an empty host in ${form} (got '${spec}')`;
  if (!DIGITS.test(port) || Number(port) < 1 || Number(port) > 65535) return `has an invalid port '${port}' in ${form} (expected 1..65535)`;
  return { host, port: Number(port), path: null, weight: Number(weight), name, label: name ?? addr, spec };
}

function unbracket(h: string): string {
  return h.length >= 2 && h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}
