/** The PostgreSQL schema's steps, oldest first. A new step gets the next version; none is ever changed. */
import { inboxes } from './0001-inboxes.js';
import { loginThrottle } from './0002-login-throttle.js';
import { inboxVersions } from './0003-inbox-versions.js';
import { throttleScopes } from './0004-throttle-scopes.js';
import { sendIds } from './0005-send-ids.js';
import type { Migration } from './migration.js';

export type { Migration };
export const migrations: readonly Migration[] = [
  inboxes,
  loginThrottle,
  inboxVersions,
  throttleScopes,
  sendIds,
];
