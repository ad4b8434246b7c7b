import type { Migration } from './migration.js';

/**
 * The login throttle of every host (mail-server/throttle/rules.ts has the rules). Keys are the
 * book's: `ua:user@address`, `u:user`, `a:address`. Times are milliseconds since the epoch,
 * from the hosts' clocks. An admitted attempt holds one row per key until it is settled, or
 * until it expires when its host died before settling it.
 */
export const loginThrottle: Migration = {
  version: 2,
  name: 'login throttle',
  sql: `
CREATE TABLE login_failures (
  key          text PRIMARY KEY,
  failures     integer NOT NULL,
  locked_until bigint NOT NULL,
  last_failure bigint NOT NULL
);
CREATE INDEX login_failures_by_age ON login_failures (last_failure);
CREATE TABLE login_attempts (
  attempt    uuid NOT NULL,
  key        text NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (attempt, key)
);
CREATE INDEX login_attempts_by_key ON login_attempts (key, expires_at);
CREATE TABLE known_devices (
  key   text PRIMARY KEY,
  until bigint NOT NULL
);
`,
};
