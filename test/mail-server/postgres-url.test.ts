/** What a PostgreSQL URL says besides where the database is: libpq's connect_timeout. */
import { describe, expect, it } from 'vitest';
import { connectTimeoutMs, describePostgresUrl } from '../../mail-server/store/postgres-url.js';

describe('a PostgreSQL URL', () => {
  it('is described without its password', () => {
    expect(describePostgresUrl('postgres://mail:secret@db.example:5433/mail')).toBe(
      'mail@db.example:5433/mail',
    );
  });

  it('gives its connect_timeout in milliseconds, or the fallback when it has none', () => {
    expect(connectTimeoutMs('postgres://mail@db/mail?connect_timeout=3', 10_000)).toBe(3000);
    expect(connectTimeoutMs('postgres://mail@db/mail', 10_000)).toBe(10_000);
    expect(connectTimeoutMs('postgres://mail@db/mail?sslmode=require', 5000)).toBe(5000);
  });

  it('refuses a connect_timeout that is not a whole number of seconds from 1 to 3600, saying so', () => {
    for (const value of ['0', '-1', '2.5', 'ten', '3601', '', '99999999'])
      expect(() =>
        connectTimeoutMs(`postgres://mail@db/mail?connect_timeout=${value}`, 10_000),
      ).toThrow(/write a whole number of seconds from 1 to 3600/);
  });
});
