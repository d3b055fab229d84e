// TLS on a pool's listener: node:tls options from a pool's `shardgate: tls:`
// block, and who may stay once the handshake is done (client certificates,
// `allow_subjects`). A client that fails here is told why in one RESP error
// (over the TLS connection) and closed; a client that speaks plaintext to a
// TLS port fails the handshake and is closed by node:tls. Must not route,
// log key material, or touch plaintext listeners.
import tls from 'node:tls';
import type { ListenerTls } from '../config/index.js';
import { readPemFiles } from './tls-files.js';

/** Options for tls.createServer / setSecureContext (files read now: a reload re-reads them). */
export function listenerTlsOptions(t: ListenerTls): tls.TlsOptions {
  const pem = readPemFiles({ cert: t.cert, key: t.key, ca: t.ca });
  return {
    ...pem,
    minVersion: t.minVersion,
    requestCert: t.clientCerts !== 'off',
    // 'require': node refuses a missing or unverified certificate in the handshake itself
    rejectUnauthorized: t.clientCerts === 'require',
  };
}

/**
 * What of a listener's TLS settings only a new listener can change: TLS on or
 * off, and whether a client certificate is asked for and required (node:tls
 * reads those at server creation; setSecureContext() swaps the certificates,
 * keys, CA and min_version only). Equal shapes: a reload swaps the context.
 */
export function listenerShape(t: ListenerTls | null): string {
  return t === null ? 'plaintext' : `tls, client_certs ${t.clientCerts}`;
}

/** `CN=app-1,O=acme` -> [['CN','app-1'],['O','acme']] (validated by the config loader). */
function parseSubject(s: string): Array<[string, string]> {
  return s.split(',').map((part) => {
    const eq = part.indexOf('=');
    return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
  });
}

/** Whether a certificate subject has every attribute one allow-list entry names. */
function subjectMatches(subject: Record<string, string | string[] | undefined>, entry: string): boolean {
  return parseSubject(entry).every(([k, v]) => {
    const have = subject[k];
    return Array.isArray(have) ? have.includes(v) : have === v;
  });
}

/** A one-line description of a certificate's subject, for logs and errors: CN=a, O=b. */
export function subjectLine(subject: Record<string, string | string[] | undefined>): string {
  return Object.entries(subject).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`).join(', ');
}

/**
 * After the handshake: null when the client may proceed, else why not
 * (a certificate that does not verify under 'optional', or a subject outside
 * `allow_subjects`).
 */
export function refuseReason(socket: tls.TLSSocket, t: ListenerTls): string | null {
  if (t.clientCerts === 'off') return null;
  const cert = socket.getPeerCertificate();
  const has = cert !== null && Object.keys(cert).length > 0;
  if (!has) return t.clientCerts === 'require' ? 'a client certificate is required' : null;
  if (!socket.authorized) return `the client certificate does not verify: ${String(socket.authorizationError)}`;
  if (t.allowSubjects.length === 0) return null;
  const subject = cert.subject as unknown as Record<string, string | string[] | undefined>;
  if (t.allowSubjects.some((e) => subjectMatches(subject, e))) return null;
  return `the client certificate subject '${subjectLine(subject)}' is not in allow_subjects`;
}
