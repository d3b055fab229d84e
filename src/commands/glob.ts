// Redis glob patterns (KEYS, PUBSUB CHANNELS, SCAN MATCH): `*`, `?`, `[abc]`,
// `[^a-z]`, and `\` escaping the next character, as a RegExp over latin1 text.
// Pure; no sockets.

function escape(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}

export function globToRegExp(glob: string): RegExp {
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') re += '[\\s\\S]*';
    else if (ch === '?') re += '[\\s\\S]';
    else if (ch === '\\' && i + 1 < glob.length) re += escape(glob[++i]!);
    else if (ch === '[') {
      let j = i + 1;
      let cls = '';
      if (glob[j] === '^') { cls += '^'; j++; }
      for (; j < glob.length && glob[j] !== ']'; j++) {
        if (glob[j] === '\\' && j + 1 < glob.length) cls += escape(glob[++j]!);
        else if (glob[j] === '-' && cls !== '' && cls !== '^' && j + 1 < glob.length && glob[j + 1] !== ']') cls += '-';
        else cls += escape(glob[j]!);
      }
      if (j >= glob.length) re += '\\['; // unclosed: a literal '['
      else { re += `[${cls}]`; i = j; }
      if (j >= glob.length) continue;
    } else re += escape(ch);
  }
  return new RegExp(`${re}$`);
}
