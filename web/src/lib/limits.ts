/**
 * The protocol's limits and its way of counting, imported from the shared protocol code (kept
 * free of Node APIs for the browser) so the browser and the server cannot disagree.
 */
export { MAX_CONTENT_CHARS, MAX_TITLE_CHARS } from '../../../protocol/email.js';
export { codePointLength } from '../../../protocol/text.js';

/** The gateway's username rule (gateway/messages.ts): 1 to 64 characters. */
export const MAX_USERNAME_CHARS = 64;
/** The gateway takes at most this many recipients in one send. */
export const MAX_RECIPIENTS = 100;
