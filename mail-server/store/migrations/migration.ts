/** One step of the PostgreSQL schema: applied once, in order of version, inside a transaction. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}
