/** PostgreSQL failures told by SQLSTATE code (or errno), not by their message text. */
import { describe, expect, it } from 'vitest';
import { describePostgresError } from '../../mail-server/store/postgres-errors.js';

/** An error as node-postgres gives it: the server's message in any language, and its code. */
const failure = (code: string | undefined, message = 'le message du serveur'): Error =>
  Object.assign(new Error(message), code === undefined ? {} : { code });

describe('PostgreSQL failures', () => {
  it('are told by their code, whatever the message says', () => {
    expect(describePostgresError(failure('53300'))).toMatch(
      /^PostgreSQL refused: too many clients \(max_connections\); raise max_connections or lower --max-sessions/,
    );
    expect(describePostgresError(failure('28P01'))).toMatch(/refused the password .*\(28P01\)/);
    expect(describePostgresError(failure('3D000'))).toMatch(/does not exist \(3D000\); create it/);
    expect(describePostgresError(failure('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'))).toBe(
      'nothing listens at the --store URL host and port (ECONNREFUSED)',
    );
    // A message that reads like another failure does not change what the code says.
    expect(describePostgresError(failure('53300', 'password authentication failed'))).toMatch(
      /too many clients/,
    );
  });

  it('keep the message of codes not listed, with the code', () => {
    expect(describePostgresError(failure('08006', 'gone'))).toBe(
      'the database connection failed (08006): gone',
    );
    expect(describePostgresError(failure('23505', 'duplicate key'))).toBe('duplicate key (23505)');
    expect(describePostgresError(failure(undefined, 'something else'))).toBe('something else');
  });

  it('name a missing password, which node-postgres reports with no code', () => {
    expect(
      describePostgresError(
        failure(undefined, 'SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'),
      ),
    ).toMatch(/^PostgreSQL asks for a password and none was given/);
  });
});
