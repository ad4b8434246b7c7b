import type { Migration } from './migration.js';

/**
 * Send ids (session version 5): one row per (sender, send id), written by the delivery's own
 * statement, so that the copies and the record commit together or not at all. A second
 * delivery with the same key fails on the primary key and is answered from the row: who was
 * named (`named`), who is a user (`known`) and each stored copy's id (`delivered`, owner to
 * id); a known recipient without a copy was over quota, the only reason a delivery skips one.
 * `seq` orders a sender's rows: the newest MAX_SEND_RECORDS (mail-store.ts) are kept.
 */
export const sendIds: Migration = {
  version: 5,
  name: 'send ids',
  sql: `
CREATE TABLE sends (
  sender    text NOT NULL,
  send_id   text NOT NULL,
  seq       bigint GENERATED ALWAYS AS IDENTITY,
  delivery  uuid NOT NULL,
  named     text[] NOT NULL,
  known     text[] NOT NULL,
  delivered jsonb NOT NULL,
  CONSTRAINT sends_once PRIMARY KEY (sender, send_id)
);
CREATE INDEX sends_by_age ON sends (sender, seq);
`,
};
