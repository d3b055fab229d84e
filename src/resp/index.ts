// The RESP codec: pure scanners and encoders (no sockets). See docs/protocol.md.
export * from './types.js';
export { RequestScanner } from './request-scanner.js';
export { ReplyScanner } from './reply-scanner.js';
export * from './encode.js';
export * from './reply-read.js';
export { splitInlineArgs } from './inline.js';
