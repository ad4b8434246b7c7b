import { describe, expect, it } from 'vitest';
import { connectionsNeeded, connectionWarning } from '../../mail-server/config/postgres-need.js';
import { defaultServerOptions } from '../../mail-server/server-options.js';

describe('the PostgreSQL connections a host may use', () => {
  it('is 2 × the session processes + 5: 505 with the defaults (--max-sessions 250)', () => {
    expect(connectionsNeeded(defaultServerOptions)).toEqual({ processes: 250, connections: 505 });
    expect(
      connectionsNeeded({ maxSessions: 40, clientsPerProcess: 1, maxUse: 100 }).connections,
    ).toBe(85);
    // Several clients per process: fewer processes, fewer connections.
    expect(connectionsNeeded({ maxSessions: 250, clientsPerProcess: 10, maxUse: 100 })).toEqual({
      processes: 25,
      connections: 55,
    });
  });

  it('warns with the figures when max_connections (less the reserved ones) is below it', () => {
    const warning = connectionWarning(defaultServerOptions, { maxConnections: 100, reserved: 3 });
    expect(warning?.fields).toEqual({
      maxConnections: 100,
      reserved: 3,
      usable: 97,
      needed: 505,
      processes: 250,
    });
    expect(warning?.message).toContain('raise max_connections');
    expect(connectionWarning(defaultServerOptions, { maxConnections: 508, reserved: 3 })).toBe(
      undefined,
    );
    expect(
      connectionWarning(defaultServerOptions, { maxConnections: 507, reserved: 3 }),
    ).toBeDefined();
  });
});
