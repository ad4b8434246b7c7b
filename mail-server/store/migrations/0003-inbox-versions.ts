import type { Migration } from './migration.js';

/**
 * One row per inbox that says what changed in it and how much it holds, so that a listing of an
 * unchanged inbox reads one row, a listing after a delivery reads only the new rows, and a
 * quota check reads no email:
 * - `version` grows by one with every delivery to and removal from the inbox; each email row
 *   keeps the version that stored it. Deliveries and removals take this row's lock, so for one
 *   inbox the versions commit in order: a reader that sees version V sees every row of V or
 *   less.
 * - `removed_at` is the version of the last removal: a listing cached before it is stale.
 * - `bytes` is the sum of the inbox's bodies, which the quota counts.
 * Rows stored before this step keep version 0.
 */
export const inboxVersions: Migration = {
  version: 3,
  name: 'inbox versions',
  sql: `
CREATE TABLE inbox_versions (
  owner      text PRIMARY KEY,
  version    bigint NOT NULL DEFAULT 0,
  removed_at bigint NOT NULL DEFAULT 0,
  bytes      bigint NOT NULL DEFAULT 0
);
INSERT INTO inbox_versions (owner, bytes)
  SELECT owner, sum(octet_length(body)) FROM emails GROUP BY owner;
ALTER TABLE emails ADD COLUMN version bigint NOT NULL DEFAULT 0;
CREATE INDEX emails_inbox_version ON emails (owner, version);
-- The listing stays an index-only scan with its version bound.
DROP INDEX emails_inbox_order;
CREATE INDEX emails_inbox_order ON emails (owner, received_key, id)
  INCLUDE (sender, received_at, title, version);
`,
};
