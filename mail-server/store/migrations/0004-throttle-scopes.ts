import type { Migration } from './migration.js';

/**
 * The login throttle's failures, kept apart by whom they are about (throttle/rules.ts, EntrySpace):
 * `known` for a user of user_pass.json, `unknown` for any other name, `address` for an
 * address key. Rows about unknown names and about addresses are bounded each (the oldest
 * failures deleted first, throttle/postgres.ts); rows about users never are for room, so that
 * a flood of made-up names cannot push out a guesser's count. Rows written before this step,
 * or by a host that does not know it yet, count as `known` (the default) and are swept once
 * they no longer count, within an hour.
 */
export const throttleScopes: Migration = {
  version: 4,
  name: 'throttle scopes',
  sql: `
ALTER TABLE login_failures ADD COLUMN scope text NOT NULL DEFAULT 'known'
  CONSTRAINT login_failures_scope CHECK (scope IN ('known', 'unknown', 'address'));
UPDATE login_failures SET scope = 'address' WHERE key LIKE 'a:%';
CREATE INDEX login_failures_by_scope ON login_failures (scope, last_failure);
`,
};
