import type { Migration } from './migration.js';

/**
 * Every copy of every email, one row per recipient. The listing reads the covering index in
 * receive order (the receive time as section F writes it, compared byte by byte; ties in
 * order of id) without touching the table. `delivery` names one delivery, so that a delivery
 * tried again after a lost answer is stored once. The body is section F's text as UTF-8
 * bytes, byte for byte: it may hold NUL, which a text column refuses. The title, for the
 * listing, is text with NUL written `\0` and `\` written `\\` (postgres-title.ts).
 */
export const inboxes: Migration = {
  version: 1,
  name: 'inboxes',
  sql: `
CREATE TABLE emails (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner        text NOT NULL,
  delivery     uuid NOT NULL,
  received_key text COLLATE "C" NOT NULL,
  received_at  text NOT NULL,
  sender       text NOT NULL,
  title        text NOT NULL,
  body         bytea NOT NULL,
  CONSTRAINT emails_one_copy_per_delivery UNIQUE (delivery, owner)
);
CREATE INDEX emails_inbox_order ON emails (owner, received_key, id)
  INCLUDE (sender, received_at, title);
-- Bodies are read and written whole: kept out of line, uncompressed.
ALTER TABLE emails ALTER COLUMN body SET STORAGE EXTERNAL;
`,
};
