/** Fields shared by the browser's requests (messages.ts, mark-messages.ts). */
import { z } from 'zod';
import { MAX_EMAIL_ID_CHARS } from './request-limits.js';

export const requestId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/** An email's id on the server, on sessions that list ids. */
export const emailId = z.string().min(1).max(MAX_EMAIL_ID_CHARS);
