/**
 * The bounds of what the browser may ask of the gateway, in one place for both checks of it:
 * the zod schemas of messages.ts (the main process, on the WebSocket) and the hand-written
 * guards of web-bridge/child-protocol.ts (the session child, on IPC, without zod). The
 * protocol's own limits (recipients, names, title, content, ids) are the protocol's.
 *
 * No Node-only imports and no zod: the session child loads this at each sign-in.
 */
import {
  MAX_CONTENT_CHARS,
  MAX_RECIPIENTS,
  MAX_TITLE_CHARS,
  MAX_USERNAME_CHARS,
} from '../protocol/limits.js';
import { MAX_ID_BYTES } from '../protocol/operations/list-inbox.js';
import { SEND_ID_PATTERN } from '../protocol/operations/send-id.js';
import { codePointLength } from '../protocol/text.js';

export { MAX_CONTENT_CHARS, MAX_RECIPIENTS, MAX_TITLE_CHARS, MAX_USERNAME_CHARS, SEND_ID_PATTERN };

/** HOST or HOST:PORT: a DNS name is at most 253 characters, and a port follows. */
export const MAX_SERVER_CHARS = 255;
/** Long enough for any passphrase a person types or a manager pastes; bounds scrypt's input. */
export const MAX_PASSWORD_CHARS = 200;
/**
 * An inbox email's id as the server lists it: at most MAX_ID_BYTES of UTF-8 there, so never
 * more characters than that.
 */
export const MAX_EMAIL_ID_CHARS = MAX_ID_BYTES;
/** The local Sent folder's ids are 29 characters (sent-folder.ts); anything longer is not one. */
export const MAX_SENT_ID_CHARS = 128;
/** The per-page secret of GET /session. */
export const MAX_PAGE_SECRET_CHARS = 128;
/** An inbox index: far beyond any inbox, within a 32-bit field. */
export const MAX_INBOX_INDEX = 1_000_000_000;
/** A content search's words as typed: far beyond any search a person types. */
export const MAX_SEARCH_QUERY_CHARS = 1000;
/** A key's fingerprint as the UI shows it. */
export const FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** A title the protocol can carry: at most MAX_TITLE_CHARS code points, one line. */
export const titleFits = (title: string): boolean => codePointLength(title) <= MAX_TITLE_CHARS;
export const titleIsOneLine = (title: string): boolean => !/[\r\n]/.test(title);
export const contentFits = (content: string): boolean =>
  codePointLength(content) <= MAX_CONTENT_CHARS;
