// Reading and checking the certificate and key files a config names: each
// exists, parses as PEM, and a certificate matches its key. Used by the
// config loader (so `proxy -t`, start and reload refuse a bad file naming it)
// and by the listeners and backend connections that need the bytes.
// Must not open sockets nor log: key material never leaves this module but
// as the bytes handed to node:tls.
import fs from 'node:fs';
import crypto from 'node:crypto';

/** What is wrong with one file setting: `key` is the setting's name under its tls block. */
export interface TlsFileProblem { readonly key: string; readonly message: string }

export interface PemFiles { readonly cert: string | null; readonly key: string | null; readonly ca: string | null }
export interface PemBytes { cert?: Buffer; key?: Buffer; ca?: Buffer }

function readFile(file: string): Buffer | string {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return `cannot read '${file}': ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message}`;
  }
}

/**
 * Every problem of the files, in the order cert, key, ca (empty when all is
 * well), and a digest of their bytes (a reload sees a rotated file by it).
 */
export function checkPemFiles(f: PemFiles): { problems: TlsFileProblem[]; digest: string } {
  const problems: TlsFileProblem[] = [];
  const hash = crypto.createHash('sha256');
  const read = (file: string): Buffer | string => {
    const b = readFile(file);
    if (typeof b !== 'string') hash.update(file).update(b);
    return b;
  };
  let cert: crypto.X509Certificate | null = null;
  let key: crypto.KeyObject | null = null;
  if (f.cert !== null) {
    const b = read(f.cert);
    if (typeof b === 'string') problems.push({ key: 'cert', message: b });
    else {
      try { cert = new crypto.X509Certificate(b); } catch { problems.push({ key: 'cert', message: `'${f.cert}' is not a PEM certificate` }); }
    }
  }
  if (f.key !== null) {
    const b = read(f.key);
    if (typeof b === 'string') problems.push({ key: 'key', message: b });
    else {
      try { key = crypto.createPrivateKey(b); } catch { problems.push({ key: 'key', message: `'${f.key}' is not a PEM private key (or it is encrypted: shardgate takes unencrypted keys)` }); }
    }
  }
  if (cert !== null && key !== null && !cert.checkPrivateKey(key)) {
    problems.push({ key: 'key', message: `'${f.key}' is not the private key of the certificate '${f.cert}'` });
  }
  if (f.ca !== null) {
    const b = read(f.ca);
    if (typeof b === 'string') problems.push({ key: 'ca', message: b });
    else {
      try { new crypto.X509Certificate(b); } catch { problems.push({ key: 'ca', message: `'${f.ca}' is not a PEM certificate bundle` }); }
    }
  }
  return { problems, digest: hash.digest('hex').slice(0, 16) };
}

/** The files' bytes for node:tls; throws when one cannot be read (the loader checked them: a file changed since). */
export function readPemFiles(f: PemFiles): PemBytes {
  const out: PemBytes = {};
  if (f.cert !== null) out.cert = fs.readFileSync(f.cert);
  if (f.key !== null) out.key = fs.readFileSync(f.key);
  if (f.ca !== null) out.ca = fs.readFileSync(f.ca);
  return out;
}
